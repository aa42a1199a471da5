"""Organisers set up partnerships and the areas they cover, and look after who belongs."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import Area, AuditEntry, Invitation, Membership, Partnership
from pb.models.user import COUNCIL_ADMIN, MEMBER, ORGANISER, SCRUTINEER, VOLUNTEER
from tests import factories
from tests.functional.helpers import login, logout


@pytest.fixture
def world(app):
    council, (north, south) = factories.council_with_partnerships()
    users = {
        "admin": factories.user(council, "admin@x.example", COUNCIL_ADMIN),
        "organiser": factories.user(council, "org@x.example", ORGANISER),
        "north-organiser": factories.user(council, "northorg@x.example", ORGANISER, north),
        "south-organiser": factories.user(council, "southorg@x.example", ORGANISER, south),
        "member": factories.user(council, "member@x.example", MEMBER, north),
        "scrutineer": factories.user(council, "scrut@x.example", SCRUTINEER),
        "north-scrutineer": factories.user(council, "nscrut@x.example", SCRUTINEER, north),
        "volunteer": factories.user(council, "vol@x.example", VOLUNTEER, north),
    }
    db.session.commit()
    return dict(council=council, north=north, south=south, users=users)


def _form(**overrides):
    data = {"name": "Bollington Partnership", "wards": "", "estates": "", "villages": "",
            "postcode_districts": ""}
    data.update(overrides)
    return data


def _areas(partnership_id: int) -> set[tuple[str, str]]:
    db.session.expire_all()
    return {(a.kind, a.name) for a in db.session.scalars(
        select(Area).where(Area.partnership_id == partnership_id))}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


def _textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name}"
    return html_lib.unescape(match.group(1))


# Creating -----------------------------------------------------------------------------------


def test_organiser_creates_a_partnership_with_its_areas(client, world):
    login(client, "org@x.example")
    page = client.get("/organise/partnerships/new")
    assert page.status_code == 200
    for label in ("Wards", "Estates", "Villages", "Postcode districts"):
        assert f">{label}</label>" in page.get_data(as_text=True)

    response = client.post("/organise/partnerships/new", data=_form(
        wards="Broken Cross\n\n  Upton  \nbroken cross\nBollington   Central\n",
        estates="Weston Estate\r\n",
        villages="Prestbury\nRainow",
        postcode_districts="sk10\n SK11, m1\n\nec1a\nSK10",
    ))
    assert response.status_code == 302
    created = db.session.scalars(select(Partnership).where(
        Partnership.name == "Bollington Partnership")).one()
    assert response.headers["Location"] == f"/organise/partnerships/{created.id}"
    assert created.slug == "bollington-partnership"
    assert created.council_id == world["council"].id
    assert _areas(created.id) == {
        ("ward", "Broken Cross"), ("ward", "Upton"), ("ward", "Bollington Central"),
        ("estate", "Weston Estate"), ("village", "Prestbury"), ("village", "Rainow"),
        ("postcode_district", "SK10"), ("postcode_district", "SK11"),
        ("postcode_district", "M1"), ("postcode_district", "EC1A"),
    }
    (entry,) = _audit("partnership.created")
    assert entry.actor == "org@x.example" and entry.target_id == str(created.id)
    assert ["postcode_district", "EC1A"] in entry.details["areas"]

    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bollington Partnership has been set up." in shown
    assert "SK10, SK11" in shown or "EC1A, M1, SK10, SK11" in shown
    assert "Prestbury, Rainow" in shown
    listing = client.get("/organise/partnerships").get_data(as_text=True)
    assert "Bollington Partnership" in listing and "North Partnership" in listing


def test_council_admin_may_create_too_and_the_slug_is_unique_in_the_council(client, world):
    login(client, "admin@x.example")
    response = client.post("/organise/partnerships/new", data=_form(name="North!"))
    assert response.status_code == 302
    made = db.session.scalars(select(Partnership).where(Partnership.name == "North!")).one()
    assert made.slug == "north-2"  # "north" is taken by North Partnership


def test_a_partnership_name_in_use_is_refused_with_input_kept(client, world):
    login(client, "org@x.example")
    response = client.post("/organise/partnerships/new", data=_form(
        name="north partnership", wards="Upton"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is already a partnership called “North Partnership”." in html
    assert 'id="name-error"' in html and 'value="north partnership"' in html
    assert _textarea(html, "wards") == "Upton"
    assert _count(Partnership) == 2


def test_empty_name_gets_a_message(client, world):
    login(client, "org@x.example")
    response = client.post("/organise/partnerships/new", data=_form(name="  ", villages="Rainow"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the partnership&#39;s name." in html
    assert _textarea(html, "villages") == "Rainow"


@pytest.mark.parametrize(("typed", "message"), [
    ("SK10 1AB", "Enter only the first part of the postcode: SK10 rather than SK10 1AB."),
    ("sk101ab", "Enter only the first part of the postcode: SK10 rather than SK101AB."),
    ("SK", "SK: not a postcode district."),
    ("10SK", "10SK: not a postcode district."),
    ("SKK10", "SKK10: not a postcode district."),
    ("SK100", "SK100: not a postcode district."),
    ("SK10\nMacclesfield", "MACCLESFIELD: not a postcode district."),
    ("S-K10", "S-K10: not a postcode district."),
], ids=["full-postcode", "full-postcode-no-space", "letters-only", "digit-first",
        "three-letters", "too-many-digits", "a-town-name", "punctuation"])
def test_postcode_districts_are_checked(client, world, typed, message):
    login(client, "org@x.example")
    response = client.post("/organise/partnerships/new", data=_form(
        wards="Upton", postcode_districts=typed))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'id="postcode_districts-error"' in html
    assert '<a href="#postcode_districts">' in html  # the summary links to the box
    assert _textarea(html, "postcode_districts") == typed  # as typed, not normalised
    assert 'value="Bollington Partnership"' in html and _textarea(html, "wards") == "Upton"
    assert _count(Partnership) == 2 and _audit("partnership.created") == []


@pytest.mark.parametrize(("typed", "stored"), [
    ("M1", ["M1"]), ("sk10", ["SK10"]), ("EC1A", ["EC1A"]), ("w1a", ["W1A"]), ("B33", ["B33"]),
    ("SK10, SK11 SK17", ["SK10", "SK11", "SK17"]),
])
def test_good_postcode_districts_are_stored_in_capitals(client, world, typed, stored):
    login(client, "org@x.example")
    assert client.post("/organise/partnerships/new", data=_form(
        postcode_districts=typed)).status_code == 302
    made = db.session.scalars(select(Partnership).where(
        Partnership.name == "Bollington Partnership")).one()
    assert _areas(made.id) == {("postcode_district", code) for code in stored}


def test_the_same_area_under_two_kinds_is_refused(client, world):
    login(client, "org@x.example")
    response = client.post("/organise/partnerships/new", data=_form(
        wards="Prestbury", villages="prestbury"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "“prestbury” is already listed under Wards. List each area once." in html
    assert 'id="villages-error"' in html


def test_html_in_a_partnership_name_is_shown_as_text(client, world):
    login(client, "org@x.example")
    name = '<script>alert("x")</script> & <b>Co</b>'
    response = client.post("/organise/partnerships/new", data=_form(name=name, wards="<i>Upton</i>"))
    assert response.status_code == 302
    for url in (response.headers["Location"], "/organise/partnerships",
                response.headers["Location"] + "/edit"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>Co</b>" not in html and "<i>Upton" not in html
        assert "&lt;script&gt;" in html
    assert db.session.scalars(select(Partnership.name).where(
        Partnership.name.like("%script%"))).one() == name


# Editing ------------------------------------------------------------------------------------


def test_editing_renames_and_changes_areas(client, world):
    north = world["north"]
    factories.area(north, "Upton")
    factories.area(north, "Tytherington")
    factories.area(north, "SK10", kind="postcode_district")
    db.session.commit()
    login(client, "org@x.example")
    page = client.get(f"/organise/partnerships/{north.id}/edit").get_data(as_text=True)
    assert 'value="North Partnership"' in page
    assert _textarea(page, "wards") == "Tytherington\nUpton"
    assert _textarea(page, "postcode_districts") == "SK10"

    response = client.post(f"/organise/partnerships/{north.id}/edit", data=_form(
        name="North Macclesfield", wards="upton\nHurdsfield", villages="Tytherington",
        postcode_districts="SK10\nSK11"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organise/partnerships/{north.id}"
    db.session.expire_all()
    assert db.session.get(Partnership, north.id).name == "North Macclesfield"
    assert db.session.get(Partnership, north.id).slug == "north"  # web addresses stay put
    assert _areas(north.id) == {("ward", "upton"), ("ward", "Hurdsfield"),
                                ("village", "Tytherington"), ("postcode_district", "SK10"),
                                ("postcode_district", "SK11")}
    (entry,) = _audit("partnership.updated")
    assert entry.details["name"] == ["North Partnership", "North Macclesfield"]
    assert sorted(entry.details["areas_added"]) == [["postcode_district", "SK11"],
                                                     ["ward", "Hurdsfield"]]
    assert [["ward", "Tytherington"], ["village", "Tytherington"]] in entry.details["areas_changed"]


def test_an_area_a_proposal_names_cannot_be_taken_off(client, world):
    north = world["north"]
    used = factories.area(north, "Upton")
    factories.area(north, "Hurdsfield")
    round_ = factories.round_(world["council"])
    proposal = factories.proposal(round_, north, "Bench", 100_00)
    proposal.area = used
    db.session.commit()
    login(client, "northorg@x.example")
    response = client.post(f"/organise/partnerships/{north.id}/edit", data=_form(
        name="North Partnership", wards="Hurdsfield\nBroken Cross"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "“Upton” cannot be taken off: proposals name it. Put it back in the list." in html
    assert 'id="wards-error"' in html
    assert _textarea(html, "wards") == "Hurdsfield\nBroken Cross"  # what was typed
    assert _areas(north.id) == {("ward", "Upton"), ("ward", "Hurdsfield")}
    assert _audit("partnership.updated") == []

    # Moving it to another kind keeps the row, so the proposal still points at it.
    response = client.post(f"/organise/partnerships/{north.id}/edit", data=_form(
        name="North Partnership", estates="Upton", wards="Hurdsfield"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Area, used.id).kind == "estate"


def test_saving_without_changes_writes_no_audit_entry(client, world):
    factories.area(world["north"], "Upton")
    db.session.commit()
    login(client, "org@x.example")
    response = client.post(f"/organise/partnerships/{world['north'].id}/edit",
                           data=_form(name="North Partnership", wards="Upton\n"))
    assert response.status_code == 302
    assert _audit("partnership.updated") == []


# Who may do what ----------------------------------------------------------------------------


def _routes(partnership_id: int, membership_id: int, invitation_id: int):
    base = f"/organise/partnerships/{partnership_id}"
    return [
        ("get", base), ("get", base + "/edit"), ("post", base + "/edit"),
        ("get", base + "/invite"), ("post", base + "/invite"),
        ("post", f"{base}/invitations/{invitation_id}/revoke"),
        ("get", f"{base}/members/{membership_id}/remove"),
        ("post", f"{base}/members/{membership_id}/remove"),
    ]


def _pending_invitation(partnership, inviter) -> Invitation:
    from datetime import timedelta

    from pb.models.types import utcnow

    invitation = Invitation(partnership=partnership, council_id=partnership.council_id,
                            email="someone@x.example", role=MEMBER, nonce_hash="0" * 64,
                            invited_by=inviter, expires_at=utcnow() + timedelta(days=7))
    db.session.add(invitation)
    db.session.commit()
    return invitation


@pytest.mark.parametrize("who", ["member", "scrutineer", "north-scrutineer", "volunteer",
                                 "south-organiser"])
def test_others_cannot_reach_a_partnerships_pages(client, world, who):
    north, users = world["north"], world["users"]
    invitation = _pending_invitation(north, users["organiser"])
    membership = next(m for m in users["member"].memberships if m.partnership_id == north.id)
    login(client, users[who].email)
    for method, url in _routes(north.id, membership.id, invitation.id):
        data = _form(name="Hacked") if url.endswith("/edit") else {
            "email": "x@x.example", "role": "organiser"}
        response = getattr(client, method)(url, data=data if method == "post" else None)
        assert response.status_code in (403, 404), (who, url, response.status_code)
    assert client.get("/organise/partnerships/new").status_code == 403
    assert client.post("/organise/partnerships/new", data=_form()).status_code == 403
    db.session.expire_all()
    assert db.session.get(Partnership, north.id).name == "North Partnership"
    assert db.session.get(Membership, membership.id) is not None
    assert db.session.get(Invitation, invitation.id).revoked_at is None
    assert _count(Invitation) == 1 and _count(Partnership) == 2


@pytest.mark.parametrize("who", ["member", "scrutineer", "volunteer"])
def test_people_who_organise_nothing_get_no_partnership_list(client, world, who):
    login(client, world["users"][who].email)
    assert client.get("/organise/partnerships").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    north, users = world["north"], world["users"]
    invitation = _pending_invitation(north, users["organiser"])
    membership = users["member"].memberships[0]
    for method, url in _routes(north.id, membership.id, invitation.id) + [
            ("get", "/organise/partnerships"), ("get", "/organise/partnerships/new"),
            ("post", "/organise/partnerships/new")]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "/auth/login" in response.headers["Location"], url


def test_unknown_partnership_is_not_found(client, world):
    login(client, "org@x.example")
    assert client.get("/organise/partnerships/9999").status_code == 404
    assert client.get("/organise/partnerships/new?council=9999").status_code == 404


def test_a_partnership_organiser_looks_after_only_their_own(client, world):
    north, south = world["north"], world["south"]
    login(client, "northorg@x.example")
    listing = client.get("/organise/partnerships")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert "North Partnership" in html and "South Partnership" not in html
    assert "Create a partnership" not in html
    assert client.get(f"/organise/partnerships/{north.id}").status_code == 200
    assert client.get(f"/organise/partnerships/{south.id}").status_code == 403
    assert client.get(f"/organise/partnerships/new?council={world['council'].id}").status_code == 403
    response = client.post(f"/organise/partnerships/{north.id}/edit",
                           data=_form(name="North Partnership", villages="Prestbury"))
    assert response.status_code == 302
    assert _areas(north.id) == {("village", "Prestbury")}
    assert client.post(f"/organise/partnerships/{north.id}/invite", data={
        "email": "new@x.example", "role": "member"}).status_code == 302


def test_partnership_page_lists_members_roles_and_pending_invitations(client, world):
    north, users = world["north"], world["users"]
    _pending_invitation(north, users["organiser"])
    login(client, "org@x.example")
    html = client.get(f"/organise/partnerships/{north.id}").get_data(as_text=True)
    people = html.split("<h2>People</h2>")[1].split("<h2>")[0]
    for email, role in [("northorg@x.example", "Organiser"), ("member@x.example", "Member"),
                        ("nscrut@x.example", "Scrutineer"), ("vol@x.example", "Volunteer")]:
        row = people.split(email)[1].split("</tr>")[0]
        assert f"<td>{role}</td>" in row, email
    assert "southorg@x.example" not in people and "<td>org@x.example</td>" not in people
    pending = html.split("Invitations not yet accepted")[1]
    assert "someone@x.example" in pending and "Withdraw" in pending


# Removing people ----------------------------------------------------------------------------


def test_organiser_removes_a_member_after_confirming(client, world):
    north, member = world["north"], world["users"]["member"]
    membership_id = member.memberships[0].id
    login(client, "northorg@x.example")
    url = f"/organise/partnerships/{north.id}/members/{membership_id}/remove"
    page = client.get(url)
    assert page.status_code == 200 and "Remove member?" in page.get_data(as_text=True)
    assert db.session.get(Membership, membership_id) is not None  # asking changes nothing

    response = client.post(url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organise/partnerships/{north.id}"
    db.session.expire_all()
    assert db.session.get(Membership, membership_id) is None
    assert db.session.get(type(member), member.id) is not None  # the account stays
    (entry,) = _audit("membership.removed")
    assert entry.actor == "northorg@x.example"
    assert entry.details["email"] == "member@x.example" and entry.details["role"] == MEMBER
    assert "member no longer has the role Member" in client.get(
        response.headers["Location"]).get_data(as_text=True)


def test_the_only_organiser_cannot_remove_themselves(client, world):
    north, me = world["north"], world["users"]["north-organiser"]
    membership_id = me.memberships[0].id
    login(client, me.email)
    response = client.post(f"/organise/partnerships/{north.id}/members/{membership_id}/remove")
    assert response.status_code == 400
    assert "You are this partnership&#39;s only organiser." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Membership, membership_id) is not None
    assert _audit("membership.removed") == []


def test_an_organiser_may_step_down_when_another_remains(client, world):
    north, me = world["north"], world["users"]["north-organiser"]
    factories.user(world["council"], "second@x.example", ORGANISER, north)
    db.session.commit()
    membership_id = me.memberships[0].id
    login(client, me.email)
    response = client.post(f"/organise/partnerships/{north.id}/members/{membership_id}/remove")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get(f"/organise/partnerships/{north.id}").status_code == 403


def test_a_membership_of_another_partnership_is_not_found_here(client, world):
    south_org = world["users"]["south-organiser"]
    login(client, "org@x.example")
    url = f"/organise/partnerships/{world['north'].id}/members/{south_org.memberships[0].id}/remove"
    assert client.post(url).status_code == 404
    db.session.expire_all()
    assert db.session.get(Membership, south_org.memberships[0].id) is not None


def test_organiser_can_still_reach_round_pages_alongside(client, world):
    """The partnership pages live beside /organise/<round slug> without shadowing a round."""
    factories.round_(world["council"], slug="decides")
    db.session.commit()
    login(client, "org@x.example")
    assert client.get("/organise/decides").status_code == 200
    assert client.get("/organise/partnerships").status_code == 200
    logout(client)


def test_partnership_forms_carry_and_need_a_csrf_token(csrf_app):
    from tests.conftest import csrf_token

    council, (north,) = factories.council_with_partnerships(["North"])
    factories.user(council, "org@x.example", ORGANISER)
    factories.user(council, "m@x.example", MEMBER, north)
    db.session.commit()
    client = csrf_app.test_client()
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"email": "org@x.example", "password": factories.PASSWORD,
                                     "csrf_token": token})
    assert client.post("/organise/partnerships/new", data=_form()).status_code == 400
    assert _count(Partnership) == 1
    page = client.get("/organise/partnerships/new").get_data(as_text=True)
    response = client.post("/organise/partnerships/new",
                           data={**_form(), "csrf_token": csrf_token(page)})
    assert response.status_code == 302 and _count(Partnership) == 2
    show = client.get(f"/organise/partnerships/{north.id}").get_data(as_text=True)
    invite = client.get(f"/organise/partnerships/{north.id}/invite").get_data(as_text=True)
    remove_url = re.search(r'href="(/organise/partnerships/\d+/members/\d+/remove)"', show).group(1)
    for html in (invite, client.get(remove_url).get_data(as_text=True),
                 client.get(f"/organise/partnerships/{north.id}/edit").get_data(as_text=True)):
        assert csrf_token(html)
    assert client.post(remove_url).status_code == 400  # no token: nothing removed
    assert _count(Membership) == 2


def test_someone_organising_two_councils_chooses_where_to_create(client, world):
    from pb.models import Council

    other = Council(name="Other Council", slug="other-council")
    db.session.add(other)
    db.session.flush()
    organiser = world["users"]["organiser"]
    organiser.memberships.append(Membership(council_id=other.id, partnership_id=None,
                                            role=ORGANISER))
    db.session.commit()
    login(client, "org@x.example")
    response = client.get("/organise/partnerships/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/organise/partnerships"
    listing = client.get("/organise/partnerships").get_data(as_text=True)
    assert "<h2>Other Council</h2>" in listing and "<h2>Test Council</h2>" in listing
    assert f'href="/organise/partnerships/new?council={other.id}"' in listing
    response = client.post(f"/organise/partnerships/new?council={other.id}",
                           data=_form(name="North Partnership"))  # the name is free there
    assert response.status_code == 302
    made = db.session.scalars(select(Partnership).where(Partnership.council_id == other.id)).one()
    assert made.slug == "north-partnership"
