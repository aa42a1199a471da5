"""Every staff route against every role: nobody reads or changes what is not theirs.

ROUTES names each staff route (from the app's own url_map) with the permission it needs;
WHO names each kind of visitor. A visitor without the permission gets 403 or 404 (or, not
signed in, the sign-in page), never the page, and the database is left exactly as it was.
Objects come from three places: the North partnership (where the partnership organiser,
member and volunteer belong), the South partnership of the same council, and another council.
A new route under a staff blueprint that is in neither ROUTES nor PUBLIC fails
`test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

import pytest

from tests.conftest import _config, _running_app
from tests.functional.staff_world import (ADMIN, ANONYMOUS, HOME, NORTH, NORTH_ORG, ORG, OTHER,
                                          REFUSAL, RESIDENT, STAFF, TARGETS, WHO, build,
                                          client_for, fingerprint)

def organises(who, where):
    return (who in (ADMIN, ORG) and where in HOME) or (who == NORTH_ORG and where == NORTH)


# Permission name -> whether `who` has it over the objects of `where` (None: not per object).
PERMISSIONS = {
    "organise round": organises,
    "see unpublished": lambda who, where: organises(who, where) or (
        who == "scrutineer" and where in HOME),
    "run kiosk": lambda who, where: organises(who, where) or (
        who == "volunteer" and where == NORTH),
    "manage partnership": organises,
    "create partnerships": lambda who, where: who in (ADMIN, ORG) and where in HOME,
    "create rounds": lambda who, where: who in (ADMIN, ORG, NORTH_ORG) and where in HOME,
    "report delivery": lambda who, where: organises(who, where) or (
        who == "member" and where == NORTH),
    "own proposal": lambda who, where: who == "member" and where == NORTH,
    "read audit": lambda who, where: who in (ADMIN, ORG, NORTH_ORG, "scrutineer"),
    "dry run": lambda who, where: who in (ADMIN, ORG, NORTH_ORG),
    "signed in": lambda who, where: who in STAFF,
}

# (endpoint, method, permission, address). Addresses name the target's objects: {vote} a
# round open for voting, {done} a published round, {pid} a proposal on its ballot, {batch}
# a batch of codes, {paper} a batch of paper ballots, {part} a partnership, {inv} an open
# invitation, {mem} a membership, {draft} someone's draft proposal, {funded} a funded project,
# {council} the council. An address with no object is tried once.
ROUTES = [
    ("main.dashboard", "GET", "signed in", "/dashboard"),
    ("auth.logout", "POST", "signed in", "/auth/logout"),
    ("organise.round_dashboard", "GET", "organise round", "/organise/{vote}"),
    ("organise.review", "GET", "organise round", "/organise/{vote}/proposals/{pid}"),
    ("organise.approve", "POST", "organise round", "/organise/{vote}/proposals/{pid}/approve"),
    ("organise.shortlist", "POST", "organise round",
     "/organise/{vote}/proposals/{pid}/shortlist"),
    ("organise.unshortlist", "POST", "organise round",
     "/organise/{vote}/proposals/{pid}/unshortlist"),
    ("organise.reject", "GET", "organise round", "/organise/{vote}/proposals/{pid}/reject"),
    ("organise.reject", "POST", "organise round", "/organise/{vote}/proposals/{pid}/reject"),
    ("organise.ask_for_changes", "GET", "organise round",
     "/organise/{vote}/proposals/{pid}/changes"),
    ("organise.ask_for_changes", "POST", "organise round",
     "/organise/{vote}/proposals/{pid}/changes"),
    ("organise.adjust_cost", "GET", "organise round", "/organise/{vote}/proposals/{pid}/cost"),
    ("organise.adjust_cost", "POST", "organise round", "/organise/{vote}/proposals/{pid}/cost"),
    ("organise.open_proposals", "GET", "organise round", "/organise/{vote}/open-proposals"),
    ("organise.open_proposals", "POST", "organise round", "/organise/{vote}/open-proposals"),
    ("organise.close_proposals", "GET", "organise round", "/organise/{vote}/close-proposals"),
    ("organise.close_proposals", "POST", "organise round", "/organise/{vote}/close-proposals"),
    ("organise.open_voting", "GET", "organise round", "/organise/{vote}/open-voting"),
    ("organise.open_voting", "POST", "organise round", "/organise/{vote}/open-voting"),
    ("organise.close", "GET", "organise round", "/organise/{vote}/close"),
    ("organise.close", "POST", "organise round", "/organise/{vote}/close"),
    ("organise.break_tie", "GET", "organise round", "/organise/{vote}/break-tie"),
    ("organise.break_tie", "POST", "organise round", "/organise/{vote}/break-tie"),
    ("organise.publish", "GET", "organise round", "/organise/{vote}/publish"),
    ("organise.publish", "POST", "organise round", "/organise/{vote}/publish"),
    ("organise.round_settings", "GET", "organise round", "/organise/{vote}/settings"),
    ("organise.round_settings", "POST", "organise round", "/organise/{vote}/settings"),
    ("organise.codes", "GET", "organise round", "/organise/{vote}/codes"),
    ("organise.codes", "POST", "organise round", "/organise/{vote}/codes"),
    ("organise.codes_cards", "GET", "organise round", "/organise/{vote}/codes/{batch}/cards.pdf"),
    ("organise.delete_cards", "GET", "organise round",
     "/organise/{vote}/codes/{batch}/delete-cards"),
    ("organise.delete_cards", "POST", "organise round",
     "/organise/{vote}/codes/{batch}/delete-cards"),
    ("organise.paper_batches", "GET", "organise round", "/organise/{vote}/paper"),
    ("organise.new_paper_batch", "GET", "organise round", "/organise/{vote}/paper/new"),
    ("organise.new_paper_batch", "POST", "organise round", "/organise/{vote}/paper/new"),
    ("organise.paper_batch", "GET", "organise round", "/organise/{vote}/paper/{paper}"),
    ("organise.paper_count", "POST", "organise round", "/organise/{vote}/paper/{paper}/count"),
    ("organise.key_paper", "GET", "organise round", "/organise/{vote}/paper/{paper}/pass/1"),
    ("organise.key_paper", "POST", "organise round", "/organise/{vote}/paper/{paper}/pass/1"),
    ("organise.compare_passes", "GET", "organise round",
     "/organise/{vote}/paper/{paper}/compare"),
    ("organise.resolve_paper", "POST", "organise round",
     "/organise/{vote}/paper/{paper}/resolve"),
    ("organise.accept_batch", "GET", "organise round", "/organise/{vote}/paper/{paper}/accept"),
    ("organise.accept_batch", "POST", "organise round", "/organise/{vote}/paper/{paper}/accept"),
    ("organise.abandon_batch", "GET", "organise round", "/organise/{vote}/paper/{paper}/abandon"),
    ("organise.abandon_batch", "POST", "organise round",
     "/organise/{vote}/paper/{paper}/abandon"),
    ("organise.what_if", "GET", "organise round", "/organise/{done}/what-if"),
    ("organise.what_if_upload", "GET", "dry run", "/organise/what-if"),
    ("organise.what_if_upload", "POST", "dry run", "/organise/what-if"),
    ("organise.audit_log", "GET", "read audit", "/organise/audit"),
    ("organise.new_round", "GET", "create rounds", "/organise/rounds/new?council={council}"),
    ("organise.new_round", "POST", "create rounds", "/organise/rounds/new?council={council}"),
    ("organise.partnerships_list", "GET", "create rounds", "/organise/partnerships"),
    ("organise.partnership_new", "GET", "create partnerships",
     "/organise/partnerships/new?council={council}"),
    ("organise.partnership_new", "POST", "create partnerships",
     "/organise/partnerships/new?council={council}"),
    ("organise.partnership_page", "GET", "manage partnership", "/organise/partnerships/{part}"),
    ("organise.partnership_edit", "GET", "manage partnership",
     "/organise/partnerships/{part}/edit"),
    ("organise.partnership_edit", "POST", "manage partnership",
     "/organise/partnerships/{part}/edit"),
    ("organise.partnership_invite", "GET", "manage partnership",
     "/organise/partnerships/{part}/invite"),
    ("organise.partnership_invite", "POST", "manage partnership",
     "/organise/partnerships/{part}/invite"),
    ("organise.invitation_revoke", "POST", "manage partnership",
     "/organise/partnerships/{part}/invitations/{inv}/revoke"),
    ("organise.membership_remove", "GET", "manage partnership",
     "/organise/partnerships/{part}/members/{mem}/remove"),
    ("organise.membership_remove", "POST", "manage partnership",
     "/organise/partnerships/{part}/members/{mem}/remove"),
    ("proposals.new", "GET", "signed in", "/proposals/new/{ideas}"),
    ("proposals.new", "POST", "signed in", "/proposals/new/{ideas}"),
    ("proposals.show", "GET", "own proposal", "/proposals/{draft}"),
    ("proposals.edit", "GET", "own proposal", "/proposals/{draft}/edit"),
    ("proposals.edit", "POST", "own proposal", "/proposals/{draft}/edit"),
    ("proposals.submit", "POST", "own proposal", "/proposals/{draft}/submit"),
    ("proposals.withdraw", "GET", "own proposal", "/proposals/{draft}/withdraw"),
    ("proposals.withdraw", "POST", "own proposal", "/proposals/{draft}/withdraw"),
    ("delivery.update", "GET", "report delivery", "/delivery/projects/{funded}/update"),
    ("delivery.update", "POST", "report delivery", "/delivery/projects/{funded}/update"),
    ("delivery.monitoring_csv", "GET", "see unpublished", "/delivery/{done}/monitoring.csv"),
    ("delivery.monitoring_xlsx", "GET", "see unpublished", "/delivery/{done}/monitoring.xlsx"),
    ("vote.kiosk_setup", "GET", "run kiosk", "/vote/kiosk/setup/{vote}"),
    ("vote.kiosk_setup", "POST", "run kiosk", "/vote/kiosk/setup/{vote}"),
]

# Routes open to everyone, each with why. The API only reads published results.
PUBLIC = {
    "main.index": "start page", "main.healthz": "health check for the load balancer",
    "main.privacy": "the privacy notice",
    "main.round_page": "public round page", "main.browse_proposals": "public list",
    "main.project": "a published project", "main.photo": "a published project's photo",
    "static": "files", "auth.login": "sign-in", "auth.register": "anyone may register",
    "auth.accept_invitation": "the secret link is the permission",
    "api.openapi_document": "read-only API", "api.list_rounds": "read-only API",
    "api.round_results": "read-only API, published results only",
    "results.round_results": "published (scrutineers' preview is checked in test_access)",
    "results.bundle": "published results", "results.download": "published results",
    "results.live": "live screen of a public count", "results.live_json": "live screen data",
    "results.reproduce": "published results", "results.council": "published results",
    "results.council_download": "published results",
    "delivery.progress": "public progress page", "delivery.follow": "residents follow by email",
    "delivery.confirm": "the secret link is the permission",
    "delivery.stop": "the secret link is the permission",
    **{f"vote.{name}": "residents voting: the code or session is the permission" for name in (
        "start", "round_start", "email", "email_sent", "email_link", "postcode", "ballot",
        "done", "equality", "leave", "receipt", "review", "submit")},
    **{f"vote.{name}": "a kiosk device's own session, set up by staff" for name in (
        "kiosk_home", "kiosk_begin", "kiosk_clear", "kiosk_exit", "kiosk_thanks")},
}


def _route_id(route) -> str:
    return f"{route[1]} {route[0]}"


def test_every_route_is_in_the_matrix(world):
    """A new route fails here until it is given a permission in ROUTES, or a reason in PUBLIC."""
    app = world.app
    in_matrix = {(endpoint, method) for endpoint, method, _p, _a in ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint not in PUBLIC and (rule.endpoint, method) not in in_matrix:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes with no permission in the matrix: " + ", ".join(missing)
    stale = [r for r in ROUTES if r[0] not in app.view_functions]
    assert not stale and set(PUBLIC) <= set(app.view_functions)
    assert all(permission in PERMISSIONS for _e, _m, permission, _a in ROUTES)


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory):
    """One app and one set of objects for the whole matrix: refused requests change nothing,
    and allowed requests are only reads."""
    for app in _running_app(_config(database_url, tmp_path_factory.mktemp("authz"))):
        with app.test_request_context("/"):
            built = build(app)
        yield built


def _addresses(world, address):
    """(target, url) for each target the address names objects of."""
    if "{" not in address:
        return [(NORTH, address)]
    return [(where, address.format(**vars(world.targets[where]))) for where in TARGETS]


def _refused(response, who) -> bool:
    if REFUSAL[who] == "sign-in":
        return response.status_code == 302 and "/auth/login" in response.headers["Location"]
    return response.status_code in (403, 404)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_only_those_allowed_reach_a_staff_route(world, route, who):
    endpoint, method, permission, address = route
    client = client_for(world, who)
    for where, url in _addresses(world, address):
        allowed = PERMISSIONS[permission](who, where)
        if allowed and method != "GET":
            continue  # allowed writes are the subject of each feature's own tests
        before = fingerprint()
        response = client.open(url, method=method, data={})
        if allowed:
            assert response.status_code not in (401, 403, 404, 405, 500), (where, url)
            assert "/auth/login" not in response.headers.get("Location", ""), (where, url)
        else:
            assert _refused(response, who), (where, url, response.status_code)
            assert fingerprint() == before, f"{who} changed the database with {method} {url}"


def test_new_round_for_another_council_is_refused(world):
    """Regression: ?council= naming a council the organiser has no role in was ignored and
    the form for their own council shown; now it is refused."""
    client = client_for(world, ORG)
    url = f"/organise/rounds/new?council={world.targets[OTHER].council}"
    assert client.get(url).status_code == 403
