"""Rate limits: how often one client address, or one email address, may try a secret.

Counts are kept in Redis when PB_REDIS_URL is set, so every worker and every server shares
them; otherwise in this process's memory. PB_RATE_LIMITS=off turns them all off.
Limits are per client address unless they say otherwise (the limiter's key in
pb/extensions.py); behind PB_TRUSTED_PROXIES proxies, ProxyFix (pb/security.py) has already
put the real client's address in REMOTE_ADDR.
"""

from __future__ import annotations

import hashlib
import ipaddress

from flask import Flask, request

from .extensions import limiter

# Staff sign-in: per client address, and per email address tried (wherever from).
SIGN_IN_PER_IP = "10 per minute; 100 per day"
SIGN_IN_PER_EMAIL = "5 per minute; 30 per day"
# Voting codes: failed attempts per client address. Codes are 10 characters of a 32-letter
# alphabet; test_limits.py shows these keep a guess within a whole voting period unlikely.
CODE_FAILURES_PER_IP = "10 per minute; 50 per hour; 200 per day"
# A kiosk starts one ballot per resident; a device faster than this is not residents.
KIOSK_BALLOTS_PER_IP = "30 per minute"
# Emailed links to vote: per client address and per email address.
EMAIL_LINK_PER_IP = "10 per hour; 50 per day"
EMAIL_LINK_PER_ADDRESS = "3 per hour; 10 per day"
# Postcode and eligibility answers for an open online vote.
POSTCODE_PER_IP = "20 per minute; 300 per day"
# New accounts, and accepting an invitation (its form asks for a password).
REGISTER_PER_IP = "10 per hour"
INVITATION_PER_IP = "10 per minute; 50 per day"
# The read-only API.
API_PER_IP = "120 per minute"


def client_key() -> str:
    """The client's address; for IPv6 its /64 network, which one home or one attacker holds
    whole (each address in it would otherwise get a count of its own)."""
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _digest(text: str) -> str:
    # Email addresses are kept in the limit store only as a hash.
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def email_key() -> str:
    """The email address in the form, as one key whatever its case or spaces."""
    return "email:" + _digest((request.form.get("email") or "").strip().lower())


def failed(response) -> bool:
    """Count only attempts that were refused (a wrong code shows the form again with 400)."""
    return response.status_code >= 400


def init_app(app: Flask) -> None:
    """Bind the limiter to `app` with its storage and switch taken from the configuration."""
    enabled = bool(app.config.get("PB_RATE_LIMITS", True))
    app.config["RATELIMIT_ENABLED"] = enabled
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("PB_REDIS_URL") or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "pb")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)  # Retry-After on a 429
    app.config.setdefault("RATELIMIT_STRATEGY", "fixed-window")
    # Redis down must not stop sign-in or voting: each process then counts in memory until
    # Redis answers again.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.enabled = enabled
    # One limiter serves the process; a new app (and its storage) starts with Redis believed up.
    limiter._storage_dead = False
    limiter.init_app(app)
