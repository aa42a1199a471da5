"""The results bar chart: integer geometry, one bar per project, funded bars told apart in words."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from types import SimpleNamespace

import pytest

from pb.services import charts

SVG = "{http://www.w3.org/2000/svg}"


def _line(id_, votes, selected=False, score=None, partial=False, title=None):
    return SimpleNamespace(id=str(id_), title=title or f"Project {id_}", votes=votes,
                           score=votes if score is None else score, selected=selected,
                           partial=partial)


@pytest.mark.parametrize("value, largest, expected", [
    (113, 113, 700),
    (95, 113, 588),       # 95 * 700 / 113 = 588.49...: rounded down
    (1, 3, 233),
    (0, 5, 0),
    (5, 0, 0),            # nobody voted: no bar is drawn
    (Fraction(7, 2), 7, 350),
], ids=["largest", "rounded-down", "third", "zero", "no-votes", "fraction"])
def test_bar_length_is_the_integer_share_of_the_span(value, largest, expected):
    assert charts.bar_length(value, largest) == expected


def test_bar_lengths_are_proportional_to_votes():
    lines = [_line(1, 40, True), _line(2, 30, True), _line(3, 10), _line(4, 0)]
    chart = charts.bar_chart(lines)
    assert [b.length for b in chart.bars] == [700, 525, 175, 0]
    assert [b.percent for b in chart.bars] == ["70.0%", "52.5%", "17.5%", "0.0%"]
    # Lengths keep the ratio of the votes exactly (here they divide evenly).
    assert chart.bars[0].length * 30 == chart.bars[1].length * 40
    assert [b.funded for b in chart.bars] == [True, True, False, False]
    assert [b.top for b in chart.bars] == [0, charts.ROW_HEIGHT, 2 * charts.ROW_HEIGHT,
                                           3 * charts.ROW_HEIGHT]


def test_a_points_chart_measures_the_score_not_the_voters():
    lines = [_line(1, votes=2, score=12), _line(2, votes=5, score=6)]
    chart = charts.bar_chart(lines, "points")
    assert [b.value for b in chart.bars] == [12, 6]
    assert [b.length for b in chart.bars] == [700, 350]
    assert [b.length for b in charts.bar_chart(lines, "votes").bars] == [280, 700]


@pytest.mark.parametrize("value, text", [
    (1234, "1,234"), (0, "0"), (Fraction(7, 2), "3.5"), (Fraction(10, 3), "3.3"),
    (Fraction(8, 2), "4"),
], ids=["thousands", "zero", "half", "third-rounded-down", "whole-fraction"])
def test_number_text(value, text):
    assert charts.number_text(value) == text


def _svg(chart, **kw):
    markup = charts.chart_svg(chart, title="Votes for each project", description="Bars.", **kw)
    return ET.fromstring(str(markup))


def test_the_svg_has_one_bar_per_project_and_the_same_numbers():
    lines = [_line(1, 8, True), _line(2, 6, True, partial=True), _line(3, 4), _line(4, 0)]
    root = _svg(charts.bar_chart(lines), partly_word="Partly funded")
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Votes for each project"
    assert root.find(f"{SVG}desc").text == "Bars."
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    groups = root.findall(f"{SVG}g")
    assert [g.get("data-id") for g in groups] == ["1", "2", "3", "4"]
    widths = [g.find(f"{SVG}rect").get("width") for g in groups]
    assert widths == ["70.0%", "52.5%", "35.0%", "0.0%"]
    values = [g.find(f"{SVG}text[@class='chart-value']").text for g in groups]
    assert values == ["8", "6", "4", "0"]


def test_funded_bars_differ_by_more_than_colour():
    lines = [_line(1, 8, True, title="Bus shelter"), _line(2, 6, True, partial=True),
             _line(3, 4, title="Allotment")]
    root = _svg(charts.bar_chart(lines), funded_word="Funded", partly_word="Partly funded")
    funded, partial, not_funded = root.findall(f"{SVG}g")
    # A striped pattern, and the word, mark a funded bar.
    assert funded.find(f"{SVG}rect").get("fill") == "url(#chart-funded)"
    assert not_funded.find(f"{SVG}rect").get("fill") != "url(#chart-funded)"
    assert root.find(f".//{SVG}pattern").get("id") == "chart-funded"

    def words(group):
        return "".join(group.find(f"{SVG}text[@class='chart-label']").itertext())

    assert words(funded).startswith("Funded: ")
    assert words(partial).startswith("Partly funded: ")
    assert "Funded" not in words(not_funded)
    assert funded.find(f"{SVG}title").text == "Bus shelter: 8 (Funded)"
    assert not_funded.find(f"{SVG}title").text == "Allotment: 4"


def test_titles_are_escaped_and_shortened_for_small_screens():
    long = "Resurfacing <the> play area & paths at Moss Rose Park, with new benches"
    root = _svg(charts.bar_chart([_line(1, 3, title=long)]))
    label = root.find(f".//{SVG}text[@class='chart-label']")
    full, medium, short = label.findall(f"{SVG}tspan")
    assert full.text == long
    assert short.text.endswith("…") and len(short.text) <= charts.SHORT_TITLE + charts.WORD_ROOM
    assert len(medium.text) <= charts.MEDIUM_TITLE + charts.WORD_ROOM


def test_an_empty_chart_is_still_valid_svg():
    root = _svg(charts.bar_chart([]))
    assert root.findall(f"{SVG}g") == []
    assert int(root.get("height")) == charts.ROW_HEIGHT
