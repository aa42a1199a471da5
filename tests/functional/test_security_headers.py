"""Security headers: a strict Content-Security-Policy on every page, frames only where a page
is meant to be embedded and only by the configured sites, no Referer from pages whose address
carries a secret, and HSTS only over HTTPS (believed from a proxy only when it is trusted)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pb import create_app
from tests.conftest import _config, _running_app
from tests.functional.staff_world import ADMIN, ANONYMOUS, NORTH, RESIDENT, build, client_for
from tests.functional.test_authorisation import PERMISSIONS, ROUTES

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
KIOSK = "kiosk device"

# Every page a visitor without staff sign-in can ask for: who asks, and where.
PUBLIC_PAGES = {
    "main.index": (ANONYMOUS, "/"),
    "main.healthz": (ANONYMOUS, "/healthz"),
    "main.privacy": (ANONYMOUS, "/privacy"),
    "main.round_page": (ANONYMOUS, "/rounds/{done}"),
    "main.browse_proposals": (ANONYMOUS, "/rounds/{vote}/proposals"),
    "main.project": (ANONYMOUS, "/projects/{funded}"),
    "main.photo": (ANONYMOUS, "/photos/1.jpg"),
    "static": (ANONYMOUS, "/static/css/pb.css"),
    "api.openapi_document": (ANONYMOUS, "/api/v1/openapi.json"),
    "api.list_rounds": (ANONYMOUS, "/api/v1/rounds"),
    "api.round_results": (ANONYMOUS, "/api/v1/rounds/{done}/results"),
    "auth.login": (ANONYMOUS, "/auth/login"),
    "auth.register": (ANONYMOUS, "/auth/register"),
    "auth.accept_invitation": (ANONYMOUS, "/auth/invitations/not-a-token"),
    "results.round_results": (ANONYMOUS, "/results/{done}"),
    "results.bundle": (ANONYMOUS, "/results/{done}/bundle.zip"),
    "results.download": (ANONYMOUS, "/results/{done}/download.csv"),
    "results.live": (ANONYMOUS, "/results/{done}/live"),
    "results.live_json": (ANONYMOUS, "/results/{done}/live.json"),
    "results.reproduce": (ANONYMOUS, "/results/{done}/reproduce"),
    "results.council": (ANONYMOUS, "/results/council/test-council"),
    "results.council_download": (ANONYMOUS, "/results/council/test-council/download.csv"),
    "delivery.progress": (ANONYMOUS, "/delivery/{done}"),
    "delivery.confirm": (ANONYMOUS, "/delivery/follow/not-a-token"),
    "delivery.stop": (ANONYMOUS, "/delivery/stop/not-a-token"),
    "vote.start": (ANONYMOUS, "/vote/?code={code}"),
    "vote.round_start": (ANONYMOUS, "/vote/{vote}"),
    "vote.email": (ANONYMOUS, "/vote/{vote}/email"),
    "vote.email_sent": (ANONYMOUS, "/vote/{vote}/email/sent"),
    "vote.email_link": (ANONYMOUS, "/vote/{vote}/link/not-a-token"),
    "vote.postcode": (ANONYMOUS, "/vote/{vote}/postcode"),
    "vote.ballot": (RESIDENT, "/vote/ballot"),
    "vote.review": (RESIDENT, "/vote/review"),
    "vote.done": (RESIDENT, "/vote/done"),
    "vote.equality": (RESIDENT, "/vote/equality"),
    "vote.receipt": (ANONYMOUS, "/vote/receipt"),
    "vote.kiosk_home": (KIOSK, "/vote/kiosk"),
    "vote.kiosk_clear": (KIOSK, "/vote/kiosk/clear"),
    "vote.kiosk_thanks": (KIOSK, "/vote/kiosk/thanks"),
}
# Pages whose address carries a code or token: they send no Referer anywhere.
SECRET_PAGES = {"auth.accept_invitation", "delivery.confirm", "delivery.stop"}


def _staff_pages() -> dict:
    found = {}
    for endpoint, method, permission, address in ROUTES:
        if method == "GET" and endpoint not in found:
            who = next(w for w in (ADMIN, "member", "volunteer", "scrutineer")
                       if PERMISSIONS[permission](w, NORTH))
            found[endpoint] = (who, address)
    return found


def _get_endpoints() -> list[str]:
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "INSTANCE_PATH": "/tmp/pb-header-routes", "PB_RATE_LIMITS": False})
    return sorted({rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods})


GET_ENDPOINTS = _get_endpoints()


def test_the_walk_covers_every_page():
    known = set(PUBLIC_PAGES) | set(_staff_pages())
    assert not [e for e in GET_ENDPOINTS if e not in known]


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory):
    for app in _running_app(_config(database_url, tmp_path_factory.mktemp("headers"))):
        with app.test_request_context("/"):
            built = build(app)
        yield built


def _client(world, who):
    if who != KIOSK:
        return client_for(world, who)
    client = client_for(world, "volunteer")
    assert client.post(f"/vote/kiosk/setup/{world.targets[NORTH].vote}").status_code == 302
    return client


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_every_page_carries_the_policy(world, endpoint):
    who, address = PUBLIC_PAGES.get(endpoint) or _staff_pages()[endpoint]
    response = _client(world, who).get(address.format(**vars(world.targets[NORTH])))
    assert response.status_code < 500
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    if response.mimetype == "text/html":
        csp = csp_directives(response)
        assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
        assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
        # No embedding origins configured here: nobody may frame any page.
        assert csp["frame-ancestors"] == ["'none'"] and headers["X-Frame-Options"] == "DENY"
    if endpoint in SECRET_PAGES or endpoint.startswith("vote."):  # voting and kiosk pages
        assert headers["Referrer-Policy"] == "no-referrer", endpoint
    else:
        assert headers["Referrer-Policy"] == "same-origin", endpoint
    assert "Strict-Transport-Security" not in headers  # plain http in this walk


def _templates():
    return sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("name", _templates())
def test_templates_have_nothing_inline(name):
    """The policy refuses inline code and styles, so no template may rely on them."""
    text = (TEMPLATES / name).read_text()
    for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", text, re.S | re.I):
        assert not tag.strip(), f"inline script in {name}"
    assert not re.search(r"<script\b(?![^>]*\bsrc=)[^>]*>", text, re.I), f"script without src in {name}"
    assert not re.search(r"<style\b", text, re.I), f"<style> in {name}"
    assert not re.search(r"\sstyle\s*=", text, re.I), f"style= attribute in {name}"
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", text, re.I), f"on...= handler in {name}"
    assert "javascript:" not in text.lower(), f"javascript: address in {name}"
