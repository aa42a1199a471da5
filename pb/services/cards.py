"""Printable voting cards: A4 pages of cards to cut out, each with a code and a QR code.

The QR code holds the address of the ballot with the code filled in, so a resident can scan
it with a phone camera instead of typing the code.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import segno
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

COLUMNS, ROWS = 2, 4
CARDS_PER_PAGE = COLUMNS * ROWS
MARGIN = 10 * mm
PADDING = 5 * mm
QR_SIZE = 30 * mm
QR_MASK = 2

CODE_FONT = "Courier-Bold"  # codes and addresses are plain ASCII
# Round titles may be in Welsh (ŵ, ŷ) or anything else: DejaVu Sans shows them, where the
# server has it (Debian and Ubuntu: fonts-dejavu-core). Without it, the PDF's built-in
# Helvetica is used and letters it cannot show lose their accents (see `printable`).
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
             "/usr/local/share/fonts/dejavu", "/usr/share/fonts/TTF")


@functools.cache
def fonts() -> tuple[str, str, bool]:
    """(regular font, bold font, whether they show any Unicode letter)."""
    for folder in FONT_DIRS:
        regular, bold = Path(folder, "DejaVuSans.ttf"), Path(folder, "DejaVuSans-Bold.ttf")
        if regular.is_file() and bold.is_file():
            try:
                pdfmetrics.registerFont(TTFont("PB-Sans", str(regular)))
                pdfmetrics.registerFont(TTFont("PB-Sans-Bold", str(bold)))
            except Exception:  # an unreadable font file: fall back to the built-in fonts
                continue
            return "PB-Sans", "PB-Sans-Bold", True
    return "Helvetica", "Helvetica-Bold", False


def printable(text: str, unicode_fonts: bool) -> str:
    """Text the card's fonts can show: with the built-in fonts, ŵ becomes w and so on."""
    if unicode_fonts:
        return text
    shown = []
    for ch in text:
        try:
            ch.encode("cp1252")
        except UnicodeEncodeError:
            bare = "".join(c for c in unicodedata.normalize("NFKD", ch)
                           if not unicodedata.combining(c))
            try:
                bare.encode("cp1252")
            except UnicodeEncodeError:
                bare = "?"
            ch = bare
        shown.append(ch)
    return "".join(shown)


def ballot_links(codes: Iterable[str], base_url: str) -> dict[str, str]:
    """The absolute address of the ballot with each code filled in, and the plain address."""
    with current_app.test_request_context(base_url=base_url):
        links = {code: url_for("vote.start", code=code, _external=True) for code in codes}
        links[""] = url_for("vote.start", _external=True)
    return links


def build_pdf(title: str, codes: list[str], base_url: str) -> bytes:
    """A4 pages of cards, CARDS_PER_PAGE to a page, with dashed lines to cut along."""
    links = ballot_links(codes, base_url)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
    pdf.setTitle(str(_l("Voting cards: %(round)s", round=title)))
    pdf.setCreator("pb")
    width, height = A4
    card_w = (width - 2 * MARGIN) / COLUMNS
    card_h = (height - 2 * MARGIN) / ROWS
    text_font, bold_font, unicode_fonts = fonts()
    words = {
        "heading": str(_l("Your voting code")),
        "vote_at": str(_l("Vote at:")),
        "how": str(_l("Scan the square code with your phone camera, or go to the address and "
                      "type in your code. You can vote once with this card.")),
    }
    words = {key: printable(value, unicode_fonts) for key, value in words.items()}
    words["font"], words["bold"] = text_font, bold_font
    inner_w = card_w - 2 * PADDING
    lines = {  # the same on every card: wrapped once
        "title": _title_lines(printable(title, unicode_fonts), bold_font, inner_w),
        "address": _wrap(links[""], bold_font, 8, inner_w - QR_SIZE - 4 * mm, anywhere=True)[:3],
        "how": _wrap(words["how"], text_font, 8, inner_w)[:3],
    }
    for start in range(0, len(codes), CARDS_PER_PAGE):
        page = codes[start:start + CARDS_PER_PAGE]
        _cut_lines(pdf, card_w, card_h, width, height)
        for i, code in enumerate(page):
            column, row = i % COLUMNS, i // COLUMNS
            x = MARGIN + column * card_w
            y = height - MARGIN - (row + 1) * card_h
            _card(pdf, x, y, card_w, card_h, code, links[code], words, lines)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _cut_lines(pdf: canvas.Canvas, card_w: float, card_h: float, width: float,
               height: float) -> None:
    pdf.saveState()
    pdf.setDash(3, 3)
    pdf.setLineWidth(0.4)
    pdf.setStrokeGray(0.6)
    for column in range(COLUMNS + 1):
        x = MARGIN + column * card_w
        pdf.line(x, MARGIN, x, height - MARGIN)
    for row in range(ROWS + 1):
        y = MARGIN + row * card_h
        pdf.line(MARGIN, y, width - MARGIN, y)
    pdf.restoreState()


def _card(pdf: canvas.Canvas, x: float, y: float, w: float, h: float, code: str, link: str,
          words: dict[str, str], lines: dict[str, list[str]]) -> None:
    left = x + PADDING
    top = y + h - PADDING

    size, title = lines["title"]
    cursor = top - 11
    for line in title:
        pdf.setFont(words["bold"], size)
        pdf.drawString(left, cursor, line)
        cursor -= 13

    qr_top = cursor - 2
    _qr(pdf, link, x + w - PADDING - QR_SIZE, qr_top - QR_SIZE, QR_SIZE)

    cursor -= 8
    pdf.setFont(words["font"], 9)
    pdf.drawString(left, cursor, words["heading"])
    cursor -= 20
    pdf.setFont(CODE_FONT, 17)
    pdf.drawString(left, cursor, code)
    cursor -= 16
    pdf.setFont(words["font"], 8)
    pdf.drawString(left, cursor, words["vote_at"])
    cursor -= 10
    for line in lines["address"]:
        pdf.setFont(words["bold"], 8)
        pdf.drawString(left, cursor, line)
        cursor -= 10

    cursor = min(cursor, qr_top - QR_SIZE) - 16
    pdf.setFont(words["font"], 8)
    for line in lines["how"]:
        if cursor < y + PADDING - 2:
            break
        pdf.drawString(left, cursor, line)
        cursor -= 10


def _title_lines(title: str, font: str, width: float) -> tuple[float, list[str]]:
    """The round's title in at most two lines: smaller if need be, then shortened with …"""
    for size in (11, 10, 9):
        lines = _wrap(title, font, size, width)
        if len(lines) <= 2:
            return size, lines
    first, rest = lines[0], " ".join(lines[1:])
    while rest and stringWidth(rest + "…", font, size) > width:
        rest = rest[:-1]
    return size, [first, rest.rstrip() + "…"]


def _qr(pdf: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw a QR code as filled squares (runs of dark modules in a row become one rectangle).

    The card's padding gives it most of the quiet zone it needs around it. The mask is fixed:
    choosing the best of eight for each code takes most of the time for a large batch, and any
    mask gives a valid symbol that readers decode.
    """
    matrix = segno.make(data, error="m", mask=QR_MASK).matrix
    n = len(matrix)
    rects = []
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if row[c]:
                run = c
                while run < n and row[run]:
                    run += 1
                rects.append(f"{c} {n - 1 - r} {run - c} 1 re")
                c = run
            else:
                c += 1
    pdf.saveState()
    pdf.translate(x, y)
    pdf.scale(size / n, size / n)  # one unit is one module
    pdf.setFillGray(0)
    pdf.addLiteral("\n".join(rects) + "\nf")
    pdf.restoreState()


def _wrap(text: str, font: str, size: float, width: float, anywhere: bool = False) -> list[str]:
    """Break text into lines that fit `width`: at spaces, or for an address after / . or -
    (and within a part too long for a line)."""
    if anywhere:
        parts = [p for p in re.split(r"(?<=[/.\-])", text) if p]
        joiner = ""
    else:
        parts, joiner = text.split(), " "
    lines, line = [], ""
    for part in parts:
        candidate = f"{line}{joiner}{part}" if line else part
        if stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in part:  # a part too long for a line of its own
            if line and stringWidth(line + ch, font, size) > width:
                lines.append(line)
                line = ""
            line += ch
    return lines + ([line] if line else [])
