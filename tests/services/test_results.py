"""The result sheet: the embargo gate, turnout by channel and area, suppressed equality totals."""

from __future__ import annotations

from pb.models.user import ORGANISER, SCRUTINEER
from pb.services import results, rounds
from tests import factories


def test_a_closed_count_is_hidden_from_the_public_but_shown_to_staff(app):
    world = factories.counted_round()
    scrutineer = factories.user(world.council, "scrutiny@example.org", SCRUTINEER)
    assert results.public_result(world.round) is None
    assert results.sheet_for(None, world.round) is None
    assert results.published_rounds(world.council) == []
    assert results.visible_result(world.organiser, world.round) is world.result
    assert results.visible_result(scrutineer, world.round) is world.result
    assert results.visible_rounds(None, world.council) == []
    rounds.publish_results(world.organiser, world.round)
    assert results.public_result(world.round) is world.result
    assert results.published_rounds(world.council) == [world.round]


def test_the_sheet_gives_every_project_its_votes_award_and_reason(app):
    world = factories.counted_round(publish=True)
    sheet = results.sheet_for(None, world.round)
    by_title = {line.title: line for line in sheet.lines}
    # Allotment and Bus shelter tie on 3 votes: the cheaper is funded first.
    assert [line.title for line in sheet.funded] == ["Bus shelter", "Allotment"]
    assert (by_title["Allotment"].votes, by_title["Bus shelter"].votes) == (3, 3)
    assert by_title["Community fridge"].votes == 2
    assert by_title["Community fridge"].award == 0 and not by_title["Community fridge"].selected
    assert results.reason_text(sheet, by_title["Community fridge"]) == \
        "Needed £100 but only £0 was left."
    assert (sheet.result.spent, sheet.result.remaining) == (1_000_00, 0)


def test_turnout_is_split_by_channel_and_by_postcode_district(app):
    world = factories.counted_round()
    turnout = results.turnout(world.round)
    assert turnout.total == 5
    assert {c.key: c.count for c in turnout.by_channel} == {"online": 3, "kiosk": 1, "paper": 1}
    assert {c.key: c.count for c in turnout.by_area} == {"SK10": 2, "SK11": 1, "not-given": 2}


def test_equality_groups_under_ten_are_shown_as_fewer_than_ten(app):
    world = factories.counted_round(equality=12)
    totals = {q.key: q for q in results.equality_totals(world.round)}
    ages = {g.label: g.count for g in totals["age_band"].groups}
    assert ages["25 to 34"] is None  # 9 answers: suppressed
    assert ages["75 or over"] is None  # 3 answers
    assert ages["16 to 24"] == 0
    shown = {g.label: g.shown for g in totals["age_band"].groups}
    assert shown["25 to 34"] == "fewer than 10"
    sexes = {g.label: g.count for g in totals["sex"].groups}
    assert sexes["Not answered"] == 0 and sexes["Female"] is None  # 6 answers
    assert results.equality_response_count(world.round) == 12
    ethnicity = {g.label: g.count for g in totals["ethnicity"].groups}
    assert ethnicity["Not answered"] == 12


def test_the_json_sheet_holds_money_in_pence_and_plain_reasons(app):
    world = factories.counted_round(publish=True)
    data = results.sheet_dict(results.sheet_for(None, world.round))
    assert data["budget"] == 1_000_00 and data["spent"] == 1_000_00
    assert data["turnout"]["by_channel"] == {"online": 3, "kiosk": 1, "paper": 1}
    fridge = next(p for p in data["projects"] if p["title"] == "Community fridge")
    assert fridge == {"id": str(world.projects["Community fridge"].id), "title": "Community fridge",
                      "area": None, "category": None, "cost": 100_00, "votes": 2, "score": 2,
                      "funded": False, "award": 0, "partial": False, "step": None,
                      "reason": {"code": "over_budget",
                                 "text": "Needed £100 but only £0 was left."}}
    assert data["ballots_sha256"] == world.result.ballots_sha256


def test_groups_of_ten_or_more_are_shown(app):
    world = factories.counted_round(equality=44)  # 75+: 11, 25-34: 33; female 22, prefer 22
    ages = {g.label: g.count for q in results.equality_totals(world.round) if q.key == "age_band"
            for g in q.groups}
    assert (ages["75 or over"], ages["25 to 34"]) == (11, 33)


def test_the_next_smallest_group_is_hidden_when_one_alone_would_be(app):
    world = factories.counted_round(equality=36)  # 75+: 9 (hidden), 25-34: 27
    totals = {q.key: {g.label: g.count for g in q.groups}
              for q in results.equality_totals(world.round)}
    # Without the second suppression, 36 - 27 = 9 would give the hidden group away.
    assert totals["age_band"]["75 or over"] is None
    assert totals["age_band"]["25 to 34"] is None
    assert totals["sex"] == {"Female": 18, "Male": 0, "I describe it another way": 0,
                             "Prefer not to say": 18, "Not answered": 0}
