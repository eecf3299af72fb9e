"""Parser benchmark: a 5,000-line requirements file, a 2,000-package uv.lock and poetry.lock.

Run: ``python benchmarks/bench_sources.py [--packages N]``. Inputs are generated in a temporary
folder; each parser runs 5 times and the best time is printed with packages per second.
pip-requirements-parser (the ``bench`` dependency group: ``pip install -e . --group bench``)
parses the same requirements file for comparison when it is installed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from auditor.sources.poetry_lock import PoetryLockSource
from auditor.sources.requirements import RequirementsSource
from auditor.sources.uv_lock import UvLockSource


def _best(fn: Callable[[], object], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _write_inputs(root: Path, count: int) -> None:
    uv = ['version = 1\n\n[[package]]\nname = "app"\nversion = "0.1"\nsource = { virtual = "." }']
    uv.append("dependencies = [" + ", ".join(f'{{ name = "pkg-{i}" }}' for i in range(10)) + "]")
    poetry = []
    for i in range(count):
        deps = ", ".join(f'{{ name = "pkg-{j}" }}' for j in range(i + 1, min(i + 4, count)))
        uv.append(
            f'\n[[package]]\nname = "pkg-{i}"\nversion = "1.{i}.0"\n'
            f'source = {{ registry = "https://mirror.invalid/simple" }}\n'
            f"dependencies = [{deps}]\n"
            f'sdist = {{ url = "https://files.invalid/pkg-{i}.tar.gz", hash = "sha256:{i:064x}" }}'
        )
        poetry.append(
            f'[[package]]\nname = "pkg-{i}"\nversion = "1.{i}.0"\ndescription = ""\n'
            f'optional = false\npython-versions = "*"\ngroups = ["main"]\n'
            f'files = [{{file = "pkg-{i}.tar.gz", hash = "sha256:{i:064x}"}}]\n\n'
            f'[package.dependencies]\npkg-{i + 1} = "^1.0"\n'
        )
    (root / "uv.lock").write_text("\n".join(uv) + "\n")
    (root / "poetry.lock").write_text("\n".join(poetry) + '\n[metadata]\nlock-version = "2.0"\n')


def main() -> None:
    """Generate the inputs, time each parser and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--requirements", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write_inputs(root, args.packages)
        reqs = root / "big-requirements.txt"
        requirements_source = RequirementsSource()
        lines = [
            f"package-{i}[extra]=={i % 50}.{i % 7}.0 ; python_version >= '3.8' \\\n"
            f"    --hash=sha256:{i:064x}"
            for i in range(args.requirements)
        ]
        reqs.write_text("\n".join(lines) + "\n")
        rows = [
            (
                "requirements (auditor)",
                args.requirements,
                _best(lambda: requirements_source.parse(root, reqs.name)),
            ),
            (
                "uv.lock (auditor)",
                args.packages,
                _best(lambda: UvLockSource().parse(root, "uv.lock")),
            ),
            (
                "poetry.lock (auditor)",
                args.packages,
                _best(lambda: PoetryLockSource().parse(root, "poetry.lock")),
            ),
        ]
        try:
            from pip_requirements_parser import RequirementsFile

            rows.append(
                (
                    "requirements (pip-requirements-parser)",
                    args.requirements,
                    _best(lambda: RequirementsFile.from_file(str(reqs))),
                ),
            )
        except ImportError:
            pass
        print(f"{'input':42} {'items':>7} {'best s':>9} {'items/s':>10}")
        for name, items, seconds in rows:
            print(f"{name:42} {items:7d} {seconds:9.3f} {items / seconds:10.0f}")


if __name__ == "__main__":
    main()
