"""Charts drawn on the server as SVG: the results page's bar chart, readable without JavaScript.

The geometry is plain integer arithmetic so that tests can check it exactly: a bar's length is
`value * BAR_SPAN // largest` thousandths of the chart's width, never a float. The SVG uses
presentation attributes and classes only (the site's Content-Security-Policy refuses inline
styles), and percentages for lengths so that labels keep their size on a 320 px phone while
the bars stretch to the width of the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from math import floor

from markupsafe import Markup, escape

# Lengths are in thousandths of the chart's width. The longest bar takes BAR_SPAN of them and
# leaves the rest of the line for its number.
FULL = 1000
BAR_SPAN = 700
ROW_HEIGHT = 64  # px: a line for the title, then the bar
LABEL_BASELINE = 20
BAR_TOP = 28
BAR_HEIGHT = 26
# Characters of a title shown on a phone and on a small tablet (the table has every title in
# full); a bar without the word "Funded" before its title has room for WORD_ROOM more.
SHORT_TITLE = 24
MEDIUM_TITLE = 48
WORD_ROOM = 8

FUNDED_FILL = "#00703c"
STRIPE_FILL = "#a8d5bf"
NOT_FUNDED_FILL = "#505a5f"
TEXT_FILL = "#0b0c0c"


@dataclass(frozen=True)
class Bar:
    """One project's bar. `length` is in thousandths of the chart's width."""

    id: str
    title: str
    value: int | Fraction
    value_text: str
    length: int
    funded: bool
    partial: bool
    top: int  # px from the top of the chart to this project's row

    @property
    def percent(self) -> str:
        """The length as an SVG percentage, written from the integer: 466 -> "46.6%"."""
        return f"{self.length // 10}.{self.length % 10}%"


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    height: int
    kind: str  # "votes" or "points"
    largest: int | Fraction


def number_text(value: int | Fraction) -> str:
    """A count as people read it: 1,234; a fractional score to one decimal place (rounded down)."""
    if isinstance(value, Fraction) and value.denominator != 1:
        tenths = floor(value * 10)
        return f"{tenths // 10:,}.{tenths % 10}"
    return f"{int(value):,}"


def bar_length(value: int | Fraction, largest: int | Fraction, span: int = BAR_SPAN) -> int:
    """Thousandths of the width for `value` when `largest` fills `span`; 0 when nothing has any."""
    if largest <= 0 or value <= 0:
        return 0
    return floor(Fraction(value) * span / Fraction(largest))


def short_title(title: str, limit: int = SHORT_TITLE) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def bar_chart(lines: Iterable, kind: str = "votes") -> Chart:
    """The geometry of a results bar chart: one bar per line (a results.Line or alike), in order.

    `kind` "votes" measures each line's `votes`; "points" its `score` (ranking, scoring and
    points ballots).
    """
    lines = list(lines)
    values = [(line.score if kind == "points" else line.votes) or 0 for line in lines]
    largest = max(values, default=0)
    bars = [
        Bar(id=str(line.id), title=line.title, value=value, value_text=number_text(value),
            length=bar_length(value, largest), funded=bool(line.selected),
            partial=bool(getattr(line, "partial", False)), top=i * ROW_HEIGHT)
        for i, (line, value) in enumerate(zip(lines, values))
    ]
    return Chart(bars=bars, height=max(len(bars), 1) * ROW_HEIGHT, kind=kind, largest=largest)


def chart_svg(chart: Chart, title: str, description: str, funded_word: str = "Funded",
              partly_word: str = "Partly funded", id_prefix: str = "chart") -> Markup:
    """The chart as inline SVG markup.

    The SVG is one image to assistive technology (role="img", named by its <title> and
    <desc>); the table beside it on the page carries the same numbers. Funded bars are
    striped and labelled with `funded_word` (or `partly_word`), not told apart by colour only.
    """
    esc = escape
    pattern = f"{id_prefix}-funded"
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'height="{chart.height}" role="img" aria-labelledby="{id_prefix}-title '
        f'{id_prefix}-desc" focusable="false" font-size="16">',
        f'<title id="{id_prefix}-title">{esc(title)}</title>',
        f'<desc id="{id_prefix}-desc">{esc(description)}</desc>',
        f'<defs><pattern id="{pattern}" width="10" height="10" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="10" height="10" fill="{FUNDED_FILL}"/>'
        f'<rect width="4" height="10" fill="{STRIPE_FILL}"/></pattern></defs>',
    ]
    for bar in chart.bars:
        state = "funded" if bar.funded else "not-funded"
        word = (partly_word if bar.partial else funded_word) if bar.funded else ""
        label = f"{bar.title}: {bar.value_text}" + (f" ({word})" if word else "")
        fill = f"url(#{pattern})" if bar.funded else NOT_FUNDED_FILL
        room = 0 if word else WORD_ROOM
        top = bar.top
        parts.append(
            f'<g class="chart-bar chart-bar-{state}" data-id="{esc(bar.id)}" '
            f'data-value="{esc(bar.value_text)}" data-length="{bar.length}">'
            f'<title>{esc(label)}</title>'
            f'<text class="chart-label" x="0" y="{top + LABEL_BASELINE}" fill="{TEXT_FILL}">'
            + (f'<tspan class="chart-funded" font-weight="bold">{esc(word)}: </tspan>'
               if word else "")
            + f'<tspan class="chart-title-full">{esc(bar.title)}</tspan>'
            f'<tspan class="chart-title-medium">{esc(short_title(bar.title, MEDIUM_TITLE + room))}'
            f'</tspan><tspan class="chart-title-short">'
            f'{esc(short_title(bar.title, SHORT_TITLE + room))}</tspan>'
            '</text>')
        parts.append(
            f'<rect class="chart-rect" x="0" y="{top + BAR_TOP}" width="{bar.percent}" '
            f'height="{BAR_HEIGHT}" fill="{fill}" stroke="{TEXT_FILL}" '
            f'stroke-width="{1 if bar.length else 0}"/>'
            f'<text class="chart-value" x="{bar.percent}" dx="8" '
            f'y="{top + BAR_TOP + BAR_HEIGHT - 7}" fill="{TEXT_FILL}" font-weight="bold">'
            f'{esc(bar.value_text)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
