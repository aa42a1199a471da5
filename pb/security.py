"""Security headers on every response, and the real client address behind trusted proxies."""

from __future__ import annotations

import re

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

# Pages other sites may show in a frame: the live results screen and published results.
EMBEDDABLE = {"results.live", "results.round_results", "results.council"}
# Pages whose address carries a secret (a voting code, an emailed link's token, an
# invitation): the address must never leave in a Referer header.
SECRET_IN_URL_ARGS = ("token", "code")
HSTS = "max-age=31536000; includeSubDomains"
# An origin as a browser writes it: scheme, host, optional port; nothing that could end the
# header's directive.
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def policy(frame_ancestors: str) -> str:
    """The Content-Security-Policy: nothing inline, nothing from elsewhere."""
    return ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"object-src 'none'; frame-ancestors {frame_ancestors}; form-action 'self'; "
            "base-uri 'none'")


def embed_origins(app: Flask) -> list[str]:
    """The configured origins allowed to frame the embeddable pages; malformed ones are left
    out rather than written into the header."""
    return [o.rstrip("/") for o in app.config.get("PB_EMBED_ORIGINS") or ()
            if ORIGIN.match(o.rstrip("/"))]


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("PB_TRUSTED_PROXIES") or 0)
    if proxies:
        # Only then are X-Forwarded-For and X-Forwarded-Proto believed, and only as many hops
        # as there are proxies of ours: a client cannot claim another address or https.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)
    app.after_request(security_headers)


def _carries_secret() -> bool:
    view_args = request.view_args or {}
    return (request.blueprint == "vote"
            or any(name in view_args for name in SECRET_IN_URL_ARGS)
            or any(name in request.args for name in SECRET_IN_URL_ARGS))


def security_headers(response):
    """Headers every page gets; the vote pages also say no-store themselves."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    origins = embed_origins(current_app) if request.endpoint in EMBEDDABLE else []
    if origins:
        headers["Content-Security-Policy"] = policy(" ".join(origins))
        headers.pop("X-Frame-Options", None)  # it cannot name several origins; CSP does
    else:
        headers["Content-Security-Policy"] = policy("'none'")
        headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer" if _carries_secret() else headers.get(
        "Referrer-Policy", "same-origin")
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    else:
        headers.pop("Strict-Transport-Security", None)
    return response
