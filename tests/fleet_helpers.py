"""Fleet test helpers: a generated fleet with known findings, an OSV store from fixtures, and
picklable config resolvers that misbehave (worker processes import this module by name)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.config import Config, load_config

# Advisories the generated fleet is built to hit.
RECORDS: list[dict[str, Any]] = [
    {
        "id": "PYSEC-2018-28",
        "modified": "2024-01-01T00:00:00Z",
        "aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
        "summary": "Requests sends Authorization headers on https-to-http redirects",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "requests"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}
                ],
            }
        ],
    },
    {
        "id": "GHSA-m2qf-hxjv-5gpq",
        "modified": "2024-01-01T00:00:00Z",
        "aliases": ["CVE-2023-30861"],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "flask"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}
                ],
            }
        ],
    },
]
# Published after the fleet was scanned: `fleet query` finds it from the inventory.
LATE_RECORD: dict[str, Any] = {
    "id": "PYSEC-2099-1",
    "modified": "2099-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "click"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "8.0"}, {"fixed": "8.1.8"}]}
            ],
        }
    ],
}


def write_records(folder: Path, records: list[dict[str, Any]]) -> Path:
    """Write OSV records as one JSON file each (what ``auditor db import DIR`` reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


def git(folder: Path, *args: str) -> str:
    """Run git with a fixed identity in `folder`."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def commit_all(folder: Path, message: str = "c") -> str:
    """Make `folder` a git repository (if needed), commit everything, return the commit."""
    if not (folder / ".git").exists():
        git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)
    return git(folder, "rev-parse", "HEAD").strip()


def make_fleet(root: Path) -> dict[str, Path]:
    """Generate small repositories with known findings; return name -> folder.

    * ``vulnerable``: requests 2.19.0 (PYSEC-2018-28, high) and click 8.1.0;
    * ``gated``: a git checkout, flask 2.0.0 (GHSA-m2qf-hxjv-5gpq) in pyproject.toml, and its
      own ``[tool.auditor] fail-on = "critical"`` (its gate passes);
    * ``plain``: click 8.1.0 and requests 2.31.0 (no advisory).
    """
    repos = {name: root / name for name in ("vulnerable", "gated", "plain")}
    for folder in repos.values():
        folder.mkdir(parents=True)
    (repos["vulnerable"] / "requirements.txt").write_text("requests==2.19.0\nclick==8.1.0\n")
    (repos["vulnerable"] / "app.py").write_text("import click\nimport requests\n")
    (repos["gated"] / "pyproject.toml").write_text(
        '[project]\nname = "gated"\nversion = "1.0"\ndependencies = ["flask==2.0.0"]\n\n'
        '[tool.auditor]\nfail-on = "critical"\n'
    )
    commit_all(repos["gated"])
    (repos["plain"] / "requirements.txt").write_text("click==8.1.0\nrequests==2.31.0\n")
    return repos


def make_broken(root: Path) -> Path:
    """A repository whose own config is invalid: auditing it fails with a configuration error."""
    folder = root / "broken"
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text("[tool.auditor]\nno-such-key = 1\n")
    (folder / "requirements.txt").write_text("requests==2.19.0\n")
    return folder


@dataclass(frozen=True, slots=True)
class SlowResolver:
    """Resolves configs normally, but sleeps `seconds` first for repositories named `slow`."""

    seconds: float

    def __call__(self, root: Path) -> Config:
        if root.name == "slow":
            time.sleep(self.seconds)
        return load_config(root).with_overrides(offline=True)


@dataclass(frozen=True, slots=True)
class DyingResolver:
    """Kills its worker process for repositories named `dies` (a crash no exception reports)."""

    def __call__(self, root: Path) -> Config:
        if root.name == "dies":
            os._exit(9)
        return load_config(root).with_overrides(offline=True)
