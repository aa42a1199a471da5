"""Load: real ballots cast through the whole HTTP stack, as residents cast them, against gunicorn.

Each simulated resident opens the link on their voting card (``/vote/?code=...``), sends the
code with the page's CSRF token, opens the ballot, ticks projects within the limit and sends
them, reads the review page, submits, and lands on the receipt: seven requests, each parsing
the page the way a browser would (cookies kept, CSRF tokens read from the form). A ballot's
latency is the time from the first request to the receipt; a request's latency is that one
request's. Figures are printed for 1, 10 and 50 concurrent residents, on SQLite and on
PostgreSQL, with the resident memory of each gunicorn worker sampled during the run.

The run is bounded: each level stops after ``--seconds`` or ``--max-ballots``, whichever comes
first, and every request has a timeout. The load generator runs on the same machine as the
server (loopback), in ``--clients`` processes, so it competes with the server for the CPU.

Usage::

    python bench/load.py [--backend sqlite|postgresql|both] [--levels 1,10,50]
                         [--seconds 20] [--max-ballots 20000] [--workers 5] [--threads 4]

PostgreSQL comes from ``$PB_BENCH_POSTGRES_URL`` (default: database ``pb_bench`` on the server
at ``postgresql://postgres@127.0.0.1:5432``, created if missing and emptied before the run).
Rate limits are switched off for the run (``PB_RATE_LIMITS=off``): every simulated resident
comes from the same loopback address.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEFAULT_PG = os.environ.get("PB_BENCH_POSTGRES_URL", f"{PG_SERVER}/pb_bench")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PROJECT = re.compile(r'name="projects" value="(\d+)"')
SLUG = "bench-round"


# --- set-up: a database, a round open for voting, and enough codes ---------------------------

def _prepare_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": parsed.database}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _set_up(database_url: str, instance: Path, codes_needed: int) -> list[str]:
    """Migrate the database, make a knapsack round with 12 projects, open it, make codes."""
    env = _server_env(database_url, instance)
    subprocess.run([sys.executable, "-m", "pb", "db", "upgrade"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    script = f"""
import json, sys
from pb import create_app
from pb.extensions import db
from pb.models import Council, Partnership, Proposal, Round
from pb.models.proposal import SHORTLISTED
from pb.models.user import ORGANISER
from pb.services import accounts, rounds, voting
app = create_app()
with app.app_context():
    council = Council(name="Bench Council", slug="bench")
    part = Partnership(council=council, name="Bench Partnership", slug="bench-partnership")
    db.session.add_all([council, part]); db.session.flush()
    organiser = accounts.create_user("organiser@bench.example", "Organiser",
                                     "bench password 1234", [(council.id, None, ORGANISER)])
    r = Round(council=council, slug="{SLUG}", title="Bench round", pot=100_000_00,
              currency="GBP", status="proposals", ballot_type="knapsack", ballot_settings={{}},
              rule_settings={{}}, voting_methods=["codes"])
    db.session.add(r); db.session.flush()
    for i in range(12):
        db.session.add(Proposal(round=r, partnership=part, title=f"Project {{i + 1}}",
                                summary="A project for the benchmark.", cost=(5 + i) * 1_000_00,
                                status=SHORTLISTED, proposer_name="Bench", contact="b@x.example"))
    db.session.flush()
    rounds.open_voting(organiser, r)
    codes = []
    while len(codes) < {codes_needed}:
        codes += voting.issue_codes(organiser, r, min(5000, {codes_needed} - len(codes)))
    db.session.commit()
    json.dump(codes, sys.stdout)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def _server_env(database_url: str, instance: Path) -> dict:
    return {**os.environ, "PB_DATABASE_URL": database_url, "PB_INSTANCE_PATH": str(instance),
            "PB_SECRET_KEY": "bench-secret-key", "PB_RATE_LIMITS": "off",
            "PYTHONPATH": str(REPO)}


# --- the server --------------------------------------------------------------------------------

class Server:
    def __init__(self, database_url: str, instance: Path, workers: int, threads: int):
        self.port = _free_port()
        self.log = open(instance / "gunicorn.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads",
             str(threads), "--bind", f"127.0.0.1:{self.port}", "--access-logfile", "/dev/null",
             "pb:create_app()"],
            cwd=REPO, env=_server_env(database_url, instance), stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(self.port, "GET", "/healthz", {}, None)[0] == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start; see " + str(instance / "gunicorn.log"))
            time.sleep(0.2)

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker (children of the gunicorn master), in MB."""
        sizes = []
        for pid in _children(self.process.pid):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return sizes

    def cpu_seconds(self) -> float:
        """CPU time (user and system) used so far by the master and its workers."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- a resident ----------------------------------------------------------------------------------

def _request(port: int, method: str, path: str, cookies: dict, form: dict | None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text
    finally:
        conn.close()


class BallotFailed(Exception):
    pass


def _vote(port: int, code: str, request_times: list[float]) -> None:
    """One resident casts one ballot, from the card's link to the receipt."""
    cookies: dict = {}

    def step(method, path, form=None, expect=200):
        started = time.perf_counter()
        status, location, text = _request(port, method, path, cookies, form)
        request_times.append(time.perf_counter() - started)
        if status != expect:
            raise BallotFailed(f"{method} {path}: {status} (expected {expect})")
        return location, text

    _, page = step("GET", f"/vote/?code={urllib.parse.quote(code)}")
    step("POST", "/vote/", {"csrf_token": _csrf(page), "code": code}, 302)
    _, page = step("GET", "/vote/ballot")
    projects = PROJECT.findall(page)
    if not projects:
        raise BallotFailed("no projects on the ballot page")
    step("POST", "/vote/ballot", {"csrf_token": _csrf(page), "projects": projects[:3]}, 302)
    _, page = step("GET", "/vote/review")
    location, _ = step("POST", "/vote/submit", {"csrf_token": _csrf(page)}, 302)
    if not location.endswith("/vote/done"):
        raise BallotFailed(f"submit went to {location}")
    _, page = step("GET", "/vote/done")
    if 'class="receipt"' not in page:
        raise BallotFailed("no receipt on the thank-you page")


def _csrf(page: str) -> str:
    match = CSRF.search(page)
    if not match:
        raise BallotFailed("no CSRF token on the page")
    return match.group(1)


def _client_process(port, codes, threads, stop_at, max_ballots, results):
    """Run `threads` residents; each takes the next code until time or ballots run out."""
    lock = threading.Lock()
    queue = list(reversed(codes))
    ballots, requests, failures, taken = [], [], [], []

    def resident():
        mine_requests: list[float] = []
        while time.monotonic() < stop_at:
            with lock:
                if not queue or len(ballots) >= max_ballots:
                    break
                code = queue.pop()
                taken.append(code)
            started = time.perf_counter()
            try:
                _vote(port, code, mine_requests)
            except (BallotFailed, OSError) as error:
                with lock:
                    failures.append(str(error))
                continue
            with lock:
                ballots.append(time.perf_counter() - started)
        with lock:
            requests.extend(mine_requests)

    workers = [threading.Thread(target=resident) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    results.put({"ballots": ballots, "requests": requests, "failures": failures,
                 "taken": taken})


def _run_level(server: Server, codes: list[str], concurrency: int, seconds: float,
               max_ballots: int, clients: int) -> dict:
    processes = min(clients, concurrency)
    share = [concurrency // processes + (1 if i < concurrency % processes else 0)
             for i in range(processes)]
    per_process_codes = [codes[i::processes] for i in range(processes)]
    results: multiprocessing.Queue = multiprocessing.Queue()
    cpu_before = server.cpu_seconds()
    started = time.monotonic()
    stop_at = started + seconds
    procs = [multiprocessing.Process(target=_client_process, args=(
        server.port, per_process_codes[i], share[i], stop_at,
        max_ballots // processes + 1, results)) for i in range(processes)]
    for p in procs:
        p.start()
    peak_rss: list[float] = []
    gathered = []
    while len(gathered) < processes:
        try:
            gathered.append(results.get(timeout=0.5))
        except Exception:  # queue.Empty: sample memory while the level runs
            rss = server.worker_rss_mb()
            if rss and (not peak_rss or max(rss) > max(peak_rss)):
                peak_rss = rss
    elapsed = time.monotonic() - started
    server_cpu = server.cpu_seconds() - cpu_before
    for p in procs:
        p.join()
    ballots = [t for g in gathered for t in g["ballots"]]
    requests = [t for g in gathered for t in g["requests"]]
    failures = [f for g in gathered for f in g["failures"]]
    taken = {c for g in gathered for c in g["taken"]}
    return {"concurrency": concurrency, "seconds": elapsed, "ballots": len(ballots),
            "failures": failures, "taken": taken, "ballot_times": ballots, "request_times": requests,
            "peak_worker_rss_mb": max(peak_rss) if peak_rss else None,
            "server_cpu_ms_per_ballot": server_cpu * 1000 / len(ballots) if ballots else None}


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def _report(backend: str, level: dict) -> str:
    b, r = level["ballot_times"], level["request_times"]
    rate = level["ballots"] / level["seconds"] if level["seconds"] else 0
    ms = lambda v: f"{v * 1000:7.1f}"  # noqa: E731
    rss = level["peak_worker_rss_mb"]
    return (f"{backend:<10} {level['concurrency']:>4} {level['ballots']:>8} "
            f"{rate:>9.1f} {len(r) / level['seconds']:>8.1f} "
            f"{ms(_pct(b, 50))} {ms(_pct(b, 95))} {ms(_pct(b, 99))} "
            f"{ms(_pct(r, 50))} {ms(_pct(r, 95))} {ms(_pct(r, 99))} "
            f"{(f'{rss:.0f}' if rss else '-'):>7} {len(level['failures']):>6} "
            f"{(f'{cpu:.1f}' if (cpu := level['server_cpu_ms_per_ballot']) else '-'):>7}")


HEADER = (f"{'backend':<10} {'conc':>4} {'ballots':>8} {'ballots/s':>9} {'req/s':>8} "
          f"{'b p50':>7} {'b p95':>7} {'b p99':>7} {'r p50':>7} {'r p95':>7} {'r p99':>7} "
          f"{'RSS MB':>7} {'failed':>6} {'CPU ms':>7}\n"
          f"{'':<10} {'':>4} {'':>8} {'':>9} {'':>8} {'(ballot latency, ms)':>23} "
          f"{'(request latency, ms)':>23}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--levels", default="1,10,50",
                        help="concurrent residents, comma separated (default 1,10,50)")
    parser.add_argument("--seconds", type=float, default=20, help="time cap per level")
    parser.add_argument("--max-ballots", type=int, default=20_000, help="ballot cap per level")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per gunicorn worker (1: the README's sync workers)")
    parser.add_argument("--clients", type=int, default=2,
                        help="processes the simulated residents are spread over")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]

    print(f"bench/load.py: {os.cpu_count()} CPUs; gunicorn {args.workers} workers x "
          f"{args.threads} threads; each level stops after {args.seconds:g} s or "
          f"{args.max_ballots} ballots; 7 requests per ballot", flush=True)
    print(HEADER, flush=True)
    summary = []
    for backend in backends:
        instance = Path(tempfile.mkdtemp(prefix=f"pb-load-{backend}-"))
        try:
            if backend == "sqlite":
                url = f"sqlite:///{instance / 'pb.sqlite3'}"
            else:
                url = args.postgres_url
                _prepare_postgres(url)
            # Enough codes for the fastest plausible run, never more than the cap.
            needed = min(args.max_ballots * len(levels),
                         int(args.seconds * 800) * len(levels)) + 100
            codes = _set_up(url, instance, needed)
            server = Server(url, instance, args.workers, args.threads)
            try:
                for concurrency in levels:
                    level = _run_level(server, codes, concurrency, args.seconds,
                                       args.max_ballots, args.clients)
                    # Each client process takes codes from its own share: drop exactly those
                    # taken, so no later level is handed a code already used.
                    taken = level.pop("taken")
                    codes = [c for c in codes if c not in taken]
                    print(_report(backend, level), flush=True)
                    for failure in level["failures"][:3]:
                        print(f"    failed: {failure}", flush=True)
                    summary.append({"backend": backend, **{k: v for k, v in level.items()
                                                           if not k.endswith("_times")},
                                    "ballots_per_second": level["ballots"] / level["seconds"],
                                    "ballot_p50_ms": _pct(level["ballot_times"], 50) * 1000,
                                    "ballot_p95_ms": _pct(level["ballot_times"], 95) * 1000,
                                    "ballot_p99_ms": _pct(level["ballot_times"], 99) * 1000,
                                    "request_p50_ms": _pct(level["request_times"], 50) * 1000,
                                    "request_p95_ms": _pct(level["request_times"], 95) * 1000,
                                    "request_p99_ms": _pct(level["request_times"], 99) * 1000})
            finally:
                server.stop()
        finally:
            shutil.rmtree(instance, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 1 if any(level["failures"] for level in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
