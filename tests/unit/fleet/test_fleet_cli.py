"""The fleet command's wiring: usage errors, config resolution as scan's, Dask imported lazily."""

from __future__ import annotations

import argparse
import io
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from auditor.cli.fleet import FleetProgress, ScanConfigResolver, client_environment
from auditor.cli.options import config_from_args


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query"], "give --advisory ID or --package NAME"),
        (["query", "--advisory", "X", "--package", "y"], "give --advisory ID or --package NAME"),
        (["query", "--package", "y"], "no fleet results (run 'auditor fleet SOURCES' first)"),
        (["repos", "--advisory", "X"], "--advisory and --package belong to 'auditor fleet query'"),
        (["repos", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --engine dask"),
        (["repos", "--task-timeout", "0"], "--task-timeout: expected a positive number"),
        (["repos", "--retries", "-1"], "--retries must be >= 0"),
        (["repos", "--environment"], "--environment reads this machine's installed packages"),
        (["no-such-folder"], "no-such-folder: no such folder, list file or glob"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "repos" / "one").mkdir(parents=True)
    done = run_cli("fleet", *args, "--state-dir", str(tmp_path / "state"))
    assert done.code == 2
    assert message in done.err


def test_the_resolver_is_scans_own_resolution_and_travels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.auditor]\nfail-on = "low"\n')
    values = (("offline", True), ("disable", ["AUD5"]), ("cache_dir", tmp_path / "cache"))
    monkeypatch.setenv("AUDITOR_OSV_URL", "http://127.0.0.1:2")  # the client's
    expected = config_from_args(argparse.Namespace(path=tmp_path, **dict(values)))
    resolver = ScanConfigResolver(values, client_environment())
    resolver = pickle.loads(pickle.dumps(resolver))  # noqa: S301 - our own object
    monkeypatch.setenv("AUDITOR_OSV_URL", "http://127.0.0.1:1")  # the worker's
    config = resolver(tmp_path)
    assert config == expected
    assert (config.fail_on, config.offline, config.disable) == (expected.fail_on, True, ("AUD5",))
    assert config.osv_url == "http://127.0.0.1:2"
    assert os.environ["AUDITOR_OSV_URL"] == "http://127.0.0.1:1"  # restored


def test_dask_is_imported_only_by_the_dask_engine() -> None:
    code = (
        "import sys; from auditor.cli.main import main; import io; "
        "main(['fleet', '--help'], out=io.StringIO(), err=io.StringIO()); "
        "import auditor.fleet.run, auditor.fleet.engine, auditor.fleet.task; "
        "sys.exit(1 if 'distributed' in sys.modules or 'dask' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_counts_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.fleet.model import RepoOutcome, RepoStatus, failed
    from auditor.fleet.sources import RepoSource

    monkeypatch.delenv("AUDITOR_NO_PROGRESS", raising=False)
    monkeypatch.delenv("CI", raising=False)
    stream = _Tty()
    source = RepoSource(name="a", location="/a", is_url=False, origin="t")
    with FleetProgress(stream, 3) as progress:
        progress.update(source, RepoOutcome(key="a", status=RepoStatus.SCANNED))
        progress.update(source, RepoOutcome(key="a", status=RepoStatus.UNCHANGED))
        progress.update(source, failed("a", "x", retriable=False))
    assert progress.counts == {"scanned": 1, "unchanged": 1, "failed": 1}
    assert "3/3" in stream.getvalue()
    assert "1 scanned, 1 unchanged, 1 failed" in stream.getvalue()
    quiet = io.StringIO()
    with FleetProgress(quiet, 1) as progress:
        progress.update(source, RepoOutcome(key="a", status=RepoStatus.SCANNED))
    assert quiet.getvalue() == ""
