"""A real server process for tests: gunicorn serving the app on loopback, and a resident who
talks to it over HTTP as a browser would (cookies, CSRF tokens, redirects not followed)."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "live-test-secret"  # what the server signs with, for links a test makes itself


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def live_server(database_url: str, instance: Path, workers: int = 4, threads: int = 8,
                env: dict | None = None):
    """Run gunicorn against `database_url` until the block ends; yields the port.

    `env` adds to (or overrides) the server's environment."""
    port = free_port()
    env = {**os.environ, "PB_DATABASE_URL": database_url, "PB_INSTANCE_PATH": str(instance),
           "PB_SECRET_KEY": SECRET_KEY, "PYTHONPATH": str(ROOT),
           "PB_RATE_LIMITS": "off", **(env or {})}
    log = open(instance / "gunicorn.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "pb:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Resident(port).get("/healthz").status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start:\n"
                                   + (instance / "gunicorn.log").read_text()[-3000:])
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


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
