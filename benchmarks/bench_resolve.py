"""Resolution and guard latency against a loopback index of real wheels (targets from issue 13).

Run: ``python benchmarks/bench_resolve.py [--runs N]``. Builds real wheels (30 direct projects,
each depending on 5 of its own, so a 30-requirement file resolves to 180 packages and 10 names to
60), serves them on 127.0.0.1 with a loopback OSV API, and times:

* resolving the 30-requirement file with uv: cold (empty Auditor and uv caches), uv's cache warm
  but Auditor's cold, and cached (Auditor's resolution cache); pip's cold run for comparison;
* ``auditor vet`` of 10 names (60 resolved packages), warm: in-process and as a subprocess
  (target < 0.5 s in-process), and per name;
* the agent hook ``auditor guard --hook``, warm, as the agent runs it (a subprocess): a shell line
  without an install (the common case) and one installing the 10 names (target < 1 s).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from fakes import FakeOsv, serve  # noqa: E402
from wheelhouse import Wheelhouse, serve_wheelhouse  # noqa: E402

from auditor.cache import Cache  # noqa: E402
from auditor.resolve.model import ResolveRequest, ResolveTarget  # noqa: E402
from auditor.resolve.resolver import ResolvePolicy, resolve  # noqa: E402

DIRECT = 30
EACH = 5
VET_TARGET = 0.5
HOOK_TARGET = 1.0


def _house() -> Wheelhouse:
    house = Wheelhouse()
    for i in range(1, DIRECT + 1):
        deps = [f"benchdep-{i:02d}-{j}" for j in range(1, EACH + 1)]
        house.add(f"benchlib-{i:02d}", "1.0", [f"{d}>=1" for d in deps])
        house.add(f"benchlib-{i:02d}", "1.1", [f"{d}>=1" for d in deps])
        for dep in deps:
            house.add(dep, "1.0").add(dep, "1.2")
    return house


def _time(func: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    """Run the measurements and print the figures; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    house = _house()
    names30 = [f"benchlib-{i:02d}" for i in range(1, DIRECT + 1)]
    names10 = names30[:10]
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_wheelhouse(house) as url,
        serve(FakeOsv()) as osv,
    ):
        work = Path(tmp)
        index = f"{url}/simple"
        os.environ.update({
            "AUDITOR_INDEX_URL": index, "AUDITOR_OSV_URL": osv.url,
            "AUDITOR_CACHE_DIR": str(work / "cache"), "AUDITOR_NO_PROGRESS": "1",
            "AUDITOR_TOP_PACKAGES_URL": "http://127.0.0.1:9/top.json",
            "PIP_CONFIG_FILE": os.devnull,
        })  # fmt: skip
        request = ResolveRequest(requirements=tuple(names30), index_url=index,
                                 target=ResolveTarget(python="3.11"))  # fmt: skip
        colds = []
        for run in range(3):
            cache = Cache(work / f"c{run}")
            start = time.perf_counter()
            got = resolve(request, policy=ResolvePolicy(resolver="uv"), cache=cache,
                          cache_dir=work / f"uv{run}")  # fmt: skip
            colds.append(time.perf_counter() - start)
            cache.close()
        if got.error is not None or len(got.packages) != DIRECT * (EACH + 1):
            raise SystemExit(f"resolution failed: {got.error}")
        uv_warm_cache = Cache(work / "warm")
        resolve(request, policy=ResolvePolicy(resolver="uv"), cache=None, cache_dir=work / "uvw")
        uv_warm = _time(lambda: resolve(request, policy=ResolvePolicy(resolver="uv"),
                                        cache=None, cache_dir=work / "uvw"), args.runs)  # fmt: skip
        resolve(request, policy=ResolvePolicy(), cache=uv_warm_cache, cache_dir=work / "uvw")
        cached = _time(lambda: resolve(request, policy=ResolvePolicy(), cache=uv_warm_cache,
                                       cache_dir=work / "uvw"), args.runs)  # fmt: skip
        start = time.perf_counter()
        pip_got = resolve(request, policy=ResolvePolicy(resolver="pip"), cache=None)
        pip_cold = time.perf_counter() - start
        if pip_got.error is not None:
            raise SystemExit(f"pip resolution failed: {pip_got.error}")
        print(f"resolve 30 requirements -> {len(got.packages)} packages ({got.resolver}):")
        print(f"  cold (empty caches)       {statistics.median(colds):7.3f} s")
        print(f"  uv cache warm, no answer  {uv_warm:7.3f} s")
        print(f"  cached answer             {cached:7.3f} s")
        print(f"  pip, cold                 {pip_cold:7.3f} s ({pip_got.resolver})")

        from auditor.cli.main import main as cli

        def vet_in_process() -> None:
            code = cli(["vet", *names10], out=io.StringIO(), err=io.StringIO())
            if code not in (0, 1):
                raise SystemExit(f"vet exited {code}")

        vet_in_process()  # warm the caches
        vet_warm = _time(vet_in_process, args.runs)
        vet_cmd = [sys.executable, "-m", "auditor", "vet", *names10]
        vet_sub = _time(lambda: subprocess.run(vet_cmd, capture_output=True, check=False),
                        args.runs)  # fmt: skip
        print(f"vet 10 names -> {EACH * 10 + 10} packages, warm:")
        print(f"  in-process                {vet_warm:7.3f} s ({vet_warm / 10 * 1000:.0f} ms/name)")
        print(f"  subprocess                {vet_sub:7.3f} s")

        def hook(command: str) -> float:
            event = json.dumps({"tool_name": "Bash", "tool_input": {"command": command}})
            cmd = [sys.executable, "-m", "auditor", "guard", "--hook"]
            done = subprocess.run(cmd, input=event, capture_output=True, text=True, check=False)
            if done.returncode not in (0, 2):
                raise SystemExit(f"hook exited {done.returncode}: {done.stderr}")
            return _time(lambda: subprocess.run(cmd, input=event, capture_output=True,
                                                text=True, check=False), args.runs)  # fmt: skip

        hook_plain = hook("cd src && ls -la | grep py && git status")
        hook_install = hook("pip install " + " ".join(names10) + " && pytest -q")
        # The same names in another order each time: no remembered answer, but the index,
        # OSV and resolution answers are all cached (a new install line of known packages).
        turns = iter(range(1, 1000))

        def fresh_line() -> None:
            k = next(turns) % len(names10)
            line = "pip install " + " ".join(names10[k:] + names10[:k])
            event = json.dumps({"tool_name": "Bash", "tool_input": {"command": line}})
            cmd = [sys.executable, "-m", "auditor", "guard", "--hook"]
            subprocess.run(cmd, input=event, capture_output=True, text=True, check=False)

        hook_fresh = _time(fresh_line, args.runs)
        print("agent hook, warm (subprocess, as the agent runs it):")
        print(f"  no install in the line    {hook_plain:7.3f} s")
        print(f"  10 names, 60 packages     {hook_install:7.3f} s")
        print(f"  same, answer not kept     {hook_fresh:7.3f} s (index, OSV, resolution cached)")
    missed = []
    if vet_warm > VET_TARGET:
        missed.append(f"vet warm {vet_warm:.2f} s > {VET_TARGET} s")
    if hook_install > HOOK_TARGET:
        missed.append(f"hook warm {hook_install:.2f} s > {HOOK_TARGET} s")
    if hook_fresh > HOOK_TARGET:
        missed.append(f"hook, answer not kept, {hook_fresh:.2f} s > {HOOK_TARGET} s")
    for line in missed:
        print(f"target missed: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
