"""The browser suite: Debian's Chromium, driven by Playwright, over a live gunicorn server.

One server and one browser for the whole session; each test gets a fresh browser context (its
own cookies and cache). The browser is Debian's `chromium` package (`make test` installs it);
PB_CHROMIUM names another binary. Without it every test here FAILS: the suite is part of the
proof that the app is accessible, so it must not quietly skip.

The suite runs once on SQLite and, where `PB_TEST_POSTGRES_URL` is set (CI), once more on a
PostgreSQL database of its own beside the functional tests' one. The server is started with
`pb serve`, the README's production command (tests/live.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pb import create_app
from tests.browser.browsing import Tabs
from tests.live import ROOT, SECRET_KEY, free_port, live_server
from tests.browser import world as world_module
from tests.conftest import BACKENDS, POSTGRES_URL, _reset_postgres

CHROMIUM = os.environ.get("PB_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@dataclass
class Site:
    """The running server, the seeded data, and an app on the same database for reading it."""

    url: str
    port: int
    world: world_module.World
    app: object

    def endpoint(self, url: str) -> str | None:
        """The endpoint that serves `url` (None: no route, as for the 404 page)."""
        from urllib.parse import urlsplit

        from werkzeug.exceptions import HTTPException

        adapter = self.app.url_map.bind("127.0.0.1")
        for method in ("GET", "POST"):  # a form sent back with errors answers its POST
            try:
                return adapter.match(urlsplit(url).path, method=method)[0]
            except HTTPException:
                continue
        return None

    def ballot_marks(self, receipt: str) -> dict[str, int]:
        """What the ballot with this receipt holds: {project title: value}."""
        from pb.services import voting

        with self.app.app_context():
            ballot = voting.find_receipt(receipt)
            assert ballot is not None, f"no ballot has the receipt {receipt}"
            return {c.proposal.title: c.value for c in ballot.choices}

    def link_in_outbox(self, to: str, prefix: str) -> str:
        with self.app.app_context():
            return world_module.link_in_outbox(to, prefix)


def _own_postgres_database() -> str:
    """An empty database for this suite on the test server (`<test database>_browser`): the
    functional tests empty theirs after every test, and may run while this suite's server is up.
    """
    base = make_url(POSTGRES_URL)
    own = base.set(database=f"{base.database}_browser")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                            {"name": own.database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    admin.dispose()
    url = own.render_as_string(hide_password=False)
    _reset_postgres(url)
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def site(request, tmp_path_factory):
    """The demo plus a round for every ballot type, served by `pb serve` on loopback."""
    instance = tmp_path_factory.mktemp("browser-instance")
    if request.param == "sqlite":
        url = f"sqlite:///{instance / 'pb.sqlite3'}"
    else:
        url = _own_postgres_database()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": SECRET_KEY, "BASE_URL": "http://127.0.0.1"})
    with app.app_context():
        upgrade()
    world = world_module.build(app)
    # Mail goes to a port nothing listens on: it stays in the outbox, where the tests read it.
    mail = {"PB_MAIL_SERVER": "127.0.0.1", "PB_MAIL_PORT": str(free_port())}
    with live_server(url, instance, workers=2, threads=4, env=mail) as port:
        yield Site(f"http://127.0.0.1:{port}", port, world, app)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; missing, the test fails and says how to install it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}. The browser tests need Debian's "
                    "chromium package: `make test` installs it (apt-get install chromium), "
                    "or set PB_CHROMIUM to a Chromium binary.", pytrace=False)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the tests that run in the main thread."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def tabs(browser, site):
    """A tab for each mode (English, Welsh, Easy Read, Welsh Easy Read), reused by the tests."""
    shared = Tabs(browser, site)
    yield shared
    shared.close()


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS.exists() and any(SCREENSHOTS.rglob("*.png")):
        count = sum(1 for _ in SCREENSHOTS.rglob("*.png"))
        terminalreporter.write_line(f"Browser screenshots ({count}) are in {SCREENSHOTS}")
