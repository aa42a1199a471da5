"""Is this instance ready to serve? The checks `pb serve` makes before it starts gunicorn.

Errors stop the start: a database that cannot be reached, or one whose migrations are not all
applied (the code would expect tables and columns that are not there). Warnings are settings
that work on one machine but not behind a load balancer: a secret key made up by this machine
(other instances would not accept its sessions or its voting codes), and rate limits counted in
each worker's memory rather than in Redis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from .backup import where


@dataclass
class Readiness:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def migration_state(app: Flask) -> tuple[set[str], set[str]]:
    """(the revisions applied to the database, the heads of the migrations in the code)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    return applied, heads


def check(app: Flask, environ: dict | None = None) -> Readiness:
    import os

    environ = os.environ if environ is None else environ
    report = Readiness()
    try:
        applied, heads = migration_state(app)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        report.errors.append(f"The database {where()} cannot be reached: {reason}")
        return report
    if not applied:
        report.errors.append(f"The database {where()} has no tables yet. Run `pb db upgrade`"
                             " first.")
    elif applied != heads:
        report.errors.append(
            f"The database {where()} is at migration {', '.join(sorted(applied))}, but this "
            f"code needs {', '.join(sorted(heads))}. Run `pb db upgrade` first.")
    if db.engine.dialect.name != "sqlite" and not environ.get("PB_SECRET_KEY"):
        report.warnings.append(
            "PB_SECRET_KEY is not set, so this machine made up its own key. Other instances "
            "would not accept its sessions or its voting codes: set the same PB_SECRET_KEY on "
            "every instance.")
    if app.config.get("PB_RATE_LIMITS") and not app.config.get("PB_REDIS_URL"):
        report.warnings.append(
            "PB_REDIS_URL is not set, so each worker counts rate limits on its own. Set it to "
            "share the counts between every worker and server.")
    return report
