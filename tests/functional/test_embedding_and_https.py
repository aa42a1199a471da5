"""Frames only where a page is meant to be embedded, and only by the configured sites; HSTS
only over HTTPS, believed from a proxy only when it is trusted."""

from __future__ import annotations

import pytest

from pb.security import EMBEDDABLE
from tests.conftest import _config, _running_app
from tests.functional.test_security_headers import csp_directives

EMBED = "https://council.example https://news.example:8443 https://bad.example;script-src"


@pytest.fixture
def embed_app(database_url, tmp_path):
    config = {**_config(database_url, tmp_path), "PB_EMBED_ORIGINS": EMBED.split()}
    yield from _running_app(config)


def test_embeddable_pages_allow_only_the_configured_origins(embed_app):
    from tests.factories import counted_round

    world = counted_round(publish=True, slug="framed")
    client = embed_app.test_client()
    for url in ("/results/framed/live", "/results/framed", "/results/council/test-council"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert csp_directives(response)["frame-ancestors"] == [
            "https://council.example", "https://news.example:8443"], url
        assert "X-Frame-Options" not in response.headers  # it would contradict the policy
    for url in ("/", "/rounds/framed", "/auth/login"):
        response = client.get(url)
        assert csp_directives(response)["frame-ancestors"] == ["'none'"], url
        assert response.headers["X-Frame-Options"] == "DENY"
    assert world.round.slug == "framed"
    assert set(EMBEDDABLE) == {"results.live", "results.round_results", "results.council"}


def test_hsts_only_over_https(app, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_forwarded_https_is_believed_only_from_a_trusted_proxy(database_url, tmp_path):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    for proxies, expected in ((0, False), (1, True)):
        config = {**_config(database_url, tmp_path / str(proxies)),
                  "PB_TRUSTED_PROXIES": proxies}
        for app in _running_app(config):
            response = app.test_client().get("/", headers=forwarded)
            assert ("Strict-Transport-Security" in response.headers) is expected, proxies


def test_trusted_proxies_are_read_from_the_environment(monkeypatch, tmp_path):
    from pb import config

    monkeypatch.setenv("PB_TRUSTED_PROXIES", "2")
    monkeypatch.setenv("PB_EMBED_ORIGINS", "https://a.example  https://b.example")
    settings = config.from_environment(tmp_path)
    assert settings["PB_TRUSTED_PROXIES"] == 2
    assert settings["PB_EMBED_ORIGINS"] == ["https://a.example", "https://b.example"]
