"""Scale: a city-sized round (100,000+ ballots) in the database, counted, shown and exported.

A large real election from pabulib is imported into a fresh database as a round (what
``pb import`` does), the round is published, and then each operation is timed as the app runs
it, in one process, ``--repeat`` times (median and fastest are printed):

- tally from the database: read every ballot and its choices, build the engine's election, run
  the round's rule (``pb.services.tallying.tally_round``, the same call the app makes when
  voting closes);
- the results page: ``GET /results/<slug>`` through the whole Flask stack (test client, no
  network), once the round is counted;
- the exports a council downloads: CSV, XLSX and the anonymised ballots as a ``.pb`` file
  (``pb.services.result_exports.round_download``, what ``pb export`` and the download buttons
  call).

The peer figure in the same run: pabutools (the PB research library, GPL, used here only as a
reference) parses the same file and runs the same rule (greedy), in a fresh interpreter, from
file to answer. Its time covers parsing a text file, not reading a database, so the ratio is a
reference point, not a like-for-like race.

Usage::

    python bench/scale.py [--file Poland_Wroclaw_2015_150_-_500.pb] [--backend sqlite|postgresql|both]
                          [--repeat 3] [--pabulib DIR]

The data directory defaults to ``../shared/pabulib`` beside the repository, or
``$PB_PABULIB_DIR``. PostgreSQL comes from ``$PB_BENCH_POSTGRES_URL`` (default: database
``pb_bench`` on ``127.0.0.1:5432``, created if missing and emptied before the run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_DIR = Path(os.environ.get("PB_PABULIB_DIR", REPO.parent / "shared" / "pabulib"))
DEFAULT_FILE = "Poland_Wroclaw_2015_150_-_500.pb"
DEFAULT_PG = os.environ.get("PB_BENCH_POSTGRES_URL",
                            "postgresql+psycopg://postgres@127.0.0.1:5432/pb_bench")
SLUG = "scale"

PABUTOOLS = """
import sys, time
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import greedy_utilitarian_welfare
instance, profile = parse_pabulib(sys.argv[1])
chosen = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
print(len(chosen))
"""


def _timed(action, repeat: int) -> tuple[list[float], object]:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = action()
        times.append(time.perf_counter() - started)
    return times, value


def _run_backend(backend: str, path: Path, repeat: int, pg_url: str) -> list[tuple]:
    from load import _prepare_postgres  # bench/load.py, beside this file

    instance = Path(tempfile.mkdtemp(prefix=f"pb-scale-{backend}-"))
    try:
        if backend == "sqlite":
            url = f"sqlite:///{instance / 'pb.sqlite3'}"
        else:
            url = pg_url
            _prepare_postgres(url)
        os.environ.update(PB_DATABASE_URL=url, PB_INSTANCE_PATH=str(instance),
                          PB_SECRET_KEY="bench-secret-key", PB_RATE_LIMITS="off")
        subprocess.run([sys.executable, "-m", "pb", "db", "upgrade"], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from pb import create_app
        from pb.extensions import db
        from pb.services import imports, result_exports, rounds, tallying

        app = create_app()
        rows = []
        with app.app_context():
            started = time.perf_counter()
            round_ = imports.import_election(path, SLUG)
            rounds.publish_results(None, round_)
            db.session.commit()
            rows.append((backend, "import .pb file and count (once)", [time.perf_counter() - started],
                         None))
            ballots = tallying.latest_result(round_).ballot_count

            def tally():
                db.session.expire_all()  # read every ballot from the database, not the session
                result = tallying.tally_round(db.session.merge(round_), store=False)
                return result

            times, result = _timed(tally, repeat)
            rows.append((backend, f"tally {result.ballot_count:,} ballots from the database",
                         times, None))
            client = app.test_client()

            def page():
                db.session.expire_all()
                response = client.get(f"/results/{SLUG}")
                assert response.status_code == 200, response.status_code
                return len(response.data)

            client.get(f"/results/{SLUG}")  # the first request compiles the templates
            times, size = _timed(page, repeat)
            rows.append((backend, f"results page ({size / 1024:.0f} KB)", times, None))
            for fmt in ("csv", "xlsx", "pb"):
                def export(fmt=fmt):
                    db.session.expire_all()
                    sheet = result_exports.sheet_for_export(None, db.session.merge(round_))
                    return len(result_exports.round_download(sheet, fmt).body)

                times, size = _timed(export, repeat)
                rows.append((backend, f"export {fmt} ({size / 1024:.0f} KB)", times, None))
            db.session.remove()
            db.engine.dispose()
        return rows, ballots
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def _pabutools(path: Path, repeat: int) -> list[float] | None:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", PABUTOOLS, str(path)], capture_output=True,
                              text=True)
        if done.returncode != 0:
            print("pabutools could not run: " + done.stderr.strip().splitlines()[-1]
                  if done.stderr.strip() else "pabutools could not run")
            return None
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", default=DEFAULT_FILE)
    parser.add_argument("--pabulib", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args(argv)
    path = args.pabulib / args.file
    if not path.exists():
        print(f"No such file: {path} (set --pabulib or PB_PABULIB_DIR)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(Path(__file__).parent))
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(f"bench/scale.py: {args.file}; {os.cpu_count()} CPUs; each figure is the median "
          f"(and fastest) of {args.repeat} runs, in seconds", flush=True)
    print(f"{'backend':<10} {'operation':<48} {'median':>8} {'fastest':>8}", flush=True)
    summary = []
    for backend in backends:
        rows, ballots = _run_backend(backend, path, args.repeat, args.postgres_url)
        for name, op, times, _ in rows:
            print(f"{name:<10} {op:<48} {statistics.median(times):>8.3f} {min(times):>8.3f}",
                  flush=True)
            summary.append({"backend": name, "operation": op, "median_s": statistics.median(times),
                            "fastest_s": min(times), "runs": times})
    peer = _pabutools(path, args.repeat)
    if peer:
        print(f"{'peer':<10} {'pabutools: parse the file and run greedy':<48} "
              f"{statistics.median(peer):>8.3f} {min(peer):>8.3f}")
        summary.append({"backend": "pabutools", "operation": "parse and greedy",
                        "median_s": statistics.median(peer), "fastest_s": min(peer), "runs": peer})
        for row in summary:
            if row["operation"].startswith("tally"):
                print(f"ratio: pabutools (file to answer) / {row['backend']} (tally from the "
                      f"database) = {statistics.median(peer) / row['median_s']:.0f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
