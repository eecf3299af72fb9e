"""Helpers shared by the OSV benchmarks: the shared advisory zip, a fast FakeOsv, lockfiles."""

from __future__ import annotations

import json
import random
import sys
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED_ZIP = REPO.parent / "shared" / "data" / "osv" / "pypi-advisory-database.zip"
WORK = HERE / ".work"

sys.path.insert(0, str(REPO / "tests"))

from fakes import FakeOsv  # noqa: E402 - after the tests folder is on sys.path

from auditor.advisories.matching import parse_version, record_affects  # noqa: E402
from auditor.advisories.store import record_names  # noqa: E402


def load_records() -> list[dict[str, Any]] | None:
    """Return every record of the shared PYSEC zip, or None when the data is absent."""
    if not SHARED_ZIP.is_file():
        return None
    with zipfile.ZipFile(SHARED_ZIP) as archive:
        return [json.loads(archive.read(n)) for n in archive.namelist() if n.endswith(".json")]


class IndexedFakeOsv(FakeOsv):
    """FakeOsv with a name index, so 1,000-query batches over 2,661 records stay quick."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        super().__init__()
        self.by_name: dict[str, list[str]] = {}
        for record in records:
            self.add(record)
            for name in record_names(record):
                self.by_name.setdefault(name, []).append(record["id"])

    def _matching(self, name: str, version: str | None) -> list[str]:
        found = []
        for vid in sorted(self.by_name.get(name, [])):
            record = self.vulns[vid]
            if record.get("withdrawn"):
                continue
            if version is None or record_affects(record, name, version):
                found.append(vid)
        return found


def pick_packages(
    records: list[dict[str, Any]], count: int, seed: int = 7, vulnerable: int | None = None
) -> list[tuple[str, str]]:
    """Return `count` (name, version) pairs, deterministically.

    First database packages at a listed (affected) version (all of them, or `vulnerable`), then
    made-up names no advisory mentions.
    """
    rng = random.Random(seed)
    versions: dict[str, set[str]] = {}
    for record in records:
        for affected in record.get("affected", []):
            name = affected.get("package", {}).get("name", "")
            # Lockfile tools reject non-PEP 440 versions, so only valid ones are picked.
            listed = [v for v in affected.get("versions", []) if v and parse_version(v)]
            if name:
                versions.setdefault(name.lower(), set()).update(listed or ["0.0.1"])
    chosen = [(name, rng.choice(sorted(vs))) for name, vs in sorted(versions.items())]
    rng.shuffle(chosen)
    chosen = chosen[: count if vulnerable is None else min(count, vulnerable)]
    n = 0
    while len(chosen) < count:
        chosen.append((f"clean-package-{n}", "1.0.0"))
        n += 1
    return chosen


def write_uv_project(
    folder: Path, packages: list[tuple[str, str]], registry: str = "https://index.example/simple"
) -> None:
    """Write pyproject.toml + uv.lock locking `packages` (from `registry`, fake hashes)."""
    folder.mkdir(parents=True, exist_ok=True)
    deps = ", ".join(json.dumps(name) for name, _ in packages)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "bench-proj"\nversion = "0.1"\nrequires-python = ">=3.11"\n'
        f"dependencies = [{deps}]\n"
    )
    lines = ['version = 1', 'requires-python = ">=3.11"', "", "[[package]]",
             'name = "bench-proj"', 'version = "0.1"', 'source = { virtual = "." }',
             "dependencies = ["]  # fmt: skip
    lines += [f'    {{ name = "{name}" }},' for name, _ in packages]
    lines += ["]", "", "[package.metadata]", "requires-dist = ["]
    lines += [f'    {{ name = "{name}" }},' for name, _ in packages]
    lines += ["]", ""]
    for name, version in packages:
        lines += [
            "[[package]]",
            f'name = "{name}"',
            f'version = "{version}"',
            f'source = {{ registry = "{registry}" }}',
            f'sdist = {{ url = "{registry}/files/{name}-{version}.tar.gz", '
            f'hash = "sha256:{"0" * 64}", size = 1 }}',
            "",
        ]
    (folder / "uv.lock").write_text("\n".join(lines))
