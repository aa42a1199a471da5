"""From the close of voting to a council's download, through the pages with CSRF on, as an
organiser and then a resident and a council officer would go: close, check the preview,
publish, then follow the links on the public pages to every download and the live screen."""

from __future__ import annotations

import html
import re

from tests import factories
from tests.conftest import csrf_token
from tests.functional.helpers import login

BALLOTS = [(["Allotment", "Bus shelter"], "online", "SK10")] * 3 + [
    (["Community fridge"], "kiosk", None)] * 2


def _links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


def _press(client, url: str) -> str:
    """Open a confirmation page and press its button, as a person would."""
    confirm = client.get(url)
    assert confirm.status_code == 200
    done = client.post(url, data={"csrf_token": csrf_token(confirm.get_data(as_text=True))},
                       follow_redirects=True)
    assert done.status_code == 200
    return done.get_data(as_text=True)


def _voting_round():
    from pb.extensions import db
    from pb.models.user import ORGANISER
    from pb.services import rounds, voting

    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "organiser@example.org", ORGANISER)
    round_ = factories.round_(council, pot=1_000_00, voting_methods=["codes"])
    projects = {t: factories.proposal(round_, north, t, c) for t, c in
                (("Allotment", 600_00), ("Bus shelter", 400_00), ("Community fridge", 100_00))}
    rounds.open_voting(organiser, round_)
    for code, (titles, channel, district) in zip(
            voting.issue_codes(organiser, round_, len(BALLOTS)), BALLOTS):
        voting.cast_ballot(voting.find_credential(code).id,
                           [(projects[t].id, 1) for t in titles],
                           channel=channel, district=district)
    db.session.commit()
    return round_


def test_close_check_publish_then_every_link_works(csrf_app):
    from pb.services import rounds

    round_ = _voting_round()
    slug = round_.slug

    public = csrf_app.test_client()
    live = public.get(f"/results/{slug}/live").get_data(as_text=True)
    assert "Ballots so far" in live and ">5<" in live

    organiser = csrf_app.test_client()
    page = organiser.get("/auth/login").get_data(as_text=True)
    organiser.post("/auth/login", data={"email": "organiser@example.org",
                                        "password": factories.PASSWORD,
                                        "csrf_token": csrf_token(page)})
    dashboard = _press(organiser, f"/organise/{slug}/close")
    assert "Voting is closed and the ballots are counted" in dashboard
    # The organiser checks the preview and a preview file; the public sees neither.
    preview = organiser.get(f"/results/{slug}").get_data(as_text=True)
    assert "Preview for staff" in preview and "Allotment" in preview
    pdf = organiser.get(f"/results/{slug}/download.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert public.get(f"/results/{slug}").status_code == 404
    assert "Results coming soon" in public.get(f"/results/{slug}/live").get_data(as_text=True)

    _press(organiser, f"/organise/{slug}/publish")
    assert round_.status == "published"

    # A resident opens the results page and follows every link on it that stays on the site.
    results_page = public.get(f"/results/{slug}")
    assert results_page.status_code == 200
    body = results_page.get_data(as_text=True)
    assert "Preview for staff" not in body
    links = [h for h in _links(body) if h.startswith("/") and not h.startswith("/static/")]
    downloads = [h for h in links if "/download." in h]
    assert {h.rsplit(".", 1)[1] for h in downloads} == {"csv", "xlsx", "json", "pdf", "pb"}
    for href in links:
        response = public.get(href)
        assert response.status_code == 200, href
    fridge = public.get(f"/results/{slug}/download.csv").data.decode("utf-8-sig")
    assert "Community fridge" in fridge
    # The live screen now reveals the funded projects.
    live = public.get(f"/results/{slug}/live?reveal=all").get_data(as_text=True)
    assert "Bus shelter" in live and "Allotment" in live
    # A council officer goes to the council's page and downloads across its rounds.
    council_page = public.get(f"/results/council/{round_.council.slug}").get_data(as_text=True)
    for fmt in ("csv", "xlsx", "json", "pdf", "pb"):
        assert f"/results/council/{round_.council.slug}/download.{fmt}" in council_page
        assert public.get(f"/results/council/{round_.council.slug}/download.{fmt}"
                          ).status_code == 200
    # The API agrees with the page.
    api = public.get(f"/api/v1/rounds/{slug}/results").get_json()
    assert [p["title"] for p in api["projects"] if p["funded"]] == [
        line for line in ("Bus shelter", "Allotment")]
    assert rounds.ballot_count(round_) == 5
