"""The door a request came in by: the CloudFront distribution in front, or around it.

With the distribution on, it adds a secret header to every request it
forwards (``X-Origin-Verify``, its value from SSM, set as ``ORIGIN_SECRET``
for the function by the template), and the app refuses requests without it:
the API's own address then serves nothing that would bypass the cache, the
edge's limits or the web ACL. Without the setting (the CDN off, or locally)
every request is served.

Behind the distribution, API Gateway's ``sourceIp`` is an edge server's
address; the signer's is in ``CloudFront-Viewer-Address``, which the
distribution sets and forwards. That header is believed only on a request
that proved it came through the distribution: anyone can send it to the API
directly, as anyone can send ``X-Forwarded-For``, which is never believed.
"""
from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable

from chalice import Response

from chalicelib.aws import config
from chalicelib.web import responses

ORIGIN_HEADER = "X-Origin-Verify"
SIGN_ROUTE = "/petitions/{petition_id}/signatures"
VIEWER_ADDRESS = "CloudFront-Viewer-Address"


def through_distribution(request) -> bool:
    """True when the request carries the distribution's secret (False when none is configured)."""
    secret = config.settings().origin_secret
    if not secret:
        return False
    sent = (request.headers or {}).get(ORIGIN_HEADER.lower()) or ""
    return hmac.compare_digest(sent.encode("utf-8", "replace"), secret.encode("utf-8"))


def refused(request) -> bool:
    """True when a distribution is in front and this request went around it.

    With direct signing on (SIGN_BASE_URL), the sign route is the one thing
    the API serves at its own address: that is how a signature skips the CDN.
    """
    settings = config.settings()
    if not settings.origin_secret:
        return False
    if settings.sign_base_url and getattr(request, "path", None) == SIGN_ROUTE:
        return False
    return not through_distribution(request)


def direct_sign_url(petition_id: str) -> str | None:
    """Where the sign page's script posts a signature, when that is the API's own address rather than the page's."""
    settings = config.settings()
    if not (settings.sign_base_url and settings.public_origin):
        return None  # the API would not know the page's site for CORS
    return f"{settings.sign_base_url}/petitions/{petition_id}/signatures"


def client_address(request) -> str | None:
    """The signer's IP address: CloudFront's viewer address when the request came through it, else API Gateway's."""
    if through_distribution(request):
        viewer = (request.headers or {}).get(VIEWER_ADDRESS.lower()) or ""
        host = viewer.rsplit(":", 1)[0].strip("[]")  # "198.51.100.10:46532", "2001:db8::1:46532"
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            return None
    identity = (request.context or {}).get("identity") or {}
    return identity.get("sourceIp") or None


def middleware(event, get_response: Callable) -> Response:
    """Chalice HTTP middleware: a request that bypassed the distribution gets a 403 and nothing else."""
    if refused(event):
        return responses.error(403, "This address serves only the site's CDN; use the site's own address.")
    return get_response(event)
