"""What the API answers: its query parameters checked, rounds and results as plain JSON.

Plain functions, called by pb/api/views.py and by tests. They raise `ApiError` with a reason
for every request they refuse. Counts come only from `results.public_result`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..models import Council, Round
from ..models.round import DRAFT, STATUSES
from ..services import results
from .errors import ApiError

PUBLIC_STATUSES = tuple(s for s in STATUSES if s != DRAFT)
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# Any address may carry ?lang= (en or cy), which chooses the language of labels and reasons.
ANY_ADDRESS = ("lang",)
LIST_PARAMS = ("council", "status", "limit", "offset")
# The dates a round shows, in timetable order; the last three record what happened.
DATES = ("proposals_open_at", "proposals_close_at", "shortlist_at", "voting_opens_at",
         "voting_closes_at", "results_at", "delivery_by", "voting_opened_at",
         "voting_closed_at", "published_at")
MAX_SLUG = 80
MAX_OFFSET = 10**9
LANGUAGES = ("en", "cy")


@dataclass
class RoundQuery:
    council: Council | None
    status: str | None
    limit: int
    offset: int

    def params(self) -> dict:
        """The query as URL parameters, for the links to other pages of the list."""
        out: dict = {}
        if self.council is not None:
            out["council"] = self.council.slug
        if self.status:
            out["status"] = self.status
        return out


def check_params(args: MultiDict, allowed: tuple[str, ...]) -> None:
    """Refuse parameters this address does not take, and any given twice."""
    known = allowed + ANY_ADDRESS
    for name in args:
        if name not in known:
            raise ApiError(400, _("This address does not take the parameter “%(name)s”. It "
                                  "takes: %(known)s.", name=_clip(name),
                                  known=", ".join(allowed) or _("no parameters")))
        if len(args.getlist(name)) > 1:
            raise ApiError(400, _("Give the parameter “%(name)s” once.", name=_clip(name)))
    # The web pages ignore a language they do not have; the API never ignores a parameter.
    lang = (args.get("lang") or "").strip()
    if lang and lang not in LANGUAGES:
        raise ApiError(400, _("“lang” must be one of: %(choices)s.", choices=", ".join(LANGUAGES)))


def _clip(text: str, limit: int = 40) -> str:
    """Text a client sent, safe and short enough to repeat in a message."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[:limit] + "…"


def _whole_number(args: MultiDict, name: str, default: int, low: int, high: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(400, _("“%(name)s” must be a whole number from %(low)s to %(high)s.",
                              name=name, low=low, high=high))
    return int(raw)


def parse_round_query(args: MultiDict) -> RoundQuery:
    """The filters and page of GET /rounds, or ApiError(400) saying what is wrong."""
    check_params(args, LIST_PARAMS)
    council = None
    council_slug = (args.get("council") or "").strip()
    if council_slug:
        if len(council_slug) <= MAX_SLUG and council_slug.isprintable():
            council = db.session.scalars(
                select(Council).where(Council.slug == council_slug)).first()
        if council is None:
            raise ApiError(400, _("There is no council with the slug “%(slug)s”.",
                                  slug=_clip(council_slug)))
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in PUBLIC_STATUSES:
        raise ApiError(400, _("“%(status)s” is not a status the API shows. Choose one of: "
                              "%(choices)s.", status=_clip(status),
                              choices=", ".join(PUBLIC_STATUSES)))
    return RoundQuery(council=council, status=status,
                      limit=_whole_number(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
                      offset=_whole_number(args, "offset", 0, 0, MAX_OFFSET))


def public_rounds(query: RoundQuery) -> tuple[list[Round], int]:
    """One page of the rounds the public may see (every one but drafts), newest first, and
    how many there are in all."""
    where = [Round.status.in_(PUBLIC_STATUSES)]
    if query.council is not None:
        where.append(Round.council_id == query.council.id)
    if query.status:
        where.append(Round.status == query.status)
    total = db.session.scalar(select(func.count()).select_from(Round).where(*where)) or 0
    page = db.session.scalars(select(Round).where(*where).order_by(Round.id.desc())
                              .limit(query.limit).offset(query.offset))
    return list(page), total


def page_links(query: RoundQuery, total: int) -> dict:
    def link(offset: int) -> str:
        return url_for("api.list_rounds", _external=True, **query.params(),
                       limit=query.limit, offset=offset)

    return {
        "self": link(query.offset),
        "next": link(query.offset + query.limit) if query.offset + query.limit < total else None,
        "prev": link(max(query.offset - query.limit, 0)) if query.offset > 0 else None,
    }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def round_summary(round_: Round) -> dict:
    """A public round as the list shows it: no counts, only whether results are published."""
    published = round_.results_public
    return {
        "slug": round_.slug,
        "title": round_.title,
        "council": {"slug": round_.council.slug, "name": round_.council.name},
        "partnership": ({"slug": round_.partnership.slug, "name": round_.partnership.name}
                        if round_.partnership else None),
        "status": round_.status,
        "status_label": round_.status_label,
        "currency": round_.currency,
        "pot": round_.pot,
        "ballot_type": round_.ballot_type,
        "rule": {"name": round_.rule, "description": results.rule_label(round_.rule)},
        "dates": {name: _iso(getattr(round_, name)) for name in DATES},
        "results_published": published,
        "links": {
            "page": url_for("main.round_page", slug=round_.slug, _external=True),
            "results": url_for("api.round_results", slug=round_.slug, _external=True)
            if published else None,
            "results_page": url_for("results.round_results", slug=round_.slug, _external=True)
            if published else None,
        },
    }


def find_public_round(slug: str) -> Round:
    """The round with this slug if the public may see it; drafts are as unknown as no round."""
    round_ = None
    if len(slug) <= MAX_SLUG and slug.isprintable():
        round_ = db.session.scalars(select(Round).where(Round.slug == slug)).first()
    if round_ is None or round_.status == DRAFT:
        raise ApiError(404, _("There is no public round with the slug “%(slug)s”.",
                              slug=_clip(slug)))
    return round_


def results_body(round_: Round) -> dict:
    """A published round's result sheet with equality totals; ApiError(404) before then."""
    result = results.public_result(round_)
    if result is None:
        if not round_.results_public:
            raise ApiError(404, _("The results of this round are not published yet."))
        raise ApiError(404, _("This round has no count."))
    body = results.sheet_dict(results.build_sheet(round_, result))
    body["equality"] = results.equality_dict(round_)
    body["links"] = {
        "self": url_for("api.round_results", slug=round_.slug, _external=True),
        "round_page": url_for("main.round_page", slug=round_.slug, _external=True),
        "results_page": url_for("results.round_results", slug=round_.slug, _external=True),
    }
    return body


