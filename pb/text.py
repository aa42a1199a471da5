"""Cleaning text typed by people before it is stored."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str | None) -> str:
    """Text as typed, without control characters (PostgreSQL refuses NUL) and with one kind of
    line ending."""
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


def clean_fields(instance) -> None:
    """Clean every text field of a dataclass instance in place (lists of text too)."""
    for f in dataclasses.fields(instance):
        value = getattr(instance, f.name)
        if isinstance(value, str):
            setattr(instance, f.name, clean_text(value))
        elif isinstance(value, list):
            setattr(instance, f.name, [
                clean_text(v) if isinstance(v, str) else
                tuple(clean_text(x) if isinstance(x, str) else x for x in v)
                if isinstance(v, tuple) else v for v in value])


def slugify(text: str, limit: int = 80) -> str:
    """A web-address-friendly version of a name: 'Ysbyty Ŵy' becomes 'ysbyty-wy'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")


class InLanguage(str):
    """Text that knows its language: a Welsh page may show a proposal's English title.

    It is an ordinary string everywhere; templates read `.lang` to mark text that is not in the
    page's language (`<span lang="en">`), so that a screen reader pronounces it rightly.
    """

    lang: str

    def __new__(cls, text: str, lang: str) -> InLanguage:
        made = super().__new__(cls, text)
        made.lang = lang
        return made
