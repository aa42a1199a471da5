"""Delivery monitoring as CSV and XLSX, in the columns councils already use.

Money goes from exact pence to Decimal, never through a float. Text cells cannot turn into
formulas: in CSV a leading = + - @ (or tab, carriage return) gets an apostrophe; in XLSX every
text cell is stored as text with Excel's own quote prefix.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from babel.numbers import get_currency_symbol
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from ..money import minor_digits
from ..services.delivery import MonitoringRow

COLUMNS = [
    ("service", _l("Service")),
    ("provider", _l("Provider")),
    ("area", _l("Area")),
    ("category", _l("Category")),
    ("outcomes", _l("Outcomes")),
    ("award", _l("Award")),
    ("cost_to_deliver", _l("Cost to deliver")),
    ("how_funded", _l("How funded")),
    ("savings_per_year", _l("Savings per year")),
    ("status", _l("Status")),
    ("last_update", _l("Last update")),
]
MONEY = {"award", "cost_to_deliver", "savings_per_year"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def headers() -> list[str]:
    return [str(label) for _, label in COLUMNS]


def to_decimal(pence: int, currency: str = "GBP") -> Decimal:
    """Exact minor units as a Decimal amount: 123450 -> Decimal('1234.50')."""
    digits = minor_digits(currency)
    return Decimal(int(pence)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def defuse(text: str) -> str:
    """Stop a spreadsheet reading text as a formula (CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local_date(moment) -> date | None:
    return to_user_timezone(moment).date() if moment is not None else None


def monitoring_csv(rows: list[MonitoringRow], currency: str = "GBP") -> str:
    """CSV text starting with a byte order mark, so that Excel reads it as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(headers())
    for row in rows:
        cells = []
        for key, _ in COLUMNS:
            value = getattr(row, key)
            if key in MONEY:
                cells.append("" if value is None else str(to_decimal(value, currency)))
            elif key == "last_update":
                cells.append(_local_date(value).isoformat() if value else "")
            else:
                cells.append(defuse(value or ""))
        writer.writerow(cells)
    return out.getvalue()


def money_format(currency: str = "GBP") -> str:
    """An Excel number format showing the currency symbol and the currency's decimals."""
    symbol = get_currency_symbol(currency, locale="en_GB").replace('"', "")
    digits = minor_digits(currency)
    return f'"{symbol}"#,##0' + ("." + "0" * digits if digits else "")


def monitoring_xlsx(rows: list[MonitoringRow], currency: str = "GBP") -> bytes:
    """An Excel workbook: bold header row, amounts as numbers in the currency's format."""
    book = Workbook()
    sheet = book.active
    sheet.title = str(_l("Monitoring"))[:31]
    sheet.append(headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    number_format = money_format(currency)
    for r, row in enumerate(rows, start=2):
        for c, (key, _) in enumerate(COLUMNS, start=1):
            value = getattr(row, key)
            cell = sheet.cell(row=r, column=c)
            if key in MONEY:
                if value is not None:
                    cell.value = to_decimal(value, currency)
                    cell.number_format = number_format
            elif key == "last_update":
                if value is not None:
                    cell.value = _local_date(value)
                    cell.number_format = "yyyy-mm-dd"
            else:
                text = ILLEGAL_CHARACTERS_RE.sub("", value or "")  # Excel refuses them
                cell.value = text
                cell.data_type = "s"  # never a formula, whatever it starts with
                if text.startswith(FORMULA_STARTS):
                    cell.quotePrefix = True
    widths = {"service": 36, "provider": 28, "outcomes": 60, "how_funded": 40}
    for c, (key, _) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=c).column_letter].width = (
            widths.get(key, 16))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
