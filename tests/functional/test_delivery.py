"""Delivery after the vote, through the real pages: reporting, the public progress page, the
monitoring downloads, and following a round by email."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import AuditEntry, DeliveryUpdate, Follower, OutgoingEmail, Photo
from tests.conftest import csrf_token
from tests.delivery_world import CAFE, GYM, LUNCH, funded_world, published_round
from tests.functional.helpers import login, logout

HEADERS = ["Service", "Provider", "Area", "Category", "Outcomes", "Award", "Cost to deliver",
           "How funded", "Savings per year", "Status", "Last update"]
OUTPUTS = "88 residents attended healthy eating classes over 11 sessions"


@pytest.fixture
def world(app):
    return funded_world()


def _png(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(out, format="PNG")
    return out.getvalue()


def _form(**overrides):
    data = {"status": "in_progress", "spent_to_date": "1,200.50", "outputs": OUTPUTS,
            "savings_per_year": "3000", "match_funding": "", "note": "Halfway there."}
    data.update(overrides)
    return data


def _post_update(client, proposal, **overrides):
    return client.post(f"/delivery/projects/{proposal.id}/update", data=_form(**overrides),
                       content_type="multipart/form-data")


def _updates() -> list[DeliveryUpdate]:
    db.session.expire_all()
    return list(db.session.scalars(select(DeliveryUpdate).order_by(DeliveryUpdate.id)))


# --- Recording updates --------------------------------------------------------------------------

def test_partnership_member_reports_progress_with_a_photo(client, world):
    login(client, "member@north.example")
    form = client.get(f"/delivery/projects/{world.lunch.id}/update")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "Report progress" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'value="funded" checked' in html or re.search(r'checked[^>]*value="funded"', html)

    response = _post_update(client, world.lunch, photo=(io.BytesIO(_png()), "class.png"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/delivery/decides#project-{world.lunch.id}"
    (update,) = _updates()
    assert (update.status, update.spent_to_date, update.savings_per_year, update.outputs,
            update.note, update.author.email) == (
        "in_progress", 1_200_50, 3_000_00, OUTPUTS, "Halfway there.", "member@north.example")
    photo = db.session.get(Photo, update.photo_id)
    assert photo.data[:3] == b"\xff\xd8\xff" and (photo.width, photo.height) == (40, 30)
    assert db.session.scalar(select(AuditEntry.action).where(
        AuditEntry.target_id == str(world.lunch.id), AuditEntry.action == "delivery.updated"))

    page = client.get("/delivery/decides").get_data(as_text=True)
    assert f"Progress saved for “{LUNCH}”." in page
    card = page.split(f'id="project-{world.lunch.id}"')[1].split("</li>")[0]
    assert "In progress" in card and "£1,200.50" in card and OUTPUTS in card
    assert "Halfway there." in card and f'src="/photos/{photo.id}.jpg"' in card
    assert "£3,000 a year" in card

    history = client.get(f"/delivery/projects/{world.lunch.id}/update").get_data(as_text=True)
    assert "Updates so far" in history and "Halfway there." in history
    assert 'value="1200.50"' in history  # the form starts from the current state
    assert OUTPUTS in history.split("Updates so far")[0]


def test_the_proposer_reports_progress_on_their_own_project(client, world):
    login(client, "resident@example.org")  # a volunteer: allowed because they proposed it
    response = _post_update(client, world.lunch, status="delivered", spent_to_date="1625")
    assert response.status_code == 302
    (update,) = _updates()
    assert (update.status, update.spent_to_date, update.author.email) == (
        "delivered", 1_625_00, "resident@example.org")
    assert client.get(f"/delivery/projects/{world.gym.id}/update").status_code == 403


@pytest.mark.parametrize("email", ["member@south.example", "helper@example.org",
                                   "scrutineer@council.example"])
def test_others_get_403_and_change_nothing(client, world, email):
    login(client, email)
    assert client.get(f"/delivery/projects/{world.lunch.id}/update").status_code == 403
    assert _post_update(client, world.lunch).status_code == 403
    assert _updates() == []
    assert f"/delivery/projects/{world.lunch.id}/update" not in client.get(
        "/delivery/decides").get_data(as_text=True)


def test_organiser_may_report_on_any_funded_project(client, world):
    login(client, "org@council.example")
    assert _post_update(client, world.gym, spent_to_date="0").status_code == 302
    assert [(u.proposal_id, u.spent_to_date) for u in _updates()] == [(world.gym.id, 0)]


def test_signing_in_is_needed_to_report(client, world):
    response = client.get(f"/delivery/projects/{world.lunch.id}/update")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_only_funded_projects_of_a_published_round_take_updates(client, world):
    closed, projects = published_round(world.users["organiser"], {"Bench": (world.north, 100_00)},
                                       [["Bench"]], pot=500_00, slug="closed", publish=False)
    login(client, "org@council.example")
    for proposal_id in (world.cafe.id, projects["Bench"].id, 999999):
        assert client.get(f"/delivery/projects/{proposal_id}/update").status_code == 404
    assert _post_update(client, world.cafe).status_code == 404
    assert _updates() == []


def test_spending_over_the_award_is_allowed_up_to_one_and_a_half_times_and_shown(client, world):
    login(client, "member@north.example")
    assert _post_update(client, world.lunch, spent_to_date="2,000").status_code == 302
    page = client.get("/delivery/decides").get_data(as_text=True)
    assert "Spending is £375 more than the £1,625 awarded." in page
    card = page.split(f'id="project-{world.lunch.id}"')[1].split("</li>")[0]
    assert "£375 over the award" in card


# --- Bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("spent_to_date", "-50", "The amount spent cannot be less than zero."),
     ("spent_to_date", "lots", "Enter an amount in numbers"),
     ("spent_to_date", "", "Enter how much has been spent so far."),
     ("spent_to_date", "12.345", "Enter the amount to the nearest penny."),
     ("spent_to_date", "2437.51", "more than one and a half times the £1,625 awarded"),
     ("savings_per_year", "-1", "Savings cannot be less than zero."),
     ("savings_per_year", "a lot", "Enter an amount in numbers"),
     ("status", "", "Choose how the project is going."),
     ("status", "finished", "Choose how the project is going."),
     ("outputs", "x" * 2001, "Keep this to 2,000 characters or fewer.")],
    ids=["negative", "non-numeric", "empty", "fraction-of-penny", "over-150-percent",
         "negative-savings", "non-numeric-savings", "no-status", "unknown-status", "long-outputs"],
)
def test_bad_input_keeps_what_was_typed_with_the_message_at_the_field(client, world, field,
                                                                      value, message):
    login(client, "member@north.example")
    response = _post_update(client, world.lunch, **{field: value, "match_funding": "£5 & more"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and f'href="#{field}"' in html
    error = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1)
    # Nothing typed is lost.
    for name, typed in _form(**{field: value, "match_funding": "£5 & more"}).items():
        if name == "status":
            continue
        if name in ("outputs", "note"):
            assert f">\r\n{typed}</textarea>" in html, name
        else:
            assert f'value="{typed.replace("&", "&amp;")}"' in html, name
    if field != "status":
        assert re.search(r'<input checked[^>]*value="in_progress"|value="in_progress"[^>]*checked',
                         html)
    assert _updates() == []


def test_script_in_text_is_shown_escaped_everywhere(client, app, world):
    login(client, "member@north.example")
    script = '<script>alert("x")</script>'
    bad = _post_update(client, world.lunch, outputs=script, spent_to_date="-1")
    assert bad.status_code == 400
    assert script not in bad.get_data(as_text=True)
    assert "&lt;script&gt;" in bad.get_data(as_text=True)

    assert _post_update(client, world.lunch, outputs=script, note=script,
                        match_funding=script).status_code == 302
    assert _updates()[0].outputs == script  # kept exactly as typed
    for url in ("/delivery/decides", f"/delivery/projects/{world.lunch.id}/update"):
        html = client.get(url).get_data(as_text=True)
        assert script not in html and "&lt;script&gt;alert(" in html


@pytest.mark.parametrize(
    ("upload", "message"),
    [((b"%PDF-1.4 not an image", "report.pdf"), "JPEG, PNG, WebP or GIF"),
     ((b"GIF89a<script>alert(1)</script>", "photo.gif"), "JPEG, PNG, WebP or GIF"),
     ((b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "huge.jpg"), "5 MB or smaller")],
    ids=["pdf", "script-as-gif", "over-5mb"],
)
def test_a_bad_photo_is_refused_at_the_field_and_the_rest_kept(client, world, upload, message):
    login(client, "member@north.example")
    data, name = upload
    response = _post_update(client, world.lunch, photo=(io.BytesIO(data), name))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(r'<p class="error-message" id="photo-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1)
    assert 'value="1,200.50"' in html and OUTPUTS in html
    assert _updates() == [] and db.session.scalar(select(func.count()).select_from(Photo)) == 0


def test_a_good_photo_with_a_mistake_elsewhere_asks_for_the_photo_again(client, world):
    login(client, "member@north.example")
    response = _post_update(client, world.lunch, spent_to_date="-1",
                            photo=(io.BytesIO(_png()), "class.png"))
    assert response.status_code == 400
    assert "Your photo was not saved because of the problem above. Choose it again." in \
        response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0


def test_the_form_works_with_csrf_protection_on(csrf_app, world):
    client = csrf_app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    client.post("/auth/login", data={"email": "member@north.example",
                                     "password": "correct horse battery",
                                     "csrf_token": csrf_token(login_page)})
    url = f"/delivery/projects/{world.lunch.id}/update"
    assert client.post(url, data=_form(), content_type="multipart/form-data").status_code == 400
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data={**_form(), "csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert len(_updates()) == 1


def test_following_works_with_csrf_protection_on(csrf_app, world):
    resident = csrf_app.test_client()
    token = csrf_token(resident.get("/delivery/decides").get_data(as_text=True))
    assert resident.post("/delivery/decides/follow",
                         data={"email": "ann@example.org"}).status_code == 400
    assert resident.post("/delivery/decides/follow", data={
        "email": "ann@example.org", "csrf_token": token}).status_code == 302
    # The `mailbox` fixture serves the other app: read the email from the outbox instead.
    body = db.session.scalars(select(OutgoingEmail.body).where(
        OutgoingEmail.to == "ann@example.org")).one()
    link = re.search(r"http://localhost(/delivery/follow/\S+)", body).group(1)
    token = csrf_token(resident.get(link).get_data(as_text=True))
    assert resident.post(link, data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Follower)).one().receives_updates


# --- The public progress page -------------------------------------------------------------------

def test_progress_page_shows_where_the_money_went(client, world):
    login(client, "member@north.example")
    _post_update(client, world.lunch, status="delivered", spent_to_date="1,600.50",
                 note="All 11 sessions done.")
    logout(client)

    response = client.get("/delivery/decides")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("<h1") == 1 and "Where the money went" in html
    totals = html.split("The funded projects")[0]
    assert "£5,625" in totals            # given to the two funded projects
    assert "£1,600.50" in totals         # spent so far
    assert "1 of 2" in totals            # delivered
    lunch = html.split(f'id="project-{world.lunch.id}"')[1].split("</li>")[0]
    gym = html.split(f'id="project-{world.gym.id}"')[1].split("</li>")[0]
    assert "Delivered" in lunch and "£1,625" in lunch and "£1,600.50" in lunch
    assert OUTPUTS in lunch and "All 11 sessions done." in lunch
    assert "North Partnership" in lunch
    assert "Funded, not started yet" in gym and "£4,000" in gym and "No updates yet." in gym
    assert CAFE not in html              # not funded
    assert "Report progress" not in html  # residents cannot report
    assert "monitoring.csv" not in html   # nor download the monitoring
    assert "Get updates by email" in html and "send you nothing else" in html


def test_progress_page_is_404_until_the_results_are_published(client, world):
    published_round(world.users["organiser"], {"Bench": (world.north, 100_00)}, [["Bench"]],
                    pot=500_00, slug="closed", publish=False)
    assert client.get("/delivery/closed").status_code == 404
    assert client.post("/delivery/closed/follow", data={"email": "a@example.org"}).status_code == 404
    assert client.get("/delivery/no-such-round").status_code == 404
    login(client, "org@council.example")  # staff too: there is nothing to deliver yet
    assert client.get("/delivery/closed").status_code == 404
    assert client.get("/delivery/closed/monitoring.csv").status_code == 404


def test_staff_see_their_links_on_the_progress_page(client, world):
    login(client, "member@north.example")
    html = client.get("/delivery/decides").get_data(as_text=True)
    assert f"/delivery/projects/{world.lunch.id}/update" in html
    assert f"/delivery/projects/{world.gym.id}/update" not in html
    logout(client)
    login(client, "scrutineer@council.example")
    html = client.get("/delivery/decides").get_data(as_text=True)
    assert "/delivery/decides/monitoring.csv" in html and "/delivery/decides/monitoring.xlsx" in html


# --- Monitoring downloads -----------------------------------------------------------------------

def _report_for_monitoring(client, world):
    login(client, "member@north.example")
    assert _post_update(client, world.lunch, status="delivered", spent_to_date="1,600.50",
                        savings_per_year="3,000.25",
                        match_funding="£200 from the town council").status_code == 302
    logout(client)


def test_monitoring_csv_has_the_expected_rows_and_exact_amounts(client, world):
    _report_for_monitoring(client, world)
    login(client, "org@council.example")
    response = client.get("/delivery/decides/monitoring.csv")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert 'attachment; filename="decides-monitoring.csv"' == response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    body = sorted(rows[1:])
    assert len(body) == 2
    gym, lunch = body
    assert lunch[:10] == [LUNCH, "North Partnership", "Weston", "Health and wellbeing", OUTPUTS,
                          "1625.00", "1600.50",
                          "Participatory budgeting: Round decides; £200 from the town council",
                          "3000.25", "Delivered"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", lunch[10])
    assert gym == [GYM, "South Partnership", "", "", "", "4000.00", "0.00",
                   "Participatory budgeting: Round decides", "", "Funded, not started yet", ""]


def test_monitoring_xlsx_opens_with_money_as_numbers(client, world):
    _report_for_monitoring(client, world)
    login(client, "scrutineer@council.example")
    response = client.get("/delivery/decides/monitoring.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == HEADERS
    assert all(c.font.bold for c in rows[0])
    assert len(rows) == 3
    by_service = {r[0].value: r for r in rows[1:]}
    lunch, gym = by_service[LUNCH], by_service[GYM]
    money = {HEADERS.index(h) for h in ("Award", "Cost to deliver", "Savings per year")}
    for i in money:
        assert lunch[i].data_type == "n" and "£" in lunch[i].number_format
    assert [Decimal(str(lunch[i].value)) for i in sorted(money)] == [
        Decimal("1625.00"), Decimal("1600.50"), Decimal("3000.25")]
    assert [Decimal(str(gym[i].value)) if gym[i].value is not None else None
            for i in sorted(money)] == [Decimal("4000"), Decimal("0"), None]
    assert [lunch[i].value for i in (1, 2, 3, 4, 9)] == [
        "North Partnership", "Weston", "Health and wellbeing", OUTPUTS, "Delivered"]
    assert lunch[10].is_date and gym[10].value is None


def test_formula_injection_is_neutralised_in_both_downloads(client, world):
    world.gym.title = '=HYPERLINK("http://evil.example","Click")'
    world.gym.proposer_name = "@SUM(1+1)"
    db.session.commit()
    login(client, "member@south.example")
    assert _post_update(client, world.gym, outputs="+44 1625 000000", spent_to_date="0",
                        match_funding="-5 from elsewhere", savings_per_year="").status_code == 302
    logout(client)
    login(client, "org@council.example")
    rows = list(csv.reader(io.StringIO(
        client.get("/delivery/decides/monitoring.csv").data.decode("utf-8-sig"))))
    gym = next(r for r in rows if "HYPERLINK" in r[0])
    assert gym[0] == "'" + world.gym.title and gym[1] == "'@SUM(1+1)"
    assert gym[4] == "'+44 1625 000000"
    assert gym[7] == "Participatory budgeting: Round decides; -5 from elsewhere"  # not at the start

    sheet = load_workbook(io.BytesIO(client.get("/delivery/decides/monitoring.xlsx").data)).active
    cells = next(r for r in sheet.iter_rows(min_row=2) if "HYPERLINK" in str(r[0].value))
    for cell in (cells[0], cells[1], cells[4]):
        assert cell.data_type == "s" and cell.quotePrefix, cell.value
    assert cells[0].value == world.gym.title  # the text itself is kept whole
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_control_characters_from_a_proposal_do_not_break_the_workbook(client, world):
    world.gym.title = "Green\x07 Gym\x1b"
    db.session.commit()
    login(client, "org@council.example")
    response = client.get("/delivery/decides/monitoring.xlsx")
    assert response.status_code == 200
    titles = [r[0].value for r in load_workbook(io.BytesIO(response.data)).active.iter_rows(min_row=2)]
    assert "Green Gym" in titles


@pytest.mark.parametrize(
    ("email", "status"),
    [(None, 302), ("member@north.example", 403), ("helper@example.org", 403),
     ("scrutineer@council.example", 200), ("admin@council.example", 200)],
)
def test_only_organisers_and_scrutineers_download_the_monitoring(client, world, email, status):
    if email:
        login(client, email)
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/delivery/decides/monitoring.{fmt}").status_code == status


# --- Following by email -------------------------------------------------------------------------

def _link(message, path) -> str:
    from tests.conftest import Mailbox

    match = re.search(rf"http://localhost(/delivery/{path}/\S+)", Mailbox.body(message))
    assert match, Mailbox.body(message)
    return match.group(1)


def test_follow_confirm_get_an_update_and_stop(app, client, world, mailbox):
    resident = app.test_client()
    response = resident.post("/delivery/decides/follow", data={"email": "Ann@Example.org"})
    assert response.status_code == 302 and response.headers["Location"] == "/delivery/decides"
    assert "Check your email" in resident.get("/delivery/decides").get_data(as_text=True)
    (confirmation,) = mailbox.to("ann@example.org")
    assert confirmation["Subject"] == "Confirm you want updates on Round decides"
    confirm_url = _link(confirmation, "follow")

    # Someone else asks but never confirms.
    app.test_client().post("/delivery/decides/follow", data={"email": "bob@example.org"})
    assert len(mailbox.to("bob@example.org")) == 1

    # Opening the link asks first; the button confirms.
    page = resident.get(confirm_url)
    assert page.status_code == 200 and "Yes, send me updates" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(Follower).where(
        Follower.email == "ann@example.org")).one().confirmed_at is None
    assert resident.post(confirm_url).headers["Location"] == "/delivery/decides"
    db.session.expire_all()
    assert db.session.scalars(select(Follower).where(
        Follower.email == "ann@example.org")).one().receives_updates

    # A member reports: Ann gets the update; Bob, unconfirmed, does not.
    login(client, "member@north.example")
    assert _post_update(client, world.lunch, note="Eleven sessions, all full.").status_code == 302
    ann = mailbox.to("ann@example.org")
    assert len(ann) == 2 and len(mailbox.to("bob@example.org")) == 1
    update = ann[1]
    assert update["Subject"] == f"Update on {LUNCH}"
    body = mailbox.body(update)
    assert "Eleven sessions, all full." in body and OUTPUTS in body
    assert "£1,200.50 of the £1,625 awarded" in body
    assert "http://localhost/delivery/decides" in body

    # The link at the foot stops the emails.
    stop_url = _link(update, "stop")
    assert "Stop the emails" in resident.get(stop_url).get_data(as_text=True)
    assert resident.post(stop_url).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Follower).where(
        Follower.email == "ann@example.org")).one().unsubscribed_at is not None
    _post_update(client, world.lunch, note="One more.")
    assert len(mailbox.to("ann@example.org")) == 2


def test_following_twice_makes_no_duplicate(app, world, mailbox):
    resident = app.test_client()
    for _ in range(2):
        assert resident.post("/delivery/decides/follow",
                             data={"email": "ann@example.org"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 1
    assert len(mailbox.to("ann@example.org")) == 1


@pytest.mark.parametrize(("email", "message"), [("", "Enter your email address."),
                                                 ("ann at example", "Enter an email address like"),
                                                 ("<script>x</script>@a.b", "Enter an email address")])
def test_a_bad_email_keeps_the_input_with_the_message(client, world, email, message):
    response = client.post("/delivery/decides/follow", data={"email": email})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(r'<p class="error-message" id="email-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1)
    assert "<script>x" not in html
    if email:
        assert 'value="' + email.replace("<", "&lt;").replace(">", "&gt;") + '"' in html
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 0


@pytest.mark.parametrize("path", ["follow/not-a-token", "stop/not-a-token"])
def test_a_broken_link_is_refused_kindly(client, world, path):
    for method in ("get", "post"):
        response = getattr(client, method)(f"/delivery/{path}")
        assert response.status_code == 400
        assert "This link does not work" in response.get_data(as_text=True)


def test_a_confirmation_link_cannot_stop_and_a_stop_link_cannot_confirm(app, client, world,
                                                                        mailbox):
    client.post("/delivery/decides/follow", data={"email": "ann@example.org"})
    token = _link(mailbox.to("ann@example.org")[0], "follow").rsplit("/", 1)[1]
    assert client.post(f"/delivery/stop/{token}").status_code == 400
    db.session.expire_all()
    assert db.session.scalars(select(Follower)).one().unsubscribed_at is None
