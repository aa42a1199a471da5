"""Every state-changing route refuses a form without its CSRF token, and changes nothing.

The routes come from the app's url_map, so a new POST route fails here until it is given an
address and someone allowed to use it (POSTERS), or is listed in EXEMPT with the reason.
"""

from __future__ import annotations

import pytest

from pb import create_app
from tests import factories
from tests.conftest import _config, _running_app, csrf_token
from tests.functional.staff_world import (ADMIN, ANONYMOUS, NORTH, RESIDENT, build,
                                          fingerprint)
from tests.functional.test_authorisation import PERMISSIONS, ROUTES

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Deliberate exemptions from CSRF, each with its reason. None so far: the read-only API takes
# no writes, and every form, the residents' included, carries a token.
EXEMPT: dict[str, str] = {}
KIOSK = "kiosk device"

# Routes open without staff sign-in: who posts, and where.
PUBLIC_POSTERS = {
    "auth.login": (ANONYMOUS, "/auth/login"),
    "auth.register": (ANONYMOUS, "/auth/register"),
    "auth.accept_invitation": (ANONYMOUS, "/auth/invitations/{invitation_token}"),
    "delivery.follow": (ANONYMOUS, "/delivery/{done}/follow"),
    "delivery.confirm": (ANONYMOUS, "/delivery/follow/not-a-token"),
    "delivery.stop": (ANONYMOUS, "/delivery/stop/not-a-token"),
    "vote.start": (ANONYMOUS, "/vote/"),
    "vote.email": (ANONYMOUS, "/vote/{vote}/email"),
    "vote.email_link": (ANONYMOUS, "/vote/{vote}/link/not-a-token"),
    "vote.postcode": (ANONYMOUS, "/vote/{vote}/postcode"),
    "vote.ballot": (RESIDENT, "/vote/ballot"),
    "vote.submit": (RESIDENT, "/vote/submit"),
    "vote.leave": (RESIDENT, "/vote/leave"),
    "vote.equality": (RESIDENT, "/vote/equality"),
    "vote.kiosk_begin": (KIOSK, "/vote/kiosk/begin"),
    "vote.kiosk_exit": (KIOSK, "/vote/kiosk/exit"),
}
# What a real form would send, so that only the missing token stops it.
PAYLOADS = {
    "auth.login": lambda w: {"email": w.users[ADMIN].email, "password": factories.PASSWORD},
    "vote.start": lambda w: {"code": w.targets[NORTH].code},
    "organise.close": lambda w: {},
    "organise.codes": lambda w: {"count": "3", "label": "More"},
    "organise.partnership_invite": lambda w: {"email": "csrf@x.example", "role": "member"},
    "organise.partnership_edit": lambda w: {"name": "Renamed"},
    "organise.reject": lambda w: {"reason": "Not in the area"},
    "organise.ask_for_changes": lambda w: {"note": "Please add a cost breakdown"},
    "organise.new_paper_batch": lambda w: {"label": "Box 9", "declared_count": "4"},
}


def _staff_posters() -> dict:
    """For each staff write route: someone allowed there, and its address in North."""
    found = {}
    for endpoint, method, permission, address in ROUTES:
        if method in WRITE_METHODS:
            who = next(w for w in (ADMIN, "member", "volunteer", "scrutineer")
                       if PERMISSIONS[permission](w, NORTH))
            found[(endpoint, method)] = (who, address)
    return found


def _write_routes() -> list[tuple[str, str]]:
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "INSTANCE_PATH": "/tmp/pb-csrf-routes", "PB_RATE_LIMITS": False})
    return sorted({(rule.endpoint, method) for rule in app.url_map.iter_rules()
                   for method in rule.methods & WRITE_METHODS})


WRITE_ROUTES = _write_routes()


def test_every_write_route_is_walked():
    posters = _staff_posters()
    missing = [f"{m} {e}" for e, m in WRITE_ROUTES
               if e not in EXEMPT and (e, m) not in posters and e not in PUBLIC_POSTERS]
    assert not missing, "write routes the CSRF walk does not know: " + ", ".join(missing)


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory):
    config = {**_config(database_url, tmp_path_factory.mktemp("csrf")),
              "WTF_CSRF_ENABLED": True}
    for app in _running_app(config):
        with app.test_request_context("/"):
            built = build(app)
        yield built


def _signed_in(world, who):
    """A client as `who`, each step sending its form's token as a browser would."""
    client = world.app.test_client()
    if who == RESIDENT:
        token = csrf_token(client.get("/vote/").get_data(as_text=True))
        assert client.post("/vote/", data={"code": world.targets[NORTH].code,
                                           "csrf_token": token}).status_code == 302
    elif who == KIOSK:
        _sign_in(client, world.users["volunteer"].email)
        setup = f"/vote/kiosk/setup/{world.targets[NORTH].vote}"
        token = csrf_token(client.get(setup).get_data(as_text=True))
        assert client.post(setup, data={"csrf_token": token}).status_code == 302
    elif who != ANONYMOUS:
        _sign_in(client, world.users[who].email)
    return client


def _sign_in(client, email):
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"email": email, "password": factories.PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("endpoint, method", [r for r in WRITE_ROUTES if r[0] not in EXEMPT],
                         ids=[f"{m} {e}" for e, m in WRITE_ROUTES if e not in EXEMPT])
def test_a_form_without_its_token_is_refused(world, endpoint, method):
    who, address = PUBLIC_POSTERS.get(endpoint) or _staff_posters()[(endpoint, method)]
    invitation_token = "not-a-token"
    url = address.format(**vars(world.targets[NORTH]), invitation_token=invitation_token)
    client = _signed_in(world, who)
    data = PAYLOADS.get(endpoint, lambda w: {})(world)
    before = fingerprint()
    response = client.open(url, method=method, data=data)
    assert response.status_code == 400, (url, response.status_code)
    assert fingerprint() == before, f"{method} {url} without a token changed the database"
    if endpoint == "auth.login":  # and nobody was signed in
        assert "/auth/login" in client.get("/dashboard").headers["Location"]
