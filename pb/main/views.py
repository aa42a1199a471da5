from __future__ import annotations

from flask import abort, make_response, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Council, Photo, Proposal, Round
from ..models.round import DEFAULT_RETENTION_DAYS, PROPOSALS, PUBLISHED, VOTING
from ..models.proposal import PUBLIC
from ..services import access, browse, delivery, partnerships, proposals, voting
from ..services import privacy as privacy_service
from ..services import rounds as round_services
from ..vote.forms import CodeForm
from . import bp


def get_round(slug: str) -> Round:
    """The round with this slug, or 404."""
    if "\x00" in slug:  # PostgreSQL refuses NUL in text: such a slug names no round
        abort(404)
    round_ = db.session.scalars(select(Round).where(Round.slug == slug)).first()
    if round_ is None:
        abort(404)
    return round_


def _rounds(*statuses: str) -> list[Round]:
    return list(db.session.scalars(
        select(Round).where(Round.status.in_(statuses)).order_by(Round.created_at.desc(), Round.id)
    ))


@bp.get("/")
def index():
    """Show what residents can do now: vote, see results, see proposals."""
    return render_template(
        "main/index.html",
        voting=_rounds(VOTING),
        proposing=_rounds(PROPOSALS),
        published=_rounds(PUBLISHED),
        code_form=CodeForm(),
    )


def get_public_round(slug: str) -> Round:
    """A round the public may see (anything but a draft, unless the user is staff), or 404."""
    round_ = get_round(slug)
    if round_.status == "draft" and not access.can_see_unpublished(current_user, round_):
        abort(404)
    return round_


@bp.get("/rounds/<slug>")
def round_page(slug: str):
    """Show a round, its timetable and the projects on its ballot."""
    round_ = get_public_round(slug)
    return render_template("main/round.html", round=round_,
                           projects=voting.ballot_projects(round_, details=True),
                           band=proposals.band_text(round_),
                           proposed=browse.count_public(round_))


@bp.get("/rounds/<slug>/proposals")
def browse_proposals(slug: str):
    """List a round's proposals, filtered by area, category and status."""
    round_ = get_public_round(slug)
    found = browse.public_proposals(round_, area=request.args.get("area", ""),
                                    category=request.args.get("category", ""),
                                    status=request.args.get("status", ""))
    return render_template("main/proposals.html", round=round_, proposals=found,
                           filters=browse.filters(round_), chosen=request.args,
                           results=browse.outcomes(round_))


@bp.get("/projects/<int:proposal_id>")
def project(proposal_id: int):
    """Show one proposal: what it is, what it costs, where it stands, and its result."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    if proposal.status not in PUBLIC and not (
        access.can_see_unpublished(current_user, proposal.round)
        or (current_user.is_authenticated and proposal.created_by_id == current_user.id)
    ):
        abort(404)
    outcome = browse.outcomes(proposal.round).get(proposal.id)
    return render_template("main/project.html", proposal=proposal, round=proposal.round,
                           outcome=outcome, delivered=delivery.project_progress(proposal))


@bp.get("/dashboard")
@login_required
def dashboard():
    """Show staff what they can work on."""
    every = list(db.session.scalars(select(Round).order_by(Round.created_at.desc())))
    rounds = [r for r in every if access.can_organise(current_user, r)]
    scrutinising = [r for r in every if r not in rounds and r.status in ("closed", "published")
                    and access.can_see_unpublished(current_user, r)]
    proposing = _rounds(PROPOSALS)
    mine = list(db.session.scalars(
        select(Proposal).where(Proposal.created_by_id == current_user.id)
        .order_by(Proposal.created_at.desc())
    ))
    reporting = [(p, award) for r in every if r.results_public
                 for p, award in delivery.funded_projects(r)
                 if access.can_report_delivery(current_user, p)]
    kiosks = [r for r in every if r.is_voting_open and r.uses("kiosk")
              and access.can_run_kiosk(current_user, r)]
    return render_template("main/dashboard.html", organising=rounds, proposing=proposing,
                           kiosks=kiosks,
                           mine=mine, scrutinising=scrutinising, reporting=reporting,
                           reads_audit=access.reads_audit_log(current_user),
                           manages_partnerships=bool(partnerships.managed_by(current_user)),
                           can_set_up=bool(round_services.organising_scopes(current_user)))


@bp.get("/photos/<int:photo_id>.jpg")
def photo(photo_id: int):
    """Serve a photo as we re-encoded it."""
    found = db.session.get(Photo, photo_id)
    if found is None:
        abort(404)
    response = make_response(found.data)
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Disposition"] = f'inline; filename="photo-{found.id}.jpg"'
    return response


@bp.get("/privacy")
def privacy():
    """Tell residents what personal data is kept, why, who sees it and for how long."""
    councils = sorted({c.name for c in db.session.scalars(select(Council))})
    return render_template("main/privacy.html", rounds=privacy_service.retention_summary(),
                           councils=councils, default_days=DEFAULT_RETENTION_DAYS)


@bp.get("/healthz")
def healthz():
    """Answer a load balancer's health check: 200 only when the database answers, else 503,
    so the balancer sends residents to another instance."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok"}
