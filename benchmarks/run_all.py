"""Run every benchmark in turn, each in a fresh process, and print one table of their ratios.

Each benchmark is a plain script that compares the library with a baseline doing the same observable work
by the shortest path, in the same run, and prints ``ratio: X.XX`` last (library time / baseline time). This
runner starts them one after another (never two at once: they would share the 2 cores), keeps each one's
full output in ``--out`` (default ``benchmarks/results/``), and prints a table: the ratio, the bar and the
goal the project set for it, and whether the bar is met.

Run: ``.venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...]``. ``--quick`` runs smaller sizes
(minutes instead of an hour; its figures are for a smoke check, not for docs/performance.md). The SQL
benchmarks use PostgreSQL when ``SUBSCRIPTION_CORE_PG_DSN`` is set, as each script documents.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_RATIO = re.compile(r"^ratio:\s*([0-9.]+)\s*$")


@dataclass(frozen=True)
class Benchmark:
    """One script, its arguments for a full and a quick run, and the bar and goal its ratio is held to."""

    name: str
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    bar: float | None
    goal: float | None


BENCHMARKS = (
    Benchmark("quote", "pricing.py", (), ("--repeat", "5"), bar=2.0, goal=1.5),
    Benchmark("notifications (PostgreSQL)", "sql_payments.py", (), ("--orders", "400"), bar=3.0, goal=2.0),
    Benchmark("time-driven step (SQL)", "sql_due.py", (), ("--sizes", "20000", "--repeats", "1"), bar=3.0, goal=2.0),
    Benchmark("bulk renewal (SQL)", "sql_bulk_renewal.py", (), ("--clients", "2000"), bar=6.0, goal=4.0),
    Benchmark("bulk renewal (memory)", "bulk_renewal.py", (), ("2000",), bar=None, goal=None),
    Benchmark("time-driven step (memory)", "lifecycle.py", (), ("100000",), bar=None, goal=None),
    Benchmark("SQL store", "sql_store.py", (), ("1000",), bar=None, goal=None),
    Benchmark("SMTP notifier", "smtp_notifier.py", (), ("100",), bar=None, goal=None),
)


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # not on every platform
        return "n/a"


def _run(bench: Benchmark, *, quick: bool, out: Path) -> tuple[float | None, float, str]:
    """Run one script; return its ratio (None when it printed none), the seconds it took and the load before."""
    load = _load()
    args = [sys.executable, str(_HERE / bench.script), *(bench.quick if quick else bench.full)]
    began = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603 - our own scripts
    took = time.perf_counter() - began
    (out / f"{Path(bench.script).stem}.txt").write_text(
        f"$ {' '.join(args[1:])}\n# load before: {load}; exit {done.returncode}; {took:.0f} s\n"
        f"{done.stdout}\n{done.stderr}",
        encoding="utf-8",
    )
    lines = done.stdout.strip().splitlines()
    found = _RATIO.match(lines[-1]) if lines and done.returncode == 0 else None
    return (float(found.group(1)) if found else None), took, load


def _verdict(ratio: float | None, bench: Benchmark) -> str:
    if ratio is None:
        return "FAILED (see its output)"
    if bench.bar is None:
        return "no bar"
    if bench.goal is not None and ratio <= bench.goal:
        return "goal met"
    return "bar met" if ratio <= bench.bar else "bar NOT met"


def main() -> int:
    """Run the benchmarks asked for and print the table; exit 1 when one printed no ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke check, not figures to publish")
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", help="run only these scripts (e.g. pricing.py)")
    parser.add_argument("--out", type=Path, default=_HERE / "results")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    chosen = [b for b in BENCHMARKS if not options.only or b.script in options.only]
    rows = []
    for bench in chosen:
        print(f"running {bench.script} ...", flush=True)
        ratio, took, load = _run(bench, quick=options.quick, out=options.out)
        rows.append((bench, ratio, took, load))
    print()
    print(f"{'benchmark':<28} {'ratio':>6} {'bar':>5} {'goal':>5}  {'verdict':<24} {'took':>6}  load before")
    for bench, ratio, took, load in rows:
        shown = f"{ratio:.2f}" if ratio is not None else "-"
        bar = f"{bench.bar:.1f}" if bench.bar is not None else "-"
        goal = f"{bench.goal:.1f}" if bench.goal is not None else "-"
        print(f"{bench.name:<28} {shown:>6} {bar:>5} {goal:>5}  {_verdict(ratio, bench):<24} {took:>5.0f}s  {load}")
    print(f"\nfull outputs in {options.out}")
    return 1 if any(ratio is None for _, ratio, _, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
