"""Import-scan benchmark: 10,000 generated modules, cold and warm Auditor scans versus deptry.

Run: ``python benchmarks/bench_imports.py [--files N] [--trials T] [--keep]``. The tree is
written under ``benchmarks/.work/imports-tree`` (git-ignored); the scan cache lives in a fresh
temporary folder so "cold" really parses every file and "warm" parses none. deptry (when on
PATH) scans the same tree with the same pyproject.toml.

Side by side, as whole command lines in fresh interpreters, `--trials` times in turn (so a
machine shared with other work loads every contender alike): ``auditor scan --enable AUD5
--offline`` cold (empty cache) and warm (same cache, unchanged tree: no file is read, see the
``read`` column), then ``deptry src``. The table shows the median wall time of each and its
ratio to deptry's, plus the CPU seconds (user + system, worker processes included), which a
loaded machine disturbs less. Targets: cold <= 1.0x deptry, warm <= 0.2x. The tree is left to
age `RECENT_SECONDS` before the scans, as files written in the last two seconds are read again
on purpose (see `auditor.imports.scanner`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "imports-tree"

THIRD_PARTY = [
    ("requests", "requests", ["get", "post", "Session"]),
    ("yaml", "pyyaml", ["safe_load", "safe_dump"]),
    ("numpy", "numpy", ["array", "zeros", "linalg.norm"]),
    ("click", "click", ["command", "option", "echo"]),
    ("attr", "attrs", ["define", "field"]),
    ("dateutil", "python-dateutil", ["parser.parse", "tz.gettz"]),
    ("rich", "rich", ["print", "console.Console"]),
    ("jinja2", "jinja2", ["Template", "Environment"]),
    ("bs4", "beautifulsoup4", ["BeautifulSoup"]),
    ("packaging", "packaging", ["version.Version", "specifiers.SpecifierSet"]),
]
STDLIB = ["os", "sys", "json", "re", "pathlib", "typing", "collections", "itertools", "logging"]


def _module_text(rng: random.Random, index: int, packages: list[str]) -> str:
    lines = [f'"""Generated module {index}."""', "from __future__ import annotations", ""]
    lines.extend(f"import {mod}" for mod in rng.sample(STDLIB, rng.randint(2, 5)))
    chosen = rng.sample(THIRD_PARTY, rng.randint(1, 3))
    for mod, _dist, _symbols in chosen:
        if rng.random() < 0.5:
            lines.append(f"import {mod}")
        else:
            lines.append(f"from {mod} import {_symbols[0].split('.')[0]}")
    if packages and rng.random() < 0.6:
        lines.append(f"from {rng.choice(packages)} import helpers")
    if rng.random() < 0.1:
        lines += [
            "try:",
            "    import ujson as fastjson",
            "except ImportError:",
            "    fastjson = None",
        ]
    lines.append("")
    for fn in range(rng.randint(3, 8)):
        mod, _dist, symbols = rng.choice(chosen)
        sym = rng.choice(symbols)
        lines += [
            "",
            f"def func_{fn}(value: int, *args: object) -> object:",
            f'    """Do step {fn}."""',
            f"    result = {mod}.{sym}(value) if value > {fn} else None",
            "    for item in range(value):",
            "        if item % 3 == 0:",
            "            result = (result, item, os.path.join('a', str(item)))",
            "    return result",
        ]
    return "\n".join(lines) + "\n"


def generate(root: Path, files: int, seed: int = 7) -> None:
    """Write `files` modules (20-60 lines each) in packages of 50, plus a pyproject.toml."""
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(seed)
    pkg_root = root / "src" / "benchapp"
    packages = [f"benchapp.pkg{i}" for i in range(max(1, files // 50))]
    for i in range(files):
        pkg = pkg_root / f"pkg{i // 50}"
        pkg.mkdir(parents=True, exist_ok=True)
        (pkg / f"mod{i}.py").write_text(_module_text(rng, i, packages), encoding="utf-8")
    deps = sorted({dist for _m, dist, _s in THIRD_PARTY})
    deps_toml = ",\n".join(f'  "{d}"' for d in deps)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "benchapp"\nversion = "0.1"\ndependencies = [\n{deps_toml},\n]\n',
        encoding="utf-8",
    )


def _time(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(argv: list[str], **kw: object) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run a command line; return its wall and CPU seconds (children included) and result."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload]
    return time.perf_counter() - start, _children_cpu() - cpu, done


def _in_process(tmp: Path, files: list[str], rows: list[tuple[str, float, str]]) -> float:
    """The scanner and the whole audit in this process; returns the warm scan's seconds."""
    from auditor.cache import Cache
    from auditor.config import load_config
    from auditor.imports.scanner import scan_files
    from auditor.pipeline import run_audit

    cache = Cache(tmp / "scan")
    stats: dict[str, int] = {}

    def scan() -> None:
        result = scan_files(WORK, files, notebooks=[], cache=cache)
        stats.update(
            read=result.read, parsed=result.parsed, cached=result.cached, sites=len(result.sites)
        )

    rows.append(("scan_files cold (parse all, fill cache)", _time(scan), json.dumps(stats)))
    scan_warm = _time(scan)
    rows.append(("scan_files warm (cache hits)", scan_warm, json.dumps(stats)))
    serial = _time(lambda: scan_files(WORK, files, cache=None, workers=1))
    rows.append(("scan_files serial, no cache", serial, ""))
    cache.close()
    config = load_config(WORK, env={"AUDITOR_CACHE_DIR": str(tmp / "audit")})
    config = config.with_overrides(
        enable=("AUD5",), offline=True, allow_incomplete=True, cache_dir=tmp / "audit"
    )
    found: dict[str, int] = {}

    def audit() -> None:
        found["findings"] = len(run_audit(config).findings)

    rows.append(("run_audit AUD5 in-process, cold", _time(audit), json.dumps(found)))
    rows.append(("run_audit AUD5 in-process, warm", _time(audit), json.dumps(found)))
    return scan_warm


def _side_by_side(tmp: Path, trials: int) -> dict[str, list[tuple[float, float, str]]]:
    """Cold CLI, warm CLI and deptry in turn, `trials` times: (wall, cpu, detail) each."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent), "AUDITOR_NO_PROGRESS": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed auditor has its .pyc files
    _run([sys.executable, "-m", "auditor", "--version"], env=env)
    runs: dict[str, list[tuple[float, float, str]]] = {"cold": [], "warm": [], "deptry": []}
    deptry = shutil.which("deptry")
    for trial in range(trials):
        cache_dir = str(tmp / f"cli{trial}")
        argv = [sys.executable, "-m", "auditor", "scan", str(WORK), "--enable", "AUD5",
                "--offline", "--format", "json", "--cache-dir", cache_dir]  # fmt: skip
        for kind in ("cold", "warm"):
            wall, cpu, done = _run(argv, env=env)
            runs[kind].append((wall, cpu, f"{len(json.loads(done.stdout)['findings'])} findings"))
        if deptry:
            out = WORK / "deptry.json"
            wall, cpu, done = _run(
                [deptry, "src", "--json-output", str(out), "--no-ansi"], cwd=WORK
            )
            issues = len(json.loads(out.read_text())) if out.is_file() else -1
            runs["deptry"].append((wall, cpu, f"exit {done.returncode}, {issues} issues"))
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--trials", type=int, default=3, help="side-by-side rounds (median)")
    parser.add_argument("--keep", action="store_true", help="keep the generated tree")
    parser.add_argument("--no-in-process", action="store_true", help="side by side only")
    args = parser.parse_args()

    from auditor.discover import discover
    from auditor.imports.scanner import RECENT_SECONDS

    started = time.perf_counter()
    generate(WORK, args.files)
    print(f"generated {args.files} files in {time.perf_counter() - started:.1f}s under {WORK}")
    files = discover(WORK).python_files
    time.sleep(RECENT_SECONDS)  # files younger than this are re-read on purpose
    rows: list[tuple[str, float, str]] = []
    scan_warm = None
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_in_process:
            scan_warm = _in_process(Path(tmp), files, rows)
        runs = _side_by_side(Path(tmp), max(1, args.trials))
    if not runs["deptry"]:
        print("deptry not on PATH: skipped")
    median = {k: statistics.median(w for w, _c, _d in v) for k, v in runs.items() if v}
    cpu = {k: statistics.median(c for _w, c, _d in v) for k, v in runs.items() if v}
    deptry_time = median.get("deptry")
    labels = {
        "cold": "auditor scan --enable AUD5 (CLI), cold",
        "warm": "auditor scan --enable AUD5 (CLI), warm",
        "deptry": "deptry src (whole run)",
    }
    print()
    print(f"{'run':<40} {'seconds':>8} {'vs deptry':>10}  detail")
    for name, secs, detail in rows:
        ratio = f"{secs / deptry_time:.2f}x" if deptry_time else "-"
        print(f"{name:<40} {secs:>8.2f} {ratio:>10}  {detail}")
    for kind, label in labels.items():
        if kind in median:
            ratio = f"{median[kind] / deptry_time:.2f}x" if deptry_time else "-"
            walls = ", ".join(f"{w:.2f}" for w, _c, _d in runs[kind])
            print(f"{label:<40} {median[kind]:>8.2f} {ratio:>10}  median of {walls}; "
                  f"cpu {cpu[kind]:.2f} s; {runs[kind][-1][2]}")  # fmt: skip
    print()
    cold, warm = median["cold"], median["warm"]
    beat = deptry_time is None or cold <= deptry_time
    warm_ok = deptry_time is None or warm <= 0.2 * deptry_time
    if scan_warm is not None:
        print(f"warm import scan alone (in process): {scan_warm:.2f} s")
    deptry_cpu = cpu.get("deptry", 0.0)
    print(f"cold whole run <= 1.0x deptry: {'met' if beat else 'MISSED'} ({cold:.2f} s vs "
          f"{deptry_time or 0:.2f} s; cpu {cpu['cold']:.2f} s vs {deptry_cpu:.2f} s)")  # fmt: skip
    print(f"warm whole run <= 0.2x deptry: {'met' if warm_ok else 'MISSED'} ({warm:.2f} s vs "
          f"{0.2 * (deptry_time or 0):.2f} s; cpu {cpu['warm']:.2f} s)")  # fmt: skip
    if not args.keep:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0 if beat and warm_ok else 1


if __name__ == "__main__":
    sys.exit(main())
