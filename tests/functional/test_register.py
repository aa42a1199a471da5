"""Anyone may create an account to propose projects; mistakes keep what was typed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import AuditEntry, User
from pb.models.user import MEMBER
from tests import factories
from tests.functional.helpers import logout

PASSWORD = "ten or more chars"


def _form(**overrides):
    data = {"name": "Hurdsfield Community Group", "email": "group@example.org",
            "password": PASSWORD, "confirm": PASSWORD}
    data.update(overrides)
    return data


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_creates_an_account_with_no_roles_and_signs_in(client, app):
    page = client.get("/auth/register")
    assert page.status_code == 200 and "<h1>Create an account</h1>" in page.get_data(as_text=True)
    response = client.post("/auth/register", data=_form(email=" Group@Example.org "))
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    user = db.session.scalars(select(User)).one()
    assert user.email == "group@example.org" and user.name == "Hurdsfield Community Group"
    assert user.memberships == [] and user.password_hash.startswith("$argon2")
    assert user.password_hash != PASSWORD
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Your account is ready." in dashboard.get_data(as_text=True)
    (entry,) = db.session.scalars(select(AuditEntry)).all()
    assert entry.action == "user.registered" and entry.actor_id == user.id
    assert entry.label == "Account created by its owner"

    logout(client)
    login = client.post("/auth/login", data={"email": "group@example.org", "password": PASSWORD})
    assert login.status_code == 302


@pytest.mark.parametrize(("next_url", "expected"), [
    ("/proposals/new/spring", "/proposals/new/spring"),
    ("https://evil.example/", "/dashboard"),
    ("//evil.example/", "/dashboard"),
    ("/\\evil.example/", "/dashboard"),
    ("/\t/evil.example/", "/dashboard"),
    ("", "/dashboard"),
])
def test_register_goes_on_to_a_safe_next_page_only(client, app, next_url, expected):
    response = client.post("/auth/register", query_string={"next": next_url}, data=_form())
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_sign_in_page_offers_an_account_and_passes_next_on(client, app):
    html = client.get("/auth/login?next=/proposals/new/spring").get_data(as_text=True)
    assert "Create an account to propose a project" in html
    assert 'href="/auth/register?next=/proposals/new/spring"' in html


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"email": "SAM@x.example"}, "email", "There is already an account with that email."),
    ({"password": "tiny1234", "confirm": "tiny1234"}, "password",
     "Use a password of at least 10 characters."),
    ({"confirm": "something else entirely"}, "confirm",
     "The two passwords are not the same. Type them again."),
    ({"email": "not-an-email"}, "email", "Enter an email address like name@example.org."),
    ({"name": "   "}, "name", "Enter your name."),
    ({"name": "x" * 201}, "name", "Keep your name to 200 characters or fewer."),
], ids=["duplicate-email", "short-password", "mismatched", "bad-email", "no-name", "long-name"])
def test_bad_sign_up_keeps_name_and_email_but_never_the_password(client, app, overrides, field,
                                                                   message):
    council, (north,) = factories.council_with_partnerships(["North"])
    factories.user(council, "sam@x.example", MEMBER, north)
    db.session.commit()
    data = _form(**overrides)
    response = client.post("/auth/register", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and f'id="{field}-error"' in html
    assert f'<a href="#{field}">' in html
    if data["name"].strip():
        assert f'value="{data["name"]}"' in html
    assert f'value="{data["email"]}"' in html
    assert data["password"] not in html and data["confirm"] not in html
    assert _users() == 1


def test_signed_in_people_are_sent_on(client, app):
    client.post("/auth/register", data=_form())
    response = client.get("/auth/register")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"


def test_sign_up_needs_the_form_token(csrf_app):
    from tests.conftest import csrf_token

    client = csrf_app.test_client()
    assert client.post("/auth/register", data=_form()).status_code == 400
    assert _users() == 0
    token = csrf_token(client.get("/auth/register").get_data(as_text=True))
    assert client.post("/auth/register", data={**_form(), "csrf_token": token}).status_code == 302
    assert _users() == 1
