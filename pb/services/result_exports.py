"""Result downloads for councils: one round, or every round of a council a person may see.

Every writer here takes `results.Sheet`s, and a sheet comes only from the embargo gate
(`results.sheet_for`), so a file holds a count only if its reader may see it. The one way
round the gate is `sheet_for_export(..., before_publication=True)`, for the operator's
`pb export --before-publication`. A file with a count that is not published yet says so
inside itself (a first line, a first sheet, a title, a META line), not only in its name.

Money is whole pence up to the file: CSV and JSON hold exact amounts (CSV as a Decimal
string such as 1234.50, JSON in pence), XLSX holds Decimals, never floats.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shlex
import textwrap
import zipfile
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from importlib import metadata
from xml.sax.saxutils import escape

from flask import current_app, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import (CondPageBreak, PageBreak, Paragraph, SimpleDocTemplate, Spacer,
                                Table, TableStyle)

from ..delivery.exports import FORMULA_STARTS, defuse, money_format, to_decimal
from ..errors import DomainError
from ..models import Council, Round, User
from ..models.round import CLOSED, TIE_BREAKS
from ..money import minor_digits
from ..views_helpers import money
from . import cards, pabulib_io, results, tallying

FORMATS = ("csv", "xlsx", "json", "pdf", "pb")
FORMAT_LABELS = {
    "csv": _l("CSV"),
    "xlsx": _l("Excel (XLSX)"),
    "json": _l("JSON"),
    "pdf": _l("PDF result sheet"),
    "pb": _l("Anonymised ballots (pabulib .pb)"),
}
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
    "pb": "text/plain",
    "zip": "application/zip",
}
NOT_PUBLISHED = _l("NOT PUBLISHED: a preview for staff. These results are under embargo until "
                   "the organisers publish them. Do not share this file.")
# Written into a preview's .pb META; a pabulib field cannot hold a semicolon.
PB_NOT_PUBLISHED = "NOT PUBLISHED (a preview for staff under embargo: do not share)"
BOM = "\ufeff"
# Zip entries carry a date; a fixed one gives the same bytes for the same content.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class UnknownFormat(DomainError):
    """A download format we do not make."""

    def __init__(self, fmt: str):
        super().__init__(_("There is no “%(format)s” download. Choose one of: %(formats)s.",
                           format=fmt[:20], formats=", ".join(FORMATS)), "format")


@dataclass
class Download:
    """A file ready to send or write: its bytes, type and a safe name."""

    body: bytes
    mimetype: str
    filename: str
    preview: bool  # it holds a count that is not published


# Who may download what ------------------------------------------------------------------------

def sheet_for_export(user: User | None, round_: Round,
                     before_publication: bool = False) -> results.Sheet | None:
    """The sheet this person may download; with `before_publication` (the operator's explicit
    choice at the command line) a closed round's unpublished count too."""
    sheet = results.sheet_for(user, round_)
    if sheet is None and before_publication and round_.status == CLOSED:
        result = tallying.latest_result(round_)
        if result is not None:
            sheet = results.build_sheet(round_, result)
    return sheet


def council_sheets(user: User | None, council: Council) -> list[results.Sheet]:
    """The sheets of every round of the council this person may see, oldest round first."""
    sheets = (results.sheet_for(user, r) for r in results.visible_rounds(user, council))
    return [s for s in sheets if s is not None]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise UnknownFormat(fmt)
    return fmt


def safe_name(slug: str) -> str:
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in slug)
    return cleaned.strip("-")[:80] or "results"


def round_download(sheet: results.Sheet, fmt: str) -> Download:
    """One round's result in `fmt` (csv, xlsx, json, pdf, pb)."""
    check_format(fmt)
    preview = not sheet.published
    name = safe_name(sheet.round.slug) + ("-results" if fmt != "pb" else "")
    if preview:
        name += "-NOT-PUBLISHED"
    body = {
        "csv": lambda: round_csv(sheet).encode("utf-8"),
        "xlsx": lambda: round_xlsx(sheet),
        "json": lambda: round_json(sheet).encode("utf-8"),
        "pdf": lambda: round_pdf(sheet),
        "pb": lambda: pb_text(sheet).encode("utf-8"),
    }[fmt]()
    return Download(body, MIMETYPES[fmt], f"{name}.{fmt}", preview)


def council_download(council: Council, sheets: list[results.Sheet], fmt: str) -> Download:
    """A council's rounds in `fmt`; for pb, a ZIP of one .pb file per round."""
    check_format(fmt)
    preview = any(not s.published for s in sheets)
    name = safe_name(council.slug) + "-results" + ("-NOT-PUBLISHED" if preview else "")
    if fmt == "pb":
        return Download(council_pb_zip(sheets), MIMETYPES["zip"], f"{name}-pabulib.zip",
                        preview)
    body = {
        "csv": lambda: council_csv(council, sheets).encode("utf-8"),
        "xlsx": lambda: council_xlsx(council, sheets),
        "json": lambda: council_json(council, sheets).encode("utf-8"),
        "pdf": lambda: council_pdf(council, sheets),
    }[fmt]()
    return Download(body, MIMETYPES[fmt], f"{name}.{fmt}", preview)


@dataclass
class CouncilTotals:
    """Headline figures over a council's published rounds."""

    rounds: int
    ballots: int
    funded: int
    projects: int
    money: list[tuple[str, int, int]]  # (currency, to share, given), one per currency


def council_totals(sheets: list[results.Sheet]) -> CouncilTotals:
    """Totals over the published rounds only: previews are listed, never added in."""
    published = [s for s in sheets if s.published]
    money_by: dict[str, list[int]] = {}
    for s in published:
        pot = money_by.setdefault(s.round.currency, [0, 0])
        pot[0] += s.result.budget
        pot[1] += s.result.spent
    return CouncilTotals(
        rounds=len(published), ballots=sum(s.result.ballot_count for s in published),
        funded=sum(len(s.funded) for s in published),
        projects=sum(len(s.lines) for s in published),
        money=[(c, budget, spent) for c, (budget, spent) in sorted(money_by.items())])


# What every format shows ---------------------------------------------------------------------

Money = namedtuple("Money", "amount currency")


def _exact(number) -> int | str:
    """A score as an exact number: whole numbers as int, anything else as "a/b"."""
    number = Fraction(number)
    return int(number) if number.denominator == 1 else str(number)


def funded_text(line: results.Line) -> str:
    if not line.selected:
        return _("No")
    return _("Yes, in part") if line.partial else _("Yes")


def result_headers() -> list[str]:
    return [_("Project number"), _("Project"), _("Area"), _("Category"), _("Cost"),
            _("Votes"), _("Score"), _("Funded"), _("Award"), _("Step"), _("Why")]


def result_row(sheet: results.Sheet, line: results.Line) -> list:
    currency = sheet.round.currency
    return [line.id, line.title, line.area, line.category, Money(line.cost, currency),
            line.votes, _exact(line.score), funded_text(line), Money(line.award, currency),
            line.step if line.step is not None else "", results.reason_text(sheet, line)]


def status_text(sheet: results.Sheet) -> str:
    if not sheet.published:
        return _("NOT PUBLISHED")
    published = sheet.round.published_at
    return _("Published on %(date)s", date=format_date(published, "d MMMM yyyy")) \
        if published else _("Published")


def turnout_rows(sheet: results.Sheet) -> list[tuple[str, str, int]]:
    """(breakdown, group, ballots): all ballots, then by way of voting, then by area."""
    turnout = sheet.turnout
    rows = [(_("All ballots"), "", turnout.total)]
    rows += [(_("By way of voting"), c.label, c.count) for c in turnout.by_channel]
    rows += [(_("By area (postcode district)"), c.label, c.count) for c in turnout.by_area]
    return rows


def equality_for(round_: Round) -> list[results.EqualityQuestion]:
    """Equality totals, groups under 10 suppressed; none if the round never asked."""
    return results.equality_totals(round_) if results.equality_asked(round_) else []


def equality_rows(questions: list[results.EqualityQuestion]) -> list[tuple[str, str, int | str]]:
    """(question, answer, responses): a number, or "fewer than 10"."""
    return [(q.label, g.label, g.count if g.count is not None else g.shown)
            for q in questions for g in q.groups]


def tie_break_text(result) -> str:
    mode = (result.tie_break or {}).get("mode", "chain")
    return str(TIE_BREAKS.get(mode, mode))


def software_version() -> str:
    try:
        return metadata.version("pb")
    except metadata.PackageNotFoundError:
        return "unknown"


def about_items(sheet: results.Sheet) -> list[tuple[str, str | int | Money]]:
    """What was counted and how: the facts anyone needs to check or repeat the count."""
    round_, result = sheet.round, sheet.result
    currency = round_.currency
    return [
        (_("Round"), round_.title),
        (_("Round id"), round_.slug),
        (_("Council"), round_.council.name),
        (_("Partnership"), round_.partnership.name if round_.partnership else _("Council-wide")),
        (_("Results"), status_text(sheet)),
        (_("Money to share"), Money(result.budget, currency)),
        (_("Given to projects"), Money(result.spent, currency)),
        (_("Left over"), Money(result.remaining, currency)),
        (_("Ballots counted"), result.ballot_count),
        (_("Projects funded"), len(sheet.funded)),
        (_("Projects on the ballot"), len(sheet.lines)),
        (_("Rule"), result.rule),
        (_("How the money was shared"), sheet.rule_label),
        (_("Rule settings"), json.dumps(result.rule_settings or {}, sort_keys=True)),
        (_("Tie-break"), tie_break_text(result)),
        (_("Tie-break seed"), (result.tie_break or {}).get("seed", "")),
        (_("Counting engine version"), result.engine_version),
        (_("Software version"), software_version()),
        (_("Fingerprint of the ballots (SHA-256)"), result.ballots_sha256),
    ]


# CSV ------------------------------------------------------------------------------------------

def _csv_cell(value) -> str:
    if isinstance(value, Money):
        return str(to_decimal(value.amount, value.currency))
    if isinstance(value, str):
        return defuse(value)
    return str(value)


def round_csv(sheet: results.Sheet) -> str:
    """The round's projects, one a row; a preview starts with a NOT PUBLISHED line."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    if not sheet.published:
        writer.writerow([str(NOT_PUBLISHED)])
    writer.writerow(result_headers() + [_("Currency")])
    for line in sheet.lines:
        writer.writerow([_csv_cell(v) for v in result_row(sheet, line)] + [sheet.round.currency])
    return out.getvalue()


def council_csv(council: Council, sheets: list[results.Sheet]) -> str:
    """Every round's projects, with the round in the first columns."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    hidden = [s.round.title for s in sheets if not s.published]
    if hidden:
        writer.writerow([f"{NOT_PUBLISHED} " + _("Not published: %(rounds)s.",
                                                 rounds="; ".join(hidden))])
    writer.writerow([_("Round"), _("Round id"), _("Results")] + result_headers()
                    + [_("Currency")])
    for sheet in sheets:
        head = [sheet.round.title, sheet.round.slug, status_text(sheet)]
        for line in sheet.lines:
            writer.writerow([_csv_cell(v) for v in head + result_row(sheet, line)]
                            + [sheet.round.currency])
    return out.getvalue()


# XLSX -----------------------------------------------------------------------------------------

def _put(cell, value) -> None:
    """A cell with an exact value: money as a Decimal in the currency's format, text as text."""
    if isinstance(value, Money):
        cell.value = to_decimal(value.amount, value.currency)
        cell.number_format = money_format(value.currency)
    elif isinstance(value, bool):
        cell.value = _("Yes") if value else _("No")
    elif isinstance(value, int):
        cell.value = value
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        text = ILLEGAL_CHARACTERS_RE.sub("", str(value))  # Excel refuses them
        cell.value = text
        cell.data_type = "s"  # never a formula, whatever it starts with
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True


def _table(book: Workbook, title: str, headers: list[str], rows, widths: dict[int, int]) -> None:
    sheet = book.create_sheet(str(title)[:31])
    sheet.append([str(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            _put(sheet.cell(row=r, column=c), value)
    for c in range(1, len(headers) + 1):
        sheet.column_dimensions[sheet.cell(row=1, column=c).column_letter].width = \
            widths.get(c, 16)


def _not_published_sheet(book: Workbook, rounds: list[str]) -> None:
    sheet = book.create_sheet(str(_("NOT PUBLISHED"))[:31], 0)
    sheet["A1"] = str(NOT_PUBLISHED)
    sheet["A1"].font = Font(bold=True, color="FFFFFF", size=14)
    sheet["A1"].fill = PatternFill("solid", fgColor="B10E1E")
    sheet["A1"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[1].height = 60
    sheet.column_dimensions["A"].width = 90
    sheet["A3"] = _("Rounds in this file that are not published:")
    for i, title in enumerate(rounds, start=4):
        _put(sheet.cell(row=i, column=1), title)
    sheet.sheet_properties.tabColor = "B10E1E"
    book.active = 0


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


RESULT_WIDTHS = {1: 10, 2: 40, 3: 18, 4: 22, 8: 12, 11: 60}


def _no_equality_rows() -> list[tuple]:
    return [(_("Equality questions were not asked in this round."), "", "")]


def round_xlsx(sheet: results.Sheet) -> bytes:
    """Sheets Results, Turnout, Equality and About (and NOT PUBLISHED first, for a preview)."""
    book = Workbook()
    book.remove(book.active)
    _table(book, _("Results"), result_headers(), [result_row(sheet, l) for l in sheet.lines],
           RESULT_WIDTHS)
    _table(book, _("Turnout"), [_("Breakdown"), _("Group"), _("Ballots")], turnout_rows(sheet),
           {1: 30, 2: 40})
    questions = equality_for(sheet.round)
    _table(book, _("Equality"), [_("Question"), _("Answer"), _("Responses")],
           equality_rows(questions) or _no_equality_rows(), {1: 55, 2: 45, 3: 16})
    _table(book, _("About"), [_("Item"), _("Value")], about_items(sheet), {1: 36, 2: 80})
    if not sheet.published:
        _not_published_sheet(book, [sheet.round.title])
    return _save(book)


def council_xlsx(council: Council, sheets: list[results.Sheet]) -> bytes:
    """One Results sheet with a round column, then Turnout, Equality and About by round."""
    book = Workbook()
    book.remove(book.active)
    round_cols = [_("Round"), _("Round id"), _("Results")]
    rows = [[s.round.title, s.round.slug, status_text(s)] + result_row(s, line)
            for s in sheets for line in s.lines]
    widths = {1: 32, 2: 16, 3: 24} | {k + 3: v for k, v in RESULT_WIDTHS.items()}
    _table(book, _("Results"), round_cols + result_headers(), rows, widths)
    _table(book, _("Turnout"), [_("Round"), _("Breakdown"), _("Group"), _("Ballots")],
           [[s.round.title, *row] for s in sheets for row in turnout_rows(s)],
           {1: 32, 2: 30, 3: 40})
    equality = []
    for s in sheets:
        rows_ = equality_rows(equality_for(s.round)) or _no_equality_rows()
        equality += [[s.round.title, *row] for row in rows_]
    _table(book, _("Equality"), [_("Round"), _("Question"), _("Answer"), _("Responses")],
           equality, {1: 32, 2: 55, 3: 45, 4: 16})
    items = [about_items(s) for s in sheets]
    headers = [label for label, _value in items[0]] if items else [_("Round")]
    _table(book, _("About"), headers, [[value for _label, value in row] for row in items],
           {1: 32, 13: 60, 19: 70})
    hidden = [s.round.title for s in sheets if not s.published]
    if hidden:
        _not_published_sheet(book, hidden)
    return _save(book)


# JSON -----------------------------------------------------------------------------------------

def round_data(sheet: results.Sheet) -> dict:
    """`results.sheet_dict` with the equality totals and the software version."""
    data = results.sheet_dict(sheet)
    if not sheet.published:
        data = {"notice": str(NOT_PUBLISHED), **data}
    data["equality"] = results.equality_dict(sheet.round)
    data["software_version"] = software_version()
    return data


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def round_json(sheet: results.Sheet) -> str:
    return _dumps(round_data(sheet))


def council_json(council: Council, sheets: list[results.Sheet]) -> str:
    data = {"council": {"name": council.name, "slug": council.slug},
            "money_unit": "minor (pence for GBP)",
            "rounds": [round_data(s) for s in sheets]}
    if any(not s.published for s in sheets):
        data = {"notice": str(NOT_PUBLISHED), **data}
    return _dumps(data)


# pabulib --------------------------------------------------------------------------------------

def pb_text(sheet: results.Sheet) -> str:
    """The round's anonymised ballots as a .pb file; a preview says so in its META."""
    text = pabulib_io.round_pb(sheet.round, sheet.result)
    if not sheet.published:
        head = "META\nkey;value\n"
        assert text.startswith(head)
        text = f"{head}comment;{PB_NOT_PUBLISHED}\n" + text[len(head):]
    return text


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, body)
    return out.getvalue()


def council_pb_zip(sheets: list[results.Sheet]) -> bytes:
    """One .pb file per round, named after the round."""
    return _zip([(f"{safe_name(s.round.slug)}{'-NOT-PUBLISHED' if not s.published else ''}.pb",
                  pb_text(s).encode("utf-8")) for s in sheets])


# Reproducing a count --------------------------------------------------------------------------

@dataclass
class Reproduction:
    """Everything a person needs to count a round again and check they got the same."""

    sheet: results.Sheet
    pb: str  # election.pb, as downloaded
    pb_sha256: str
    args: list[str]  # the `pb tally` command line
    file_ids: dict[str, str]  # engine id -> the id in election.pb
    selected: list[str]  # funded projects, in order, by their id in election.pb
    unsupported: list[str] = field(default_factory=list)  # settings the command cannot give
    ballots_match: bool = True  # the ballots held now have the stored fingerprint

    @property
    def command(self) -> str:
        return shlex.join(self.args)

    @property
    def funded(self) -> list[tuple[str, results.Line]]:
        """(id in election.pb, line) of each funded project, in order of selection."""
        return [(self.file_ids.get(line.id, line.id), line) for line in self.sheet.funded]


# Settings `pb tally` takes as options; any other setting is named on the page instead.
COMMAND_SETTINGS = {"threshold", "threshold_percent", "completion", "partial_remainder"}


def tally_args(result, currency: str, filename: str = "election.pb") -> tuple[list[str], list[str]]:
    """The `pb tally` command line that repeats a stored count, and settings it cannot give."""
    settings = dict(result.rule_settings or {})
    args = ["pb", "tally", filename, "--rule", result.rule]
    if settings.get("threshold") is not None:
        args += ["--threshold", str(settings["threshold"])]
    elif settings.get("threshold_percent") is not None:
        # Scores are whole numbers: "at least p% of voters" is "at least this many".
        least = Fraction(settings["threshold_percent"]) * result.ballot_count / 100
        args += ["--threshold", str(math.ceil(least))]
    if result.rule == "equal-shares":
        args += ["--completion", "add1" if settings.get("completion") == "add1" else "none"]
    if settings.get("partial_remainder"):
        args.append("--partial-remainder")
    tie_break = result.tie_break or {}
    args += ["--tie-break", tie_break.get("mode", "chain"), "--seed", tie_break.get("seed", "")]
    scale = 10 ** minor_digits(currency)
    if scale != 100:
        args += ["--scale", str(scale)]
    unsupported = sorted(k for k in settings if k not in COMMAND_SETTINGS)
    return args, unsupported


def reproduction(sheet: results.Sheet) -> Reproduction:
    round_, result = sheet.round, sheet.result
    text = pb_text(sheet)
    ids = pabulib_io.export_ids(round_)
    args, unsupported = tally_args(result, round_.currency)
    counted = tallying.ballots_digest(tallying.build_election(round_))
    return Reproduction(sheet=sheet, pb=text, pb_sha256=pabulib_io.file_sha256(text), args=args,
                        file_ids=ids, selected=[ids.get(i, i) for i in result.data["selected"]],
                        unsupported=unsupported, ballots_match=counted == result.ballots_sha256)


def bundle_result(repro: Reproduction) -> dict:
    """result.json: the JSON download, with each project's id in election.pb and the check."""
    data = round_data(repro.sheet)
    for project in data["projects"]:
        project["file_id"] = repro.file_ids.get(project["id"], project["id"])
    data["reproduce"] = {
        "command": repro.command,
        "election_pb_sha256": repro.pb_sha256,
        "selected": repro.selected,
        "settings_not_on_the_command_line": {k: repro.sheet.result.rule_settings[k]
                                             for k in repro.unsupported},
    }
    return data


def readme_text(repro: Reproduction) -> str:
    """README.txt of the bundle: the same steps as the reproduce page, in plain text."""
    sheet, result = repro.sheet, repro.sheet.result
    round_ = sheet.round
    lines = []
    if not sheet.published:
        lines += [str(NOT_PUBLISHED), ""]
    lines += [
        _("How to count %(title)s again", title=round_.title),
        "=" * 60,
        "",
        _("This bundle holds everything needed to check the result of %(title)s (%(council)s).",
          title=round_.title, council=round_.council.name),
        "",
        "election.pb   " + _("the anonymised ballots and the projects, as a pabulib file"),
        "result.json   " + _("the result, with the rule, its settings and the seed"),
        "README.txt    " + _("these instructions"),
        "",
        _("What was counted"),
        "-" * 40,
    ]
    for label, value in about_items(sheet):
        if isinstance(value, Money):
            value = money(value.amount, value.currency)
        lines.append(f"{label}: {value}")
    lines += [
        _("SHA-256 of election.pb: %(sha)s", sha=repro.pb_sha256),
        "",
        _("1. Check the file"),
        "-" * 40,
        _("Work out the SHA-256 of election.pb and compare it with the one above:"),
        "    sha256sum election.pb                    (Linux)",
        "    shasum -a 256 election.pb                (macOS)",
        "    certutil -hashfile election.pb SHA256    (Windows)",
        "",
        _("2. Count it again with pb"),
        "-" * 40,
        _("With the pb software (version %(version)s, counting engine %(engine)s) installed, run:",
          version=software_version(), engine=result.engine_version),
        "",
        "    " + repro.command,
        "",
        _("It prints the result as JSON. Its \"selected\" list must be, in this order:"),
        "    " + json.dumps(repro.selected),
        _("the same as \"selected\" under \"reproduce\" in result.json."),
    ]
    if repro.unsupported:
        lines += ["", _("This count also used settings the command line cannot give: %(names)s. "
                        "Pass them with the rule's settings to pb.tally.tally() in Python "
                        "(they are in result.json).", names=", ".join(repro.unsupported))]
    lines += [
        "",
        _("3. Or count it with another tool"),
        "-" * 40,
        other_tool_text(result),
    ]
    example = pabutools_example(result)
    if example:
        lines += ["", _("For example, with pabutools in Python:"), "",
                  textwrap.indent(example, "    ")]
    lines.append("")
    return "\n".join(lines)


def other_tool_text(result) -> str:
    """How to count election.pb with another pabulib tool, and what may differ."""
    return _("election.pb is a standard pabulib file (pabulib.org), so any tool that reads "
             "pabulib files can count it. Use the rule named in its META section (%(rule)s). "
             "Tools break ties in their own ways: a different tool can disagree only where a tie "
             "decided a project. Ours breaks a tie by the lowest cost first, then the most "
             "votes, then by lot drawn from the seed “%(seed)s”.",
             rule=result.rule, seed=(result.tie_break or {}).get("seed", ""))


def pabutools_example(result) -> str | None:
    """A pabutools program that counts election.pb by the same rule, where there is one."""
    if result.rule == "greedy" and not (result.rule_settings or {}) and result.data.get(
            "ballot_type", "approval") in ("approval", "choose-one", "knapsack"):
        return PABUTOOLS_GREEDY
    return None


# pabutools' greedy takes projects by satisfaction per unit of cost; measuring satisfaction as
# cost (Cost_Sat) makes that the number of votes, which is our "most votes first".
PABUTOOLS_GREEDY = """\
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import greedy_utilitarian_welfare

instance, profile = parse_pabulib("election.pb")
funded = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
print(sorted(project.name for project in funded))"""


def bundle_download(repro: Reproduction) -> Download:
    preview = not repro.sheet.published
    name = safe_name(repro.sheet.round.slug) + "-check-the-count" + (
        "-NOT-PUBLISHED" if preview else "")
    return Download(bundle_zip(repro), MIMETYPES["zip"], f"{name}.zip", preview)


def bundle_zip(repro: Reproduction) -> bytes:
    """election.pb, result.json and README.txt, with the same bytes each time."""
    return _zip([
        ("election.pb", repro.pb.encode("utf-8")),
        ("result.json", _dumps(bundle_result(repro)).encode("utf-8")),
        ("README.txt", readme_text(repro).encode("utf-8")),
    ])


# PDF ------------------------------------------------------------------------------------------

PAGE_MARGIN = 15 * mm
GREY = colors.HexColor("#484949")
RULE_GREY = colors.HexColor("#b1b4b6")
FUNDED_BG = colors.HexColor("#e6f3ec")
WARNING = colors.HexColor("#b10e1e")


class _Styles:
    def __init__(self):
        regular, bold, self.unicode = cards.fonts()
        self.regular, self.bold = regular, bold
        base = dict(fontName=regular, fontSize=10, leading=13)
        self.body = ParagraphStyle("body", **base)
        self.small = ParagraphStyle("small", **{**base, "fontSize": 8, "leading": 10,
                                                "textColor": GREY})
        self.cell = ParagraphStyle("cell", **{**base, "fontSize": 9, "leading": 11})
        self.cell_bold = ParagraphStyle("cellb", **{**base, "fontName": bold, "fontSize": 9,
                                                    "leading": 11})
        self.num = ParagraphStyle("num", parent=self.cell, alignment=TA_RIGHT)
        self.num_bold = ParagraphStyle("numb", parent=self.cell_bold, alignment=TA_RIGHT)
        self.title = ParagraphStyle("title", **{**base, "fontName": bold, "fontSize": 20,
                                                "leading": 24, "spaceAfter": 4})
        self.subtitle = ParagraphStyle("subtitle", **{**base, "fontSize": 12, "leading": 15,
                                                      "textColor": GREY, "spaceAfter": 8})
        self.h2 = ParagraphStyle("h2", **{**base, "fontName": bold, "fontSize": 13,
                                          "leading": 16, "spaceBefore": 10, "spaceAfter": 5})
        self.mono = ParagraphStyle("mono", **{**base, "fontName": "Courier", "fontSize": 8,
                                              "leading": 10})
        self.banner = ParagraphStyle("banner", **{**base, "fontName": bold, "fontSize": 11,
                                                  "leading": 14, "textColor": colors.white,
                                                  "backColor": WARNING, "borderPadding": 6,
                                                  "spaceAfter": 12})

    def p(self, text, style=None) -> Paragraph:
        text = cards.printable(str(text), self.unicode)
        return Paragraph(escape(text), style or self.body)


def _grid(rows, widths, header=True, funded_rows=()) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE_GREY),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("LINEBELOW", (0, 0), (-1, 0), 1, colors.black))
    for r in funded_rows:
        commands.append(("BACKGROUND", (0, r), (-1, r), FUNDED_BG))
    table.setStyle(TableStyle(commands))
    return table


def _round_story(sheet: results.Sheet, st: _Styles, title_style=None) -> list:
    """A round's result sheet: title, totals, projects, turnout, equality, how it was counted."""
    round_, result = sheet.round, sheet.result
    currency = round_.currency
    width = A4[0] - 2 * PAGE_MARGIN
    story = []
    if not sheet.published:
        story.append(st.p(NOT_PUBLISHED, st.banner))
    story.append(st.p(_("Results: %(title)s", title=round_.title), title_style or st.title))
    where = round_.council.name + (f" · {round_.partnership.name}" if round_.partnership else "")
    story.append(st.p(f"{where} · {status_text(sheet)}", st.subtitle))

    totals = [
        (_("Money to share"), money(result.budget, currency)),
        (_("Given to projects"), money(result.spent, currency)),
        (_("Left over"), money(result.remaining, currency)),
        (_("Ballots counted"), str(result.ballot_count)),
        (_("Projects funded"), _("%(done)s of %(all)s", done=len(sheet.funded),
                                 all=len(sheet.lines))),
    ]
    story.append(_grid([[st.p(k, st.cell_bold), st.p(v, st.num)] for k, v in totals],
                       [70 * mm, 40 * mm], header=False))
    story.append(Spacer(1, 4 * mm))
    story.append(st.p(_("How the money was shared: %(rule)s.", rule=sheet.rule_label), st.body))
    story.append(st.p(_("Ties: %(tie)s.", tie=tie_break_text(result)), st.small))

    story.append(st.p(_("Every project"), st.h2))
    score_header = _("Points") if sheet.score_kind == "points" else _("Votes")
    rows = [[st.p(_("Project"), st.cell_bold), st.p(score_header, st.num_bold),
             st.p(_("Cost"), st.num_bold), st.p(_("Given"), st.num_bold),
             st.p(_("Result"), st.cell_bold)]]
    funded_rows = []
    for i, line in enumerate(sheet.lines, start=1):
        detail = " · ".join(x for x in (line.area, line.category) if x)
        project = [st.p(line.title, st.cell_bold if line.selected else st.cell)]
        if detail:
            project.append(st.p(detail, st.small))
        project.append(st.p(results.reason_text(sheet, line), st.small))
        score = line.score if sheet.score_kind == "points" else line.votes
        rows.append([project, st.p(str(_exact(score)), st.num), st.p(money(line.cost, currency),
                                                                       st.num),
                     st.p(money(line.award, currency) if line.selected else "–", st.num),
                     st.p(_("Not funded") if not line.selected else
                          (_("Funded in part") if line.partial else _("Funded")),
                          st.cell_bold if line.selected else st.cell)])
        if line.selected:
            funded_rows.append(i)
    table = _grid(rows, [width - 104 * mm, 18 * mm, 26 * mm, 26 * mm, 34 * mm],
                  funded_rows=funded_rows)
    table.setStyle(TableStyle([("LEFTPADDING", (4, 0), (4, -1), 10)]))
    story.append(table)

    story += _check_story(sheet, st, width)

    story.append(CondPageBreak(50 * mm))
    story.append(st.p(_("Who voted"), st.h2))
    turnout = [[st.p(_("Breakdown"), st.cell_bold), st.p(_("Group"), st.cell_bold),
                st.p(_("Ballots"), st.num_bold)]]
    previous = None
    for breakdown, group, count in turnout_rows(sheet):
        shown = breakdown if breakdown != previous else ""
        previous = breakdown
        turnout.append([st.p(shown, st.cell_bold), st.p(group, st.cell),
                        st.p(str(count), st.num)])
    story.append(_grid(turnout, [55 * mm, 85 * mm, 25 * mm]))

    questions = equality_for(round_)
    if questions:
        half = (width - 8 * mm) / 2
        tables = []
        for q in questions:
            rows = [[st.p(q.label, st.cell_bold), st.p(_("Responses"), st.num_bold)]]
            rows += [[st.p(g.label, st.cell), st.p(g.shown, st.num)] for g in q.groups]
            tables.append(_grid(rows, [half - 30 * mm, 30 * mm]))
        pairs = [tables[i:i + 2] + [""] * (2 - len(tables[i:i + 2]))
                 for i in range(0, len(tables), 2)]
        grid = Table(pairs, colWidths=[half + 8 * mm, half], hAlign="LEFT")
        grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                  ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                  ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
        story.append(CondPageBreak(60 * mm))
        story.append(st.p(_("Equality monitoring"), st.h2))
        story.append(st.p(_("Answers to the optional equality questions, kept apart from the "
                            "ballots. Any group of fewer than %(num)s people is not shown as a "
                            "number.", num=results.SUPPRESS_BELOW), st.small))
        story.append(Spacer(1, 2 * mm))
        story.append(grid)
    return story


def _check_story(sheet: results.Sheet, st: _Styles, width: float) -> list:
    """The facts that let anyone repeat the count, and where to find the steps."""
    result = sheet.result
    settings = result.rule_settings or {}
    rule = result.rule + (" " + json.dumps(settings, sort_keys=True) if settings else "")
    facts = [
        (_("Rule"), rule),
        (_("Tie-break seed"), (result.tie_break or {}).get("seed", "")),
        (_("Counting engine"), f"{result.engine_version} (pb {software_version()})"),
        (_("Fingerprint of the ballots (SHA-256)"), result.ballots_sha256),
    ]
    story = [CondPageBreak(45 * mm), st.p(_("How to check this count"), st.h2),
             _grid([[st.p(k, st.cell_bold), st.p(v, st.mono)] for k, v in facts],
                   [60 * mm, width - 60 * mm], header=False),
             Spacer(1, 2 * mm)]
    story.append(st.p(_("Anyone can count the anonymised ballots again and check this result. "
                        "The file of ballots and the steps are at %(url)s",
                        url=page_url("results.reproduce", slug=sheet.round.slug)), st.small))
    return story


def page_url(endpoint: str, **values) -> str:
    """A page's address at the site's public address (PB_BASE_URL), as printed on paper."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, _external=True, **values)


def _canvas_maker(footer: str, preview: bool, unicode_fonts: bool, font: str):
    """A canvas that numbers pages "n of N" and, on a preview, marks every page."""
    footer = cards.printable(footer, unicode_fonts)
    mark = cards.printable(str(_("NOT PUBLISHED")), unicode_fonts)

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                canvas.Canvas.showPage(self)
            canvas.Canvas.save(self)

        def _decorate(self, total: int) -> None:
            width, _height = A4
            self.saveState()
            self.setFont(font, 8)
            self.setFillColor(GREY)
            self.drawString(PAGE_MARGIN, 8 * mm, footer[:110])
            self.drawRightString(width - PAGE_MARGIN, 8 * mm,
                                 cards.printable(_("Page %(page)s of %(pages)s",
                                                   page=self._pageNumber, pages=total),
                                                 unicode_fonts))
            if preview:
                self.setFillColor(WARNING)
                self.setFont(font, 10)
                self.drawString(PAGE_MARGIN, A4[1] - 9 * mm, mark)
                self.drawRightString(width - PAGE_MARGIN, A4[1] - 9 * mm, mark)
            self.restoreState()

    return NumberedCanvas


def _pdf(story: list, title: str, footer: str, preview: bool, st: _Styles) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=PAGE_MARGIN, rightMargin=PAGE_MARGIN,
                            topMargin=PAGE_MARGIN, bottomMargin=PAGE_MARGIN + 3 * mm,
                            title=cards.printable(title, st.unicode), author="pb",
                            creator="pb", invariant=1)
    doc.build(story, canvasmaker=_canvas_maker(footer, preview, st.unicode, st.regular))
    return out.getvalue()


def round_pdf(sheet: results.Sheet) -> bytes:
    """A printable A4 result sheet for one round."""
    st = _Styles()
    title = _("Results: %(title)s", title=sheet.round.title)
    if not sheet.published:
        title = f"{_('NOT PUBLISHED')}: {title}"
    footer = f"{sheet.round.council.name} · {sheet.round.title}"
    return _pdf(_round_story(sheet, st), title, footer, not sheet.published, st)


def council_pdf(council: Council, sheets: list[results.Sheet]) -> bytes:
    """The council's rounds: a summary page, then one section per round."""
    st = _Styles()
    preview = any(not s.published for s in sheets)
    title = _("Results of participatory budgeting: %(council)s", council=council.name)
    story = []
    if preview:
        story.append(st.p(NOT_PUBLISHED, st.banner))
    story.append(st.p(title, st.title))
    story.append(st.p(_("%(count)s rounds", count=len(sheets)) if len(sheets) != 1
                      else _("1 round"), st.subtitle))
    rows = [[st.p(_("Round"), st.cell_bold), st.p(_("Published"), st.cell_bold),
             st.p(_("Money to share"), st.num_bold), st.p(_("Given"), st.num_bold),
             st.p(_("Projects funded"), st.num_bold), st.p(_("Ballots"), st.num_bold)]]
    for s in sheets:
        c = s.round.currency
        published = (format_date(s.round.published_at, "d MMM yyyy") if s.round.published_at
                     else "") if s.published else _("NOT PUBLISHED")
        rows.append([st.p(s.round.title, st.cell), st.p(published, st.cell),
                     st.p(money(s.result.budget, c), st.num),
                     st.p(money(s.result.spent, c), st.num),
                     st.p(_("%(done)s of %(all)s", done=len(s.funded), all=len(s.lines)),
                          st.num),
                     st.p(str(s.result.ballot_count), st.num)])
    totals = council_totals(sheets)
    if totals.rounds > 1 and len(totals.money) == 1:
        currency, budget, spent = totals.money[0]
        rows.append([st.p(_("All published rounds"), st.cell_bold), "",
                     st.p(money(budget, currency), st.num_bold),
                     st.p(money(spent, currency), st.num_bold),
                     st.p(_("%(done)s of %(all)s", done=totals.funded, all=totals.projects),
                          st.num_bold),
                     st.p(str(totals.ballots), st.num_bold)])
    width = A4[0] - 2 * PAGE_MARGIN
    story.append(_grid(rows, [width - 130 * mm, 26 * mm, 26 * mm, 26 * mm, 30 * mm, 22 * mm]))
    round_title = ParagraphStyle("roundtitle", parent=st.title, fontSize=17, leading=21)
    for s in sheets:
        story.append(PageBreak())
        story += _round_story(s, st, round_title)
    if preview:
        title = f"{_('NOT PUBLISHED')}: {title}"
    return _pdf(story, title, council.name, preview, st)
