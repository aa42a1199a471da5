"""The printable voting cards: what is written on them, in any language."""

from __future__ import annotations

import pypdfium2

from pb.services import cards


def _text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


def test_a_card_has_the_title_the_code_the_address_and_how_to_vote(app):
    text = _text(cards.build_pdf("Cyllideb Gŵyr 2027", ["ABCDE-12345"], "https://pb.example.org/"))
    shown = "Cyllideb Gŵyr 2027" if cards.fonts()[2] else "Cyllideb Gwyr 2027"
    assert shown in text
    for words in ("Your voting code", "ABCDE-12345", "Vote at:", "https://pb.example.org/vote/",
                  "Scan the square code with your phone camera"):
        assert words in text


def test_without_unicode_fonts_letters_lose_accents_rather_than_vanish():
    assert cards.printable("Gŵyr – “Ŷ Wyddfa” café", False) == "Gwyr – “Y Wyddfa” café"
    assert cards.printable("公园", False) == "??"
    assert cards.printable("Gŵyr 公园", True) == "Gŵyr 公园"


def test_long_addresses_break_after_a_slash_or_a_dot():
    lines = cards._wrap("https://participatory-budgeting.cheshireeast.gov.uk/some/path/vote/",
                        "Helvetica-Bold", 8, 130, anywhere=True)
    assert lines == ["https://participatory-budgeting.", "cheshireeast.gov.uk/some/path/",
                     "vote/"]
    assert cards._wrap("Supercalifragilistic words", "Helvetica", 11, 60) == [
        "Supercalifra", "gilistic", "words"]


def test_a_long_title_gets_smaller_then_shortened_but_never_silently_cut():
    width = 250
    assert cards._title_lines("Macclesfield Decides 2027", "Helvetica-Bold", width) == (
        11, ["Macclesfield Decides 2027"])
    size, lines = cards._title_lines("Macclesfield Small Grants 2026 with a rather long title "
                                     "that wraps onto two lines", "Helvetica-Bold", 200)
    assert size < 11 and len(lines) == 2 and lines[-1].endswith("lines")
    size, lines = cards._title_lines("word " * 60, "Helvetica-Bold", width)
    assert size == 9 and len(lines) == 2 and lines[1].endswith("…")
    assert all(cards.stringWidth(line, "Helvetica-Bold", 9) <= width for line in lines)
