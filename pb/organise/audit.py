"""The audit log, for scrutineers, organisers and council administrators to read."""

from __future__ import annotations

import re

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services import audit
from ..views_helpers import money
from . import bp

HASH = re.compile(r"^[0-9a-f]{64}$")


@bp.get("/audit")
@login_required
def audit_log():
    """Show the log entries the reader may see, newest first, and whether the chain holds."""
    scope = audit.scope_for(current_user)
    if scope is None:
        abort(403)
    chosen = {name: request.args.get(name, "").strip() for name in ("round", "action", "seen")}
    round_id = None
    if chosen["round"]:  # a round the reader may not see matches nothing (0 is no round's id)
        round_id = next((r.id for r in scope.rounds.values() if r.slug == chosen["round"]), 0)
    seen_error = None
    if chosen["seen"] and not HASH.match(chosen["seen"].lower()):
        seen_error = _("Enter the whole hash: 64 characters, each a digit from 0 to 9 or a "
                       "letter from a to f.")
    found = audit.log_page(scope, round_id=round_id, action=chosen["action"],
                           page=request.args.get("page", 1, type=int))
    names = audit.names_for(found.entries)
    report = audit.verify(last_seen=None if seen_error else chosen["seen"] or None)
    return render_template(
        "organise/audit.html", found=found, names=names, report=report, chosen=chosen,
        rounds=list(scope.rounds.values()), seen_error=seen_error,
        page_args={name: value for name, value in chosen.items() if value},
        details={e.id: audit.describe(e, money, names.partnerships) for e in found.entries},
    ), 400 if seen_error else 200
