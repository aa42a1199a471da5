"""Static files carry a version in their address, are kept a year by browsers, and are
compressed; pages are never compressed (secrets beside typed text: BREACH)."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"


def _stylesheet(client) -> str:
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'href="(/static/css/pb\.css\?v=([0-9a-f]{12}))"', html)
    assert match, "the page links no versioned stylesheet"
    return match.group(1)


def test_a_versioned_static_file_is_kept_for_a_year(client):
    response = client.get(_stylesheet(client))
    assert response.status_code == 200
    assert response.cache_control.max_age == 365 * 24 * 60 * 60
    assert response.cache_control.public and response.cache_control.immutable


def test_without_the_current_version_a_static_file_is_checked_each_time(client):
    for url in ("/static/css/pb.css", "/static/css/pb.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.cache_control.max_age != 365 * 24 * 60 * 60, url
        assert not response.cache_control.immutable, url


def test_the_version_changes_with_the_file(client, tmp_path, app):
    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy)
    app.static_folder = str(copy)
    before = _stylesheet(client)
    with (copy / "css" / "pb.css").open("a") as css:
        css.write("\n/* changed */\n")
    after = _stylesheet(client)
    assert after != before
    assert client.get(after).get_data().endswith(b"/* changed */\n")


def test_static_files_are_compressed_for_browsers_that_accept_it(client):
    url = _stylesheet(client)
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    body = gzip.decompress(response.get_data())
    assert body == (STATIC / "css" / "pb.css").read_bytes()
    assert int(response.headers["Content-Length"]) == len(response.get_data()) < len(body) / 2
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data() == body


def test_pages_are_not_compressed(client):
    response = client.get("/vote/", headers={"Accept-Encoding": "gzip, br, zstd"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert "<form" in response.get_data(as_text=True)
