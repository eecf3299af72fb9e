"""License inventory benchmark: a 1,000-package lockfile against a loopback index.

Run: ``python benchmarks/bench_licenses.py [--packages N] [--latency MS]``. The lockfile
(requirements.txt with exact pins) locks an older release of every package, so each needs its
project document (for the newest release's license, AUD304) and its own version's metadata:
half the projects answer the per-version JSON document, the other half only serve a PEP 658
METADATA file (the per-version JSON answers 404). License forms vary: expressions, free text,
classifiers, nothing. The table shows a cold run (empty cache), a warm run (everything cached)
and an offline run from the cache.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from fakes import FakeIndex, LoopbackServer  # noqa: E402 - after the path set-up

from auditor.cli.main import main as auditor_main  # noqa: E402

FORMS: list[dict[str, Any]] = [
    {"license_expression": "MIT"},
    {"license": "Apache 2.0"},
    {"classifiers": ["License :: OSI Approved :: BSD License"]},
    {"license": "GPLv3+"},
    {},
]


def _index(count: int) -> FakeIndex:
    index = FakeIndex()
    for i in range(count):
        name = f"pkg-{i}"
        form = FORMS[i % len(FORMS)]
        releases: dict[str, str | list[dict[str, Any]]] = {
            "1.0": "2023-01-01T00:00:00Z",
            "2.0": "2024-01-01T00:00:00Z",
        }
        if i % 2:
            meta = f"Metadata-Version: 2.4\nName: {name}\nVersion: 1.0\nLicense: MIT\n"
            index.add(name, releases, version_json=False, metadata={"1.0": meta}, **form)
        else:
            index.add(name, releases, **form)
    return index


def _run(root: Path, *extra: str) -> float:
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    code = auditor_main(["licenses", str(root), "--format", "json", *extra], out=out, err=err)
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"auditor licenses exited {code}: {err.getvalue()[:500]}")
    return seconds


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=5.0, help="per request, milliseconds")
    args = parser.parse_args()
    index = _index(args.packages)
    delay = args.latency / 1000

    def handler(method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        time.sleep(delay)  # a network round trip
        return index.handle(method, path, body)

    server = LoopbackServer(handler)
    server._server.socket.listen(128)
    server.start()
    rows: list[tuple[str, float, int]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "project"
            root.mkdir()
            lines = [f"pkg-{i}==1.0" for i in range(args.packages)]
            (root / "requirements.txt").write_text("\n".join(lines) + "\n")
            os.environ.update(
                AUDITOR_CACHE_DIR=str(Path(tmp) / "cache"),
                AUDITOR_INDEX_URL=f"{server.url}/simple",
                AUDITOR_NO_PROGRESS="1",
                PIP_CONFIG_FILE=os.devnull,
            )
            for label, extra in (("cold (empty cache)", ()), ("warm (cache)", ()),
                                 ("offline (cache only)", ("--offline",))):  # fmt: skip
                before = len(server.requests)
                seconds = _run(root, *extra)
                rows.append((label, seconds, len(server.requests) - before))
    finally:
        server.stop()
    cold = rows[0][1]
    print(f"license inventory of {args.packages} locked packages, {args.latency:.0f} ms/request")
    print(f"{'run':<24}{'seconds':>10}{'requests':>10}{'packages/s':>12}{'vs cold':>9}")
    for label, seconds, requests in rows:
        rate = args.packages / seconds if seconds else float("inf")
        print(f"{label:<24}{seconds:>10.2f}{requests:>10}{rate:>12.0f}{cold / seconds:>8.1f}x")


if __name__ == "__main__":
    main()
