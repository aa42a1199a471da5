from __future__ import annotations

from flask import abort, make_response, render_template
from flask_babel import gettext as _
from flask_login import current_user

from ..main.views import get_round
from ..models.round import TIE_BREAKS
from ..services import charts, results
from . import bp


@bp.get("/<slug>")
def round_results(slug: str):
    """Show a round's result: published to all, or a marked preview to its staff."""
    round_ = get_round(slug)
    sheet = results.sheet_for(current_user, round_)
    if sheet is None:
        abort(404)
    chart = charts.bar_chart(sheet.lines, sheet.score_kind)
    funded = len(sheet.funded)
    points = sheet.score_kind == "points"
    svg = charts.chart_svg(
        chart,
        title=_("Points for each project") if points else _("Votes for each project"),
        description=_("A bar for each of the %(count)s projects, longest for the most "
                      "%(kind)s. %(funded)s were funded: their bars are striped and say "
                      "“Funded”. The table below gives the same numbers.",
                      count=len(sheet.lines), funded=funded,
                      kind=_("points") if points else _("votes")),
        funded_word=_("Funded"), partly_word=_("Partly funded"))
    response = make_response(render_template(
        "results/round.html", round=round_, sheet=sheet, result=sheet.result, chart=chart,
        chart_svg=svg, preview=not sheet.published, points=points,
        reasons={line.id: results.reason_text(sheet, line) for line in sheet.lines},
        tie_break=TIE_BREAKS.get((sheet.result.tie_break or {}).get("mode", ""))))
    if not sheet.published:
        # A staff preview of an embargoed count: never kept by a browser or proxy.
        response.headers["Cache-Control"] = "private, no-store"
    return response
