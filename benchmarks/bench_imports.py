"""Import-scan benchmark: 10,000 generated modules, cold and warm Auditor scans versus deptry.

Run: ``python benchmarks/bench_imports.py [--files N] [--keep]``. The tree is written under
``benchmarks/.work/imports-tree`` (git-ignored); the scan cache lives in a fresh temporary folder
so "cold" really parses every file and "warm" parses none. deptry (when on PATH) scans the same
tree with the same pyproject.toml; the table prints each time and the ratio to deptry.

Side by side in one run, as whole command lines in fresh interpreters: ``auditor scan --enable
AUD5 --offline`` cold (empty cache) and warm (same cache, unchanged tree: no file is read, see
the ``read`` column) against ``deptry src``. Targets: cold <= 1.0x deptry, warm <= 0.2x. The
tree is left to age `RECENT_SECONDS` before the scans, as files written in the last two seconds
are read again on purpose (see `auditor.imports.scanner`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated tree")
    args = parser.parse_args()

    from auditor.cache import Cache
    from auditor.config import load_config
    from auditor.discover import discover
    from auditor.imports.scanner import scan_files
    from auditor.pipeline import run_audit

    started = time.perf_counter()
    generate(WORK, args.files)
    print(f"generated {args.files} files in {time.perf_counter() - started:.1f}s under {WORK}")
    files = discover(WORK).python_files
    from auditor.imports.scanner import RECENT_SECONDS

    time.sleep(RECENT_SECONDS)  # files younger than this are re-read on purpose
    rows: list[tuple[str, float, str]] = []
    cold = warm = scan_cold = scan_warm = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        cache = Cache(Path(tmp) / "scan")
        stats: dict[str, int] = {}

        def scan() -> None:
            result = scan_files(WORK, files, notebooks=[], cache=cache)
            stats.update(
                read=result.read,
                parsed=result.parsed,
                cached=result.cached,
                sites=len(result.sites),
            )

        scan_cold = _time(scan)
        rows.append(("scan_files cold (parse all, fill cache)", scan_cold, json.dumps(stats)))
        scan_warm = _time(scan)
        rows.append(("scan_files warm (cache hits)", scan_warm, json.dumps(stats)))
        serial = _time(lambda: scan_files(WORK, files, cache=None, workers=1))
        rows.append(("scan_files serial, no cache", serial, ""))
        cache.close()

        config = load_config(WORK, env={"AUDITOR_CACHE_DIR": str(Path(tmp) / "audit")})
        config = config.with_overrides(
            enable=("AUD5",), offline=True, allow_incomplete=True, cache_dir=Path(tmp) / "audit"
        )
        found: dict[str, int] = {}

        def audit() -> None:
            found["findings"] = len(run_audit(config).findings)

        rows.append(("run_audit AUD5 in-process, cold", _time(audit), json.dumps(found)))
        rows.append(("run_audit AUD5 in-process, warm", _time(audit), json.dumps(found)))
        argv = [sys.executable, "-m", "auditor", "scan", str(WORK), "--enable", "AUD5",
                "--offline", "--format", "json", "--cache-dir", str(Path(tmp) / "cli")]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(HERE.parent), "AUDITOR_NO_PROGRESS": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed auditor has its .pyc files
        subprocess.run([sys.executable, "-m", "auditor", "--version"], env=env,
                       capture_output=True, check=False)  # fmt: skip

        def cli() -> None:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            found["findings"] = len(json.loads(done.stdout)["findings"])

        cold = _time(cli)
        rows.append(("auditor scan --enable AUD5 (CLI), cold", cold, json.dumps(found)))
        warm = _time(cli)
        rows.append(("auditor scan --enable AUD5 (CLI), warm", warm, json.dumps(found)))
    deptry_time: float | None = None
    if shutil.which("deptry"):
        out = WORK / "deptry.json"
        start = time.perf_counter()
        done = subprocess.run(
            ["deptry", "src", "--json-output", str(out), "--no-ansi"],
            cwd=WORK,
            capture_output=True,
            text=True,
            check=False,
        )
        deptry_time = time.perf_counter() - start
        issues = len(json.loads(out.read_text())) if out.is_file() else -1
        rows.append(
            ("deptry src (whole run)", deptry_time, f"exit {done.returncode}, {issues} issues")
        )
    else:
        print("deptry not on PATH: skipped")
    print()
    print(f"{'run':<40} {'seconds':>8} {'vs deptry':>10}  detail")
    for name, secs, detail in rows:
        ratio = f"{secs / deptry_time:.2f}x" if deptry_time else "-"
        print(f"{name:<40} {secs:>8.2f} {ratio:>10}  {detail}")
    print()
    beat = deptry_time is None or cold <= deptry_time
    warm_ok = deptry_time is None or warm <= 0.2 * deptry_time
    print(f"warm import scan < 1 s: {'met' if scan_warm < 1 else 'MISSED'} ({scan_warm:.2f} s); "
          f"whole warm run {warm:.2f} s")  # fmt: skip
    print(f"cold whole run <= 1.0x deptry: {'met' if beat else 'MISSED'} ({cold:.2f} s vs "
          f"{deptry_time or 0:.2f} s); cold import scan alone {scan_cold:.2f} s")  # fmt: skip
    print(f"warm whole run <= 0.2x deptry: {'met' if warm_ok else 'MISSED'} ({warm:.2f} s vs "
          f"{0.2 * (deptry_time or 0):.2f} s)")  # fmt: skip
    if not args.keep:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0 if beat and warm_ok else 1


if __name__ == "__main__":
    sys.exit(main())
