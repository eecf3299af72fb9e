"""Pre-commit path benchmark: a warm ``auditor scan --pre-commit`` on a small app (target < 0.5 s).

Run: ``python benchmarks/bench_precommit.py [--app PATH] [--runs N] [--online]``. Uses
examples/vibe-app when present, else a small generated app in a temporary folder. The first run
warms the caches (index, OSV, imports); the next runs are timed: in-process (what the scan
costs) and as a subprocess (what a commit waits for: interpreter start-up and imports included).
Without --online the run is offline (AUDITOR_OFFLINE=1), so the figures do not depend on the
network. ``auditor --version`` is timed too: the CLI must start fast.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from auditor.cli.main import main

REPO = Path(__file__).resolve().parent.parent
TARGET = 0.5


def _small_app(root: Path) -> Path:
    app = root / "vibe-app"
    (app / "app").mkdir(parents=True)
    (app / "requirements.txt").write_text(
        "flask==2.0.1\nrequests\nnumpy>=1.20\npandas==1.3.0\npyyaml\nrich==13.7.0\n"
        "python-dotenv\nsqlalchemy<2\n",
        encoding="utf-8",
    )
    for i in range(20):
        (app / "app" / f"mod{i}.py").write_text(
            "import os\nimport json\nimport requests\nfrom flask import Flask\n"
            "import numpy as np\n\n"
            + "".join(f"def f{j}(x):\n    return np.asarray(x) + {j}\n\n" for j in range(30)),
            encoding="utf-8",
        )
    return app


def _timed_in_process(app: Path, files: list[str], runs: int) -> list[float]:
    times = []
    cwd = Path.cwd()
    os.chdir(app)
    try:
        for _ in range(runs):
            start = time.perf_counter()
            main(["scan", "--pre-commit", *files], out=io.StringIO(), err=io.StringIO())
            times.append(time.perf_counter() - start)
    finally:
        os.chdir(cwd)
    return times


def _timed_subprocess(argv: list[str], cwd: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def _line(label: str, times: list[float]) -> str:
    best, median = min(times), statistics.median(times)
    verdict = "ok" if median < TARGET else "SLOW"
    return f"{label:<44} best {best * 1000:7.1f} ms  median {median * 1000:7.1f} ms  [{verdict}]"


def main_bench() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=REPO / "examples" / "vibe-app")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--online", action="store_true", help="use the configured network")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("AUDITOR_CACHE_DIR", str(Path(tmp) / "cache"))
        os.environ["AUDITOR_NO_PROGRESS"] = "1"
        if not args.online:
            os.environ["AUDITOR_OFFLINE"] = "1"
        if args.app.is_dir():
            app = Path(tmp) / "app"
            shutil.copytree(args.app, app)
            source = str(args.app)
        else:
            app = _small_app(Path(tmp))
            source = "generated small app (examples/vibe-app absent)"
        files = sorted(
            str(p.relative_to(app))
            for p in app.rglob("*")
            if p.is_file() and (p.suffix == ".py" or p.name.startswith("requirements"))
        )[:10]
        print(f"app: {source}; {len(files)} changed file(s) passed; "
              f"{'online' if args.online else 'offline'}")  # fmt: skip
        _timed_in_process(app, files, 1)  # warm the caches
        exe = shutil.which("auditor") or sys.executable
        cli = [exe] if exe.endswith("auditor") else [exe, "-m", "auditor"]
        print(
            _line("scan --pre-commit (in-process, warm)", _timed_in_process(app, files, args.runs))
        )
        print(
            _line(
                "scan --pre-commit (subprocess, warm)",
                _timed_subprocess([*cli, "scan", "--pre-commit", *files], app, args.runs),
            )
        )
        print(_line("auditor --version (subprocess)",
                    _timed_subprocess([*cli, "--version"], app, args.runs)))  # fmt: skip
        print(f"target: median < {TARGET * 1000:.0f} ms for a warm pre-commit run")


if __name__ == "__main__":
    main_bench()
