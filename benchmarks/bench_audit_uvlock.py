"""Offline audit of a 1,000-package uv.lock, end to end: ``auditor scan uv.lock --offline``.

Run: ``python benchmarks/bench_audit_uvlock.py [--packages 1000] [--runs 5] [--profile N]``.

The lock lists the most downloaded PyPI projects (``../shared/data/pypi/top-pypi-packages.json``)
at old and new versions, so many of them match advisories; the offline store is filled from
``../shared/data/osv/pypi-advisory-database.zip`` with ``auditor db import``. After one warm-up
run, it times whole CLI runs (fresh interpreters, every check, JSON out; median of ``--runs``).
Target: <= 0.5 s warm. ``--profile N`` prints cProfile's top N entries of one warm run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "audit-uvlock"
TOP = ROOT / ".." / "shared" / "data" / "pypi" / "top-pypi-packages.json"
OSV_ZIP = ROOT / ".." / "shared" / "data" / "osv" / "pypi-advisory-database.zip"
TARGET = 0.5
_VERSIONS = ("0.1.0", "1.0.0", "1.2.3", "2.0.0", "2.31.0", "3.1.4", "22.0", "99.0.0")


def write_lock(root: Path, names: list[str]) -> None:
    """Write pyproject.toml + uv.lock pinning `names` (every fourth one direct)."""
    lines = ["version = 1", "revision = 1", 'requires-python = ">=3.11"', ""]
    for i, name in enumerate(names):
        version = _VERSIONS[i % len(_VERSIONS)]
        lines += [
            "[[package]]",
            f'name = "{name}"',
            f'version = "{version}"',
            'source = { registry = "https://pypi.org/simple" }',
        ]
        deps = [names[j] for j in (i + 1, i + 7) if j < len(names) and (i + j) % 3]
        if deps:
            lines.append("dependencies = [")
            lines += [f'    {{ name = "{d}" }},' for d in deps]
            lines.append("]")
        lines.append("")
    direct = names[::4]
    lines += ["[[package]]", 'name = "bench-app"', 'version = "0.1.0"',
              'source = { virtual = "." }', "dependencies = ["]  # fmt: skip
    lines += [f'    {{ name = "{d}" }},' for d in direct]
    lines += ["]", ""]
    root.mkdir(parents=True, exist_ok=True)
    (root / "uv.lock").write_text("\n".join(lines), encoding="utf-8")
    reqs = ",\n".join(f'    "{d}"' for d in direct)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "bench-app"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f"dependencies = [\n{reqs},\n]\n",
        encoding="utf-8",
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(ROOT), AUDITOR_NO_PROGRESS="1", AUDITOR_OFFLINE="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed auditor has its .pyc files
    return env


def _scan_argv(cache: Path) -> list[str]:
    return [sys.executable, "-m", "auditor", "scan", str(WORK / "repo" / "uv.lock"), "--offline",
            "--format", "json", "--cache-dir", str(cache)]  # fmt: skip


# What every run pays before auditing anything: the interpreter, then Auditor's own imports.
_FLOORS = {
    "python -c pass": "pass",
    "import auditor.cli.main": "import auditor.cli.main",
    "import auditor.pipeline": "import auditor.pipeline",
}


def _median_run(code: str, env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(max(runs, 3)):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=WORK)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    """Generate, import, time and optionally profile; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    if not TOP.is_file() or not OSV_ZIP.is_file():
        print(f"skipped: shared data absent ({TOP} / {OSV_ZIP})")
        return 0
    rows = json.loads(TOP.read_text(encoding="utf-8"))["rows"]
    names = [str(r["project"]) for r in rows[: args.packages]]
    shutil.rmtree(WORK, ignore_errors=True)
    write_lock(WORK / "repo", names)
    cache = WORK / "cache"
    env = _env()
    subprocess.run(
        [sys.executable, "-m", "auditor", "db", "import", str(OSV_ZIP), "--cache-dir", str(cache)],
        env=env, check=True, stdout=subprocess.DEVNULL, cwd=WORK,
    )  # fmt: skip
    argv = _scan_argv(cache)
    first = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, cwd=WORK)
    report = json.loads(first.stdout)
    times: list[float] = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=False, cwd=WORK)
        times.append(time.perf_counter() - start)
    warm = statistics.median(times)
    print(f"uv.lock packages: {len(report['packages'])}, findings: {len(report['findings'])}, "
          f"incomplete: {len(report['incomplete'])}, exit {first.returncode}")  # fmt: skip
    print(f"warm end to end (median of {args.runs}): {warm:.3f} s, fastest {min(times):.3f} s "
          f"(target <= {TARGET} s: {'met' if warm <= TARGET else 'MISSED'})")  # fmt: skip
    floors = {name: _median_run(code, env, args.runs) for name, code in _FLOORS.items()}
    print("floor: " + ", ".join(f"{name} {took:.3f} s" for name, took in floors.items()))
    if args.profile:
        prof = WORK / "scan.prof"
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), *argv[1:]], env=env,
                       stdout=subprocess.DEVNULL, check=False, cwd=WORK)  # fmt: skip
        import pstats

        stats = pstats.Stats(str(prof))
        stats.sort_stats("cumulative").print_stats(args.profile)
        stats.sort_stats("tottime").print_stats(args.profile)
    return 0 if warm <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
