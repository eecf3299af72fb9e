"""OSV benchmark: offline matching of a 1,000-package lockfile, and online request counts.

Run: ``python benchmarks/bench_osv.py [--packages N] [--repeat R]``.

* Offline: the shared PYSEC zip (2,661 records) is imported with ``auditor db import`` into a
  fresh cache, then the advisory lookup + AUD201/202 findings for N locked packages run against
  the store, cold (first run in the process) and warm (best of R). Target: < 0.5 s warm.
  The end-to-end ``auditor scan --offline`` time on the same uv.lock is printed beside it.
* Online: the same N packages against a loopback FakeOsv holding the same records. Auditor
  sends ceil(N/1000) ``querybatch`` requests plus one ``GET /v1/vulns/{id}`` per distinct id;
  pip-audit's OSV service sends one ``POST /v1/query`` per package, i.e. N requests (its OSV
  URL is fixed, so it cannot be pointed at the loopback server: that figure is by design).

Skips with a message when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from osv_common import SHARED_ZIP, IndexedFakeOsv, load_records, pick_packages, write_uv_project

TARGET_S = 0.5  # warm offline matching of 1,000 locked packages


def _offline(packages: list[tuple[str, str]], repeat: int, cache: Path, work: Path) -> bool:
    from auditor.advisories.client import Query
    from auditor.advisories.lookup import resolve_advisories
    from auditor.advisories.matching import group_aliases
    from auditor.cli.main import main
    from auditor.config import load_config

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    code = main(["db", "import", str(SHARED_ZIP), "--cache-dir", str(cache)], out=out, err=err)
    import_s = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"db import failed: {err.getvalue()}")
    config = load_config(work, env={"AUDITOR_CACHE_DIR": str(cache), "AUDITOR_OFFLINE": "1"})
    queries = [Query(name=n, version=v) for n, v in packages]

    def once() -> tuple[float, int, int]:
        t0 = time.perf_counter()
        facts = resolve_advisories(queries, config=config, session=None, cache=None)
        groups = [g for q in queries for g in group_aliases(facts.for_query(q))]
        return time.perf_counter() - t0, sum(bool(facts.for_query(q)) for q in queries), len(groups)

    cold, hit, groups = once()
    warm = min(once()[0] for _ in range(repeat))
    print(f"db import of the shared zip (2,661 records):     {import_s:8.3f} s")
    print(f"offline lookup, {len(packages)} packages, cold:            {cold:8.3f} s")
    print(f"offline lookup, {len(packages)} packages, warm (best of {repeat}): {warm:8.3f} s"
          f"   target < {TARGET_S} s: {'OK' if warm < TARGET_S else 'MISSED'}")  # fmt: skip
    print(f"  vulnerable packages: {hit}, merged findings: {groups}")
    env = {**os.environ, "AUDITOR_CACHE_DIR": str(cache), "AUDITOR_NO_PROGRESS": "1"}
    best = math.inf
    for _ in range(max(1, repeat // 2)):
        t0 = time.perf_counter()
        import subprocess
        import sys

        proc = subprocess.run(
            [sys.executable, "-m", "auditor", "scan", str(work), "--offline", "--format", "json",
             "--enable", "AUD2", "--allow-incomplete"],
            capture_output=True, env=env, check=False,
        )  # fmt: skip
        best = min(best, time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"scan failed: {proc.stderr.decode()}")
    print(f"end-to-end `auditor scan --offline --enable AUD2` on the uv.lock: {best:8.3f} s")
    return warm < TARGET_S


def _online(records: list[dict[str, Any]], vulnerable: int | None, label: str) -> None:
    from fakes import serve

    from auditor.advisories.client import OsvClient, Query
    from auditor.http import make_session

    fake = IndexedFakeOsv(records)
    print()
    print(f"online, {label}")
    print(f"{'N':>6} {'querybatch':>11} {'vulns/{id}':>11} {'auditor total':>14} "
          f"{'pip-audit (1/pkg)':>18} {'ratio':>7} {'time':>8}")  # fmt: skip
    for count in (100, 1000, 2500):
        chosen = pick_packages(records, count, vulnerable=vulnerable)
        queries = sorted({Query(name=n.lower(), version=v) for n, v in chosen})
        if len(queries) < count:  # pad with distinct clean names so N stays N
            queries += [Query(name=f"pad-{i}", version="1.0") for i in range(count - len(queries))]
        with serve(fake) as server:
            session = make_session(timeout=30, retries=0)
            t0 = time.perf_counter()
            result = OsvClient(session, server.url, max_workers=8).query(queries)
            took = time.perf_counter() - t0
            session.close()
            if result.failed:
                raise SystemExit(f"queries failed: {result.failed}")
            batch = sum(r.path == "/v1/querybatch" for r in server.requests)
            vulns = sum(r.path.startswith("/v1/vulns/") for r in server.requests)
        distinct = len({r["id"] for recs in result.records.values() for r in recs})
        if batch != math.ceil(count / 1000) or vulns != distinct:
            raise SystemExit(f"unexpected request counts: {batch} batches, {vulns} GETs")
        total = batch + vulns
        print(f"{count:>6} {batch:>11} {vulns:>11} {total:>14} {count:>18} "
              f"{count / total:>6.1f}x {took:>7.2f}s")  # fmt: skip
    print("(pip-audit's OSV service URL is fixed, so its count is its design's N, not a run.)")


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args, _unknown = parser.parse_known_args()
    records = load_records()
    if records is None:
        print(f"skipped: shared data not available ({SHARED_ZIP})")
        return 0
    packages = pick_packages(records, args.packages)
    with tempfile.TemporaryDirectory(prefix="auditor-bench-osv-") as tmp:
        work = Path(tmp) / "proj"
        write_uv_project(work, packages)
        met = _offline(packages, args.repeat, Path(tmp) / "cache", work)
    _online(records, None, "worst case: every advisory-database package at a vulnerable version")
    _online(records, 25, "typical: 25 vulnerable packages, the rest clean")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
