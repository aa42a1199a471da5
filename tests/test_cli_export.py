"""`pb export`: a round's result to a file, refused before publication unless asked for."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from pb.cli import cli as main
from pb.models import AuditEntry
from pb.tally import pabulib
from tests import factories


def _run(app, *args):
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "pdf", "pb"])
def test_export_writes_a_published_round_in_each_format(app, tmp_path, fmt):
    world = factories.counted_round(publish=True)
    out = tmp_path / f"result.{fmt}"
    done = _run(app, "export", "spring", "--format", fmt, "--out", str(out))
    assert done.exit_code == 0, done.output
    assert f"Wrote the results of Round spring to {out}." in done.output
    body = out.read_bytes()
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        assert {r["Project"]: r["Award"] for r in rows} == {
            "Allotment": "600.00", "Bus shelter": "400.00", "Community fridge": "0.00"}
    elif fmt == "json":
        assert json.loads(body)["ballots_sha256"] == world.result.ballots_sha256
    elif fmt == "pb":
        assert len(pabulib.read(body.decode())[0].ballots) == 5
    else:
        assert body[:4] in (b"%PDF", b"PK\x03\x04")


def test_export_refuses_an_unpublished_round_unless_asked(app, tmp_path):
    world = factories.counted_round(publish=False)
    out = tmp_path / "result.csv"
    refused = _run(app, "export", "spring", "--format", "csv", "--out", str(out))
    assert refused.exit_code == 1
    assert "not published yet" in refused.output and "--before-publication" in refused.output
    assert not out.exists()
    assert "600.00" not in refused.output

    done = _run(app, "export", "spring", "--format", "csv", "--out", str(out),
                "--before-publication")
    assert done.exit_code == 0, done.output
    assert "NOT PUBLISHED" in done.output
    assert out.read_text(encoding="utf-8-sig").startswith("NOT PUBLISHED")
    from pb.extensions import db

    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.round_id, entry.details) == (
        "result.exported_before_publication", world.round.id, {"format": "csv"})


@pytest.mark.parametrize("args, message", [
    (["nowhere", "--format", "csv"], "there is no round 'nowhere'"),
    (["spring", "--format", "docx"],
     "there is no format 'docx'; use one of csv, xlsx, json, pdf, pb"),
], ids=["round", "format"])
def test_export_names_what_is_wrong(app, tmp_path, args, message):
    factories.counted_round(publish=True)
    out = tmp_path / "result"
    done = _run(app, "export", *args, "--out", str(out))
    assert done.exit_code == 1 and message in done.output and not out.exists()


def test_export_of_a_round_still_voting_says_there_is_no_count(app, tmp_path):
    world = factories.counted_round(publish=True)
    factories.round_(world.council, slug="open", status="voting")
    from pb.extensions import db

    db.session.commit()
    done = _run(app, "export", "open", "--format", "csv", "--out", str(tmp_path / "x.csv"),
                "--before-publication")
    assert done.exit_code == 1 and "no count to export" in done.output


def test_export_says_when_it_cannot_write(app, tmp_path):
    factories.counted_round(publish=True)
    done = _run(app, "export", "spring", "--format", "csv", "--out",
                str(tmp_path / "missing" / "result.csv"))
    assert done.exit_code == 1 and "could not write" in done.output
