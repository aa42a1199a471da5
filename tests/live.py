"""A real server process for tests: gunicorn serving the app on loopback, and a resident who
talks to it over HTTP as a browser would (cookies, CSRF tokens, redirects not followed)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "test-secret-key"  # the test app's key too (tests/conftest.py): codes made in a test work on the server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """`pb serve` (gunicorn) serving the app against `database_url`, in a process group of its own so that a
    test can kill the whole server (master and workers) at once, as a power cut would."""

    def __init__(self, database_url: str, instance: Path, workers: int = 4, threads: int = 8,
                 env: dict | None = None):
        self.database_url, self.instance = database_url, instance
        self.workers, self.threads, self.extra_env = workers, threads, env or {}
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self) -> int:
        """Start the server on a free port and wait until it answers; returns the port."""
        self.port = free_port()
        env = {**os.environ, "PB_DATABASE_URL": self.database_url,
               "PB_INSTANCE_PATH": str(self.instance), "PB_SECRET_KEY": SECRET_KEY,
               "PYTHONPATH": str(ROOT), "PB_RATE_LIMITS": "off", **self.extra_env}
        self._log = open(self.instance / f"gunicorn-{self.port}.log", "w")
        # The README's production command: `pb serve` checks the database, then becomes
        # gunicorn (same process, so killing its group kills the master and its workers).
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pb", "serve", "--workers", str(self.workers),
             "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}",
             "--", "--graceful-timeout", "5"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if Resident(self.port).get("/healthz").status == 200:
                    return self.port
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the server did not start:\n" + self.log()[-3000:])
            time.sleep(0.2)

    def log(self) -> str:
        return (self.instance / f"gunicorn-{self.port}.log").read_text()

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no request finishes, nothing is
        flushed or closed."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._close_log()

    def stop(self) -> None:
        """Stop the server gracefully (killing it if it does not stop in time)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


@contextmanager
def live_server(database_url: str, instance: Path, workers: int = 4, threads: int = 8,
                env: dict | None = None):
    """Run gunicorn against `database_url` until the block ends; yields the port.

    `env` adds to (or overrides) the server's environment."""
    server = LiveServer(database_url, instance, workers, threads, env)
    server.start()
    try:
        yield server.port
    finally:
        server.stop()


class Reply:
    def __init__(self, status: int, headers: dict, body: str):
        self.status, self.headers, self.body = status, headers, body

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Resident:
    """One person's browser: keeps its cookies; one connection per request."""

    def __init__(self, port: int, timeout: float = 60):
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, path: str, body: bytes | None = None,
              headers: dict | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            all_headers = dict(headers or {})
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
        finally:
            conn.close()

    def get(self, path: str) -> Reply:
        return self._send("GET", path)

    def post(self, path: str, data: dict | list) -> Reply:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._send("POST", path, body,
                          {"Content-Type": "application/x-www-form-urlencoded"})

    @staticmethod
    def csrf(html: str) -> str:
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert match, "no CSRF token on the page"
        return match.group(1)


# Voting through the server ----------------------------------------------------------------------

def ready_to_submit(port: int, code: str, projects: list[int]) -> tuple[Resident, str]:
    """A resident who has entered the code and chosen; returns them and the review's token."""
    resident = Resident(port)
    start = resident.get("/vote/")
    entered = resident.post("/vote/", {"csrf_token": Resident.csrf(start.body), "code": code})
    assert entered.status == 302 and entered.location.endswith("/vote/ballot"), entered.body[:500]
    page = resident.get("/vote/ballot")
    chosen = resident.post("/vote/ballot", {"csrf_token": Resident.csrf(page.body),
                                            "projects": [str(p) for p in projects]})
    assert chosen.status == 302, chosen.body[:500]
    review = resident.get("/vote/review")
    assert review.status == 200
    return resident, Resident.csrf(review.body)


def fire_together(submitters: list[tuple[Resident, str]]) -> list[Reply]:
    """Every resident sends their ballot at the same moment (a barrier releases them)."""
    barrier = threading.Barrier(len(submitters))

    def submit(pair):
        resident, token = pair
        barrier.wait()
        return resident.post("/vote/submit", {"csrf_token": token})

    with ThreadPoolExecutor(max_workers=len(submitters)) as pool:
        return list(pool.map(submit, submitters))


def receipt_of(resident: Resident) -> str | None:
    """The receipt code the resident was given: it travels in their signed session cookie, so
    they have it from the moment the server answers their ballot."""
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    cookie = resident.cookies.get("session")
    if not cookie:
        return None
    app = Flask(__name__)
    app.secret_key = SECRET_KEY
    data = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)
    return (data.get("receipt") or {}).get("code")
