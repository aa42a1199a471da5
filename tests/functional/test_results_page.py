"""The public results page: every number of the stored count, turnout, the rule in plain words,
the server-drawn chart beside its table, and the embargo before publication."""

from __future__ import annotations

import pytest

from pb.extensions import db
from pb.models.round import RULES
from pb.models.user import SCRUTINEER
from pb.services import results, rounds, tallying, voting
from pb.views_helpers import money
from tests import factories
from tests.functional.helpers import login
from tests.functional.pages import SVG, Page, chart, chart_bars

PROJECTS_TABLE = "Every project: its votes, cost, what it was given and why"


def _page(client, slug="spring"):
    response = client.get(f"/results/{slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_shows_every_number_of_the_stored_result(client):
    world = factories.counted_round(publish=True)
    data = world.result.data
    html = _page(client)
    page = Page(html)

    assert page.summary["Money to share"] == "£1,000" == money(data["budget"])
    assert page.summary["Given to projects"] == money(data["spent"])
    assert page.summary["Left over"] == money(data["remaining"])
    assert page.summary["Ballots counted"] == str(world.result.ballot_count) == "5"
    assert page.summary["Projects funded"] == f"{len(data['selected'])} of {len(data['projects'])}"

    sheet = results.sheet_for(None, world.round)
    rows = page.tables[PROJECTS_TABLE][1:]  # after the heading row
    assert page.row_ids[PROJECTS_TABLE][1:] == [p["id"] for p in data["projects"]]
    for row, stored, line in zip(rows, data["projects"], sheet.lines):
        title, votes, cost, given, why = row
        assert title.startswith(line.title)
        assert title.endswith("Funded" if stored["selected"] else "Not funded")
        assert votes == str(stored["votes"])
        assert cost == money(stored["cost"])
        assert given == (money(stored["award"]) if stored["selected"] else "nothing")
        assert why == results.reason_text(sheet, line)
    # The count itself, as the sheet test knows it: the fridge lost with 2 votes.
    fridge = rows[[r[0] for r in rows].index("Community fridge Not funded")]
    assert fridge[1:4] == ["2", "£100", "nothing"]
    assert fridge[4] == "Needed £100 but only £0 was left."


def test_turnout_is_shown_by_way_of_voting_and_by_area(client):
    factories.counted_round(publish=True)
    page = Page(_page(client))
    by_channel = dict(page.tables["Ballots by way of voting"][1:])
    assert by_channel == {"Online": "3", "At an event": "1", "Paper": "1"}
    by_area = dict(page.tables["Ballots by postcode district"][1:])
    assert by_area == {"SK10": "2", "SK11": "1",
                       "No postcode given (codes, events and paper)": "2"}


RULE_CASES = [
    ("greedy", {}, None),
    ("greedy-no-skip", {}, None),
    ("greedy-threshold", {"threshold_percent": 50},
     "A project needed the backing of at least 50% of voters to be funded."),
    ("equal-shares", {"completion": "add1"},
     "Money left over was used by raising every voter’s share until the pot was spent."),
    ("phragmen", {}, None),
]


@pytest.mark.parametrize("rule, settings, extra", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_the_rule_is_explained_in_plain_words(client, rule, settings, extra):
    world = factories.counted_round(publish=True)
    world.round.rule, world.round.rule_settings = rule, settings
    result = tallying.tally_round(world.round)
    db.session.commit()
    assert result.rule == rule
    html = _page(client)
    assert f'<p class="rule-text">{RULES[rule]}.</p>' in html
    for other in set(RULES) - {rule}:
        assert str(RULES[other]) not in html
    if extra:
        assert extra in html
    # Every project's reason under this rule is on the page, and the numbers are this count's.
    sheet = results.sheet_for(None, world.round)
    page = Page(html)
    rows = page.tables[PROJECTS_TABLE][1:]
    assert [r[-1] for r in rows] == [results.reason_text(sheet, line) for line in sheet.lines]
    assert page.summary["Given to projects"] == money(result.spent)


def test_the_chart_has_one_bar_per_project_proportional_to_its_votes(client):
    world = factories.counted_round(publish=True)
    html = _page(client)
    svg = chart(html)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Votes for each project"
    assert "The table below gives the same numbers" in svg.find(f"{SVG}desc").text
    bars = chart_bars(html)
    stored = world.result.data["projects"]
    assert [b.get("data-id") for b in bars] == [p["id"] for p in stored]
    largest = max(p["votes"] for p in stored)
    for bar, project in zip(bars, stored):
        length = int(bar.get("data-length"))
        assert length == project["votes"] * 700 // largest
        assert bar.find(f"{SVG}rect").get("width") == f"{length // 10}.{length % 10}%"
        assert bar.get("data-value") == str(project["votes"])
        label = "".join(bar.find(f"{SVG}text[@class='chart-label']").itertext())
        assert label.startswith("Funded: ") == project["selected"]
    # 3, 3 and 2 votes: the fridge's bar is two thirds of the longest.
    assert sorted(int(b.get("data-length")) for b in bars) == [466, 700, 700]
    # The same numbers are in the table below the chart.
    rows = Page(html).tables[PROJECTS_TABLE][1:]
    assert [r[1] for r in rows] == [b.get("data-value") for b in bars]


def test_a_points_ballot_shows_points_and_voters(client):
    from pb.models.user import ORGANISER

    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "org@example.org", ORGANISER)
    r = factories.round_(council, slug="points", pot=1_000_00, ballot_type="points",
                         ballot_settings={"max_total_points": 10})
    a = factories.proposal(r, north, "Allotment", 600_00)
    b = factories.proposal(r, north, "Bench", 300_00)
    rounds.open_voting(organiser, r)
    marks = [[(a.id, 7), (b.id, 3)], [(b.id, 10)], [(a.id, 2), (b.id, 8)]]
    for code, ballot in zip(voting.issue_codes(organiser, r, len(marks)), marks):
        voting.cast_ballot(voting.find_credential(code).id, ballot)
    rounds.close_voting(organiser, r)
    rounds.publish_results(organiser, r)
    db.session.commit()

    html = _page(client, "points")
    assert "Points for each project" in html
    page = Page(html)
    caption = "Every project: its points, cost, what it was given and why"
    table = page.tables[caption]
    assert table[0] == ["Project", "Points", "Voters", "Cost", "Given", "Why"]
    rows = dict(zip(page.row_ids[caption][1:], table[1:]))
    assert rows[str(b.id)][1:3] == ["21", "3"]  # 3 + 10 + 8 points from 3 voters
    assert rows[str(a.id)][1:3] == ["9", "2"]
    lengths = {b.get("data-id"): int(b.get("data-length")) for b in chart_bars(html)}
    assert lengths == {str(b.id): 700, str(a.id): 9 * 700 // 21}


def test_a_partial_award_says_so(client):
    world = factories.counted_round(publish=True, ballots=[
        (["Allotment", "Community fridge"], "online", "SK10")] * 3 + [
        (["Bus shelter"], "paper", None)])
    world.round.rule_settings = {"partial_remainder": True}
    tallying.tally_round(world.round)
    db.session.commit()
    rows = {r[0]: r for r in Page(_page(client)).tables[PROJECTS_TABLE][1:]}
    shelter = rows["Bus shelter Partly funded"]
    assert shelter[3] == "£300 (part of its cost)"
    assert shelter[2] == "£400"
    assert "awarded the remaining £300 of its cost of £400" in shelter[4]


def test_results_are_hidden_from_the_public_until_published(client):
    world = factories.counted_round()
    scrutineer = factories.user(world.council, "scrutiny@example.org", SCRUTINEER)
    db.session.commit()
    hidden = client.get("/results/spring")
    assert hidden.status_code == 404
    body = hidden.get_data(as_text=True)
    assert "Allotment" not in body and "Bus shelter" not in body

    login(client, scrutineer.email)
    preview = client.get("/results/spring")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Preview for staff: these results are not public yet." in html
    assert "preview, not public" in html
    assert "no-store" in preview.headers["Cache-Control"]
    assert "Show the results on a big screen" not in html

    client.post("/auth/logout")
    rounds.publish_results(world.organiser, world.round)
    db.session.commit()
    public = client.get("/results/spring")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert "Preview for staff" not in html and "no-store" not in public.headers.get(
        "Cache-Control", "")
    assert 'href="/results/spring/live"' in html


@pytest.mark.parametrize("slug", ["nope", "spring%00", "x" * 300])
def test_an_unknown_round_is_not_found(client, slug):
    assert client.get(f"/results/{slug}").status_code == 404


def test_a_round_still_voting_has_no_results_page_even_for_staff(client):
    from pb.models.user import ORGANISER

    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "org@example.org", ORGANISER)
    r = factories.round_(council, slug="open")
    factories.proposal(r, north, "Allotment", 600_00)
    rounds.open_voting(organiser, r)
    db.session.commit()
    assert client.get("/results/open").status_code == 404
    login(client, organiser.email)
    assert client.get("/results/open").status_code == 404
