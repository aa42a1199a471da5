"""Hostile input: random and malicious values posted to every form, by someone allowed to use it.

The table ROUTES names every route that takes a form (each POST route, and each GET route whose
view reads the query string); EXCLUDED names the others with the reason. A route the table
forgets fails `test_every_form_route_is_covered_or_excluded`.

For each route the test signs in as someone allowed to use it, with the round or proposal in the
state the form needs, reads the form's field names from the page and posts, with hypothesis,
values drawn from HOSTILE: long strings, control characters, bidi and zero-width characters,
combining marks, emoji, numbers out of any range, markup and script with a unique marker, SQL,
repeated and missing fields, files that are not images, and bodies of the wrong content type
or not UTF-8 at all. Every answer, and the page a redirect leads to, must not be a 5xx and must
not carry the markup unescaped. `test_stored_values_are_shown_escaped` then checks fields that
are stored and shown: the page that shows them afterwards shows them escaped, or the form came
back with a message beside the field and the input kept.

Examples per route: PB_HOSTILE_EXAMPLES (default 12); CI (CI is set) derandomizes, so a
failure there reproduces.
"""

from __future__ import annotations

import inspect
import io
import itertools
import json
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select

from pb.extensions import db
from pb.models import Membership
from pb.models.codes import CodeBatch
from pb.models.proposal import APPROVED, DRAFT, SHORTLISTED, SUBMITTED
from pb.models.user import COUNCIL_ADMIN, MEMBER, ORGANISER, VOLUNTEER
from pb.services import delivery as delivery_service
from pb.services import invitations, mail, paper, rounds, voting
from tests import delivery_world, factories
from tests.functional.helpers import login

EXAMPLES = int(os.environ.get("PB_HOSTILE_EXAMPLES", "12"))
# No shrinking: each failure message already names the route, the body kind and every field
# sent, and shrinking a slow web request costs minutes.
settings.register_profile(
    "hostile", max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
    database=None, phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow, HealthCheck.data_too_large])
HOSTILE_SETTINGS = settings.get_profile("hostile")


# --- What is posted ----------------------------------------------------------------------------

_MARKERS = itertools.count(1)


def fresh(text: str) -> str:
    """Each MARK in a payload becomes a marker (hx + six digits) never used before in this run,
    so a page showing it shows this value and not an earlier one."""
    while "MARK" in text:
        text = text.replace("MARK", f"hx{next(_MARKERS):06d}", 1)
    return text


MARKUP = [
    '<script data-m="MARK">alert(1)</script>',
    '"><svg onload=alert("MARK")>',
    "'><img src=x onerror=alert('MARK')>",
    "</textarea></title><hostile-MARK>",
    "javascript:alert('MARK')",
    '<a href="javascript:alert(\'MARK\')">x</a>',
    "<iframe srcdoc='MARK'></iframe>",
]
# Raw markup from a payload: a tag carrying a marker, or a javascript: address in an attribute.
RAW = re.compile(r"<(?:script|svg|img|iframe|hostile-hx)\b[^<>]*hx\d{6}"
                 r"|(?:href|src|action|formaction)\s*=\s*[\"']?\s*javascript:alert\('hx", re.I)

ODD_TEXT = [
    "", " ", "x" * 12_000, "\u00e9" * 5_000, "a\x00b", "\x00", "line\r\nbreak\rcr", "\x1b[31mred",
    "\x07\x08\x0b\x0c", "\u202egnp.exe", "zero\u200b\u200c\u200dwidth\ufeff", "e\u0301\u0301\u0301",
    "Z\u0335\u0321\u0337a\u0336\u0322", "\U0001f600\U0001f469\u200d\U0001f469\u200d\U0001f466",
    "\ufffd", "\U0010ffff", "' OR '1'='1", "1; DROP TABLE users; --", "%' AND 1=1 --",
    "\\", "../../etc/passwd", "{{ 7*7 }}", "{% raw %}", "%s%s%n", "null", "None", "true",
]
NUMBERS = ["-1", "0", "-0", "10" + "0" * 29, "1e309", "-1e309", "NaN", "inf", "\u0663",
           "\u0663\u0660\u0660", "1,000,000,000,000,000", "0x10", "1_000", "9" * 400, "2.5",
           "\uff11\uff12", "1e-400", "-9223372036854775809", "18446744073709551616"]
# Names of fields a form may not have, or sent twice, or with odd names.
EXTRA_NAMES = ["projects", "id", "status", "council", "csrf_token", "\x00", "a" * 300,
               "cost_lines-999999-amount", "rank-999999", "x[]"]

value_strategy = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.sampled_from(NUMBERS),
    st.sampled_from(MARKUP),
    st.text(st.characters(codec="utf-8"), max_size=40),
)

FILES = [b"", b"not an image at all", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj",
         b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"GIF89a" + b"\xff" * 100,
         b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
         b"\xff\xd8\xff" + b"\x00" * (3 * 1024 * 1024)]
file_strategy = st.tuples(st.sampled_from(FILES),
                          st.sampled_from(["photo.jpg", "x.png", "", "..\\..\\a.exe", "\u202ejpg.exe",
                                           "<img src=x>.jpg", "a" * 300 + ".jpg"]),
                          st.sampled_from(["image/jpeg", "image/png", "text/html",
                                           "application/pdf", "application/octet-stream"]))

BODY_KINDS = ["form", "form", "form", "multipart", "json", "text", "invalid-utf8", "malformed"]


@st.composite
def hostile_request(draw, names: list[str], files: list[str]):
    """A body for the form: each field missing, once or repeated, with hostile values."""
    fields: list[tuple[str, str]] = []
    for name in names:
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):
            fields.append((name, draw(value_strategy)))
    for name in draw(st.lists(st.sampled_from(EXTRA_NAMES), max_size=2)):
        fields.append((name, draw(value_strategy)))
    kind = draw(st.sampled_from(BODY_KINDS))
    uploads = {name: draw(file_strategy) for name in files if draw(st.booleans())}
    return kind, fields, uploads


def send(client, method: str, url: str, kind: str, fields, uploads):
    if method == "GET":
        query = "&".join(f"{quote(n, safe='')}={quote(v, safe='', errors='surrogatepass')}"
                         for n, v in fields)
        if kind == "invalid-utf8":
            query += "&q=%ED%A0%80%FF"
        return client.get(f"{url}?{query}")
    if kind == "json":
        return client.post(url, data=json.dumps(dict(fields)), content_type="application/json")
    if kind == "text":
        return client.post(url, data="\n".join(f"{n}={v}" for n, v in fields).encode(),
                           content_type="text/plain")
    if kind == "invalid-utf8":
        # A lone surrogate as UTF-8 bytes, and bytes that are not UTF-8 at all, raw and %-encoded.
        body = b"&".join(quote(n, safe="").encode() + b"=\xed\xa0\x80\xff%ED%A0%80%FF"
                         for n, _v in fields) or b"x=\xff"
        return client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    if kind == "malformed":
        return client.post(url, data=b"=&&=%zz&a=%&%%%=" + b"&" * 1000,
                           content_type="application/x-www-form-urlencoded; charset=utf-7")
    data: dict = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    if kind == "multipart" or uploads:
        for name, (content, filename, mimetype) in uploads.items():
            data[name] = (io.BytesIO(content), filename, mimetype)
        return client.post(url, data=data, content_type="multipart/form-data")
    return client.post(url, data=data)


def check(response, what: str) -> str:
    """Never a 5xx, never a payload's markup unescaped; returns the body."""
    body = response.get_data(as_text=True)
    assert response.status_code < 500, f"{what}: {response.status_code}\n{body[:1500]}"
    found = RAW.search(body)
    assert found is None, (f"{what}: unescaped payload {found.group(0)!r} in the answer, "
                           f"here: {body[max(found.start() - 300, 0):found.end() + 100]}")
    return body


def check_and_follow(client, response, what: str) -> None:
    check(response, what)
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and not urlsplit(location).netloc:
        check(client.get(location), f"{what}, then GET {location}")


# --- The forms on a page -----------------------------------------------------------------------

class _Fields(HTMLParser):
    """The names of the fields of the forms on a page that are sent with POST (or GET)."""

    def __init__(self, method: str):
        super().__init__()
        self.method, self.inside = method.lower(), False
        self.names: list[str] = []
        self.files: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = (attrs.get("method") or "get").lower() == self.method
        elif self.inside and tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            name = attrs["name"]
            if name == "csrf_token":
                return
            if attrs.get("type") == "file":
                self.files.append(name)
            elif name not in self.names:
                self.names.append(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_fields(html: str, method: str) -> tuple[list[str], list[str]]:
    parser = _Fields(method)
    parser.feed(html)
    return parser.names, parser.files


# --- A council with something in every state ---------------------------------------------------

EMAILS = {"organiser": "org@x.example", "second": "second@x.example",
          "admin": "admin@x.example", "member": "member@north.example",
          "volunteer": "val@north.example"}


@pytest.fixture
def world(app, monkeypatch):
    links: list[str] = []
    original_queue = mail.queue

    def keep_link(*args, **context):
        if "link" in context:
            links.append(str(context["link"]))
        return original_queue(*args, **context)

    monkeypatch.setattr(mail, "queue", keep_link)

    council, (north, south) = factories.council_with_partnerships()
    organiser = factories.user(council, EMAILS["organiser"], ORGANISER)
    factories.user(council, EMAILS["second"], ORGANISER)
    factories.user(council, EMAILS["admin"], COUNCIL_ADMIN)
    member = factories.user(council, EMAILS["member"], MEMBER, north)
    factories.user(council, EMAILS["volunteer"], VOLUNTEER, north)
    factories.user(council, "leaver@north.example", MEMBER, north)

    w: dict = {"council": council, "north": north}
    w["draft"] = factories.round_(council, slug="draft", status="draft")
    ideas = w["ideas"] = factories.round_(council, slug="ideas", status="proposals",
                                          pot=10_000_00)
    for name, status in (("own", DRAFT), ("submitted", SUBMITTED), ("approved", APPROVED),
                         ("shortlisted", SHORTLISTED)):
        w[name] = factories.proposal(ideas, north, name.title(), 500_00, status=status)
        w[name].created_by_id = member.id
    review = w["review"] = factories.round_(council, slug="review", status="review")
    factories.proposal(review, north, "Ready", 300_00)

    vote = w["vote"] = factories.round_(
        council, slug="vote", pot=5_000_00, partnership=north, ballot_type="knapsack",
        voting_methods=["codes", "email", "postcode", "kiosk"], equality_questions=True,
        eligible_districts=["SK10", "SK11"])
    w["swings"] = factories.proposal(vote, north, "Swings", 3_000_00)
    factories.proposal(vote, north, "Benches", 1_000_00)
    rounds.open_voting(organiser, vote)
    w["codes"] = voting.issue_codes(organiser, vote, 4, batch="Library")
    w["codebatch"] = db.session.scalars(select(CodeBatch)).first()
    w["codebatch"].card_size = 1024  # as if its cards were made (the file itself is not there)
    w["batch"] = paper.create_batch(organiser, vote, "Library box", 3)

    tie = w["tie"] = factories.round_(council, slug="tie", pot=500_00, tie_break="refuse")
    a = factories.proposal(tie, north, "Allotment", 400_00)
    b = factories.proposal(tie, north, "Bench", 400_00)
    rounds.open_voting(organiser, tie)
    for code, choice in zip(voting.issue_codes(organiser, tie, 2), (a, b)):
        voting.cast_ballot(voting.find_credential(code).id, [choice.id])
    rounds.close_voting(organiser, tie)

    w["closed"], _ = delivery_world.published_round(
        organiser, {"Planters": (north, 200_00)}, [["Planters"]], 500_00, slug="closed",
        publish=False, council=council)
    w["done"], projects = delivery_world.published_round(
        organiser, {"Lunch club": (north, 1_000_00), "Gym": (south, 900_00)},
        [["Lunch club"], ["Gym"]], 2_000_00, slug="done", council=council)
    w["funded"] = projects["Lunch club"]
    follower = delivery_service.follow(w["done"], "fan@example.org")
    db.session.flush()
    w["follow_token"] = delivery_service.follow_token(follower, "confirm")
    w["stop_token"] = delivery_service.follow_token(follower, "stop")

    with app.test_request_context():  # the invitation's link is built with url_for
        w["invitation"] = invitations.send_invitation(organiser, north, "new@x.example", MEMBER)
    w["invite_token"] = links[-1].rsplit("/", 1)[1]
    w["membership"] = db.session.scalars(select(Membership).join(Membership.user).where(
        Membership.partnership_id == north.id)).all()[-1]
    db.session.commit()
    w["links"] = links
    return w


def begin_vote(client, w) -> None:
    """A resident with a code in progress: the ballot page comes next."""
    code = voting.issue_codes(None, w["vote"], 1)[0]
    db.session.commit()
    assert client.post("/vote/", data={"code": code}).status_code == 302


def have_chosen(client, w) -> None:
    """A resident who has filled in the ballot and is on the page to check it."""
    begin_vote(client, w)
    assert client.post("/vote/ballot", data={"projects": [str(w["swings"].id)]}).status_code == 302


def have_voted(client, w) -> None:
    """A resident who has just voted in a round that asks the equality questions."""
    have_chosen(client, w)
    assert client.post("/vote/submit").status_code == 302


def kiosk(client, w) -> None:
    login(client, EMAILS["volunteer"])
    assert client.post("/vote/kiosk/setup/vote").status_code == 302


def email_link(client, w) -> str:
    client.post("/vote/vote/email", data={"email": "voter@example.org", "postcode": "SK11 6DA",
                                          "in_area": "y"})
    path = urlsplit(w["links"][-1]).path
    assert path.startswith("/vote/vote/link/"), f"no voting link was sent: {w['links']}"
    return path


PREPARE = {"resident": begin_vote, "chosen": have_chosen, "voted": have_voted, "kiosk": kiosk}


@dataclass
class Route:
    url: str                   # formatted with the world: "{vote.slug}", "{submitted.id}"
    who: str | None = None     # a key of EMAILS, or of PREPARE, or None (anyone)
    form: str | None = None    # the page with the form, when it is not the route's own GET
    method: str = "POST"
    fields: list[str] = field(default_factory=list)  # fields the page cannot show (POST-only)


P = "/organise/{ideas.slug}/proposals/"
PB = "/organise/{vote.slug}/paper/{batch.id}"
ROUTES: dict[str, Route] = {
    "auth.login": Route("/auth/login", fields=["email", "password"]),
    "auth.logout": Route("/auth/logout", "member"),
    "auth.register": Route("/auth/register"),
    "auth.accept_invitation": Route("/auth/invitations/{invite_token}"),
    "delivery.follow": Route("/delivery/{done.slug}/follow", form="/delivery/{done.slug}"),
    "delivery.confirm": Route("/delivery/follow/{follow_token}"),
    "delivery.stop": Route("/delivery/stop/{stop_token}"),
    "delivery.update": Route("/delivery/projects/{funded.id}/update", "organiser"),
    "organise.break_tie": Route("/organise/{tie.slug}/break-tie", "organiser"),
    "organise.close": Route("/organise/{vote.slug}/close", "organiser"),
    "organise.close_proposals": Route("/organise/{ideas.slug}/close-proposals", "organiser"),
    "organise.codes": Route("/organise/{vote.slug}/codes", "organiser"),
    "organise.delete_cards": Route("/organise/{vote.slug}/codes/{codebatch.id}/delete-cards",
                                   "organiser"),
    "organise.open_proposals": Route("/organise/{draft.slug}/open-proposals", "organiser"),
    "organise.open_voting": Route("/organise/{review.slug}/open-voting", "organiser"),
    "organise.abandon_batch": Route(PB + "/abandon", "organiser"),
    "organise.accept_batch": Route(PB + "/accept", "organiser"),
    "organise.paper_count": Route(PB + "/count", "organiser", form=PB,
                                  fields=["declared_count"]),
    "organise.key_paper": Route(PB + "/pass/1", "organiser"),
    "organise.resolve_paper": Route(PB + "/resolve", "organiser", form=PB + "/compare",
                                    fields=["paper_number", "chosen_pass"]),
    "organise.new_paper_batch": Route("/organise/{vote.slug}/paper/new", "organiser"),
    "organise.approve": Route(P + "{submitted.id}/approve", "organiser",
                              form=P + "{submitted.id}"),
    "organise.ask_for_changes": Route(P + "{submitted.id}/changes", "organiser"),
    "organise.adjust_cost": Route(P + "{submitted.id}/cost", "organiser"),
    "organise.reject": Route(P + "{submitted.id}/reject", "organiser"),
    "organise.shortlist": Route(P + "{approved.id}/shortlist", "organiser",
                                form=P + "{approved.id}"),
    "organise.unshortlist": Route(P + "{shortlisted.id}/unshortlist", "organiser",
                                  form=P + "{shortlisted.id}"),
    "organise.publish": Route("/organise/{closed.slug}/publish", "organiser"),
    "organise.round_settings": Route("/organise/{draft.slug}/settings", "organiser"),
    "organise.what_if": Route("/organise/{done.slug}/what-if", "organiser", method="GET"),
    "organise.audit_log": Route("/organise/audit", "organiser", method="GET"),
    "organise.partnership_edit": Route("/organise/partnerships/{north.id}/edit", "admin"),
    "organise.invitation_revoke": Route(
        "/organise/partnerships/{north.id}/invitations/{invitation.id}/revoke", "admin",
        form="/organise/partnerships/{north.id}"),
    "organise.partnership_invite": Route("/organise/partnerships/{north.id}/invite", "admin"),
    "organise.membership_remove": Route(
        "/organise/partnerships/{north.id}/members/{membership.id}/remove", "admin"),
    "organise.partnership_new": Route("/organise/partnerships/new", "admin"),
    "organise.new_round": Route("/organise/rounds/new", "organiser"),
    "organise.what_if_upload": Route("/organise/what-if", "organiser"),
    "proposals.edit": Route("/proposals/{own.id}/edit", "member"),
    "proposals.submit": Route("/proposals/{own.id}/submit", "member", form="/proposals/{own.id}"),
    "proposals.withdraw": Route("/proposals/{submitted.id}/withdraw", "member"),
    "proposals.new": Route("/proposals/new/{ideas.slug}", "member"),
    "main.browse_proposals": Route("/rounds/{ideas.slug}/proposals", method="GET"),
    "vote.start": Route("/vote/"),
    "vote.email": Route("/vote/{vote.slug}/email"),
    "vote.email_link": Route("/vote/{vote.slug}/link/{invite_token}"),
    "vote.postcode": Route("/vote/{vote.slug}/postcode"),
    "vote.ballot": Route("/vote/ballot", "resident"),
    "vote.equality": Route("/vote/equality", "voted"),
    "vote.kiosk_begin": Route("/vote/kiosk/begin", "kiosk", form="/vote/kiosk"),
    "vote.kiosk_exit": Route("/vote/kiosk/exit", "kiosk", form="/vote/kiosk"),
    "vote.kiosk_setup": Route("/vote/kiosk/setup/{vote.slug}", "volunteer"),
    "vote.leave": Route("/vote/leave", "resident", form="/vote/ballot"),
    "vote.submit": Route("/vote/submit", "chosen", form="/vote/review",
                         fields=["assisted"]),
    "vote.receipt": Route("/vote/receipt", method="GET", fields=["receipt"]),
    "results.live": Route("/results/{done.slug}/live", method="GET", fields=["reveal"]),
}

EXCLUDED: dict[str, str] = {
    "api.list_rounds": "the API's query parameters are fuzzed by test_api_schemathesis.py",
    "api.round_results": "fuzzed by test_api_schemathesis.py",
    "api.openapi_document": "fuzzed by test_api_schemathesis.py",
    "static": "reads only ?v=, compared with the file's version and never shown",
}


def _reads_query(view) -> bool:
    source = inspect.getsource(inspect.unwrap(view))
    return "request.args" in source


def test_every_form_route_is_covered_or_excluded(app):
    """A new POST route, or a GET route that reads the query string, must join ROUTES or
    EXCLUDED (with a reason)."""
    needed = {rule.endpoint for rule in app.url_map.iter_rules()
              if "POST" in rule.methods or _reads_query(app.view_functions[rule.endpoint])}
    missing = sorted(needed - set(ROUTES) - set(EXCLUDED))
    assert not missing, f"routes neither in ROUTES nor in EXCLUDED: {missing}"
    stale = sorted((set(ROUTES) | set(EXCLUDED)) - {r.endpoint for r in app.url_map.iter_rules()})
    assert not stale, f"ROUTES or EXCLUDED name routes the app no longer has: {stale}"
    assert all(reason.strip() for reason in EXCLUDED.values())


def _signed_in(client, w, who: str | None) -> None:
    if who in PREPARE:
        PREPARE[who](client, w)
    elif who:
        assert login(client, EMAILS[who]).status_code == 302


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_hostile_values_never_give_a_500_or_unescaped_markup(app, world, endpoint):
    route = ROUTES[endpoint]
    client = app.test_client()
    _signed_in(client, world, route.who)
    url = route.url.format(**world)
    if endpoint == "vote.email_link":
        url = email_link(client, world)
    names, files = [], []
    if route.form or "GET" in _methods(app, endpoint):
        form_url = route.form.format(**world) if route.form else url
        page = client.get(form_url)
        # Signed in as someone allowed, with things in the state the form needs.
        assert page.status_code == 200, f"GET {form_url}: {page.status_code} {page.location}"
        names, files = form_fields(page.get_data(as_text=True), route.method)
    names = names + [n for n in route.fields if n not in names]

    @HOSTILE_SETTINGS
    @given(request=hostile_request(names, files))
    def post(request):
        kind, fields, uploads = request
        fields = [(name, fresh(value)) for name, value in fields]
        response = send(client, route.method, url, kind, fields, uploads)
        check_and_follow(client, response, f"{route.method} {url} ({kind}) {fields!r:.600}")

    post()


def _methods(app, endpoint: str) -> set[str]:
    return {m for rule in app.url_map.iter_rules() if rule.endpoint == endpoint
            for m in rule.methods}


# --- Stored and shown: escaped afterwards, or refused with the input kept ----------------------

def _proposal(w):
    return {"proposer_type": "partnership", "partnership": w["north"].id,
            "title": "Bench by the pond", "summary": "A bench for people to rest.",
            "description": "Oak, with a plaque.", "cost": "750", "area": "all",
            "category": "green", "contact": "bench@example.org", "action": "submit",
            "cost_lines-0-item": "Oak bench", "cost_lines-0-amount": "750"}


def _round(w):
    return {"title": "Small Grants 2027", "description": "Up to £250.", "partnership": 0,
            "pot": "5,000", "currency": "GBP", "award_max": "250", "categories": ["green"],
            "ballot_type": "approval", "rule": "greedy", "tie_break": "chain",
            "voting_methods": ["codes"]}


def _update(w):
    return {"status": "in_progress", "spent_to_date": "100", "outputs": "Ten classes held",
            "savings_per_year": "", "match_funding": "", "note": "Halfway there."}


@dataclass
class Stored:
    endpoint: str
    name: str
    base: object                     # the world -> a valid form
    # Pages that show the value, formatted with the world, `location` (where the form sent us)
    # and `id` (the last number in it); seen by `viewer` (a key of EMAILS), else by the poster.
    pages: list[str] = field(default_factory=lambda: ["{location}"])
    viewer: str | None = None
    reset: object = None             # the world -> None: back to the state the form needs


def _resubmit(w):
    w["submitted"].status = SUBMITTED
    db.session.commit()


PARTNERSHIP = {"name": "Upton", "wards": "Upton", "postcode_districts": "sk10"}
STORED = [
    *[Stored("proposals.new", name, _proposal, [P + "{id}"], "organiser")
      for name in ("title", "summary", "description")],
    Stored("proposals.new", "proposer_name", lambda w: {**_proposal(w), "proposer_type": "group"},
           [P + "{id}"], "organiser"),
    Stored("organise.partnership_new", "name", lambda w: PARTNERSHIP,
           ["{location}", "/organise/partnerships"]),
    Stored("organise.partnership_new", "wards", lambda w: PARTNERSHIP),
    Stored("organise.new_round", "title", _round),
    Stored("organise.new_round", "description", _round, ["{location}/settings"]),
    Stored("organise.round_settings", "title", _round, ["/organise/{draft.slug}"]),
    Stored("delivery.update", "note", _update, ["/delivery/{done.slug}"]),
    Stored("delivery.update", "outputs", _update, ["/delivery/{done.slug}"]),
    Stored("organise.ask_for_changes", "changes-note", lambda w: {},
           ["/proposals/{submitted.id}"], "member", _resubmit),
    Stored("organise.reject", "reject-reason", lambda w: {}, [P + "{submitted.id}"],
           reset=_resubmit),
    Stored("organise.new_paper_batch", "label", lambda w: {"declared_count": "3"},
           ["{location}", "/organise/{vote.slug}/paper"]),
]

stored_value = st.tuples(st.sampled_from(MARKUP),
                         st.sampled_from(["", " \u202e\u200b", " e\u0301 \U0001f600", " ' OR 1=1 --"]))


@pytest.mark.parametrize("stored", STORED, ids=[f"{s.endpoint}-{s.name}" for s in STORED])
def test_stored_values_are_shown_escaped(app, world, stored):
    route = ROUTES[stored.endpoint]
    client = app.test_client()
    _signed_in(client, world, route.who)
    viewer = client
    if stored.viewer:
        viewer = app.test_client()
        _signed_in(viewer, world, stored.viewer)
    url = route.url.format(**world)

    @settings(HOSTILE_SETTINGS, max_examples=max(EXAMPLES // 3, 3))
    @given(value=stored_value)
    def post(value):
        payload = fresh(value[0])
        value, escaped = payload + value[1], str(escape(payload))
        if stored.reset:
            stored.reset(world)
        response = client.post(url, data={**stored.base(world), stored.name: value})
        body = check(response, f"POST {url} {stored.name}={value!r}")
        if response.status_code == 400:
            # Refused: a message beside a field, and the input kept (escaped).
            assert 'class="error-message"' in body, body[:1500]
            assert escaped in body, f"the value of {stored.name} was not kept: {escaped}"
            return
        assert response.status_code in (302, 303), f"{response.status_code}: {body[:1500]}"
        location = urlsplit(response.headers["Location"]).path
        numbers = re.findall(r"\d+", location)
        for page in stored.pages:
            page = page.format(**world, location=location, id=numbers[-1] if numbers else "")
            shown = viewer.get(page)
            html = check(shown, f"GET {page} after {stored.name}={value!r}")
            assert shown.status_code == 200, f"GET {page}: {shown.status_code}"
            assert escaped in html, f"{page} does not show {stored.name} escaped: {escaped}"

    post()
