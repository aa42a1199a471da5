"""Benchmark the tally engine against pabutools on the two large pabulib elections.

Every figure is a whole process, from file to answer: ``python -m pb tally FILE`` (what the ``pb``
console script runs) for our engine, and a fresh interpreter that imports pabutools, parses the file and runs the rule for
pabutools. Both outcomes are compared before any time is printed.

Usage::

    python bench/tally.py [--pabulib DIR] [--files NAME ...] [--skip-add1] [--repeat N]

The data directory defaults to ``../shared/pabulib`` beside the repository, or
``$PB_PABULIB_DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIR = Path(os.environ.get("PB_PABULIB_DIR", REPO.parent / "shared" / "pabulib"))
FILES = ["Poland_Lodz_2022.pb", "Poland_Wroclaw_2015_150_-_500.pb"]


PABUTOOLS = """
import json, sys
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
from pabutools.tiebreaking import TieBreakingRule
from pb.tally.tiebreak import lot
path, rule = sys.argv[1], sys.argv[2]
instance, profile = parse_pabulib(path)
votes = {p.name: 0 for p in instance}
for ballot in profile:
    for p in ballot:
        votes[p.name] += 1
chain = TieBreakingRule(lambda inst, prof, p: (p.cost, -votes[p.name], lot("", p.name)))
if rule == "greedy":
    chosen = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat, tie_breaking=chain)
else:
    chosen = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, tie_breaking=chain)
print(json.dumps({"selected": sorted(p.name for p in chosen), "zero": sorted(n for n, v in votes.items() if v == 0)}))
"""


def timed(cmd: list[str]) -> tuple[float, str]:
    """Run a command; return its wall time in seconds and its stdout."""
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr}")
    return elapsed, done.stdout


REPEAT = 3


def ours(path: Path, args: list[str], repeat: int) -> tuple[float, dict]:
    """Time `pb tally` as a whole process `repeat` times; return (median seconds, result dict).

    Our runs take seconds, so they are repeated and the median taken: on a shared machine one run
    can be a third slower than the next. Every run must give the same answer.
    """
    runs = [timed([sys.executable, "-m", "pb", "tally", str(path), *args]) for _ in range(repeat)]
    answers = {out for _elapsed, out in runs}
    if len(answers) != 1:
        raise SystemExit(f"pb tally gave {len(answers)} different answers for {path.name} {args}")
    return statistics.median(elapsed for elapsed, _out in runs), json.loads(answers.pop())


def pabutools(path: Path, rule: str) -> tuple[float, dict]:
    """Time pabutools as a whole process; return (seconds, {"selected", "zero"})."""
    elapsed, out = timed([sys.executable, "-c", PABUTOOLS, str(path), rule])
    return elapsed, json.loads(out)


def line(label: str, ours_s: float, theirs_s: float | None, target: str) -> None:
    """Print one row of the table."""
    ratio = f"{theirs_s / ours_s:7.1f}x" if theirs_s else "        "
    theirs = f"{theirs_s:9.2f} s" if theirs_s else "           "
    print(f"  {label:<34} ours {ours_s:7.2f} s   pabutools {theirs}   ratio {ratio}   target {target}")


def bench(path: Path, skip_add1: bool, repeat: int) -> bool:
    """Benchmark one file; return True when every outcome matched."""
    print(f"{path.name}")
    ok = True
    t_g, r_g = ours(path, ["--rule", "greedy"], repeat)
    p_g, q_g = pabutools(path, "greedy")
    funded_with_votes = sorted(set(q_g["selected"]) - set(q_g["zero"]))
    same = sorted(r_g["selected"]) == funded_with_votes
    ok &= same
    print(f"  greedy: same outcome: {same} ({len(r_g['selected'])} projects"
          f"{'; pabutools also funds zero-vote projects, ignored' if funded_with_votes != q_g['selected'] else ''})")
    line("greedy", t_g, p_g, "< 0.5 s and >= 50x")
    t_m, r_m = ours(path, ["--rule", "equal-shares", "--completion", "none"], repeat)
    p_m, q_m = pabutools(path, "equal-shares")
    same = sorted(r_m["selected"]) == q_m["selected"]
    ok &= same
    print(f"  equal shares, no completion: same outcome: {same} ({len(r_m['selected'])} projects)")
    line("equal shares, no completion", t_m, p_m, ">= 50x")
    if not skip_add1:
        t_a, r_a = ours(path, ["--rule", "equal-shares", "--completion", "add1"], repeat)
        print(f"  equal shares + add1: {r_a['details']['passes']} passes, {len(r_a['selected'])} projects, "
              f"spent {r_a['spent']} of {r_a['budget']} (minor units)")
        line("add1 vs one pabutools pass", t_a, p_m, ">= 20x")
    return ok


def main() -> None:
    """Run the benchmark and exit non-zero if any outcome differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pabulib", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--files", nargs="*", default=FILES)
    parser.add_argument("--skip-add1", action="store_true")
    parser.add_argument("--repeat", type=int, default=REPEAT,
                        help="runs of our engine per figure; the median is printed (default 3)")
    args = parser.parse_args()
    repeat = max(1, args.repeat)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; times are wall-clock, whole process;"
          f" ours: median of {repeat} runs, pabutools: one run")
    ok = all([bench(args.pabulib / name, args.skip_add1, repeat) for name in args.files])
    print("all outcomes match" if ok else "OUTCOMES DIFFER")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
