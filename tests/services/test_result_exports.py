"""Result downloads read back: CSV, XLSX and JSON to the penny, the PDF rendered and read, the
.pb counted again, previews marked NOT PUBLISHED, and the bundle that reproduces a count."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pypdfium2
import pytest
from click.testing import CliRunner

from pb.extensions import db
from pb.services import cards, pabulib_io, result_exports as rx, results
from pb.tally import TieBreak, pabulib, tally
from pb.tally.cli import tally_command
from tests import factories
from tests.results_world import add_round

COSTS = {"Allotment": Decimal("600.00"), "Bus shelter": Decimal("400.00"),
         "Community fridge": Decimal("100.00")}
AWARDS = {"Allotment": Decimal("600.00"), "Bus shelter": Decimal("400.00"),
          "Community fridge": Decimal("0.00")}


def _sheet(world):
    return rx.sheet_for_export(None, world.round, before_publication=True)


def _csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _pdf_pages(body: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(body)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def _flat(text: str) -> str:
    """PDF text with its line breaks (where a long title wrapped) as spaces."""
    return " ".join(text.split())


# Who gets a sheet -----------------------------------------------------------------------------

def test_only_the_operators_explicit_choice_exports_an_unpublished_count(app):
    world = factories.counted_round()
    assert rx.sheet_for_export(None, world.round) is None
    sheet = rx.sheet_for_export(None, world.round, before_publication=True)
    assert sheet is not None and not sheet.published
    assert rx.sheet_for_export(world.organiser, world.round).result is world.result
    voting_round = factories.round_(world.council, slug="open", status="voting")
    assert rx.sheet_for_export(None, voting_round, before_publication=True) is None


def test_a_council_shows_the_public_only_its_published_rounds(app):
    world = factories.counted_round(publish=True)
    hidden, _, _ = add_round(world, "autumn", [("Benches", 50_00)], [["Benches"]], publish=False)
    assert [s.round.slug for s in rx.council_sheets(None, world.council)] == ["spring"]
    staff = rx.council_sheets(world.organiser, world.council)
    assert [(s.round.slug, s.published) for s in staff] == [("spring", True), ("autumn", False)]
    totals = rx.council_totals(staff)
    assert (totals.rounds, totals.ballots, totals.funded, totals.projects) == (1, 5, 2, 3)
    assert totals.money == [("GBP", 1_000_00, 1_000_00)]


@pytest.mark.parametrize("fmt", ["docx", "", "PDF", "../csv"],
                         ids=["docx", "empty", "upper", "path"])
def test_an_unknown_format_is_refused_with_the_formats_we_make(app, fmt):
    world = factories.counted_round(publish=True)
    with pytest.raises(rx.UnknownFormat) as caught:
        rx.round_download(_sheet(world), fmt)
    assert "csv, xlsx, json, pdf, pb" in caught.value.message


# CSV ------------------------------------------------------------------------------------------

def test_the_csv_reads_back_to_the_penny(app):
    world = factories.counted_round(publish=True)
    download = rx.round_download(_sheet(world), "csv")
    assert (download.filename, download.mimetype, download.preview) == (
        "spring-results.csv", "text/csv", False)
    rows = _csv_rows(download.body.decode("utf-8"))
    header = rows[0]
    assert header[:5] == ["Project number", "Project", "Area", "Category", "Cost"]
    by_title = {row[1]: dict(zip(header, row)) for row in rows[1:]}
    assert set(by_title) == set(COSTS)
    for title, row in by_title.items():
        assert Decimal(row["Cost"]) == COSTS[title] and row["Cost"] == str(COSTS[title])
        assert Decimal(row["Award"]) == AWARDS[title]
        assert row["Project number"] == str(world.projects[title].id)
        assert row["Currency"] == "GBP"
    assert by_title["Bus shelter"]["Funded"] == "Yes"
    assert by_title["Community fridge"]["Funded"] == "No"
    assert (by_title["Allotment"]["Votes"], by_title["Community fridge"]["Votes"]) == ("3", "2")
    assert by_title["Community fridge"]["Why"] == "Needed £100 but only £0 was left."
    assert sum(Decimal(r["Award"]) for r in by_title.values()) == Decimal("1000.00")


def test_text_that_looks_like_a_formula_stays_text(app):
    world = factories.counted_round(publish=True)
    world.projects["Allotment"].title = "=HYPERLINK(\"http://evil.example\",\"click\")"
    world.projects["Bus shelter"].title = "@SUM(A1:A9)"
    db.session.commit()
    rows = _csv_rows(rx.round_csv(_sheet(world)))
    titles = {row[1] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in titles and "'@SUM(A1:A9)" in titles
    book = openpyxl.load_workbook(io.BytesIO(rx.round_xlsx(_sheet(world))))
    cells = [row[1] for row in book["Results"].iter_rows(min_row=2)]
    formula = next(c for c in cells if c.value.startswith("=HYPERLINK"))
    assert formula.data_type == "s" and formula.quotePrefix


# XLSX -----------------------------------------------------------------------------------------

def test_the_workbook_has_results_turnout_equality_and_about(app):
    world = factories.counted_round(publish=True, equality=12)
    download = rx.round_download(_sheet(world), "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(download.body))
    assert book.sheetnames == ["Results", "Turnout", "Equality", "About"]

    results_sheet = book["Results"]
    header = [c.value for c in results_sheet[1]]
    rows = {r[1]: dict(zip(header, r))
            for r in results_sheet.iter_rows(min_row=2, values_only=True)}
    for title in COSTS:
        assert Decimal(str(rows[title]["Cost"])) == COSTS[title]
        assert Decimal(str(rows[title]["Award"])) == AWARDS[title]
    cost_cell = results_sheet.cell(row=2, column=header.index("Cost") + 1)
    assert "£" in cost_cell.number_format and cost_cell.number_format.endswith(".00")

    turnout = [r for r in book["Turnout"].iter_rows(min_row=2, values_only=True)]
    assert ("All ballots", "", 5) in turnout or ("All ballots", None, 5) in turnout
    assert ("By way of voting", "Online", 3) in turnout
    assert ("By way of voting", "Paper", 1) in turnout
    assert ("By area (postcode district)", "SK10", 2) in turnout

    equality = {(q, a): n for q, a, n in book["Equality"].iter_rows(min_row=2, values_only=True)}
    assert equality[("How old are you?", "25 to 34")] == "fewer than 10"
    assert equality[("How old are you?", "16 to 24")] == 0
    assert equality[("What is your ethnic group?", "Not answered")] == 12

    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert about["Tie-break seed"] == world.round.tie_break_seed
    assert about["Fingerprint of the ballots (SHA-256)"] == world.result.ballots_sha256
    assert about["Rule"] == "greedy"
    assert about["Counting engine version"] == world.result.engine_version
    assert about["Results"].startswith("Published on")
    assert Decimal(str(about["Given to projects"])) == Decimal("1000.00")


def test_a_round_that_did_not_ask_equality_questions_says_so(app):
    world = factories.counted_round(publish=True)
    book = openpyxl.load_workbook(io.BytesIO(rx.round_xlsx(_sheet(world))))
    rows = list(book["Equality"].iter_rows(min_row=2, values_only=True))
    assert rows == [("Equality questions were not asked in this round.", None, None)]
    assert rx.round_data(_sheet(world))["equality"] is None


# JSON -----------------------------------------------------------------------------------------

def test_the_json_is_the_api_sheet_with_equality_totals(app):
    world = factories.counted_round(publish=True, equality=12)
    sheet = _sheet(world)
    data = json.loads(rx.round_download(sheet, "json").body)
    expected = json.loads(json.dumps(results.sheet_dict(sheet)))
    assert {k: data[k] for k in expected} == expected
    assert "notice" not in data
    assert {p["title"]: p["award"] for p in data["projects"]} == {
        "Allotment": 600_00, "Bus shelter": 400_00, "Community fridge": 0}
    ages = next(q for q in data["equality"]["questions"] if q["key"] == "age_band")
    groups = {g["label"]: g for g in ages["groups"]}
    assert groups["25 to 34"] == {"key": "25-34", "label": "25 to 34", "count": None,
                                  "shown": "fewer than 10"}
    assert groups["16 to 24"]["count"] == 0
    assert data["equality"]["suppressed_below"] == 10


# PDF ------------------------------------------------------------------------------------------

def test_the_pdf_result_sheet_renders_with_titles_awards_and_suppressed_groups(app):
    world = factories.counted_round(publish=True, equality=12)
    download = rx.round_download(_sheet(world), "pdf")
    assert download.body.startswith(b"%PDF") and download.mimetype == "application/pdf"
    document = pypdfium2.PdfDocument(download.body)
    try:
        assert len(document) >= 1
        width, height = document[0].get_size()
        assert round(width) == 595 and round(height) == 842  # A4 in points
        image = document[0].render(scale=1).to_pil().convert("L")
        dark = sum(image.histogram()[:128])
        assert dark > 0.005 * image.width * image.height  # text on the page, not a blank page
    finally:
        document.close()
    text = _flat(" ".join(_pdf_pages(download.body)))
    for title in COSTS:
        assert title in text
    for award in ("£600", "£400", "£1,000"):
        assert award in text
    assert "fewer than 10" in text
    assert "Needed £100 but only £0 was left." in text
    assert world.result.ballots_sha256 in text and world.round.tie_break_seed in text
    assert "NOT PUBLISHED" not in text
    assert "/results/spring/reproduce" in text


def test_many_projects_and_long_welsh_titles_run_onto_several_pages(app):
    world = factories.counted_round(publish=True)
    long_title = ("Adnewyddu maes chwarae Gŵyr a’r llwybr beicio ar hyd yr afon i’r ysgol gynradd "
                  "gyda meinciau, biniau a goleuadau newydd ger Ŷ Felin")
    projects = [(f"Project {i:02d} for the park and the library", 10_00 + i) for i in range(45)]
    projects.append((long_title, 75_00))
    ballots = [[t for t, _ in projects[i % 7::3]] for i in range(9)]
    r, made, result = add_round(world, "many", projects, ballots, pot=400_00,
                                title="Cyllideb Cymunedol Gŵyr: £400 i’w rannu")
    sheet = rx.sheet_for_export(None, r)
    pages = _pdf_pages(rx.round_pdf(sheet))
    assert len(pages) >= 2
    text = _flat(" ".join(pages))
    unicode_fonts = cards.fonts()[2]
    shown = (lambda t: t) if unicode_fonts else (lambda t: cards.printable(t, False))
    assert shown(long_title) in text
    assert shown("Cyllideb Cymunedol Gŵyr: £400 i’w rannu") in text
    for title, _ in projects:
        assert shown(title) in text
    assert "Page 1 of" in pages[0] and f"Page {len(pages)} of {len(pages)}" in pages[-1]


# pabulib --------------------------------------------------------------------------------------

def test_the_pb_file_reads_back_and_counts_to_the_stored_result(app):
    world = factories.counted_round(publish=True)
    download = rx.round_download(_sheet(world), "pb")
    assert download.filename == "spring.pb"
    election, meta, info = pabulib.read(download.body.decode("utf-8"))
    assert len(election.ballots) == 5 and "comment" not in meta
    again = tally(election, meta["rule"], info["settings"],
                  TieBreak("chain", meta["tie_break_seed"]))
    assert again.selected == world.result.data["selected"]


# Previews -------------------------------------------------------------------------------------

def test_every_preview_says_not_published_inside_the_file(app):
    world = factories.counted_round(equality=12)
    sheet = _sheet(world)
    files = {fmt: rx.round_download(sheet, fmt) for fmt in rx.FORMATS}
    assert all(d.preview and "NOT-PUBLISHED" in d.filename for d in files.values())
    assert _csv_rows(files["csv"].body.decode())[0][0].startswith("NOT PUBLISHED")
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"].body))
    assert book.sheetnames[0] == "NOT PUBLISHED" and book.active.title == "NOT PUBLISHED"
    assert book["About"]["B6"].value == "NOT PUBLISHED"
    assert json.loads(files["json"].body)["notice"].startswith("NOT PUBLISHED")
    pages = _pdf_pages(files["pdf"].body)
    assert all("NOT PUBLISHED" in page for page in pages)
    assert pypdfium2.PdfDocument(files["pdf"].body).get_metadata_dict()["Title"].startswith(
        "NOT PUBLISHED")
    election, meta, _ = pabulib.read(files["pb"].body.decode())
    assert meta["comment"].startswith("NOT PUBLISHED") and len(election.ballots) == 5


# A council's rounds ---------------------------------------------------------------------------

def _council(app):
    world = factories.counted_round(publish=True, equality=12)
    second, made, result = add_round(world, "autumn", [("Benches", 50_00), ("Mural", 80_00)],
                                     [["Benches"], ["Mural"], ["Mural"]], pot=100_00)
    return world, second, result


def test_the_council_csv_and_json_have_every_round(app):
    world, second, _ = _council(app)
    sheets = rx.council_sheets(None, world.council)
    download = rx.council_download(world.council, sheets, "csv")
    assert download.filename == "test-council-results.csv"
    rows = _csv_rows(download.body.decode())
    header = rows[0]
    assert header[:3] == ["Round", "Round id", "Results"]
    lines = [dict(zip(header, r)) for r in rows[1:]]
    assert {(l["Round id"], l["Project"], l["Award"]) for l in lines} == {
        ("spring", "Allotment", "600.00"), ("spring", "Bus shelter", "400.00"),
        ("spring", "Community fridge", "0.00"), ("autumn", "Mural", "80.00"),
        ("autumn", "Benches", "0.00")}
    data = json.loads(rx.council_download(world.council, sheets, "json").body)
    assert [r["round"]["slug"] for r in data["rounds"]] == ["spring", "autumn"]
    assert data["rounds"][1]["spent"] == 80_00 and "notice" not in data


def test_the_council_workbook_has_one_results_sheet_with_a_round_column(app):
    world, second, _ = _council(app)
    body = rx.council_download(world.council, rx.council_sheets(None, world.council), "xlsx").body
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Results", "Turnout", "Equality", "About"]
    header = [c.value for c in book["Results"][1]]
    assert header[0] == "Round"
    rows = [dict(zip(header, r)) for r in book["Results"].iter_rows(min_row=2, values_only=True)]
    assert sum(Decimal(str(r["Award"])) for r in rows) == Decimal("1080.00")
    turnout = list(book["Turnout"].iter_rows(min_row=2, values_only=True))
    assert ("Round autumn", "All ballots", None, 3) in turnout
    assert ("Round spring", "By way of voting", "Online", 3) in turnout
    about = list(book["About"].iter_rows(values_only=True))
    assert len(about) == 3 and about[2][1] == "autumn"


def test_the_council_pdf_has_a_section_for_each_round(app):
    world, second, _ = _council(app)
    pages = _pdf_pages(rx.council_download(world.council, rx.council_sheets(None, world.council),
                                           "pdf").body)
    assert len(pages) >= 3
    assert "Round spring" in pages[0] and "Round autumn" in pages[0]
    assert any("Results: Round autumn" in p and "Mural" in p for p in pages[1:])
    assert any("Results: Round spring" in p and "Allotment" in p for p in pages[1:])


def test_the_council_ballots_are_a_zip_of_one_pb_file_per_round(app):
    world, second, result = _council(app)
    download = rx.council_download(world.council, rx.council_sheets(None, world.council), "pb")
    assert (download.filename, download.mimetype) == ("test-council-results-pabulib.zip",
                                                      "application/zip")
    archive = zipfile.ZipFile(io.BytesIO(download.body))
    assert sorted(archive.namelist()) == ["autumn.pb", "spring.pb"]
    election, meta, info = pabulib.read(archive.read("autumn.pb").decode())
    assert len(election.ballots) == 3 and info["selected"] == sorted(result.data["selected"])


# Reproducing a count --------------------------------------------------------------------------

def test_the_bundle_counts_again_to_the_stored_result(app, tmp_path):
    world = factories.counted_round(publish=True)
    repro = rx.reproduction(_sheet(world))
    assert repro.ballots_match
    archive = zipfile.ZipFile(io.BytesIO(rx.bundle_zip(repro)))
    assert sorted(archive.namelist()) == ["README.txt", "election.pb", "result.json"]
    pb_bytes = archive.read("election.pb")
    assert pabulib_io.file_sha256(pb_bytes.decode()) == repro.pb_sha256
    readme = archive.read("README.txt").decode()
    assert repro.pb_sha256 in readme and repro.command in readme
    assert world.result.ballots_sha256 in readme
    stored = json.loads(archive.read("result.json"))
    assert stored["reproduce"]["election_pb_sha256"] == repro.pb_sha256
    assert stored["reproduce"]["selected"] == repro.selected

    (tmp_path / "election.pb").write_bytes(pb_bytes)
    args = repro.args[2:]
    args[0] = str(tmp_path / "election.pb")
    counted = CliRunner().invoke(tally_command, args)
    assert counted.exit_code == 0, counted.output
    assert json.loads(counted.output)["selected"] == stored["reproduce"]["selected"]
    ids = pabulib_io.export_ids(world.round)
    assert repro.selected == [ids[i] for i in world.result.data["selected"]]
    assert rx.bundle_zip(repro) == rx.bundle_zip(rx.reproduction(_sheet(world)))


def test_the_pabutools_example_funds_the_same_projects(app, tmp_path):
    world = factories.counted_round(publish=True)
    repro = rx.reproduction(_sheet(world))
    example = rx.pabutools_example(repro.sheet.result)
    assert example is not None
    (tmp_path / "election.pb").write_text(repro.pb, encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.stdout.strip() == repr(sorted(repro.selected))


def _stored(rule, settings=None, seed="s33d", ballots=10, mode="chain"):
    return SimpleNamespace(rule=rule, rule_settings=settings or {}, ballot_count=ballots,
                           tie_break={"mode": mode, "seed": seed})


@pytest.mark.parametrize("stored, currency, expected, unsupported", [
    (_stored("greedy"), "GBP",
     ["--rule", "greedy", "--tie-break", "chain", "--seed", "s33d"], []),
    (_stored("greedy-threshold", {"threshold_percent": 25}, ballots=10), "GBP",
     ["--rule", "greedy-threshold", "--threshold", "3", "--tie-break", "chain", "--seed",
      "s33d"], []),
    (_stored("greedy", {"threshold": 4, "partial_remainder": True}), "GBP",
     ["--rule", "greedy", "--threshold", "4", "--partial-remainder", "--tie-break", "chain",
      "--seed", "s33d"], []),
    (_stored("equal-shares", {"completion": "add1"}), "GBP",
     ["--rule", "equal-shares", "--completion", "add1", "--tie-break", "chain", "--seed",
      "s33d"], []),
    (_stored("equal-shares", {"increment": 50}, mode="refuse"), "JPY",
     ["--rule", "equal-shares", "--completion", "none", "--tie-break", "refuse", "--seed", "s33d",
      "--scale", "1"], ["increment"]),
], ids=["greedy", "threshold-percent", "threshold-partial", "equal-shares-add1", "yen-increment"])
def test_the_command_line_gives_every_setting_it_can(stored, currency, expected, unsupported):
    args, missing = rx.tally_args(stored, currency)
    assert args == ["pb", "tally", "election.pb", *expected] and missing == unsupported
