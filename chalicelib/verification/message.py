"""The verification message: who is asking, why, the confirm link, and what happens if ignored."""
from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import urlsplit

from chalicelib import i18n, mail
from chalicelib.aws import config
from chalicelib.i18n import gettext as _
from chalicelib.verification import tokens


class NotConfigured(RuntimeError):
    """A setting the mailer cannot work without is missing (PUBLIC_BASE_URL or MAIL_FROM)."""


def public_base_url() -> str:
    """The stage's public address: links in mail are built from it, never from a request."""
    base = config.settings().public_base_url
    if not base:
        raise NotConfigured("set PUBLIC_BASE_URL: links in mail are built from it")
    return base


def confirm_link(petition_id: str, signature_key: str, now: float | None = None) -> str:
    token = tokens.make(signature_key, now)
    return f"{public_base_url()}/petitions/{petition_id}/confirm?token={token}"


def verification_message(*, petition_id: str, title: str, signature_key: str, name: str, email: str,
                         updates: bool = False, now: float | None = None) -> EmailMessage:
    s = config.settings()
    if not s.mail_from:
        raise NotConfigured("set MAIL_FROM: the address verification mail comes from")
    base = public_base_url()
    text, html = mail.render(
        "verification",
        name=name,
        title=title,
        link=confirm_link(petition_id, signature_key, now),
        link_days=round(s.verify_link_seconds / 86400),
        expiry_days=round(s.pending_expiry_seconds / 86400),
        site=urlsplit(base).netloc or base,
        petition_url=f"{base}/petitions/{petition_id}/sign",
        updates=updates,
    )
    # A title's line break must not end the header.
    subject = " ".join(_("Confirm your signature: %(title)s", title=title).split())
    return mail.compose(sender=s.mail_from, to=email, subject=subject,
                        text=text, html=html, now=now, language=i18n.current())
