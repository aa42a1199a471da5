"""The live event screen: for the projector at a PB day.

While voting is open it shows how many ballots are in (in total and by way of voting, never a
count for any project); once voting closes, that results are coming; once the organiser
publishes, the reveal. The screen is public, so it asks the embargo gate as the public does
(`results.sheet_for(None, ...)`): staff signed in on the projector's laptop see no more than
the hall. It refreshes itself: a <noscript> meta refresh, or static/js/live.js, which polls
`live.json` and reloads when the round's status changes.
"""

from __future__ import annotations

import segno
from flask import abort, current_app, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..main.views import get_round
from ..models import Round
from ..models.round import BEFORE_VOTING, CLOSED, DRAFT, PUBLISHED, VOTING
from ..services import results
from ..views_helpers import money
from . import bp

REFRESH_SECONDS = 10
POLL_SECONDS = 5

WAITING = "waiting"  # taking or reviewing proposals: voting has not opened


def live_status(round_: Round) -> str:
    if round_.status in BEFORE_VOTING:
        return WAITING
    if round_.status == PUBLISHED and results.public_result(round_) is None:
        return CLOSED  # published without a count cannot happen; say nothing if it does
    return round_.status if round_.status in (VOTING, CLOSED, PUBLISHED) else WAITING


def live_data(round_: Round) -> dict:
    """What the live screen shows, as plain data: turnout always, results only once public."""
    status = live_status(round_)
    data: dict = {"slug": round_.slug, "title": round_.title, "status": status,
                  "ballots": 0, "by_channel": [], "results": None}
    if status == WAITING:
        return data
    turnout = results.turnout(round_)
    data["ballots"] = turnout.total
    data["by_channel"] = [{"key": c.key, "label": c.label, "count": c.count}
                          for c in turnout.by_channel]
    if status == PUBLISHED:
        sheet = results.sheet_for(None, round_)
        result = sheet.result
        data["results"] = {
            "currency": round_.currency,
            "budget": result.budget, "budget_text": money(result.budget, round_.currency),
            "spent": result.spent, "spent_text": money(result.spent, round_.currency),
            "remaining": result.remaining,
            "remaining_text": money(result.remaining, round_.currency),
            "ballots": result.ballot_count,
            "funded": [{"id": line.id, "title": line.title, "award": line.award,
                        "award_text": money(line.award, round_.currency),
                        "partial": line.partial, "step": line.step}
                       for line in sheet.funded],
        }
    return data


def _live_round(slug: str) -> Round:
    round_ = get_round(slug)
    if round_.status == DRAFT:
        abort(404)
    return round_


def _qr_svg(url: str, title: str) -> Markup:
    qr = segno.make(url, error="m")
    return Markup(qr.svg_inline(scale=1, border=2, title=title, svgclass="live-qr-code",
                                lineclass=None, omitsize=True, dark="#0b0c0c", light="#ffffff"))


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<slug>/live")
def live(slug: str):
    """The live event screen for a projector."""
    round_ = _live_round(slug)
    data = live_data(round_)
    vote_url = qr = results_url = None
    if data["status"] == VOTING:
        vote_url = current_app.config["BASE_URL"].rstrip("/") + url_for(
            "vote.round_start", slug=round_.slug)
        qr = _qr_svg(vote_url, _("A QR code that opens the voting page"))
    elif data["status"] == PUBLISHED:
        results_url = current_app.config["BASE_URL"].rstrip("/") + url_for(
            "results.round_results", slug=round_.slug)
        qr = _qr_svg(results_url, _("A QR code that opens the full results"))
    shown_url = (vote_url or results_url or "").split("://", 1)[-1]
    funded = len(data["results"]["funded"]) if data["results"] else 0
    return _no_store(make_response(render_template(
        "results/live.html", round=round_, data=data, qr=qr, shown_url=shown_url,
        refresh=REFRESH_SECONDS if data["status"] != PUBLISHED else None,
        poll=POLL_SECONDS, step_reveal=request.args.get("reveal") != "all",
        size="many" if funded > 12 else "some" if funded > 6 else "few")))


@bp.get("/<slug>/live.json")
def live_json(slug: str):
    """The live screen's numbers: status and turnout; the funded projects once published."""
    return _no_store(jsonify(live_data(_live_round(slug))))
