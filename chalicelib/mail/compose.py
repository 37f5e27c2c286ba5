"""Mail messages: plain text and HTML from Jinja2 templates, as one RFC 5322 message.

The HTML part is rendered with autoescaping; the plain part is not (it is not
HTML, and ``O'Brien`` must stay ``O'Brien``). Templates live in
``chalicelib/templates/mail/`` as ``<name>.txt`` and ``<name>.html``.
"""
from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from chalicelib import i18n
from chalicelib.aws import caches, clock


@caches.shipped
def _env(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("chalicelib", "templates/mail"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,  # a missing value is a bug, not an empty line in someone's inbox
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them: line breaks in a block are not words
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def reset() -> None:
    """Forget the loaded templates."""
    _env.cache_clear()


def render(template: str, **context) -> tuple[str, str]:
    """The plain text and HTML bodies of the template pair ``template``, in the current language."""
    language = i18n.current()
    env = _env(language)
    context = {"lang": language, "dir": i18n.direction(language), **context}
    return env.get_template(f"{template}.txt").render(**context), env.get_template(f"{template}.html").render(**context)


def compose(*, sender: str, to: str, subject: str, text: str, html: str, now=None,
            language: str = i18n.DEFAULT) -> EmailMessage:
    """One message with a plain and an HTML alternative.

    ``sender`` may carry a display name (``Countersign <petitions@example.org>``);
    ``to`` is a bare address, so the recipient appears in that header only.
    """
    message = EmailMessage()
    display, address = parseaddr(sender)
    message["From"] = Address(display, addr_spec=address) if display else address
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.as_utc(now or clock.utc_now()))
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    # An automatic message: out-of-office replies and the like should not answer it (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = language  # after the content: setting the content clears Content-* headers
    return message
