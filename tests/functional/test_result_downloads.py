"""Result downloads through the pages, as a new visitor finds them; the reproduce page and its
bundle; the embargo on every download; and bad addresses."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import shlex
import zipfile

import openpyxl
import pypdfium2
import pytest
from click.testing import CliRunner

from pb.models.round import DRAFT
from pb.services import pabulib_io
from pb.tally import pabulib
from pb.tally.cli import tally_command
from tests import factories
from tests.functional.helpers import login
from tests.results_world import add_round

ROUND_FORMATS = ["csv", "xlsx", "json", "pdf", "pb"]


def _links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


def _download_links(page: str) -> list[str]:
    return [h for h in _links(page) if "/download." in h or h.endswith("bundle.zip")]


def _check_file(response, fmt: str) -> None:
    """The body is a real file of its format, with the counted projects in it."""
    body = response.data
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert any("Allotment" in row for row in rows)
    elif fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(body))
        assert "Results" in book.sheetnames
    elif fmt == "json":
        data = json.loads(body)
        assert "Allotment" in json.dumps(data)
    elif fmt == "pdf":
        document = pypdfium2.PdfDocument(body)
        try:
            text = " ".join(document[i].get_textpage().get_text_range()
                            for i in range(len(document)))
        finally:
            document.close()
        assert "Allotment" in " ".join(text.split())
    elif fmt == "pb" and response.mimetype == "application/zip":
        archive = zipfile.ZipFile(io.BytesIO(body))
        for name in archive.namelist():
            pabulib.read(archive.read(name).decode())
    elif fmt == "pb":
        election, _, _ = pabulib.read(body.decode())
        assert len(election.ballots) == 5


def test_a_visitor_finds_and_opens_every_download_from_the_council_page(client):
    world = factories.counted_round(publish=True)
    page = client.get("/results/council/test-council")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Round spring" in text and "£1,000" in text
    links = _download_links(text)
    round_links = [l for l in links if l.startswith("/results/spring/download.")]
    council_links = [l for l in links if l.startswith("/results/council/test-council/download.")]
    assert sorted(l.rsplit(".", 1)[1] for l in round_links) == sorted(ROUND_FORMATS)
    assert sorted(l.rsplit(".", 1)[1] for l in council_links) == sorted(ROUND_FORMATS)
    for link in round_links + council_links:
        response = client.get(link)
        assert response.status_code == 200, link
        disposition = response.headers["Content-Disposition"]
        assert "NOT-PUBLISHED" not in disposition
        assert re.fullmatch(r'attachment; filename="[A-Za-z0-9_-]+\.[a-z]+"', disposition)
        assert "no-store" not in response.headers.get("Cache-Control", "")
        _check_file(response, link.rsplit(".", 1)[1])
    assert "/results/spring/reproduce" in _links(text)
    assert "/results/spring" in _links(text)


def test_the_reproduce_page_and_its_bundle_count_again_to_the_result(client, tmp_path):
    world = factories.counted_round(publish=True)
    page = client.get("/results/spring/reproduce")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    said_sha = re.search(r'id="file-sha256">([0-9a-f]{64})<', text).group(1)
    assert re.search(r'id="ballots-sha256">([0-9a-f]{64})<', text).group(1) == \
        world.result.ballots_sha256
    assert world.round.tie_break_seed in text
    assert "Most votes first" in text
    command = html.unescape(re.search(r'id="command">([^<]+)<', text).group(1))

    bundle_link = next(l for l in _links(text) if l.endswith("bundle.zip"))
    bundle = client.get(bundle_link)
    assert bundle.status_code == 200 and bundle.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(bundle.data))
    election_pb = archive.read("election.pb")
    assert hashlib.sha256(election_pb).hexdigest() == said_sha
    assert said_sha in archive.read("README.txt").decode()
    single = client.get(next(l for l in _links(text) if l.endswith("download.pb")))
    assert hashlib.sha256(single.data).hexdigest() == said_sha

    args = shlex.split(command)
    assert args[:3] == ["pb", "tally", "election.pb"]
    (tmp_path / "election.pb").write_bytes(election_pb)
    counted = CliRunner().invoke(tally_command, [str(tmp_path / "election.pb"), *args[3:]])
    assert counted.exit_code == 0, counted.output
    ids = pabulib_io.export_ids(world.round)
    assert json.loads(counted.output)["selected"] == [ids[i] for i in world.result.data["selected"]]


def _embargoed_urls():
    return ([f"/results/spring/download.{fmt}" for fmt in ROUND_FORMATS]
            + ["/results/spring/reproduce", "/results/spring/bundle.zip"]
            + [f"/results/council/test-council/download.{fmt}" for fmt in ROUND_FORMATS])


def test_an_unpublished_count_is_in_no_download_or_page_for_the_public(client):
    world = factories.counted_round(publish=False, equality=12)
    secrets = [world.result.ballots_sha256, "600.00", "£600", "Funded in step"]
    for url in _embargoed_urls():
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Content-Disposition" not in response.headers
        body = response.get_data(as_text=True)
        assert not any(s in body for s in secrets), url
    council = client.get("/results/council/test-council").get_data(as_text=True)
    assert "Round spring" not in council and "/results/spring" not in council
    assert "No results have been published yet." in council
    assert "not published yet" in client.get("/results/spring/download.csv").get_data(as_text=True)


def test_a_partnership_member_who_is_not_staff_sees_no_preview(client):
    world = factories.counted_round(publish=False)
    from pb.models.user import MEMBER

    factories.user(world.council, "member@example.org", MEMBER, world.partnership)
    from pb.extensions import db

    db.session.commit()
    login(client, "member@example.org")
    for url in _embargoed_urls():
        assert client.get(url).status_code == 404, url


def test_staff_download_previews_marked_not_published_and_never_cached(client):
    world = factories.counted_round(publish=False)
    login(client, "organiser@example.org")
    for url in _embargoed_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers["Cache-Control"], url
        if "Content-Disposition" in response.headers:
            assert "NOT-PUBLISHED" in response.headers["Content-Disposition"], url
    csv_text = client.get("/results/spring/download.csv").data.decode("utf-8-sig")
    assert csv_text.startswith("NOT PUBLISHED")
    page = client.get("/results/council/test-council")
    assert "no-store" in page.headers["Cache-Control"]
    text = page.get_data(as_text=True)
    assert "Round spring" in text and "Not published: preview for staff" in text
    assert "Preview for staff" in client.get("/results/spring/reproduce").get_data(as_text=True)


def test_the_council_page_lists_published_rounds_and_council_totals(client):
    world = factories.counted_round(publish=True)
    add_round(world, "autumn", [("Benches", 50_00), ("Mural", 80_00)],
              [["Benches"], ["Mural"], ["Mural"]], pot=100_00)
    add_round(world, "winter", [("Lights", 30_00)], [["Lights"]], publish=False)
    text = client.get("/results/council/test-council").get_data(as_text=True)
    assert "Round spring" in text and "Round autumn" in text and "Round winter" not in text
    totals = re.search(r'<dl class="summary-list summary-totals">(.*?)</dl>', text, re.S).group(1)
    assert "£1,100" in totals and "£1,080" in totals and "3 of 5" in totals and ">8<" in totals
    csv_text = client.get("/results/council/test-council/download.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert {r["Round id"] for r in rows} == {"spring", "autumn"}


@pytest.mark.parametrize("url, reason", [
    ("/results/nowhere/download.csv", None),
    ("/results/nowhere/reproduce", None),
    ("/results/nowhere/bundle.zip", None),
    ("/results/spring/download.docx", "csv, xlsx, json, pdf, pb"),
    ("/results/spring/download.CSV", "csv, xlsx, json, pdf, pb"),
    ("/results/spring/download.pdf.exe", "csv, xlsx, json, pdf, pb"),
    ("/results/council/nowhere", None),
    ("/results/council/nowhere/download.csv", None),
    ("/results/council/test-council/download.docx", "csv, xlsx, json, pdf, pb"),
], ids=["round-csv", "round-reproduce", "round-bundle", "format", "upper-format",
        "double-extension", "council", "council-download", "council-format"])
def test_bad_addresses_get_a_404_that_says_why(client, url, reason):
    factories.counted_round(publish=True)
    response = client.get(url)
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Page not found" in text
    if reason:
        assert reason in text


def test_a_draft_round_is_not_found_even_by_its_address(client):
    world = factories.counted_round(publish=True)
    factories.round_(world.council, slug="draft-round", status=DRAFT)
    from pb.extensions import db

    db.session.commit()
    response = client.get("/results/draft-round/download.csv")
    assert response.status_code == 404 and "draft-round" not in response.get_data(as_text=True)


def test_a_council_with_no_published_rounds_has_no_download(client):
    factories.counted_round(publish=False)
    response = client.get("/results/council/test-council/download.json")
    assert response.status_code == 404
    assert "no published results yet" in response.get_data(as_text=True)


def test_no_round_takes_the_slug_of_the_council_results_pages(app):
    """/results/council/... is the council's page, so a round called "Council" gets another slug
    and its downloads keep working."""
    from pb.models.user import COUNCIL_ADMIN
    from pb.services import rounds

    council, _ = factories.council_with_partnerships(["North"])
    admin = factories.user(council, "admin@example.org", COUNCIL_ADMIN)
    made = rounds.create_round(admin, council, rounds.RoundInput(title="Council", pot=1_000_00,
                                                                slug="council"))
    assert made.slug == "council-round"
