"""Index client benchmark: N project lookups against a loopback index with simulated latency.

Run: ``python benchmarks/bench_index.py [--names N] [--latency MS]``. Each lookup costs two
requests (JSON API + simple API). The table shows a cold run with one worker (what a naive
serial client costs), cold runs with the thread pool at several sizes, and a warm run served
from the on-disk cache; ratios are to the serial run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from fakes import FakeIndex, LoopbackServer  # noqa: E402 - after the path set-up

from auditor.cache import Cache  # noqa: E402
from auditor.http import make_session  # noqa: E402
from auditor.index.client import IndexClient  # noqa: E402


def _client(server: LoopbackServer, cache_dir: Path, workers: int) -> IndexClient:
    return IndexClient(
        session=make_session(retries=0),
        cache=Cache(cache_dir),
        json_url=f"{server.url}/pypi",
        simple_url=f"{server.url}/simple",
        max_workers=workers,
    )


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=300)
    parser.add_argument("--latency", type=float, default=20.0, help="per request, milliseconds")
    args = parser.parse_args()
    index = FakeIndex()
    names = [f"pkg-{i}" for i in range(args.names)]
    for name in names:
        index.add(name, {f"1.{v}": f"2020-0{v % 9 + 1}-01T00:00:00Z" for v in range(12)})
    delay = args.latency / 1000

    def handler(method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        time.sleep(delay)  # a network round trip
        return index.handle(method, path, body)

    server = LoopbackServer(handler)
    # socketserver listens with a backlog of 5; a real index takes far more connections.
    server._server.socket.listen(128)
    server.start()
    rows: list[tuple[str, float]] = []
    try:
        for workers in (1, 8, 16, 32):
            with tempfile.TemporaryDirectory() as tmp:
                client = _client(server, Path(tmp), workers)
                start = time.perf_counter()
                found = client.lookup_many(names)
                rows.append((f"cold, {workers} worker(s)", time.perf_counter() - start))
                if len(found) != len(names):
                    raise SystemExit(f"expected {len(names)} answers, got {len(found)}")
                if workers == 8:
                    start = time.perf_counter()
                    client.lookup_many(names)
                    rows.append(("warm (cache), 8 workers", time.perf_counter() - start))
    finally:
        server.stop()
    serial = rows[0][1]
    print(f"{args.names} lookups, {args.latency:.0f} ms per request (2 requests per lookup)")
    print(f"{'run':<28}{'seconds':>10}{'lookups/s':>12}{'vs serial':>11}")
    for label, seconds in rows:
        rate = args.names / seconds if seconds else float("inf")
        print(f"{label:<28}{seconds:>10.3f}{rate:>12.0f}{serial / seconds:>10.1f}x")


if __name__ == "__main__":
    main()
