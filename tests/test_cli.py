"""The `pb` command, as an operator uses it."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from pb.cli import cli as main
from pb.extensions import db
from pb.models import Ballot, Round, User


def _run(app, *args, input=None):
    runner = CliRunner()
    return runner.invoke(main, list(args), obj=_script_info(app), input=input)


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_demo_loads_once_and_prints_logins_and_codes(app):
    result = _run(app, "demo")
    assert result.exit_code == 0, result.output
    assert "Loaded the Macclesfield demo." in result.output
    assert "organiser@cheshireeast.example" in result.output
    assert "Unused voting codes" in result.output
    assert db.session.scalar(select(func.count()).select_from(Round)) == 3
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 200
    statuses = set(db.session.scalars(select(Round.status)))
    assert statuses == {"published", "voting", "proposals"}

    again = _run(app, "demo", "--quiet")
    assert "already has data" in again.output
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 200


def test_printed_demo_logins_and_codes_work(app):
    output = _run(app, "demo").output
    client = app.test_client()
    line = next(l for l in output.splitlines() if "organiser@cheshireeast.example" in l)
    password = line.split()[-1]
    response = client.post("/auth/login", data={"email": "organiser@cheshireeast.example",
                                                "password": password})
    assert response.status_code == 302
    code = output.split("enter one at /vote):")[1].split()[0]
    assert app.test_client().post("/vote/", data={"code": code}).headers["Location"] == "/vote/ballot"


def test_create_admin(app):
    result = _run(app, "create-admin", "--email", "boss@council.example", "--council",
                  "Cheshire East Council", input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert user.email == "boss@council.example"
    assert user.memberships[0].role == "council_admin"
    short = _run(app, "create-admin", "--email", "b@council.example", input="short\nshort\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output


def test_codes_command_writes_cards_for_a_new_batch(app, tmp_path):
    import pypdfium2
    import zxingcpp

    from pb.models import AuditEntry, CodeBatch, VoterCredential
    from tests import factories

    council, _parts = factories.council_with_partnerships(["North"])
    round_ = factories.round_(council, slug="decides", status="voting")
    db.session.commit()
    app.config["BASE_URL"] = "https://pb.council.example"
    out = tmp_path / "cards.pdf"
    result = _run(app, "codes", "decides", "--count", "3", "--label", "Market", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"Made 3 codes for {round_.title}" in result.output and str(out) in result.output

    batch = db.session.scalars(select(CodeBatch)).one()
    assert (batch.count, batch.label, batch.created_by_id) == (3, "Market", None)
    assert out.read_bytes() == batch.card_pdf
    document = pypdfium2.PdfDocument(out.read_bytes())
    found = [r.text for r in zxingcpp.read_barcodes(document[0].render(scale=2).to_pil())]
    document.close()
    assert len(found) == 3
    assert all(url.startswith("https://pb.council.example/vote/?code=") for url in found)
    assert db.session.scalar(select(func.count()).select_from(VoterCredential)) == 3
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "codes.issued")).one()
    assert entry.actor == "system" and entry.details["batch_id"] == batch.id


def test_codes_command_refuses_bad_input_and_makes_nothing(app, tmp_path):
    from pb.models import CodeBatch
    from tests import factories

    council, _parts = factories.council_with_partnerships(["North"])
    factories.round_(council, slug="decides", status="voting")
    db.session.commit()
    out = tmp_path / "cards.pdf"
    result = _run(app, "codes", "decides", "--count", "5001", "--out", str(out))
    assert result.exit_code == 1 and "Choose between 1 and 5,000 codes." in result.output
    result = _run(app, "codes", "nowhere", "--count", "2", "--out", str(out))
    assert result.exit_code == 1 and "there is no round 'nowhere'" in result.output
    result = _run(app, "codes", "decides", "--count", "2",
                  "--out", str(tmp_path / "missing" / "cards.pdf"))
    assert result.exit_code == 1 and "No codes were made." in result.output
    assert not out.exists()
    assert db.session.scalar(select(func.count()).select_from(CodeBatch)) == 0


def test_demo_makes_its_open_codes_as_a_batch_with_cards(app):
    from pb.models import CodeBatch

    assert _run(app, "demo", "--quiet").exit_code == 0
    grants = db.session.scalars(select(Round).where(
        Round.slug == "macclesfield-small-grants-2026")).one()
    batch = db.session.scalars(select(CodeBatch).where(CodeBatch.round_id == grants.id)).one()
    assert batch.count == 20 and batch.has_cards and batch.card_pdf.startswith(b"%PDF-")
    decides = db.session.scalars(select(Round).where(Round.slug == "macclesfield-decides")).one()
    closed = db.session.scalars(select(CodeBatch).where(CodeBatch.round_id == decides.id)).one()
    assert closed.count == 200 and not closed.has_cards
