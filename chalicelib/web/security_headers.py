"""Security headers on every answer, added in one place: Chalice middleware (registered in app.py).

Pages get a Content-Security-Policy that runs only our own script file (no
inline script, no eval) and applies only the one inline stylesheet, named by
its hash; JSON bodies list country names in a ``type="application/json"``
block, which is data the browser never runs, so CSP allows it. Framing is
refused everywhere. Every other answer (JSON, the static files, redirects)
gets ``nosniff`` and a policy that allows nothing, in case one is ever opened
as a document.

A route that needs another policy (an embeddable page) sets its own
Content-Security-Policy; the middleware adds only headers a response lacks.
``Strict-Transport-Security`` comes from the setting of the same name, which
only the deployment template sets (see docs/deploying.md).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from chalice import Response

from chalicelib.aws import config
from chalicelib.web import framing, pages

CSP = "Content-Security-Policy"
NOT_A_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'"
REFERRER_POLICY = "strict-origin-when-cross-origin"
# Powerful features no page here uses, switched off for us and anything we might ever embed.
# Cloudflare Turnstile's script and widget frame (chalicelib/fraud/challenge.py's SCRIPT_ORIGIN).
CHALLENGE_ORIGIN = "https://challenges.cloudflare.com"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"


def origin_of(url: str | None) -> str | None:
    """``https://example.org/thanks?x`` -> ``https://example.org``; None for anything not http(s)."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def page_policy(form_targets: Iterable[str | None] = (), image_sources: Iterable[str] = (),
                frame_ancestors: str = framing.NOBODY, challenge: bool = False) -> str:
    """The CSP of an HTML page.

    ``form_targets``: where this page's form may end up besides this site.
    Chrome applies ``form-action`` to the redirect after a post too, so a
    petition whose thanks page is on the campaign's own site names it here.
    ``image_sources``: where its images may come from besides this site (a
    campaign's photo is a URL the campaign chose). ``frame_ancestors``: who may
    frame it, as chalicelib/web/framing.py decides (nobody but on the embed).
    ``challenge``: the page shows Turnstile's widget (a petition with the
    challenge on), so its script and its frame may come from the provider;
    every other page keeps to our own script and no frames at all.
    """
    extra = sorted({o for o in map(origin_of, form_targets) if o})
    sign = origin_of(config.settings().sign_base_url)  # the script may post signatures to the API's own address
    provider = [CHALLENGE_ORIGIN] if challenge else []
    return "; ".join([
        "default-src 'none'",
        "script-src " + " ".join(["'self'", *provider]),
        *(["frame-src " + " ".join(provider)] if provider else []),
        f"style-src '{pages.inline_style_hash()}'",
        "img-src " + " ".join(["'self'", *sorted(set(image_sources))]),
        "connect-src " + " ".join(["'self'", *([sign] if sign else [])]),
        "form-action " + " ".join(["'self'", *extra]),
        f"frame-ancestors {frame_ancestors}",
        "base-uri 'none'",
    ])


def for_petition_page(thanks_url: str | None, image_url: str | None = None,
                      challenge: bool = False) -> dict[str, str]:
    """The policy of a petition's pages: the sign form there may end on the petition's own thanks page,
    the campaign's photo comes from its own address, and with the challenge on, Turnstile may run."""
    image = origin_of(image_url)
    return {CSP: page_policy([thanks_url], [image] if image else [], challenge=challenge)}


def for_embed_page(embed_origins: Iterable[str], image_url: str | None = None,
                   challenge: bool = False) -> dict[str, str]:
    """The embeddable form's policy: a petition page's, framed by the petition's sites (or any)."""
    image = origin_of(image_url)
    return {CSP: page_policy(image_sources=[image] if image else [],
                             frame_ancestors=framing.frame_ancestors(True, embed_origins), challenge=challenge)}


def for_admin_page() -> dict[str, str]:
    """The policy of the admin area's pages: photos from any https address (the preview shows what was typed)."""
    return {CSP: page_policy(image_sources=["https:"])}


def _header(headers: dict, name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value if isinstance(value, str) else ", ".join(value)
    return None


def headers_for(response_headers: dict) -> dict[str, str]:
    """The security headers an answer with these headers should carry."""
    content_type = (_header(response_headers, "Content-Type") or "").lower()
    wanted = {"X-Content-Type-Options": "nosniff"}
    if content_type.startswith("text/html"):
        wanted.update({
            CSP: page_policy(),
            "Referrer-Policy": REFERRER_POLICY,
            "Permissions-Policy": PERMISSIONS_POLICY,
        })
    else:
        wanted[CSP] = NOT_A_PAGE_POLICY
    hsts = config.settings().strict_transport_security
    if hsts:
        wanted["Strict-Transport-Security"] = hsts
    return wanted


def add(response: Response) -> Response:
    """Add each security header the response does not already carry."""
    for name, value in headers_for(response.headers).items():
        if _header(response.headers, name) is None:
            response.headers[name] = value
    return response


def middleware(event, get_response: Callable) -> Response:
    """Chalice HTTP middleware: runs around every route, and Chalice's own 4xx and 5xx answers."""
    return add(get_response(event))
