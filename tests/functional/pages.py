"""Reading results pages as a person would: tables by their caption, summary lists, the chart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

SVG = "{http://www.w3.org/2000/svg}"


class Page(HTMLParser):
    """Tables (by caption: rows of cell texts, with each row's data-id) and <dl> pairs."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.row_ids: dict[str, list[str | None]] = {}
        self.summary: dict[str, str] = {}
        self._table: list | None = None
        self._ids: list | None = None
        self._caption: list[str] | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._dt: list[str] | None = None
        self._dd: list[str] | None = None
        self._last_dt = ""
        self._hidden = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table, self._ids, self._name = [], [], ""
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._ids.append(a.get("data-id"))
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "dt":
            self._dt = []
        elif tag == "dd":
            self._dd = []
        if tag == "span" and "aria-hidden" in a:
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self._name = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables[self._name] = self._table
            self.row_ids[self._name] = self._ids
            self._table = None
        elif tag == "dt" and self._dt is not None:
            self._last_dt = " ".join("".join(self._dt).split())
            self._dt = None
        elif tag == "dd" and self._dd is not None:
            self.summary[self._last_dt] = " ".join("".join(self._dd).split())
            self._dd = None
        elif tag == "span" and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if self._hidden:
            return
        for part in (self._caption, self._cell, self._dt, self._dd):
            if part is not None:
                part.append(data)


def chart(html: str) -> ET.Element:
    """The page's server-drawn bar chart, parsed as XML."""
    match = re.search(r'<svg class="chart".*?</svg>', html, re.S)
    assert match, "no chart on the page"
    return ET.fromstring(match.group(0))


def chart_bars(html: str) -> list[ET.Element]:
    return chart(html).findall(f"{SVG}g")
