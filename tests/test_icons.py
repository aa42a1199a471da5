"""The picture beside a category is chosen by the words in its name."""

from __future__ import annotations

import re

import pytest

from pb.icons import ALIASES, CATEGORY_KEYWORDS, DEFAULT_ICON, SYMBOLS, category_icon

CASES = [
    # The app's own categories, by key and by label
    (("green", "Green spaces"), "environment"),
    (("children", "Children and families"), "young"),
    (("older_people", "Older people"), "older"),
    (("health", "Health and wellbeing"), "health"),
    (("community", "Community and culture"), "community"),
    # Names organisers type
    (("Parks and trees",), "environment"),
    (("Environment",), "environment"),
    (("Youth clubs",), "young"),
    (("Young people",), "young"),
    (("Sport and leisure",), "health"),
    (("Arts and heritage",), "arts"),
    (("Culture",), "arts"),
    (("Roads and transport",), "transport"),
    (("Travel",), "transport"),
    (("Learning and skills",), "education"),
    (("Education",), "education"),
    (("Food",), "food"),
    (("Safety",), "safety"),
    (("Housing",), "housing"),
    (("People and places",), "community"),
    # The first specific word wins; "community" and "people" give way to any other
    (("Road safety",), "transport"),
    (("Community safety",), "safety"),
    (("Community garden",), "environment"),
    (("Older people's health",), "older"),
    # Welsh names
    (("Pobl hŷn",), "older"),
    (("Pobl ifanc",), "young"),
    (("Iechyd a lles",), "health"),
    (("Cymuned",), "community"),
    # Whole words only, and no word at all
    (("Artificial turf",), DEFAULT_ICON),
    (("Other",), DEFAULT_ICON),
    (("",), DEFAULT_ICON),
    ((None,), DEFAULT_ICON),
    # The key decides before the label
    (("older_people", "Community"), "older"),
    # A key that says nothing leaves it to the label
    (("misc", "Older people"), "older"),
]


@pytest.mark.parametrize("names, expected", CASES, ids=[" / ".join(map(str, c[0])) for c in CASES])
def test_category_icon_follows_the_words_in_the_name(names, expected):
    assert category_icon(*names) == expected


def test_every_icon_has_a_drawing():
    named = {icon for icon, _words in CATEGORY_KEYWORDS}
    assert named | {"community", DEFAULT_ICON} <= set(SYMBOLS)


@pytest.mark.parametrize("name", sorted(SYMBOLS))
def test_drawings_are_small_and_carry_no_style_or_script(name):
    drawing = SYMBOLS[name]
    assert len(drawing) < 400  # a page carries each drawing it uses; keep them light
    assert not re.search(r"style|script|on\w+=|href", drawing)


def _easy_read_icon_names() -> set[str]:
    """Every icon named beside a sentence: in the templates' easy_lines(...) and in Python."""
    from pathlib import Path

    from pb.services.ballots import BallotRules
    from pb.services.sharing import how_money_is_shared
    from pb.views_helpers import ERROR_EASY, EXPIRED_EASY

    names = set()
    for template in Path(__file__).parent.parent.glob("templates/**/*.html"):
        for call in re.findall(r"easy_lines\((.*?)\)\s*}}", template.read_text(), re.S):
            names |= set(re.findall(r'\(\s*"([a-z]+)",', call))
    for rule in ("greedy", "greedy-no-skip", "equal-shares", "phragmen"):
        for tie_break in ("chain", "refuse"):
            names |= {icon for icon, _s in how_money_is_shared(
                rule, {"threshold": 2, "partial_remainder": True, "completion": "add1",
                       "greedy_completion": True}, "approval", tie_break)}
    for kind in ("approval", "knapsack", "choose-one", "ranking", "scoring", "points"):
        rules = BallotRules(kind, "GBP", 2, 3, limit=100, positions=3, score_max=5,
                            allowance=10, min_total=2)
        names |= {icon for icon, _s in rules.easy_instruction(100)}
    names |= {icon for lines in [*ERROR_EASY.values(), EXPIRED_EASY] for icon, _s in lines}
    return names


def test_every_icon_named_in_easy_read_has_a_drawing():
    names = _easy_read_icon_names()
    assert {"vote", "money", "people", "secret"} <= names  # the scan found them
    assert names - set(SYMBOLS) - set(ALIASES) == set()
