"""Shared fixtures: isolated environment, loopback index and OSV servers, in-process CLI."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakes import FakeIndex, FakeOsv, LoopbackServer, serve

from auditor.cli.main import main

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = (REPO.parent / "shared" / "data").resolve()
# A loopback port nothing listens on: a request that escapes a test's own server fails fast.
DEAD_URL = "http://127.0.0.1:9"


def shared_data(*parts: str) -> Path:
    """Return a path under ../shared/data, skipping the test when the data is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (see ../shared/data/README.md)")
    return path


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(cache))
    monkeypatch.setenv("AUDITOR_INDEX_URL", f"{DEAD_URL}/simple")
    monkeypatch.setenv("AUDITOR_OSV_URL", DEAD_URL)
    monkeypatch.setenv("AUDITOR_TOP_PACKAGES_URL", f"{DEAD_URL}/top.json")
    monkeypatch.setenv("AUDITOR_OSV_BULK_URL", f"{DEAD_URL}/all.zip")
    monkeypatch.setenv("AUDITOR_NO_PROGRESS", "1")
    monkeypatch.setenv("AUDITOR_TIMEOUT", "5")
    # One immediate retry: enough for the retry tests, no backoff sleeps against dead ports.
    monkeypatch.setenv("AUDITOR_RETRIES", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    # CI's own `CI=true` must not change behaviour: tests that mean CI set it themselves.
    for name in ("AUDITOR_OFFLINE", "AUDITOR_FAIL_ON", "AUDITOR_TODAY", "PIP_INDEX_URL", "CI"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class CliResult:
    """Exit code and captured streams of one in-process CLI run."""

    code: int
    out: str
    err: str


def run_cli(*args: str) -> CliResult:
    """Run the CLI in-process and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli() -> type[CliResult]:
    """Give tests `run_cli` through a fixture (call ``cli.run(...)``)."""
    return CliResult


@pytest.fixture
def index_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeIndex, LoopbackServer]]:
    """A loopback package index; AUDITOR_INDEX_URL points at its simple API."""
    fake = FakeIndex()
    with serve(fake) as server:
        monkeypatch.setenv("AUDITOR_INDEX_URL", f"{server.url}/simple")
        yield fake, server


@pytest.fixture
def osv_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeOsv, LoopbackServer]]:
    """A loopback OSV API; AUDITOR_OSV_URL points at it."""
    fake = FakeOsv()
    with serve(fake) as server:
        monkeypatch.setenv("AUDITOR_OSV_URL", server.url)
        yield fake, server
