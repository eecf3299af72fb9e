"""Linear cost: ``auditor scan FILE --offline --format json`` on huge requirements files.

    PYTHONPATH=. python benchmarks/bench_linear.py [--sizes 10000 50000 100000]

Prints the seconds of a whole offline scan (parse, graph, enrich, checks, JSON report) of a
file with N identical lines and of one with N distinct names, and the ratio of the largest to
the smallest size, which is about largest/smallest (10 for 100k/10k) when the cost is linear.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

from auditor.cli.main import main as auditor_main


def _write(folder: Path, lines: int, *, distinct: bool) -> Path:
    path = folder / "requirements.txt"
    if distinct:
        path.write_text("".join(f"pkg-{i}==1.0.{i % 7}\n" for i in range(lines)))
    else:
        path.write_text("requests==2.31.0\n" * lines)
    return path


def scan_seconds(lines: int, *, distinct: bool) -> float:
    """Return the seconds of one offline JSON scan of a generated requirements file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), lines, distinct=distinct)
        os.environ.setdefault("AUDITOR_CACHE_DIR", str(Path(tmp) / "cache"))
        start = time.perf_counter()
        auditor_main(["scan", str(path), "--offline", "--format", "json", "--exit-zero"],
                     out=io.StringIO(), err=io.StringIO())  # fmt: skip
        return time.perf_counter() - start


def main() -> None:
    """Run the sizes and print seconds and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--only", choices=["identical", "distinct"], default=None)
    args = parser.parse_args()
    for distinct in (False, True):
        if args.only is not None and args.only != ("distinct" if distinct else "identical"):
            continue
        label = "distinct" if distinct else "identical"
        seconds = {n: scan_seconds(n, distinct=distinct) for n in args.sizes}
        for n, took in seconds.items():
            print(f"{label:<10} {n:>8} lines {took:8.2f} s", flush=True)
        low, high = min(args.sizes), max(args.sizes)
        print(f"{label:<10} ratio {high}/{low}: {seconds[high] / seconds[low]:.1f} "
              f"(linear: {high / low:.1f})", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
