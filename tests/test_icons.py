"""The picture beside a category is chosen by the words in its name."""

from __future__ import annotations

import re

import pytest

from pb.icons import CATEGORY_KEYWORDS, DEFAULT_ICON, SYMBOLS, category_icon

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

