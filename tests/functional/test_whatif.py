"""What if pages: a closed round's ballots under every rule, and any uploaded pabulib file."""

from __future__ import annotations

import html
import io
import os
import re
from pathlib import Path

import pytest

from pb.extensions import db
from pb.models.user import COUNCIL_ADMIN, MEMBER, SCRUTINEER
from pb.services import rounds
from pb.tally import RULES, TieBreak, pabulib, tally
from pb.views_helpers import money
from tests import factories
from tests.conftest import csrf_token
from tests.functional.helpers import login

PABULIB = Path(os.environ.get("PB_PABULIB_DIR",
                              Path(__file__).resolve().parents[2].parent / "shared" / "pabulib"))
ASSEN = "Netherlands_Assen_2024.pb"
SETTINGS = {"greedy": {}, "greedy-no-skip": {}, "greedy-threshold": {"threshold_percent": 10},
            "equal-shares": {"completion": "add1"}, "phragmen": {}}


@pytest.fixture
def world(app):
    world = factories.counted_round()
    factories.user(world.council, "member@example.org", MEMBER, world.partnership)
    factories.user(world.council, "scrutineer@example.org", SCRUTINEER)
    db.session.commit()
    return world


@pytest.fixture
def assen() -> bytes:
    if not PABULIB.exists():
        pytest.skip(f"pabulib data not found at {PABULIB}")
    return (PABULIB / ASSEN).read_bytes()


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(True))))


def summary_rows(page: str) -> dict[str, str]:
    """The summary table's row for each rule, as text."""
    table = re.search(r'<table class="table table-stack whatif-summary">(.*?)</table>', page, re.S)
    assert table, "no summary table"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)[1:]
    return {html.unescape(re.sub(r"<[^>]+>", " ", re.search(r"<th[^>]*>(.*?)</th>", r, re.S)
                                 .group(1))).split("  ")[0].strip():
            html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r))) for r in rows}


def upload(client, content: bytes, name: str = ASSEN, **fields):
    data = {"file": (io.BytesIO(content), name), "completion": "add1", **fields}
    return client.post("/organise/what-if", data=data, content_type="multipart/form-data")


# A closed round.
def test_the_organiser_compares_the_rules_on_the_rounds_own_ballots(client, world):
    login(client, world.organiser.email)
    page = client.get("/organise/spring")
    assert "/organise/spring/what-if" in page.get_data(True)
    response = client.get("/organise/spring/what-if")
    assert response.status_code == 200
    body = text(response)
    assert "For staff only" in body
    rows = summary_rows(response.get_data(True))
    # Greedy, the round's rule, spends the whole £1,000 on Bus shelter and Allotment (see
    # tests/factories.py); its row is marked and agrees with the stored count.
    assert "This round’s rule" in rows["Most votes first"]
    assert money(world.result.spent) in rows["Most votes first"]
    assert "Funded £400" in body and "Funded £600" in body
    for label in ("Most votes first, no skipping", "Equal shares", "Phragmén"):
        assert label in rows
    assert "The rules in plain words" in body
    assert "<caption" in response.get_data(True) and 'scope="row"' in response.get_data(True)


def test_the_settings_are_a_get_form_and_bad_input_comes_back_beside_the_field(client, world):
    login(client, world.organiser.email)
    response = client.get("/organise/spring/what-if?threshold=50&completion=none")
    assert response.status_code == 200
    assert 'value="50"' in response.get_data(True)
    # 50% of 5 voters is 2.5: Allotment and Bus shelter (3 votes) qualify, the fridge (2) not.
    assert "at least 50% of voters: 3 votes" in text(response)
    bad = client.get("/organise/spring/what-if?threshold=lots&completion=none")
    assert bad.status_code == 400
    assert "Enter a percentage from 0 to 100" in text(bad)
    assert 'value="lots"' in bad.get_data(True)
    assert "Funded" not in text(bad)


def test_before_close_there_is_nothing_to_compare_and_no_count_is_shown(client, app):
    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "organiser@example.org", "organiser")
    r = factories.round_(council, slug="open", pot=1_000_00, voting_methods=["codes"])
    fridge = factories.proposal(r, north, "Community fridge", 100_00)
    rounds.open_voting(organiser, r)
    from pb.services import voting

    for code in voting.issue_codes(organiser, r, 3):
        voting.cast_ballot(voting.find_credential(code).id, [(fridge.id, 1)], channel="online")
    db.session.commit()
    login(client, organiser.email)
    assert "/organise/open/what-if" not in client.get("/organise/open").get_data(True)
    response = client.get("/organise/open/what-if")
    assert response.status_code == 200
    body = text(response)
    assert "no counted ballots to compare yet" in body
    assert "/organise/what-if" in response.get_data(True)
    assert "Funded" not in body and "Community fridge" not in body and "voters" not in body


@pytest.mark.parametrize("who", ["member@example.org", "scrutineer@example.org"])
def test_people_who_do_not_organise_the_round_get_no_comparison(client, world, who):
    login(client, who)
    response = client.get("/organise/spring/what-if")
    assert response.status_code in (403, 404)
    assert "Allotment" not in response.get_data(True)


def test_the_public_is_sent_to_sign_in_and_sees_no_count(client, world):
    for url in ("/organise/spring/what-if", "/organise/what-if"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    response = client.post("/organise/what-if", data={}, content_type="multipart/form-data")
    assert response.status_code == 302


# An uploaded file.
def test_an_uploaded_real_file_shows_what_the_engine_gives_each_rule(client, world, assen):
    login(client, world.organiser.email)
    form = client.get("/organise/what-if")
    assert form.status_code == 200 and 'type="file"' in form.get_data(True)
    response = upload(client, assen)
    assert response.status_code == 200
    page = response.get_data(True)
    rows = summary_rows(page)
    election, _meta, _info = pabulib.read(assen)
    names = {"greedy": "Most votes first", "greedy-no-skip": "Most votes first, no skipping",
             "greedy-threshold": "Most votes first, with a minimum",
             "equal-shares": "Equal shares", "phragmen": "Phragmén"}
    for rule in RULES:
        direct = tally(election, rule, SETTINGS[rule], TieBreak("chain", ""))
        row = rows[names[rule]]
        assert money(direct.spent, "EUR") in row and money(direct.remaining, "EUR") in row, rule
        assert f" {len(direct.selected)} " in row, rule
    assert "The file’s rule" in rows["Equal shares"]
    assert "Netherlands, Assen, 2024" in text(response)
    assert "Differs" in text(response)


def test_a_bad_cost_comes_back_with_its_line_and_the_form(client, world, assen):
    login(client, world.organiser.email)
    lines = assen.decode().split("\n")
    number = next(i for i, line in enumerate(lines, start=1) if line.startswith("3;7200;"))
    lines[number - 1] = lines[number - 1].replace("3;7200;", "3;seven;", 1)
    response = upload(client, "\n".join(lines).encode(), threshold="25")
    assert response.status_code == 400
    body = text(response)
    assert f"Line {number} of the file" in body and "'seven' is not a number" in body
    assert 'value="25"' in response.get_data(True)
    assert 'type="file"' in response.get_data(True)
    assert "Funded" not in body and "Each rule at a glance" not in body


@pytest.mark.parametrize(("content", "name", "says"), [
    (None, None, "Choose a pabulib file to compare the rules on."),
    (b"", "empty.pb", "The file is empty"),
    (b"META\nkey;value\n", "ballots.csv", "its name ends in .pb"),
    (b"x" * (5 * 1024 * 1024 + 1), "huge.pb", "5 MB or smaller"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "picture.pb", "not text in UTF-8"),
], ids=["no-file", "empty-file", "wrong-extension", "too-big", "binary"])
def test_a_file_that_cannot_be_used_gets_a_message_never_a_500(client, world, content, name, says):
    login(client, world.organiser.email)
    if content is None:
        response = client.post("/organise/what-if", data={"completion": "add1", "threshold": "7"},
                               content_type="multipart/form-data")
    else:
        response = upload(client, content, name, threshold="7")
    assert response.status_code == 400
    body = text(response)
    assert says in body
    assert 'value="7"' in response.get_data(True)
    assert "Each rule at a glance" not in body


def test_a_bad_threshold_on_the_upload_is_shown_beside_its_field(client, world, assen):
    login(client, world.organiser.email)
    response = upload(client, assen, threshold="101")
    assert response.status_code == 400
    assert "Enter a percentage from 0 to 100" in text(response)
    assert 'value="101"' in response.get_data(True)


@pytest.mark.parametrize("who", ["member@example.org", "scrutineer@example.org"])
def test_only_organisers_may_upload(client, world, who, assen):
    login(client, who)
    assert client.get("/organise/what-if").status_code == 403
    assert upload(client, assen).status_code == 403


def test_a_council_administrator_may_upload(client, world, assen):
    factories.user(world.council, "admin@example.org", COUNCIL_ADMIN)
    db.session.commit()
    login(client, "admin@example.org")
    assert upload(client, assen).status_code == 200


def test_the_upload_form_checks_its_token(csrf_app, assen):
    client = csrf_app.test_client()
    world = factories.counted_round()
    db.session.commit()
    login_page = client.get("/auth/login")
    client.post("/auth/login", data={"email": world.organiser.email,
                                     "password": factories.PASSWORD,
                                     "csrf_token": csrf_token(login_page.get_data(True))})
    assert upload(client, assen).status_code == 400
    token = csrf_token(client.get("/organise/what-if").get_data(True))
    assert upload(client, assen, csrf_token=token).status_code == 200


def test_the_table_can_show_only_the_projects_the_rules_treat_differently(client, world, assen):
    login(client, world.organiser.email)
    everything = upload(client, assen)
    differing = upload(client, assen, only_differing="y")
    assert differing.status_code == 200
    def count(response, pattern):
        return len(re.findall(pattern, response.get_data(True)))

    rows = r'<th scope="row" class="whatif-name">'
    assert count(everything, rows) == 14 > count(differing, rows) > 0
    assert count(differing, rows) == count(differing, "whatif-differs-tag")
    assert "Only those treated differently are shown." in text(differing)
