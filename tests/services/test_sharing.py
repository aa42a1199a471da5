"""How the money is shared out, in plain words, for every rule and its settings."""

from __future__ import annotations

import pytest

from pb.services.sharing import how_money_is_shared
from pb.tally.engine import RULES

# A word a resident would not know, or a rule's name, never appears.
JARGON = ("greedy", "phragm", "allocation", "algorithm", "utility", "approval", "knapsack",
          "threshold", "tie-break", "load", "effective")


def _text(lines) -> str:
    return " ".join(sentence for _icon, sentence in lines)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("ballot_type", ["approval", "knapsack", "ranking", "scoring", "points"])
def test_every_rule_is_told_in_short_plain_sentences(rule, ballot_type):
    settings = {"threshold": 3} if rule == "greedy-threshold" else {}
    lines = how_money_is_shared(rule, settings, ballot_type, "chain")
    assert len(lines) >= 4
    for icon, sentence in lines:
        assert icon and sentence.endswith(".")
        assert len(sentence.split()) <= 16, sentence  # one idea, a short sentence
    text = _text(lines).lower()
    assert not [word for word in JARGON if word in text]


@pytest.mark.parametrize(("rule", "settings", "ballot_type", "says"), [
    ("greedy", {}, "approval", "A cheaper project further down can still be funded."),
    ("greedy", {}, "points", "The project with the most points is funded first."),
    ("greedy", {}, "ranking", "A first choice gets the most points."),
    ("greedy-no-skip", {}, "approval",
     "We stop at the first project that costs more than the money left."),
    ("greedy-threshold", {"threshold_percent": "12.5"}, "approval",
     "A project must be chosen by at least 12.5% of the voters."),
    ("greedy-threshold", {"threshold": 1}, "approval", "A project needs at least 1 vote."),
    ("greedy-threshold", {"threshold": 40}, "scoring", "A project needs at least 40 points."),
    ("greedy", {"partial_remainder": True}, "approval",
     "The last project may get what is left, as part of its cost."),
    ("equal-shares", {}, "approval", "Every voter gets an equal share of the money."),
    ("equal-shares", {"completion": "add1"}, "approval",
     "If money is left, every share is made a little bigger and we count again."),
    ("equal-shares", {"greedy_completion": True}, "approval",
     "Any money still left goes to the projects with the most votes that fit."),
    ("phragmen", {}, "approval",
     "The money is shared so that as many voters as possible get a project they chose."),
], ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None)
def test_each_rule_and_setting_has_its_own_sentence(rule, settings, ballot_type, says):
    assert says in _text(how_money_is_shared(rule, settings, ballot_type))


def test_settings_a_rule_does_not_have_say_nothing():
    plain = _text(how_money_is_shared("greedy", {}, "approval"))
    assert "must be chosen" not in plain and "needs at least" not in plain
    assert "bigger" not in _text(how_money_is_shared("equal-shares", {}, "approval"))


@pytest.mark.parametrize(("tie_break", "says"), [
    ("chain", "If they are still level, a computer draws lots."),
    ("refuse", "Then the organisers decide, in public."),
])
def test_ties_are_explained_only_when_asked(tie_break, says):
    assert says in _text(how_money_is_shared("greedy", {}, "approval", tie_break))
    assert "level" not in _text(how_money_is_shared("greedy", {}, "approval"))
