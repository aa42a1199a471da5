"""Money as integer minor units (pence): parsing what people type, and formatting for display."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision
from flask_babel import lazy_gettext as _l

MAX_MINOR = 10**15  # far above any real pot, and well inside a 64-bit column

_AMOUNT = re.compile(r"^(?P<whole>\d{1,3}(?:,\d{3})+|\d+)?(?:\.(?P<frac>\d+))?$")


class MoneyError(ValueError):
    """The text is not an amount of money; the message says why, in words a person can act on.

    `code` names the problem ("empty", "negative", "format", "precision", "zero", "too_large")
    so that a form can word it for its own question.
    """

    def __init__(self, message, code: str):
        super().__init__(message)
        self.code = code


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


def parse_money(text: str | None, currency: str = "GBP", allow_zero: bool = False) -> int:
    """Parse an amount typed by a person into minor units.

    Accepts "1625", "1,625", "£1,625.50", " 1625.5 ". Refuses empty text, negative amounts,
    zero (unless `allow_zero`), letters, and more decimal places than the currency has.

    Returns
    -------
    int
        The amount in minor units (pence for GBP).
    """
    digits = minor_digits(currency)
    raw = (text or "").strip()
    if not raw:
        raise MoneyError(_l("Enter an amount."), "empty")
    cleaned = re.sub(r"^(?:[£$€]|[A-Za-z]{3}(?=[\s\d.]))\s*|\s*(?:[£$€]|[A-Za-z]{3})$", "", raw)
    if cleaned.startswith(("-", "\u2212")):
        raise MoneyError(_l("Enter an amount greater than zero."), "negative")
    match = _AMOUNT.match(cleaned)
    if not match or not (match.group("whole") or match.group("frac")):
        raise MoneyError(_l("Enter an amount in numbers, like 1500 or 1,500.50."), "format")
    frac = match.group("frac") or ""
    if len(frac) > digits:
        raise MoneyError(_l("Enter the amount to the nearest penny.") if digits == 2 else
                         _l("Enter a whole amount, without decimal places."), "precision")
    whole = int((match.group("whole") or "0").replace(",", ""))
    amount = whole * 10**digits + int(frac.ljust(digits, "0") or 0)
    if amount == 0 and not allow_zero:
        raise MoneyError(_l("Enter an amount greater than zero."), "zero")
    if amount >= MAX_MINOR:
        raise MoneyError(_l("That amount is too large."), "too_large")
    return amount


def format_money(amount: int, currency: str = "GBP", locale: str = "en_GB") -> str:
    """Format minor units for display: "£6,000" when whole, "£6,000.50" otherwise."""
    if type(amount) is int:  # remembered: the same costs and totals recur on every page
        return _format_money_cached(amount, currency, locale)
    return _format_money(amount, currency, locale)


def _format_money(amount, currency: str, locale: str) -> str:
    digits = minor_digits(currency)
    value = Decimal(amount).scaleb(-digits)
    if amount % 10**digits == 0:
        return format_currency(value, currency, format="¤#,##0", currency_digits=False, locale=locale)
    return format_currency(value, currency, locale=locale)


# Babel's formatting is slow next to the rest of a page (tens of microseconds a call).
_format_money_cached = lru_cache(maxsize=8192)(_format_money)


def to_input(amount: int | None, currency: str = "GBP") -> str:
    """Render minor units back into the form in which a person would type them."""
    if amount is None:
        return ""
    digits = minor_digits(currency)
    whole, frac = divmod(amount, 10**digits)
    return str(whole) if frac == 0 else f"{whole}.{frac:0{digits}d}"
