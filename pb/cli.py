"""The `pb` command: every operator task, from migrations to the demo to a tally."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from . import create_app
from .errors import DomainError
from .extensions import db
from .models import Council
from .tally.cli import tally_command


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def cli() -> None:
    """Participatory budgeting: run `pb db upgrade`, `pb demo`, `pb tally FILE.pb`, ..."""


cli.add_command(tally_command, "tally")


@cli.command("demo")
@click.option("--quiet", is_flag=True, help="Do not print logins and codes.")
@with_appcontext
def demo_command(quiet: bool) -> None:
    """Load the Macclesfield demo into an empty database."""
    from . import demo

    if db.session.scalars(select(Council).limit(1)).first() is not None:
        click.echo("The database already has data; the demo was not loaded.")
    else:
        demo.load(current_app.instance_path)
        db.session.commit()
        click.echo("Loaded the Macclesfield demo.")
    if not quiet:
        click.echo(demo.describe(current_app.instance_path))


@cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", default="")
@click.option("--council", "council_name", default=None,
              help="Council name; created if it does not exist yet.")
@click.password_option()
@with_appcontext
def create_admin_command(email: str, name: str, council_name: str | None, password: str) -> None:
    """Create a council administrator who can set up partnerships and rounds."""
    from .services import accounts

    council = None
    if council_name:
        council = db.session.scalars(select(Council).where(Council.name == council_name)).first()
        if council is None:
            from .text import slugify

            council = Council(name=council_name, slug=slugify(council_name))
            db.session.add(council)
            db.session.flush()
    else:
        council = db.session.scalars(select(Council).order_by(Council.id)).first()
    if council is None:
        raise click.UsageError("No council exists yet: give one with --council NAME.")
    try:
        user = accounts.create_user(email, name, password, [(council.id, None, "council_admin")])
    except DomainError as error:
        db.session.rollback()
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Created council administrator {user.email} for {council.name}.")


@cli.command("codes")
@click.argument("slug")
@click.option("--count", type=int, required=True, help="How many codes to make (1 to 5,000).")
@click.option("--label", default="", help="A label for the batch, e.g. the event.")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Where to write the printable cards (PDF).")
@with_appcontext
def codes_command(slug: str, count: int, label: str, out: str) -> None:
    """Make a batch of voting codes for the round SLUG and write their cards to a PDF.

    The QR codes on the cards point at PB_BASE_URL.
    """
    from .models import Round
    from .services import codes

    round_ = db.session.scalars(select(Round).where(Round.slug == slug)).first()
    if round_ is None:
        click.echo(f"Error: there is no round {slug!r}.", err=True)
        sys.exit(1)
    try:
        batch, made = codes.make_batch(None, round_, count, label, current_app.config["BASE_URL"])
    except DomainError as error:
        db.session.rollback()
        for problem in getattr(error, "problems", None) or [error]:
            click.echo(f"Error: {problem.message}", err=True)
        sys.exit(1)
    try:
        with open(out, "wb") as handle:
            handle.write(batch.card_pdf)
    except OSError as error:
        db.session.rollback()
        click.echo(f"Error: could not write {out}: {error.strerror}. No codes were made.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Made {len(made)} codes for {round_.title} (batch {batch.id}); "
               f"cards written to {out}.")


@cli.group("mail")
def mail_group() -> None:
    """Email waiting in the outbox."""


@mail_group.command("send")
@with_appcontext
def mail_send_command() -> None:
    """Send the emails still waiting (for example after the mail server was down)."""
    from .services import mail

    sent, failed = mail.send_queued(limit=10_000)
    click.echo(f"Sent {sent} email(s); {failed} could not be sent.")
    if failed:
        sys.exit(1)


@cli.group("audit")
def audit_group() -> None:
    """The hash-chained audit log of staff actions."""


@audit_group.command("verify")
@click.option("--last-seen", "last_seen", default=None, metavar="HASH",
              help="The last hash an earlier check printed: fail also if that entry is no "
                   "longer in the log (entries cut from its end, or the log rewritten).")
@with_appcontext
def audit_verify_command(last_seen: str | None) -> None:
    """Check that no entry of the audit log was changed, deleted, inserted or moved.

    Prints one line and exits 0 when the chain holds; otherwise prints each problem with the
    entry's id and exits 1.
    """
    from .services import audit

    report = audit.verify(last_seen=last_seen)
    for problem in report.problems:
        click.echo(problem.message)
    if report.intact:
        last = f", last hash {report.last_hash}" if report.last_hash else ""
        click.echo(f"{report.count} entries, chain intact{last}.")
    else:
        click.echo(f"{report.count} entries, {len(report.problems)} problem(s): the audit log "
                   "was changed after it was written.")
        sys.exit(1)


@cli.command("export")
@click.argument("slug")
@click.option("--format", "fmt", required=True, metavar="csv|xlsx|json|pdf|pb",
              help="csv, xlsx, json, pdf (a printable result sheet) or pb (the anonymised "
                   "ballots as a pabulib file).")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Where to write the file.")
@click.option("--before-publication", is_flag=True,
              help="Export a closed round's count before it is published (the file says NOT "
                   "PUBLISHED, and the export is written to the audit log).")
@with_appcontext
def export_command(slug: str, fmt: str, out: str, before_publication: bool) -> None:
    """Write the result of the round SLUG to a file.

    Only published results are exported, unless --before-publication is given.
    """
    from .models import Round
    from .services import audit, result_exports

    round_ = db.session.scalars(select(Round).where(Round.slug == slug)).first()
    if round_ is None:
        click.echo(f"Error: there is no round {slug!r}.", err=True)
        sys.exit(1)
    if fmt not in result_exports.FORMATS:
        click.echo(f"Error: there is no format {fmt!r}; use one of "
                   f"{', '.join(result_exports.FORMATS)}.", err=True)
        sys.exit(1)
    sheet = result_exports.sheet_for_export(None, round_, before_publication=before_publication)
    if sheet is None:
        if round_.status == "closed":
            click.echo(f"Error: the results of {round_.title} are not published yet. To export "
                       "them anyway (the file will say NOT PUBLISHED), add --before-publication.",
                       err=True)
        else:
            click.echo(f"Error: {round_.title} has no count to export: its voting has not "
                       "closed.", err=True)
        sys.exit(1)
    download = result_exports.round_download(sheet, fmt)
    try:
        with open(out, "wb") as handle:
            handle.write(download.body)
    except OSError as error:
        click.echo(f"Error: could not write {out}: {error.strerror}.", err=True)
        sys.exit(1)
    if download.preview:
        audit.record(None, "result.exported_before_publication", round_, format=fmt)
        db.session.commit()
        click.echo(f"Wrote the count of {round_.title} (NOT PUBLISHED) to {out}.")
    else:
        click.echo(f"Wrote the results of {round_.title} to {out}.")


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--round", "slug", required=True,
              help="Slug of the new round, e.g. warsaw-2023 (lower-case letters, digits, hyphens).")
@click.option("--council", "council_slug", default=None,
              help="Slug of the council that runs the round. By default the first council; "
                   "if there is none yet, one is created, named after the file's META unit.")
@click.option("--title", default=None,
              help="Title of the round; by default the file's META description.")
@with_appcontext
def import_command(file: str, slug: str, council_slug: str | None, title: str | None) -> None:
    """Load the pabulib election FILE.pb as a closed round with its ballots, and count it.

    The projects go on the round's ballot (keeping the file's project ids for exports), every
    ballot is stored with the channel "imported", and the round is counted with the rule the
    file's META names (greedy when it names none the platform knows). The result stays with
    staff until published. Nothing is stored if anything is wrong; the message names the line.
    """
    from .money import format_money
    from .services import imports, tallying

    council = None
    if council_slug is not None:
        council = db.session.scalars(select(Council).where(Council.slug == council_slug)).first()
        if council is None:
            click.echo(f"Error: there is no council {council_slug!r}. Nothing was imported.",
                       err=True)
            sys.exit(1)
    try:
        round_ = imports.import_election(file, slug, council, title=title)
    except DomainError as error:
        db.session.rollback()
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    result = tallying.latest_result(round_)
    funded = len(result.data["selected"])
    money = lambda amount: format_money(amount, round_.currency)  # noqa: E731
    projects = len(result.data["projects"])
    db.session.commit()
    click.echo(f"Imported {round_.title!r} as round {round_.slug} of {round_.council.name}: "
               f"{projects} projects, {result.ballot_count} ballots.")
    click.echo(f"Counted with {round_.rule}: {funded} funded, {money(result.spent)} spent of "
               f"{money(result.budget)}. The result is not published yet.")


@cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; delete nothing.")
@click.option("--round", "slug", default=None, help="Only the round with this slug.")
@click.option("--now", "now_text", default=None, metavar="ISO-DATETIME",
              help="Act as if it were this time (UTC), e.g. 2027-09-01T03:00; for testing.")
@with_appcontext
def purge_command(dry_run: bool, slug: str | None, now_text: str | None) -> None:
    """Delete residents' personal data from rounds past their retention period.

    Keeps the anonymised ballots, so results and recounts do not change. Safe to run daily
    from cron: a round already purged is left alone.
    """
    from datetime import datetime, timezone

    from .models import Round
    from .models.types import utcnow
    from .services import privacy

    now = utcnow()
    if now_text is not None:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            click.echo(f"Error: --now {now_text!r} is not a date and time like "
                       "2027-09-01T03:00.", err=True)
            sys.exit(2)
        now = (now.replace(tzinfo=timezone.utc) if now.tzinfo is None
               else now.astimezone(timezone.utc))
    if slug is not None and db.session.scalars(
            select(Round.id).where(Round.slug == slug)).first() is None:
        click.echo(f"Error: there is no round {slug!r}.", err=True)
        sys.exit(1)
    done = privacy.purge(now=now, slug=slug, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "Would delete" if dry_run else "Deleted"
    for item in done:
        counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in item.counts.items())
        click.echo(f"{item.round.slug}: {verb} {counts}.")
    if not done:
        click.echo("No round's personal data is due for deletion.")


@cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(file: str) -> None:
    """Copy the whole database to FILE; safe while the app is running.

    SQLite: an SQLite file made with the online backup API. PostgreSQL: a pg_dump archive
    (custom format; needs pg_dump). The backup is written to the audit log.
    """
    from .services import backup

    try:
        written = backup.backup(file)
    except backup.BackupError as error:
        db.session.rollback()
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Backed up {backup.where()} to {file} ({written.size:,} bytes, "
               f"SHA-256 {written.sha256}).")


@cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(file: str, yes: bool) -> None:
    """Replace everything in the database with FILE, a backup made by `pb backup`.

    Stop the app first. The file is checked before anything is changed, the restore is all or
    nothing, and the restored audit log is verified. The restore is written to the audit log.
    """
    from .services import backup

    try:
        backup.check(file)
    except backup.BackupError as error:
        click.echo(f"Error: {error.message} Nothing was restored.", err=True)
        sys.exit(1)
    if not yes:
        try:
            agreed = click.confirm(f"This replaces everything in {backup.where()} with the "
                                   f"backup {file}. Continue?", default=False)
        except click.Abort:
            agreed = False
        if not agreed:
            click.echo("Nothing was restored.")
            sys.exit(1)
    try:
        done = backup.restore(file)
    except backup.BackupError as error:
        db.session.rollback()
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Restored {backup.where()} from {file} (SHA-256 {done.file.sha256}).")
    chain = done.chain
    if chain.intact:
        click.echo(f"The restored audit log holds {chain.count} entries, chain intact; the "
                   "restore is recorded after them.")
    else:
        for problem in chain.problems:
            click.echo(problem.message)
        click.echo(f"The restored audit log holds {chain.count} entries with "
                   f"{len(chain.problems)} problem(s): it was changed after it was written.")
        sys.exit(1)


@cli.command("serve", context_settings={"ignore_unknown_options": True})
@click.option("--bind", default="127.0.0.1:8000", show_default=True,
              help="Address and port to listen on (0.0.0.0:8000 behind a load balancer).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Worker processes (default: two per core, plus one).")
@click.option("--threads", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Threads per worker.")
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def serve_command(bind: str, workers: int | None, threads: int, gunicorn_args: tuple) -> None:
    """Serve the app with gunicorn, after checking the database and the settings.

    Refuses to start when the database cannot be reached or its migrations are not applied
    (run `pb db upgrade`). Anything after `--` goes to gunicorn as it is, e.g.
    `pb serve -- --timeout 60`.
    """
    import os

    from .services import deployment

    report = deployment.check(current_app)
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if report.errors:
        for error in report.errors:
            click.echo(f"Error: {error}", err=True)
        click.echo("The server was not started.", err=True)
        sys.exit(1)
    workers = workers or 2 * (os.cpu_count() or 1) + 1
    db.engine.dispose()  # the workers open their own connections
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers),
               "--threads", str(threads), "--bind", bind, "--access-logfile", "-",
               *gunicorn_args, "pb:create_app()"]
    click.echo(f"Serving {deployment.where()} at http://{bind}/ with {workers} "
               f"workers of {threads} thread(s).", err=True)
    sys.stderr.flush()
    sys.stdout.flush()
    os.execv(sys.executable, command)


__all__ = ["cli"]
