"""Run every ``benchmarks/bench_*.py`` and print its figures, then a summary table.

Run: ``python benchmarks/run.py [-k PATTERN] [--list] [-- ARGS...]``. Each benchmark runs as its
own script in a fresh interpreter (so one benchmark's imports and caches do not flatter the
next), with its output streamed under a header. A benchmark that exits non-zero (a missed
target, by convention) is marked in the summary; ``run.py`` exits 1 if any did. Arguments after
``--`` are passed to every benchmark.
"""

from __future__ import annotations

import argparse
import fnmatch
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def find_benchmarks(pattern: str | None = None) -> list[Path]:
    """Return the benchmark scripts, sorted, optionally filtered by a glob on the stem."""
    found = sorted(HERE.glob("bench_*.py"))
    if pattern:
        found = [p for p in found if fnmatch.fnmatch(p.stem, f"*{pattern}*")]
    return found


def run_one(script: Path, extra: list[str]) -> tuple[int, float]:
    """Run one benchmark, streaming its output; return (exit code, wall seconds)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(script), *extra], cwd=HERE.parent, check=False)
    return done.returncode, time.perf_counter() - start


def main() -> int:
    """Run the selected benchmarks and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="pattern", help="only benchmarks whose name contains this")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("extra", nargs="*", help="arguments passed to every benchmark")
    args = parser.parse_args()
    scripts = find_benchmarks(args.pattern)
    if args.list or not scripts:
        for script in scripts:
            print(script.stem)
        return 0 if scripts or args.list else 2
    results: list[tuple[str, int, float]] = []
    for script in scripts:
        print(f"\n=== {script.stem} " + "=" * max(0, 70 - len(script.stem)), flush=True)
        code, seconds = run_one(script, args.extra)
        results.append((script.stem, code, seconds))
    print("\n=== summary " + "=" * 63)
    print(f"{'benchmark':<28}{'status':<12}{'wall s':>8}")
    for name, code, seconds in results:
        status = "ok" if code == 0 else f"exit {code}"
        print(f"{name:<28}{status:<12}{seconds:>8.1f}")
    return 1 if any(code != 0 for _name, code, _s in results) else 0


if __name__ == "__main__":
    sys.exit(main())
