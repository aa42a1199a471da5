"""Invitations: the email arrives, its link works once, and bad links are refused plainly."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, update

from pb.errors import DomainError
from pb.extensions import db
from pb.models import AuditEntry, Invitation, Membership, User
from pb.models.types import utcnow
from pb.models.user import MEMBER, ORGANISER, VOLUNTEER
from pb.services import invitations
from tests import factories
from tests.conftest import Mailbox
from tests.functional.helpers import login, logout

NEW_PASSWORD = "a long enough password"


@pytest.fixture
def world(app):
    council, (north, south) = factories.council_with_partnerships()
    organiser = factories.user(council, "northorg@x.example", ORGANISER, north)
    organiser.name = "Nia Organiser"
    existing = factories.user(council, "sam@x.example", MEMBER, south)
    db.session.commit()
    return dict(council=council, north=north, south=south, organiser=organiser,
                existing=existing)


def _invite(client, partnership, email, role=MEMBER, who="northorg@x.example"):
    login(client, who)
    response = client.post(f"/organise/partnerships/{partnership.id}/invite",
                           data={"email": email, "role": role})
    logout(client)
    return response


def _link(mailbox, address: str, index: int = -1) -> str:
    message = mailbox.to(address)[index]
    match = re.search(r"http://localhost(/auth/invitations/\S+)", Mailbox.body(message))
    assert match, Mailbox.body(message)
    return match.group(1)


def _memberships(email: str) -> set[tuple[int | None, str]]:
    db.session.expire_all()
    return {(m.partnership_id, m.role) for m in db.session.scalars(
        select(Membership).join(User).where(User.email == email))}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def shifted_clock(monkeypatch):
    """Move the invitations' clock (signature ages and expiry times) forward."""
    def shift(**delta):
        moved = utcnow() + timedelta(**delta)
        monkeypatch.setattr(invitations, "utcnow", lambda: moved)
    return shift


# The walking path ---------------------------------------------------------------------------


def test_the_emailed_link_creates_the_account_and_membership(client, world, mailbox):
    north = world["north"]
    login(client, "northorg@x.example")
    form = client.get(f"/organise/partnerships/{north.id}/invite").get_data(as_text=True)
    assert re.search(r'type="radio" id="role-member" name="role" value="member"[^>]* checked>', form)
    assert form.count('type="radio"') == 4
    response = client.post(f"/organise/partnerships/{north.id}/invite",
                           data={"email": "  New.Person@Example.org ", "role": VOLUNTEER})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invitation sent to new.person@example.org." in page
    assert "new.person@example.org" in page.split("Invitations not yet accepted")[1]
    logout(client)

    (message,) = mailbox.to("new.person@example.org")
    body = Mailbox.body(message)
    assert message["Subject"] == "Join North Partnership"
    assert "Nia Organiser has invited you to join North Partnership (Test Council)." in body
    assert "Your role: Volunteer." in body
    invitation = db.session.scalars(select(Invitation)).one()
    expires = invitation.expires_at
    assert timedelta(days=6, hours=23) < expires - invitation.created_at <= timedelta(days=7)
    assert "The link works once, until " in body and str(expires.year) in body
    link = _link(mailbox, "new.person@example.org")
    assert link.split("/")[-1] not in str(db.session.scalars(select(Invitation.nonce_hash)).one())

    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Join North Partnership" in html and "Nia Organiser" in html and "Volunteer" in html
    response = client.post(link, data={"name": "Nell Newcomer", "password": NEW_PASSWORD,
                                       "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"

    user = db.session.scalars(select(User).where(User.email == "new.person@example.org")).one()
    assert user.name == "Nell Newcomer" and user.password_hash.startswith("$argon2")
    assert _memberships(user.email) == {(north.id, VOLUNTEER)}
    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.accepted_at is not None and invitation.accepted_by_id == user.id
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200  # signed in as the new user
    assert "You have joined North Partnership. Your role: Volunteer." in dashboard.get_data(
        as_text=True)
    (accepted,) = _actions("invitation.accepted")
    assert accepted.actor_id == user.id and accepted.target_id == str(invitation.id)
    (registered,) = _actions("user.registered")
    assert registered.actor_id == user.id and registered.details["invitation"] == invitation.id
    (sent,) = _actions("invitation.sent")
    assert sent.actor == "northorg@x.example" and sent.details["role"] == VOLUNTEER

    # The link works once.
    logout(client)
    again = client.get(link)
    assert again.status_code == 410
    assert "This invitation has already been used" in again.get_data(as_text=True)
    assert client.post(link, data={"name": "Someone", "password": NEW_PASSWORD,
                                   "confirm": NEW_PASSWORD}).status_code == 410
    assert _count(User) == 3 and len(_actions("invitation.accepted")) == 1


def test_someone_with_an_account_signs_in_to_accept(client, world, mailbox):
    north = world["north"]
    _invite(client, north, "Sam@X.example", role=ORGANISER)
    link = _link(mailbox, "sam@x.example")
    page = client.get(link).get_data(as_text=True)
    assert "There is already an account for sam@x.example" in page
    assert 'name="name"' not in page

    wrong = client.post(link, data={"password": "not the password"})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 400
    assert "The email address or password is not right." in html
    assert 'value="not the password"' not in html
    assert _memberships("sam@x.example") == {(world["south"].id, MEMBER)}
    assert db.session.scalars(select(Invitation)).one().accepted_at is None

    right = client.post(link, data={"password": factories.PASSWORD})
    assert right.status_code == 302
    assert _memberships("sam@x.example") == {(world["south"].id, MEMBER), (north.id, ORGANISER)}
    # Signed in as Sam, who now organises North.
    assert client.get(f"/organise/partnerships/{north.id}").status_code == 200


def test_signed_in_invitee_just_confirms(client, world, mailbox):
    _invite(client, world["north"], "sam@x.example")
    link = _link(mailbox, "sam@x.example")
    login(client, "sam@x.example")
    page = client.get(link).get_data(as_text=True)
    assert 'name="password"' not in page and "Join North Partnership</button>" in page
    assert client.post(link).status_code == 302
    assert (world["north"].id, MEMBER) in _memberships("sam@x.example")


def test_someone_else_signed_in_is_told_whose_invitation_it_is(client, world, mailbox):
    _invite(client, world["north"], "fresh@x.example")
    link = _link(mailbox, "fresh@x.example")
    login(client, "sam@x.example")
    html = client.get(link).get_data(as_text=True)
    assert "You are signed in as sam@x.example. This invitation is for fresh@x.example" in html


# Links that do not work ---------------------------------------------------------------------


def _typed():
    return {"name": "Typed Name", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


def _nothing_created(email="fresh@x.example"):
    db.session.expire_all()
    assert db.session.scalars(select(User).where(User.email == email)).first() is None
    assert _actions("invitation.accepted") == []


def test_an_expired_link_is_refused_and_the_typed_name_kept(client, world, mailbox,
                                                             shifted_clock):
    _invite(client, world["north"], "fresh@x.example")
    link = _link(mailbox, "fresh@x.example")
    assert client.get(link).status_code == 200
    shifted_clock(days=7, seconds=1)
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 410
    assert "This invitation has expired" in html
    assert "Ask Nia Organiser to invite you to North Partnership again." in html

    response = client.post(link, data=_typed())
    html = response.get_data(as_text=True)
    assert response.status_code == 410 and "This invitation has expired" in html
    assert "/auth/register?email=fresh@x.example&amp;name=Typed+Name" in html  # sign up anyway
    assert NEW_PASSWORD not in html
    _nothing_created()
    register = client.get("/auth/register?email=fresh%40x.example&name=Typed+Name")
    assert 'value="Typed Name"' in register.get_data(as_text=True)


def test_a_link_just_inside_its_time_still_works(client, world, mailbox, shifted_clock):
    _invite(client, world["north"], "fresh@x.example")
    link = _link(mailbox, "fresh@x.example")
    shifted_clock(days=6, hours=23)
    assert client.post(link, data=_typed()).status_code == 302


def test_the_lifetime_comes_from_configuration(app, client, world, mailbox, shifted_clock):
    app.config["PB_INVITATION_MAX_AGE"] = 60
    _invite(client, world["north"], "fresh@x.example")
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.expires_at - invitation.created_at == timedelta(seconds=60)
    link = _link(mailbox, "fresh@x.example")
    shifted_clock(seconds=30)
    assert client.get(link).status_code == 200
    shifted_clock(seconds=62)
    assert client.get(link).status_code == 410
    assert client.post(link, data=_typed()).status_code == 410
    _nothing_created()


def test_a_signature_expired_by_itsdangerous_alone_is_refused(app, client, world, mailbox,
                                                               shifted_clock):
    """Lowering the lifetime in the configuration takes effect for links already sent."""
    _invite(client, world["north"], "fresh@x.example")
    link = _link(mailbox, "fresh@x.example")
    app.config["PB_INVITATION_MAX_AGE"] = 60
    shifted_clock(seconds=120)  # the row's expires_at (7 days) has not passed
    response = client.get(link)
    assert response.status_code == 410
    assert "This invitation has expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("tamper", ["flip-a-character", "cut-short", "garbage", "other-salt",
                                    "wrong-nonce", "no-such-invitation", "wrong-shape"])
def test_a_tampered_link_is_refused(app, client, world, mailbox, tamper):
    _invite(client, world["north"], "fresh@x.example")
    link = _link(mailbox, "fresh@x.example")
    token = link.rsplit("/", 1)[1]
    invitation = db.session.scalars(select(Invitation)).one()
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="pb-invitation")
    bad = {
        "flip-a-character": token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:],
        "cut-short": token[:-6],
        "garbage": "not-a-token",
        "other-salt": URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps(
            [invitation.id, "x"]),
        "wrong-nonce": signer.dumps([invitation.id, "guessed-nonce"]),
        "no-such-invitation": signer.dumps([invitation.id + 100, "guessed-nonce"]),
        "wrong-shape": signer.dumps({"id": invitation.id}),
    }[tamper]
    page = client.get(f"/auth/invitations/{bad}")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "This link does not work" in html and "North Partnership" not in html
    assert client.post(f"/auth/invitations/{bad}", data=_typed()).status_code == 400
    _nothing_created()
    assert client.get(link).status_code == 200  # the real link still works


def test_a_withdrawn_invitation_is_refused(client, world, mailbox):
    north = world["north"]
    _invite(client, north, "fresh@x.example")
    link = _link(mailbox, "fresh@x.example")
    invitation = db.session.scalars(select(Invitation)).one()
    login(client, "northorg@x.example")
    response = client.post(
        f"/organise/partnerships/{north.id}/invitations/{invitation.id}/revoke")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The invitation to fresh@x.example is withdrawn." in page
    assert "fresh@x.example" not in page.split("Invitations not yet accepted")[1]
    logout(client)
    (entry,) = _actions("invitation.revoked")
    assert entry.actor == "northorg@x.example" and entry.target_id == str(invitation.id)

    refused = client.get(link)
    assert refused.status_code == 410
    assert "This invitation has been withdrawn" in refused.get_data(as_text=True)
    assert client.post(link, data=_typed()).status_code == 410
    _nothing_created()

    login(client, "northorg@x.example")  # withdrawing twice says so, changes nothing
    client.post(f"/organise/partnerships/{north.id}/invitations/{invitation.id}/revoke")
    assert "already been accepted or withdrawn" in client.get(
        f"/organise/partnerships/{north.id}").get_data(as_text=True)
    assert len(_actions("invitation.revoked")) == 1


def test_inviting_again_replaces_the_pending_invitation(client, world, mailbox):
    north = world["north"]
    _invite(client, north, "fresh@x.example", role=MEMBER)
    _invite(client, north, "fresh@x.example", role=ORGANISER)
    first, second = _link(mailbox, "fresh@x.example", 0), _link(mailbox, "fresh@x.example", 1)
    pending = db.session.scalars(select(Invitation).where(Invitation.revoked_at.is_(None))).all()
    assert [i.role for i in pending] == [ORGANISER]

    old = client.get(first)
    assert old.status_code == 410
    assert "A newer invitation to North Partnership was sent to fresh@x.example." in old.get_data(
        as_text=True)
    assert client.post(second, data=_typed()).status_code == 302
    assert _memberships("fresh@x.example") == {(north.id, ORGANISER)}
    sent = sorted(_actions("invitation.sent"), key=lambda e: e.id)
    assert sent[1].details["replaced"] == [int(sent[0].target_id)]


def test_the_database_refuses_a_second_use_even_when_python_thinks_it_is_unused(
        app, client, world, mailbox):
    """Two requests racing: both pass the checks, only the first UPDATE finds the row unused."""
    _invite(client, world["north"], "sam@x.example")
    link = _link(mailbox, "sam@x.example")
    check = invitations.check_link(link.rsplit("/", 1)[1])
    assert check.problem is None
    invitation, sam = check.invitation, world["existing"]
    assert invitation.accepted_at is None
    db.session.commit()
    with db.engine.begin() as other:  # another request accepts first
        other.execute(update(Invitation).where(Invitation.id == invitation.id)
                      .values(accepted_at=utcnow(), accepted_by_id=sam.id))
    with pytest.raises(DomainError):
        invitations.accept(invitation, sam)
    db.session.rollback()
    assert (world["north"].id, MEMBER) not in _memberships("sam@x.example")
    assert _actions("invitation.accepted") == []


def test_a_race_lost_while_typing_shows_the_used_page(client, world, mailbox, monkeypatch):
    _invite(client, world["north"], "fresh@x.example")
    link = _link(mailbox, "fresh@x.example")
    original = invitations.check_link
    calls = []

    def check_then_someone_else_accepts(token):
        result = original(token)
        if not calls:  # the first check passes; then the row is used behind our back
            calls.append(token)
            with db.engine.begin() as other:  # committed by another connection
                other.execute(update(Invitation).values(accepted_at=utcnow()))
        return result

    monkeypatch.setattr(invitations, "check_link", check_then_someone_else_accepts)
    response = client.post(link, data=_typed())
    assert response.status_code == 410
    assert "This invitation has already been used" in response.get_data(as_text=True)
    db.session.rollback()
    _nothing_created()


# Sending invitations ------------------------------------------------------------------------


@pytest.mark.parametrize(("email", "role", "field", "message"), [
    ("", MEMBER, "email", "Enter the email address to send the invitation to."),
    ("not an email", MEMBER, "email", "Enter an email address like name@example.org."),
    ("fresh@x.example", "council_admin", "role", "Choose a role."),
    ("fresh@x.example", "", "role", "Choose a role."),
    ("northorg@x.example", ORGANISER, "email",
     "northorg@x.example already has the role Organiser in this partnership."),
])
def test_bad_invitations_are_refused_with_input_kept(client, world, mailbox, email, role, field,
                                                      message):
    login(client, "northorg@x.example")
    response = client.post(f"/organise/partnerships/{world['north'].id}/invite",
                           data={"email": email, "role": role})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and f'id="{field}-error"' in html
    if email:
        assert f'value="{email}"' in html
    assert _count(Invitation) == 0 and mailbox.messages == []


def test_an_organiser_of_one_partnership_cannot_invite_to_another(client, world, mailbox):
    login(client, "northorg@x.example")
    response = client.post(f"/organise/partnerships/{world['south'].id}/invite",
                           data={"email": "fresh@x.example", "role": ORGANISER})
    assert response.status_code == 403
    assert _count(Invitation) == 0 and mailbox.messages == []


def test_the_accept_form_needs_its_token(csrf_app):
    from pb.models import OutgoingEmail
    from tests.conftest import csrf_token

    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "org@x.example", ORGANISER)
    with csrf_app.test_request_context():
        invitations.send_invitation(organiser, north, "fresh@x.example", MEMBER)
    db.session.commit()
    body = db.session.scalars(select(OutgoingEmail.body)).one()  # the mail server is down
    link = re.search(r"http://localhost(/auth/invitations/\S+)", body).group(1)
    client = csrf_app.test_client()
    assert client.post(link, data=_typed()).status_code == 400
    _nothing_created()
    token = csrf_token(client.get(link).get_data(as_text=True))
    assert client.post(link, data={**_typed(), "csrf_token": token}).status_code == 302
    assert _memberships("fresh@x.example") == {(north.id, MEMBER)}
