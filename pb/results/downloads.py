"""Result downloads, a council's results page, and the page that shows how to count again.

Every count reaches these views through `results.sheet_for` (the embargo gate): the public
gets a 404 until a round is published; its staff get a preview marked NOT PUBLISHED, never
cached.
"""

from __future__ import annotations

from flask import abort, make_response, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..main.views import get_public_round
from ..models import Council, Round
from ..services import access, result_exports, results
from . import bp

TEXT_TYPES = {"text/csv", "text/plain", "application/json"}


def _refuse(body: str, code: int = 404):
    """Stop with an error page that says why, in words a person can act on."""
    title = _("Page not found") if code == 404 else _("Something was wrong with that request")
    abort(make_response(render_template("errors/error.html", code=code, title=title,
                                        body=body), code))


def _check_format(fmt: str) -> str:
    try:
        return result_exports.check_format(fmt)
    except result_exports.UnknownFormat as error:
        _refuse(error.message)


def get_sheet(slug: str) -> results.Sheet:
    """The round's result sheet if this person may see it; else 404 with the reason."""
    return _visible_sheet(get_public_round(slug))


def _visible_sheet(round_: Round) -> results.Sheet:
    if not round_.results_public and not access.can_see_unpublished(current_user, round_):
        _refuse(_("The results of %(title)s are not published yet.", title=round_.title))
    sheet = results.sheet_for(current_user, round_)
    if sheet is None:
        _refuse(_("%(title)s has not been counted yet.", title=round_.title))
    return sheet


def get_council(council_slug: str) -> Council:
    council = db.session.scalars(select(Council).where(Council.slug == council_slug)).first()
    if council is None:
        abort(404)
    return council


def _send(download: result_exports.Download):
    response = make_response(download.body)
    response.mimetype = download.mimetype
    if download.mimetype in TEXT_TYPES:
        response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    if download.preview:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _page(html: str, preview: bool):
    response = make_response(html)
    if preview:
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<slug>/download.<fmt>")
def download(slug: str, fmt: str):
    """Download a round's result: CSV, Excel, JSON, a printable PDF, or the ballots (.pb)."""
    round_ = get_public_round(slug)
    _check_format(fmt)
    return _send(result_exports.round_download(_visible_sheet(round_), fmt))


@bp.get("/council/<council_slug>")
def council(council_slug: str):
    """Show a council's published results, each round's downloads and council-wide ones."""
    council_ = get_council(council_slug)
    sheets = result_exports.council_sheets(current_user, council_)
    html = render_template("results/council.html", council=council_, sheets=sheets,
                           totals=result_exports.council_totals(sheets),
                           formats=result_exports.FORMAT_LABELS)
    return _page(html, any(not s.published for s in sheets))


@bp.get("/council/<council_slug>/download.<fmt>")
def council_download(council_slug: str, fmt: str):
    """Download every round of a council that you may see, in one file."""
    council_ = get_council(council_slug)
    _check_format(fmt)
    sheets = result_exports.council_sheets(current_user, council_)
    if not sheets:
        _refuse(_("%(council)s has no published results yet.", council=council_.name))
    return _send(result_exports.council_download(council_, sheets, fmt))


@bp.get("/<slug>/reproduce")
def reproduce(slug: str):
    """Show how anyone can count a round's ballots again and get the same result."""
    repro = result_exports.reproduction(get_sheet(slug))
    result = repro.sheet.result
    html = render_template("results/reproduce.html", round=repro.sheet.round, repro=repro,
                           sheet=repro.sheet, result=result,
                           software_version=result_exports.software_version(),
                           tie_break=result_exports.tie_break_text(result),
                           other_tool=result_exports.other_tool_text(result),
                           example=result_exports.pabutools_example(result))
    return _page(html, not repro.sheet.published)


@bp.get("/<slug>/bundle.zip")
def bundle(slug: str):
    """Download the ballots, the result and the steps to count again, as one ZIP."""
    repro = result_exports.reproduction(get_sheet(slug))
    return _send(result_exports.bundle_download(repro))
