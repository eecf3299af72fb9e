"""``auditor fleet`` over a generated organisation: local pool at 1 and 2 workers, Dask at 2.

Run: ``python benchmarks/bench_fleet.py [--repos 1000] [--engines local1,local2,dask2]``.

Generates ``--repos`` repositories (20-200 packages each, mixed manifests: requirements.txt,
pyproject.toml, uv.lock, poetry.lock, Pipfile.lock) from the most downloaded PyPI names
(``../shared/data/pypi/top-pypi-packages.json``; synthetic names when absent), one in ten pinning
requests 2.19.0. The offline advisory store is imported from
``../shared/data/osv/pypi-advisory-database.zip`` (a fixture record when absent). Each engine
audits the whole fleet from an empty state folder (the cache, with the store, is shared and warm
after the first run); then the local pool reruns with nothing changed, and ``auditor fleet query
--advisory PYSEC-2018-28`` is timed across the fleet. Prints wall time, repositories per second,
the largest worker's memory, and the store and report sizes that a 10,000-repository estimate
needs. Exits 1 when a run fails to audit every repository.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "fleet"
TOP = ROOT / ".." / "shared" / "data" / "pypi" / "top-pypi-packages.json"
OSV_ZIP = ROOT / ".." / "shared" / "data" / "osv" / "pypi-advisory-database.zip"
ADVISORY = "PYSEC-2018-28"
_VERSIONS = ("0.9.0", "1.0.0", "1.2.3", "2.0.0", "2.31.0", "3.1.4", "22.0", "5.4.1")
_RECORD = {
    "id": ADVISORY,
    "modified": "2024-01-01T00:00:00Z",
    "aliases": ["CVE-2018-18074"],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "requests"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}],
        }
    ],
}


def _names(count: int) -> list[str]:
    if TOP.is_file():
        rows = json.loads(TOP.read_text(encoding="utf-8"))["rows"]
        names = [str(r["project"]) for r in rows[: count + 50]]
        return [n for n in names if n != "requests"][:count]
    return [f"benchpkg{i:04d}" for i in range(count)]


def _pins(
    rng: random.Random, pool: list[str], size: int, vulnerable: bool
) -> list[tuple[str, str]]:
    chosen = rng.sample(pool, size)
    pins = [
        (n, _VERSIONS[(zlib.crc32(n.encode()) + i) % len(_VERSIONS)]) for i, n in enumerate(chosen)
    ]
    pins.append(("requests", "2.19.0" if vulnerable else "2.31.0"))
    return pins


def _requirements(pins: list[tuple[str, str]]) -> dict[str, str]:
    return {"requirements.txt": "".join(f"{n}=={v}\n" for n, v in pins)}


def _pyproject(pins: list[tuple[str, str]]) -> dict[str, str]:
    deps = "".join(f'  "{n}=={v}",\n' for n, v in pins)
    return {
        "pyproject.toml": f'[project]\nname = "svc"\nversion = "1.0"\ndependencies = [\n{deps}]\n'
    }


def _uv_lock(pins: list[tuple[str, str]]) -> dict[str, str]:
    lines = ["version = 1", "revision = 1", 'requires-python = ">=3.11"', ""]
    for name, version in pins:
        lines += [
            "[[package]]",
            f'name = "{name}"',
            f'version = "{version}"',
            'source = { registry = "https://pypi.org/simple" }',
            "",
        ]
    direct = "".join(f'    {{ name = "{n}" }},\n' for n, _v in pins[::3])
    lines += [
        "[[package]]",
        'name = "svc"',
        'version = "1.0"',
        'source = { virtual = "." }',
        f"dependencies = [\n{direct}]",
        "",
    ]
    deps = "".join(f'  "{n}",\n' for n, _v in pins[::3])
    return {
        "uv.lock": "\n".join(lines),
        "pyproject.toml": f'[project]\nname = "svc"\nversion = "1.0"\ndependencies = [\n{deps}]\n',
    }


def _poetry_lock(pins: list[tuple[str, str]]) -> dict[str, str]:
    lines = []
    for name, version in pins:
        lines += [
            "[[package]]",
            f'name = "{name}"',
            f'version = "{version}"',
            'description = ""',
            "optional = false",
            'python-versions = "*"',
            "",
        ]
    lines += [
        "[metadata]",
        'lock-version = "2.0"',
        'python-versions = "^3.11"',
        'content-hash = "0"',
        "",
    ]
    deps = "".join(f'{n} = "{v}"\n' for n, v in pins[::3])
    return {
        "poetry.lock": "\n".join(lines),
        "pyproject.toml": '[tool.poetry]\nname = "svc"\nversion = "1.0"\ndescription = ""\n'
        'authors = ["a <a@example.invalid>"]\n\n[tool.poetry.dependencies]\n'
        f'python = "^3.11"\n{deps}',
    }


def _pipfile_lock(pins: list[tuple[str, str]]) -> dict[str, str]:
    default = {n: {"version": f"=={v}"} for n, v in pins}
    data = {
        "_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6, "requires": {}, "sources": []},
        "default": default,
        "develop": {},
    }
    return {"Pipfile.lock": json.dumps(data, indent=1)}


_LAYOUTS = (_requirements, _pyproject, _uv_lock, _poetry_lock, _pipfile_lock)


def generate(root: Path, repos: int, seed: int = 7) -> int:
    """Write `repos` repositories under `root`; return how many pin the vulnerable requests."""
    rng = random.Random(seed)
    pool = _names(400)
    vulnerable = 0
    for i in range(repos):
        folder = root / f"svc-{i:05d}"
        folder.mkdir(parents=True)
        is_vulnerable = i % 10 == 0
        vulnerable += is_vulnerable
        pins = _pins(rng, pool, rng.randint(19, 199), is_vulnerable)
        for name, text in _LAYOUTS[i % len(_LAYOUTS)](pins).items():
            (folder / name).write_text(text, encoding="utf-8")
        (folder / "app.py").write_text("import requests\n", encoding="utf-8")
    return vulnerable


def _env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(ROOT), AUDITOR_NO_PROGRESS="1", AUDITOR_CACHE_DIR=str(cache))
    return env


def _auditor(cache: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        env=_env(cache),
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - start, done


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _fleet(
    cache: Path, state: Path, fleet: Path, engine: list[str]
) -> tuple[float, dict[str, Any]]:
    seconds, done = _auditor(
        cache,
        "fleet",
        str(fleet),
        "--offline",
        "--allow-incomplete",
        "--state-dir",
        str(state),
        "-f",
        "json",
        *engine,
    )
    if not done.stdout:
        print(done.stderr[-2000:])
        return seconds, {}
    return seconds, json.loads(done.stdout)


ENGINES = {
    "local1": ["--engine", "local", "--workers", "1"],
    "local2": ["--engine", "local", "--workers", "2"],
    "dask2": ["--engine", "dask", "--workers", "2"],
}


def main() -> int:
    """Generate the fleet, run each engine, rerun, query; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--engines", default=",".join(ENGINES))
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines: {sorted(unknown)}")
    if "dask2" in engines:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("dask2 skipped: pip install 'auditor[fleet]'")
            engines.remove("dask2")
    shutil.rmtree(WORK, ignore_errors=True)
    fleet, cache = WORK / "repos", WORK / "cache"
    vulnerable = generate(fleet, args.repos)
    if OSV_ZIP.is_file():
        _s, done = _auditor(cache, "db", "import", str(OSV_ZIP))
    else:
        records = WORK / "osv"
        records.mkdir(parents=True)
        (records / f"{ADVISORY}.json").write_text(json.dumps(_RECORD))
        _s, done = _auditor(cache, "db", "import", str(records))
    if done.returncode != 0:
        print(done.stderr)
        return 1
    store_mb = (cache / "osv.sqlite3").stat().st_size / 1e6
    print(
        f"fleet: {args.repos} repositories, 20-200 packages each, 5 manifest layouts; "
        f"{vulnerable} pin requests 2.19.0; store {store_mb:.1f} MB"
    )
    failures = 0
    last_state = None
    print(f"{'engine':<10}{'wall s':>9}{'repos/s':>9}{'CPU s':>9}{'scanned':>9}{'failed':>8}")
    for name in engines:
        state = WORK / f"state-{name}"
        cpu = _cpu()
        seconds, report = _fleet(cache, state, fleet, ENGINES[name])
        cpu = _cpu() - cpu
        status = report.get("status", {})
        failures += int(status.get("scanned", 0) != args.repos)
        print(
            f"{name:<10}{seconds:>9.1f}{args.repos / seconds:>9.1f}{cpu:>9.1f}"
            f"{status.get('scanned', 0):>9}{status.get('failed', 0):>8}",
            flush=True,
        )
        last_state = state
    if last_state is None:
        return 1
    seconds, report = _fleet(cache, last_state, fleet, ENGINES["local2"])
    unchanged = report.get("status", {}).get("unchanged", 0)
    failures += int(unchanged != args.repos)
    print(
        f"rerun, nothing changed (local2): {seconds:.1f} s, {unchanged} unchanged, "
        f"{report.get('status', {}).get('scanned', 0)} scanned"
    )
    times = []
    for _ in range(5):
        seconds, done = _auditor(
            cache,
            "fleet",
            "query",
            "--advisory",
            ADVISORY,
            "--state-dir",
            str(last_state),
            "-f",
            "json",
        )
        times.append(seconds)
    answer = json.loads(done.stdout)
    sys.path.insert(0, str(ROOT))
    from auditor.fleet.inventory import Inventory
    from auditor.fleet.query import affected_by

    with Inventory(last_state) as inventory:
        start = time.perf_counter()
        affected_by(inventory, ADVISORY, store=cache / "osv.sqlite3")
        in_process = time.perf_counter() - start
    affected = len(answer["affected_repositories"])
    failures += int(affected != vulnerable)
    print(
        f"fleet query --advisory {ADVISORY}: {in_process * 1000:.0f} ms (the query), "
        f"{sorted(times)[2]:.2f} s (median of 5, whole "
        f"command), {affected} of {answer['repositories_in_fleet']} repositories affected"
    )
    reports_mb = _du(last_state / "reports") / 1e6
    inventory_mb = (last_state / "fleet.sqlite3").stat().st_size / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"stored reports {reports_mb:.1f} MB ({reports_mb * 1000 / args.repos:.0f} kB per "
        f"repository), inventory {inventory_mb:.1f} MB, largest process {peak_mb:.0f} MB RSS"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
