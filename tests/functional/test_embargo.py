"""The embargo, everywhere: before publication no page, API route or download shows a count.

The test walks every GET route the app has (so a route added later is covered without
editing this file), fills its parameters with the closed round's slug, project numbers,
council and download formats, and asks as the public and as a partnership member who is not
staff of the round. Vote counts are made distinctive (47, 43, 29) so that a leak shows.
As a control, the round's organiser does see them.
"""

from __future__ import annotations

import re

import pytest

from pb.models.user import MEMBER
from pb.services import results
from tests import factories
from tests.functional.helpers import login

VOTES = (47, 43, 29)
BALLOTS = ([(["Allotment", "Bus shelter", "Community fridge"], "online", "SK10")] * 29
           + [(["Allotment", "Bus shelter"], "kiosk", None)] * 9
           + [(["Allotment"], "paper", None)] * 9
           + [(["Bus shelter"], "online", "SK11")] * 5)
FORMATS = ("csv", "xlsx", "json", "pdf", "pb", "zip", "txt", "html")
BINARY = ("application/pdf", "application/zip", "application/octet-stream", "text/csv",
          "application/vnd.openxmlformats")
# Endpoints whose 200 with a file is not a count: static files and photos.
FILE_ENDPOINTS = {"static", "main.photo"}


def _leaks(body: str, sheet) -> list[str]:
    found = []
    if sheet.result.ballots_sha256 in body:
        found.append("the ballot fingerprint")
    for line in sheet.lines:
        text = results.reason_text(sheet, line)
        if text in body:
            found.append(f"the reason {text!r}")
    for n in VOTES:
        for pattern in (rf"\b{n}\s*(votes|points|pleidlais)", rf">\s*{n}\s*<",
                        rf'"(votes|score)"\s*:\s*"?{n}\b', rf"\b{n}\s*/\s*\d+\s*(votes|voters)"):
            if re.search(pattern, body, re.IGNORECASE):
                found.append(f"a count {n} ({pattern})")
    return found


def _urls(app, world) -> list[tuple[str, str]]:
    values = {
        "slug": [world.round.slug],
        "council_slug": [world.council.slug],
        "proposal_id": [p.id for p in world.projects.values()],
        "fmt": list(FORMATS), "format": list(FORMATS), "ext": list(FORMATS),
    }
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in FILE_ENDPOINTS:
            continue
        urls = [""]
        ok = True
        for arg in rule.arguments:
            choices = values.get(arg, ["x" if "token" in arg else 1])
            urls = [u + "|" + f"{arg}={c}" for u in urls for c in choices]
            ok = ok and bool(choices)
        for combo in urls:
            kwargs = dict(part.split("=", 1) for part in combo.split("|") if part)
            typed = {k: (int(v) if rule._converters.get(k).__class__.__name__ == "IntegerConverter"
                         else v) for k, v in kwargs.items()}
            with app.test_request_context():
                from flask import url_for

                out.append((rule.endpoint, url_for(rule.endpoint, **typed)))
    return out


@pytest.fixture
def world(app):
    world = factories.counted_round(ballots=BALLOTS, equality=12)
    votes = {row["name"]: row["votes"] for row in world.result.data["projects"]}
    assert sorted(votes.values(), reverse=True) == list(VOTES)
    return world


def _check_every_route(app, client, world, who: str) -> int:
    sheet = results.build_sheet(world.round, world.result)
    checked = 0
    for endpoint, url in _urls(app, world):
        response = client.get(url)
        assert response.status_code != 500, f"{who}: {url} gave a 500"
        kind = response.headers.get("Content-Type", "")
        if response.status_code == 200 and kind.startswith(BINARY):
            pytest.fail(f"{who}: {url} ({endpoint}) sent a file before publication ({kind})")
        body = response.get_data().decode("utf-8", "replace")
        assert not _leaks(body, sheet), f"{who}: {url} ({endpoint}) shows {_leaks(body, sheet)}"
        checked += 1
    return checked


def test_no_route_shows_a_count_to_the_public_before_publication(app, world):
    checked = _check_every_route(app, app.test_client(), world, "the public")
    assert checked > 60  # every GET route of the app, several with each format


def test_no_route_shows_a_count_to_a_partnership_member_before_publication(app, world):
    factories.user(world.council, "member@example.org", MEMBER, world.partnership)
    client = app.test_client()
    assert login(client, "member@example.org").status_code == 302
    _check_every_route(app, client, world, "a partnership member")


def test_the_organiser_sees_the_counts_the_others_cannot(app, world):
    """The control: the markers above do show on the staff preview, so the test can fail."""
    sheet = results.build_sheet(world.round, world.result)
    client = app.test_client()
    assert login(client, "organiser@example.org").status_code == 302
    body = client.get(f"/results/{world.round.slug}").get_data(as_text=True)
    assert _leaks(body, sheet)


def test_after_publication_the_public_sees_them(app, world):
    from pb.services import rounds

    rounds.publish_results(world.organiser, world.round)
    from pb.extensions import db

    db.session.commit()
    sheet = results.build_sheet(world.round, world.result)
    body = app.test_client().get(f"/results/{world.round.slug}").get_data(as_text=True)
    assert _leaks(body, sheet)
