"""Run every parser fuzz target for many inputs and count the crashes.

    PYTHONPATH=. python benchmarks/fuzz_long.py [--examples 100000] [--only NAME ...]

Prints one line per parser: inputs tried, crashes (distinct exception type and place) and
seconds. The targets live in ``tests/fuzz/fuzz_targets.py``; a crash is any exception
outside the target's documented errors. Exit status 1 when any target crashed.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fuzz"))
from fuzz_targets import TARGETS, Target


def _where(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/auditor/" in f.filename]
    last = frames[-1] if frames else traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__} at {last.filename.rpartition('/auditor/')[2]}:{last.lineno}"


def run_target(target: Target, examples: int) -> tuple[int, dict[str, str], float]:
    """Run `target` for `examples` inputs; return (tried, {crash place: example}, seconds)."""
    tried = 0
    crashes: dict[str, str] = {}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(target.strategy)
    def check(value: Any) -> None:
        nonlocal tried
        tried += 1
        try:
            target.run(value)
        except target.allowed:
            pass
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - a crash: count it, go on
            crashes.setdefault(_where(exc), repr(value)[:300])

    start = time.perf_counter()
    check()
    return tried, crashes, time.perf_counter() - start


def main() -> int:
    """Run the targets and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000, help="inputs per parser")
    parser.add_argument("--only", nargs="*", default=None, help="target names to run")
    args = parser.parse_args()
    failed = False
    print(f"{'parser':<16} {'inputs':>8} {'crashes':>8} {'seconds':>8}")
    for target in TARGETS:
        if args.only and target.name not in args.only:
            continue
        tried, crashes, seconds = run_target(target, args.examples)
        print(f"{target.name:<16} {tried:>8} {len(crashes):>8} {seconds:>8.1f}", flush=True)
        for where, example in sorted(crashes.items()):
            failed = True
            print(f"    {where}\n        e.g. {example}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
