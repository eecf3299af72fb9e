"""``auditor guard`` in front of real and fake installers, the agent hook, and the shims.

The CLI runs in a subprocess (guard execs the installer). A fake installer on PATH records
every call, which proves the installer never runs for a blocked name; real pip and uv install
real wheels from the loopback index into a folder when the gate allows it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import shared_data
from fakes import FakeOsv, LoopbackServer
from wheelhouse import Wheelhouse, house_as_index, sample_house

from auditor.resolve.uv import find_uv

UV = find_uv()
pytestmark = [pytest.mark.skipif(UV is None, reason="uv is not installed"), pytest.mark.slow]

FAKE_INSTALLER = """#!/bin/sh
printf '%s\\n' "$(basename "$0") $*" >> "$GUARD_RECORD"
exit 7
"""


@pytest.fixture
def house() -> Wheelhouse:
    return sample_house()


@pytest.fixture(autouse=True)
def index(house: Wheelhouse, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AUDITOR_TODAY", "2021-06-01")
    with house_as_index(house, monkeypatch) as simple:
        yield simple


@pytest.fixture(autouse=True)
def osv(osv_server: tuple[FakeOsv, LoopbackServer]) -> FakeOsv:
    return osv_server[0]


@pytest.fixture
def record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put fake pip/pip3/uv/poetry/pipx first on PATH; return the file they record calls in."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    for name in ("pip", "pip3", "uv", "poetry", "pipx"):
        path = bin_dir / name
        path.write_text(FAKE_INSTALLER)
        path.chmod(0o755)
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("GUARD_RECORD", str(calls))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return calls


def auditor(
    *args: str, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def calls(record: Path) -> list[str]:
    return record.read_text().splitlines() if record.exists() else []


@pytest.mark.parametrize(
    "argv",
    [
        ["pip", "install", "-U", "flask>=2", "requests[socks]"],
        ["uv", "add", "flask"],
        ["poetry", "add", "flask@^3.0"],
        ["pipx", "install", "idna"],
        ["uv", "pip", "install", "idna==3.4"],
    ],
)
def test_allowed_install_execs_the_installer_with_same_args_and_code(
    record: Path, argv: list[str]
) -> None:
    done = auditor("guard", "--", *argv)
    assert done.returncode == 7, done.stderr  # the installer's own exit code
    assert calls(record) == [" ".join(argv)]


@pytest.mark.parametrize(
    ("argv", "rule"),
    [
        (["pip", "install", "flask", "reqeusts"], "AUD401"),
        (["uv", "add", "flask", "numpyy"], "AUD401"),
        (["poetry", "add", "reqeusts@^2"], "AUD402"),
        (["pipx", "install", "blackk"], "AUD401"),
    ],
)
def test_invented_or_typosquatted_name_never_reaches_the_installer(
    record: Path, argv: list[str], rule: str
) -> None:
    done = auditor("guard", "--", *argv)
    assert done.returncode == 1
    assert calls(record) == []
    assert rule in done.stderr
    assert "refused" in done.stderr


def test_requirements_file_is_vetted_before_install(record: Path, tmp_path: Path) -> None:
    (tmp_path / "req.txt").write_text("idna\nreqeusts\n")
    done = auditor("guard", "--", "pip", "install", "-r", "req.txt", cwd=tmp_path)
    assert done.returncode == 1
    assert calls(record) == []
    (tmp_path / "req.txt").write_text("idna\n")
    done = auditor("guard", "--", "pip", "install", "-r", "req.txt", cwd=tmp_path)
    assert done.returncode == 7
    assert calls(record) == ["pip install -r req.txt"]


def test_malicious_name_from_the_shared_list_is_refused(record: Path, house: Wheelhouse) -> None:
    manifest = shared_data("malicious", "datadog-pypi-manifest.json")
    assert auditor("db", "import", str(manifest)).returncode == 0
    house.add("auto-scrubber", "1.0")
    done = auditor("guard", "--", "pip", "install", "auto-scrubber")
    assert done.returncode == 1
    assert "AUD202" in done.stderr
    assert calls(record) == []


def test_non_install_commands_run_at_once(record: Path) -> None:
    done = auditor("guard", "--", "pip", "list")
    assert done.returncode == 7
    assert calls(record) == ["pip list"]


def test_url_install_cannot_be_vetted_and_is_refused(record: Path) -> None:
    done = auditor("guard", "--", "pip", "install", "git+https://127.0.0.1:9/x.git")
    assert done.returncode == 3
    assert "cannot be vetted by name" in done.stderr
    assert calls(record) == []


def test_real_pip_installs_the_vetted_wheels(index: str, tmp_path: Path) -> None:
    target = tmp_path / "site"
    done = auditor(
        "guard", "--", sys.executable, "-m", "pip", "install", "--isolated", "--no-cache-dir",
        "--disable-pip-version-check", "--index-url", index, "--target", str(target), "flask",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (target / "flask" / "__init__.py").exists()
    assert (target / "markupsafe" / "__init__.py").exists()


def test_real_pip_never_runs_for_a_blocked_name(index: str, tmp_path: Path) -> None:
    target = tmp_path / "site"
    done = auditor(
        "guard", "--", sys.executable, "-m", "pip", "install", "--isolated", "--index-url", index,
        "--target", str(target), "reqeusts",
    )  # fmt: skip
    assert done.returncode == 1
    assert not target.exists()


def test_real_uv_installs_the_vetted_wheels(index: str, tmp_path: Path) -> None:
    assert UV is not None
    target = tmp_path / "site"
    done = auditor(
        "guard", "--", UV, "pip", "install", "--no-config", "--cache-dir", str(tmp_path / "uvc"),
        "--python", sys.executable, "--index-url", index, "--target", str(target), "requests",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (target / "idna" / "__init__.py").exists()


def _hook(command: str | list[str], **extra: object) -> subprocess.CompletedProcess[str]:
    event = {"hook_event_name": "PreToolUse", "tool_name": "Bash",
             "tool_input": {"command": command}, **extra}  # fmt: skip
    return auditor("guard", "--hook", stdin=json.dumps(event))


def test_hook_blocks_an_invented_name_in_a_chained_line() -> None:
    done = _hook("cd /tmp && python3 -m pip install -q flask 'reqeusts>=2' && echo ok")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1  # one paragraph
    assert "Auditor blocked" in done.stderr
    assert "reqeusts" in done.stderr
    assert "AUD401" in done.stderr


def test_hook_allows_clean_installs_and_other_commands() -> None:
    assert _hook("ls -la && git status").returncode == 0
    assert _hook("pip install flask").returncode == 0
    assert _hook(["bash", "-lc", "uv add idna"]).returncode == 0  # Codex sends argv lists
    done = auditor("guard", "--hook", stdin=json.dumps({"tool_name": "Read", "tool_input": {}}))
    assert done.returncode == 0


def test_hook_reads_notebook_magics_and_subshells() -> None:
    assert _hook("%pip install reqeusts").returncode == 2
    assert _hook("bash -c 'pip install numpyy'").returncode == 2


def test_hook_fails_closed_unless_configured_open(tmp_path: Path) -> None:
    done = auditor("guard", "--hook", stdin="{not json")
    assert done.returncode == 2
    assert "could not vet" in done.stderr
    (tmp_path / ".auditor.toml").write_text("[policy.guard]\nhook_fail_open = true\n")
    done = auditor("guard", "--hook", stdin="{not json", cwd=tmp_path)
    assert done.returncode == 0


def test_hook_fails_closed_when_sources_are_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_INDEX_URL", "http://127.0.0.1:9/simple")
    done = _hook("pip install flask")
    assert done.returncode == 2
    assert "not vetted" in done.stderr


def test_shims_make_the_guard_the_default(record: Path, tmp_path: Path) -> None:
    shims = tmp_path / "shims"
    done = auditor("guard", "--install-shims", str(shims))
    assert done.returncode == 0, done.stderr
    assert (shims / "pip").exists()
    assert "export PATH=" in done.stderr
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(["pip", "install", "reqeusts"], env=env, capture_output=True,
                         text=True, timeout=120, check=False)  # fmt: skip
    assert run.returncode == 1
    assert calls(record) == []
    run = subprocess.run(["pip", "install", "idna"], env=env, capture_output=True, text=True,
                         timeout=120, check=False)  # fmt: skip
    assert run.returncode == 7, run.stderr
    assert calls(record) == ["pip install idna"]


def test_hook_reads_files_relative_to_the_event_cwd(tmp_path: Path) -> None:
    (tmp_path / "req.txt").write_text("reqeusts\n")
    done = _hook("pip install -r req.txt", cwd=str(tmp_path))
    assert done.returncode == 2
    assert "reqeusts" in done.stderr


def test_hook_follows_cd_in_the_line(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "req.txt").write_text("numpyy\n")
    done = _hook("cd app && pip install -r req.txt", cwd=str(tmp_path))
    assert done.returncode == 2
    assert "numpyy" in done.stderr
