"""Reasons: wording, translation hooks, money formatting, and extractable templates."""

import ast
import inspect
from fractions import Fraction

import pytest

from pb.tally import Reason
from pb.tally import explain
from pb.tally.explain import TEMPLATES, default_money, reason_text


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        (Reason("funded", {"step": 4, "votes": 312}), "Funded in step 4 with 312 votes."),
        (Reason("funded", {"step": 1, "votes": 1}), "Funded in step 1 with 1 vote."),
        (Reason("funded", {"step": 2, "votes": 716, "score": 1571}),
         "Funded in step 2 with 1,571 points from 716 voters."),
        (Reason("over_budget", {"cost": 600000, "left": 215000}), "Needed 6,000 but only 2,150 was left."),
        (Reason("below_threshold", {"threshold": 50, "score": 31}), "Below the minimum of 50 votes: it had 31."),
        (Reason("lost_tie", {"with": "p7", "criterion": "lot", "cost": 100, "left": 50}),
         "Tied with p7 and lost the tie-break (drawing of lots); then it needed 1 but only 0.50 was left."),
        (Reason("es_funded", {"step": 1, "votes": 3, "effective_votes": Fraction(7, 3), "payment": 12345}),
         "Funded in step 1 with an effective vote count of 2.3 (3 votes): each supporter paid at most 123.45."),
    ],
    ids=["funded", "one-vote", "points", "over-budget", "threshold", "lot", "equal-shares"],
)
def test_wording(reason, text):
    assert reason_text(reason) == text


def test_gettext_and_money_hooks():
    seen = []

    def gettext(s):
        seen.append(s)
        return s.replace("Needed", "Brauchte")

    text = reason_text(Reason("over_budget", {"cost": 600000, "left": 215050}), gettext=gettext,
                       money=lambda v: f"£{v / 100:,.2f}")
    assert text == "Brauchte £6,000.00 but only £2,150.50 was left."
    assert seen == [TEMPLATES["over_budget"]]


def test_default_money():
    assert default_money(600000) == "6,000"
    assert default_money(600050) == "6,000.50"
    assert default_money(5) == "0.05"


def test_every_template_is_an_extractable_literal():
    tree = ast.parse(inspect.getsource(explain))
    table = next(n for n in ast.walk(tree) if isinstance(n, ast.AnnAssign | ast.Assign)
                 and getattr(getattr(n, "targets", [None])[0], "id", None) == "TEMPLATES")
    for value in table.value.values:
        assert isinstance(value, ast.Call) and value.func.id == "N_"
        assert len(value.args) == 1 and isinstance(value.args[0], ast.Constant | ast.JoinedStr)
        assert isinstance(value.args[0], ast.Constant) and isinstance(value.args[0].value, str)


def test_every_reason_code_has_text():
    codes = ["funded", "partial", "over_budget", "lost_tie", "below_threshold", "stopped", "no_votes",
             "excluded", "not_selected", "es_funded", "es_unaffordable", "es_completion", "phragmen_funded"]
    params = {"step": 1, "votes": 2, "score": 3, "award": 4, "cost": 5, "left": 6, "with": "x",
              "criterion": "cost", "threshold": 7, "at": "y", "effective_votes": Fraction(1, 3),
              "payment": 8, "available": 9, "load": Fraction(1, 2)}
    for code in codes:
        assert reason_text(Reason(code, params)).endswith(".")
