"""`auditor replace` end to end: real packages, the sandboxed verifier, the patch, a fake LLM."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CliResult, run_cli
from replacekit import TINYCASE, FakeLlm, Scripted, fenced, make_distribution, serve_llm

from auditor.replace.source import SourceNotFound, find_installed

KEY = "sk-cli-KEY-must-not-appear-anywhere"
APP_TEST = """import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.main import column, klass

assert column("DeviceType") == "device_type", column("DeviceType")
assert klass("device_type") == "DeviceType"
print("app tests passed")
"""


def _inflection_app(root: Path) -> Path:
    try:
        find_installed("inflection")
    except SourceNotFound:
        pytest.skip("inflection is not installed (pip install -e . --group test)")
    (root / "app").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(
        '"""Table helpers."""\nimport inflection  # naming helpers\n\n\n'
        "def column(name: str) -> str:\n    return inflection.underscore(name)\n\n\n"
        "def klass(name: str) -> str:\n    return inflection.camelize(name)  # keep this\n"
    )
    (root / "tests" / "check_app.py").write_text(APP_TEST)
    (root / "requirements.txt").write_text("inflection==0.5.1\nrequests>=2\n")
    return root


def _replace(
    root: Path,
    package: str | None,
    *options: str,
    reports: Path | None = None,
    examples: int | None = None,
    as_json: bool = True,
    offline: bool = True,
) -> CliResult:
    """Run ``auditor replace root`` (``--package``, ``--format json``, ``--offline`` by default)."""
    args = ["replace", str(root)]
    if package is not None:
        args += ["--package", package]
    if as_json:
        args += ["--format", "json"]
    if offline:
        args.append("--offline")
    if reports is not None:
        args += ["--reports-dir", str(reports)]
    if examples is not None:
        args += ["--examples", str(examples)]
    return run_cli(*args, *options)


def _app_tests(root: Path) -> subprocess.CompletedProcess[str]:
    # -I -S: no site-packages, so the installed inflection cannot be imported.
    return subprocess.run(
        [sys.executable, "-I", "-S", str(root / "tests" / "check_app.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_llm_the_slicers_draft_is_verified_and_proposed(tmp_path: Path) -> None:
    app = _inflection_app(tmp_path / "proj")
    before = (app / "app" / "main.py").read_text()
    reports = tmp_path / "reports"
    done = _replace(app, "inflection", reports=reports, examples=20)
    assert done.code == 0, done.err
    data = json.loads(done.out)
    assert {
        "schema_version",
        "package",
        "symbols",
        "module",
        "patch",
        "drafted_by",
        "verification",
    } <= set(data)
    assert data["schema_version"] == 1
    assert data["package"] == "inflection"
    assert data["symbols"] == ["inflection.camelize", "inflection.underscore"]
    assert data["drafted_by"] == "slicer"
    assert data["module"] == "app/inflection_lite.py"
    verification = data["verification"]
    assert verification["verified"] is True
    assert verification["mismatches"] == 0
    assert verification["inputs_tried"] > 20
    assert verification["details"]["inputs_by_source"]["hypothesis"] > 0
    assert "+import app.inflection_lite as inflection  # naming helpers" in data["patch"]
    assert "-inflection==0.5.1" in data["patch"]
    assert data["license"]["allows_copy"] is True
    assert "Copyright (C) 2012-2020 Janne Vanhala" in data["patch"]
    # Nothing was written into the scanned tree; the proposal went to the reports folder.
    assert (app / "app" / "main.py").read_text() == before
    assert not (app / "app" / "inflection_lite.py").exists()
    folder = reports / "replace-inflection"
    assert (folder / "patch.diff").read_text() == data["patch"]
    assert json.loads((folder / "proposal.json").read_text())["drafted_by"] == "slicer"


def test_applied_patch_passes_the_apps_tests_without_the_package(tmp_path: Path) -> None:
    app = _inflection_app(tmp_path / "proj")
    assert _app_tests(app).returncode != 0  # needs inflection, which -S hides
    done = _replace(
        app, "inflection", "--apply", reports=tmp_path / "reports", examples=10, as_json=False
    )
    assert done.code == 0, done.err
    assert "applied to 3 file(s)" in done.err
    result = _app_tests(app)
    assert result.returncode == 0, result.stderr
    assert "app tests passed" in result.stdout
    assert (app / "requirements.txt").read_text() == "requests>=2\n"
    assert "# keep this" in (app / "app" / "main.py").read_text()
    backups = list((tmp_path / "reports" / "replace-inflection").glob("backup-*/app/main.py"))
    assert backups
    assert "import inflection" in backups[0].read_text()


def test_apply_is_refused_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _inflection_app(tmp_path / "proj")
    monkeypatch.setenv("CI", "true")
    done = _replace(
        app, "inflection", "--apply", reports=tmp_path / "reports", examples=5, as_json=False
    )
    assert done.code == 2
    assert "refused under CI" in done.err
    assert "import inflection" in (app / "app" / "main.py").read_text()


def test_required_isolation_is_reported(tmp_path: Path) -> None:
    app = _inflection_app(tmp_path / "proj")
    done = _replace(
        app, "inflection", "--require-isolation", "namespace", reports=tmp_path / "r", examples=5
    )
    if done.code == 3:
        assert "namespace is required" in done.err
        return
    assert done.code == 0, done.err
    isolation = json.loads(done.out)["verification"]["details"]["isolation"]
    assert isolation["level"] == "namespace"
    assert isolation["network_namespace"] is True
    assert isolation["environment"] == ["HOME", "TMPDIR", "LANG", "PYTHONHASHSEED"]


def test_catalogue_replacement_needs_no_llm(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("import mock\n\nfake = mock.Mock()\n")
    (root / "requirements.txt").write_text("mock==5.1.0\n")
    done = _replace(root, "mock", reports=tmp_path / "r")
    assert done.code == 0, done.err
    data = json.loads(done.out)
    assert data["drafted_by"] == "catalogue"
    assert data["known_replacement"]["replacement"] == "unittest.mock"
    assert "+import unittest.mock as mock" in data["patch"]
    assert "-mock==5.1.0" in data["patch"]


def test_candidates_are_listed(tmp_path: Path) -> None:
    app = _inflection_app(tmp_path / "proj")
    (app / "requirements.txt").write_text("inflection==0.5.1\nmock\n")
    (app / "app" / "__init__.py").write_text("import mock\n")
    done = _replace(app, None)
    assert done.code == 0, done.err
    rows = {r["package"]: r for r in json.loads(done.out)["candidates"]}
    assert rows["mock"]["kind"] == "known"
    assert rows["inflection"]["kind"] == "slice"
    assert rows["inflection"]["replaceable"]
    assert "uses 2 functions of inflection" in rows["inflection"]["reasons"]


@pytest.fixture
def tinycase_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = make_distribution(tmp_path / "site", "tinycase", TINYCASE)
    monkeypatch.syspath_prepend(str(site))
    root = tmp_path / "proj"
    (root / "svc").mkdir(parents=True)
    (root / "svc" / "__init__.py").write_text("")
    (root / "svc" / "names.py").write_text(
        "from tinycase import snake\n\n\ndef key(name):\n    return snake(name)\n\n\n"
        'DEFAULT = snake("HelloWorld")\n'
    )
    (root / "requirements.txt").write_text("tinycase==1.0\n")
    return root


GOOD = """import re

_SPLIT = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z0-9])")


def snake(text: str) -> str:
    return "_".join(w.lower() for w in _SPLIT.findall(text))
"""
HOSTILE = """import os
import socket


def snake(text: str) -> str:
    socket.create_connection(("127.0.0.1", 9))
    open("/tmp/auditor-cli-escape.txt", "w").write(os.environ.get("AUDITOR_LLM_API_KEY", ""))
    return text
"""


@pytest.fixture(params=["openai", "anthropic"])
def fake_llm(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLlm]:
    fake = FakeLlm()
    with serve_llm(fake) as url:
        monkeypatch.setenv("AUDITOR_LLM_BACKEND", request.param)
        monkeypatch.setenv("AUDITOR_LLM_MODEL", "tiny-coder")
        monkeypatch.setenv(
            "AUDITOR_LLM_BASE_URL", f"{url}/v1" if request.param == "openai" else url
        )
        monkeypatch.setenv("AUDITOR_LLM_API_KEY", KEY)
        yield fake


def _everything(done: CliResult, reports: Path) -> str:
    files = "".join(p.read_text() for p in reports.rglob("*") if p.is_file())
    return f"{done.out}{done.err}{files}"


def test_llm_draft_is_verified_and_proposed(
    tinycase_app: Path, fake_llm: FakeLlm, tmp_path: Path
) -> None:
    fake_llm.replies = [
        Scripted(text="Sure.\n" + fenced("def snake(t):\n    return t\n")),
        Scripted(text=fenced(GOOD)),
    ]
    reports = tmp_path / "reports"
    done = _replace(tinycase_app, "tinycase", reports=reports, examples=15, offline=False)
    assert done.code == 0, done.err
    data = json.loads(done.out)
    assert data["drafted_by"] == "tiny-coder"
    assert data["agent"]["backend"]["api_key"] == "set"
    assert data["agent"]["backend"]["model"] == "tiny-coder"
    assert data["verification"]["verified"] is True
    assert [e["outcome"][:8] for e in data["agent"]["exchanges"]] == ["rejected", "verified"]
    assert "+from svc.tinycase_lite import snake" in data["patch"]
    assert "Drafted by tiny-coder" in data["patch"]
    transcript = json.loads((reports / "replace-tinycase" / "transcript.json").read_text())
    assert transcript["exchanges"][0]["prompt"].startswith("Package: tinycase 1.0.")
    # The call site's literal reached the model (fenced) and the verifier.
    assert 'DEFAULT = snake("HelloWorld")' in transcript["exchanges"][0]["prompt"]
    assert data["verification"]["details"]["inputs_by_source"]["call-site"] == 1
    assert KEY not in _everything(done, reports)
    assert all(
        s.headers.get("authorization", f"Bearer {s.headers.get('x-api-key')}").removeprefix(
            "Bearer "
        )
        == KEY
        for s in fake_llm.seen
    )


def test_hostile_llm_draft_is_stopped_and_the_slice_proposed(
    tinycase_app: Path, fake_llm: FakeLlm, tmp_path: Path
) -> None:
    escape = Path("/tmp/auditor-cli-escape.txt")
    escape.unlink(missing_ok=True)
    fake_llm.replies = [Scripted(text=fenced(HOSTILE))] * 3
    reports = tmp_path / "reports"
    done = _replace(tinycase_app, "tinycase", reports=reports, examples=5, offline=False)
    assert done.code == 0, done.err
    data = json.loads(done.out)
    assert data["drafted_by"] == "slicer"
    assert data["verification"]["verified"]
    outcomes = [e["outcome"] for e in data["agent"]["exchanges"]]
    assert len(outcomes) == 3
    assert all("the sandbox refused" in o and "network" in o for o in outcomes)
    assert not escape.exists()
    assert KEY not in _everything(done, reports)


def test_non_mechanical_known_replacement_still_gets_a_slice(tmp_path: Path) -> None:
    try:
        find_installed("six")
    except SourceNotFound:
        pytest.skip("six is not installed")
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text('import six\n\nTEXT = six.ensure_str(b"x")\n')
    (root / "requirements.txt").write_text("six\n")
    done = _replace(root, "six", reports=tmp_path / "r", examples=10)
    assert done.code == 0, done.err
    data = json.loads(done.out)
    assert data["drafted_by"] == "slicer"
    assert data["verification"]["verified"] is True
    assert data["known_replacement"]["exact"] is False
    assert "+import app.six_lite as six" in data["patch"]
