"""Peer comparison: ``uv audit`` and Auditor against the same loopback OSV server and uv.lock.

Run: ``python benchmarks/compare_uv_audit.py [--packages N]``.

Both tools read one generated uv.lock (N locked packages: every package of the shared PYSEC
database at a vulnerable version, then clean names) and query one FakeOsv holding the shared
records: uv through ``uv audit --frozen --service-url URL``, Auditor through ``AUDITOR_OSV_URL``.
The script prints, per tool, the (package, version, advisory) triples found, the requests sent and
the wall time, and the triples only one tool found. Auditor merges aliases into one finding, so
the comparison counts an advisory as found by Auditor when it is in a finding's
``evidence.advisories``.

pip-audit is the other peer, but its OSV service URL is fixed (``--vulnerability-service osv``
always calls the public API, one request per package), so it cannot be pointed at the loopback
server; bench_osv.py prints its per-package request count by design instead.

Exits 0 with a message when uv is missing or has no ``audit`` command with ``--service-url``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from osv_common import SHARED_ZIP, IndexedFakeOsv, load_records, pick_packages, write_uv_project

from auditor.advisories.matching import parse_version

Triple = tuple[str, str, str]


def uv_audit_support() -> tuple[bool, str]:
    """Return (supported, description) for the installed uv."""
    uv = shutil.which("uv")
    if uv is None:
        return False, "uv is not installed (no `uv` on PATH)"
    version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=False)
    helped = subprocess.run([uv, "audit", "--help"], capture_output=True, text=True, check=False)
    name = version.stdout.strip() or "uv (unknown version)"
    if helped.returncode != 0:
        first = (helped.stderr or helped.stdout).strip().splitlines()[:1]
        return False, f"{name} has no `uv audit` command ({first[0] if first else 'no output'})"
    if "--service-url" not in helped.stdout:
        return False, f"{name} has `uv audit` but no --service-url option"
    return True, name


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _version(text: str) -> str:
    parsed = parse_version(text)
    return str(parsed) if parsed is not None else text


def run_uv(
    project: Path, url: str, index: str, cache: Path
) -> tuple[set[Triple], float, dict[str, Any]]:
    """Run ``uv audit`` on `project` against `url`; return (triples, seconds, raw report).

    uv also asks the lock's index for each project's status (PEP 792); `index` is a loopback
    fake so nothing leaves the machine.
    """
    env = {**os.environ, "UV_CACHE_DIR": str(cache), "UV_NO_PROGRESS": "1",
           "UV_NO_CONFIG": "1"}  # fmt: skip
    cmd = ["uv", "audit", "--frozen", "--service-url", url, "--default-index", index,
           "--output-format", "json",
           "--preview-features", "audit-command,json-output"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=project, capture_output=True, text=True, env=env, check=False)
    took = time.perf_counter() - started
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except ValueError as exc:
        raise SystemExit(f"uv audit gave no JSON (exit {done.returncode}): {done.stderr}") from exc
    triples = {
        (_normalize(v["dependency"]["name"]), _version(v["dependency"]["version"]), v["id"])
        for v in report.get("vulnerabilities", [])
    }
    return triples, took, report


def run_auditor(project: Path, url: str, cache: Path) -> tuple[set[Triple], float, int]:
    """Run ``auditor scan`` (AUD201/AUD202 only); return (triples, seconds, finding count)."""
    env = {**os.environ, "AUDITOR_OSV_URL": url, "AUDITOR_CACHE_DIR": str(cache),
           "AUDITOR_NO_PROGRESS": "1"}  # fmt: skip
    cmd = [sys.executable, "-m", "auditor", "scan", str(project), "--format", "json",
           "--enable", "AUD201", "--enable", "AUD202", "--allow-incomplete"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    took = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"auditor failed (exit {done.returncode}): {done.stderr}")
    report = json.loads(done.stdout)
    if report["incomplete"]:
        raise SystemExit(f"auditor run incomplete: {report['incomplete']}")
    triples = {
        (_normalize(f["package"]), _version(f["version"]), advisory)
        for f in report["findings"]
        for advisory in f["evidence"]["advisories"]
    }
    return triples, took, len(report["findings"])


def compare(count: int, records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Run both tools on one generated project and return the figures."""
    from fakes import FakeIndex, serve

    records = records if records is not None else load_records()
    if records is None:
        raise SystemExit(f"shared data not available: {SHARED_ZIP}")
    fake = IndexedFakeOsv(records)
    packages = pick_packages(records, count)
    with (
        tempfile.TemporaryDirectory(prefix="auditor-vs-uv-") as tmp,
        serve(FakeIndex()) as index,
        serve(fake) as server,
    ):
        project = Path(tmp) / "proj"
        write_uv_project(project, packages, registry=f"{index.url}/simple")
        uv_triples, uv_s, _report = run_uv(
            project, server.url, f"{index.url}/simple", Path(tmp) / "uv-cache"
        )
        uv_requests = len(server.requests)
        index_requests = len(index.requests)
        server.requests.clear()
        aud_triples, aud_s, findings = run_auditor(project, server.url, Path(tmp) / "cache")
        aud_requests = len(server.requests)
    # Auditor lists aliases (CVE ids) too; compare on the ids the server actually holds.
    known = set(fake.vulns)
    aud_known = {t for t in aud_triples if t[2] in known}
    return {
        "packages": count,
        "uv": {"triples": len(uv_triples), "requests": uv_requests, "seconds": uv_s,
               "index_requests": index_requests},
        "auditor": {"triples": len(aud_known), "findings": findings, "requests": aud_requests,
                    "seconds": aud_s},
        "only_uv": sorted(uv_triples - aud_known),
        "only_auditor": sorted(aud_known - uv_triples),
        "both": len(uv_triples & aud_known),
    }  # fmt: skip


def main() -> int:
    """Print the comparison, or why it could not run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", type=int, default=200)
    args, _unknown = parser.parse_known_args()
    supported, detail = uv_audit_support()
    if not supported:
        print(f"skipped: {detail}")
        return 0
    records = load_records()
    if records is None:
        print(f"skipped: shared data not available ({SHARED_ZIP})")
        return 0
    result = compare(args.packages, records)
    print(f"{detail}; {result['packages']} locked packages; same loopback FakeOsv and uv.lock")
    print(f"{'tool':<10} {'advisory hits':>14} {'findings':>9} {'requests':>9} {'seconds':>8}")
    uv, aud = result["uv"], result["auditor"]
    print(f"{'uv audit':<10} {uv['triples']:>14} {uv['triples']:>9} {uv['requests']:>9} "
          f"{uv['seconds']:>8.2f}")  # fmt: skip
    print(f"{'auditor':<10} {aud['triples']:>14} {aud['findings']:>9} {aud['requests']:>9} "
          f"{aud['seconds']:>8.2f}")  # fmt: skip
    print(f"found by both: {result['both']}; only uv: {len(result['only_uv'])}; "
          f"only auditor: {len(result['only_auditor'])}")  # fmt: skip
    for label in ("only_uv", "only_auditor"):
        for triple in result[label][:10]:
            print(f"  {label}: {triple}")
    print("(auditor findings < hits: aliases of one flaw are merged into one finding)")
    print(
        f"uv also sent {uv['index_requests']} project-status requests to the (loopback) index;"
        " auditor's AUD2xx rules send none (its index checks are separate rules)"
    )
    print("pip-audit: not comparable here (its OSV URL is fixed to the public API).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
