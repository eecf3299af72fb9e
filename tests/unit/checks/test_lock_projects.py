"""Drift and pins on real lockfiles: markers, workspaces, sub-projects, compiled files.

The lockfiles are made by the real ``uv`` against a folder of tiny wheels built here
(``uv lock --offline --no-index --find-links``), so re-locking must clear every drift finding.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from checkrun import loopback_config
from pinkit import RULES

from auditor.checks.base import CheckContext, load_check
from auditor.checks.compiled import compiled_files
from auditor.config import Config, load_policy_defaults
from auditor.model import Finding
from auditor.scanning import scan_inputs

UV = shutil.which("uv")
needs_uv = pytest.mark.skipif(UV is None, reason="the uv tool is not installed")


def _wheel(folder: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> None:
    info = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as whl:
        whl.writestr(f"{name}/__init__.py", "")
        whl.writestr(f"{info}/METADATA", meta)
        whl.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        whl.writestr(f"{info}/RECORD", "")


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    for version in ("1.0", "2.0", "3.0"):
        _wheel(folder, "alpha", version)
    _wheel(folder, "beta", "1.0", ("alpha>=1",))
    _wheel(folder, "gamma", "1.0")
    return folder


def _uv(args: list[str], cwd: Path, wheels: Path) -> None:
    assert UV is not None
    subprocess.run(
        [UV, *args, "--offline", "--no-index", "--find-links", str(wheels), "-q"],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "UV_NO_CACHE": "1", "HOME": str(cwd)},
    )


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _findings(root: Path, *modules: str) -> list[Finding]:
    config = loopback_config(root, load_policy_defaults())
    scan = scan_inputs(config)
    ctx = CheckContext(
        config=config,
        root=root,
        inputs=scan.inputs,
        graph=scan.graph,
        rules=RULES,
        discovery=scan.discovery,
        enabled_rules=frozenset(r.id for r in RULES),
    )
    found: list[Finding] = []
    for module in modules or ("pins", "lockfile", "pin_conflicts"):
        found += [f for f in load_check(module).run(ctx) if isinstance(f, Finding)]
    return found


def _rules(found: list[Finding], *rules: str) -> list[tuple[str, str | None, str]]:
    return sorted(
        (f.rule_id, f.package, f.locations[0].path if f.locations else "")
        for f in found
        if f.rule_id in rules
    )


_FORKED = """[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = [
    "alpha<2; python_version < '3.11'",
    "alpha>=2; python_version >= '3.11'",
    "beta",
    "gamma<2; python_version < '3.8'",
]
"""


@needs_uv
def test_forked_uv_lock_is_compared_per_environment(tmp_path: Path, wheels: Path) -> None:
    proj = tmp_path / "proj"
    _write(proj, "pyproject.toml", _FORKED)
    _uv(["lock"], proj, wheels)
    # Fresh lock: no drift, and the 3.7-only gamma (outside requires-python) is not drift.
    assert _rules(_findings(proj), "AUD104", "AUD101") == []
    # Edited after locking: the <3.11 branch now wants alpha>=2, but 1.0 is locked there.
    _write(proj, "pyproject.toml", _FORKED.replace("alpha<2;", "alpha>=2;"))
    assert _rules(_findings(proj), "AUD104") == [("AUD104", "alpha", "pyproject.toml")]
    _uv(["lock"], proj, wheels)
    assert _rules(_findings(proj), "AUD104", "AUD101") == []


@needs_uv
def test_uv_workspace_members_are_locked_examples_are_separate(
    tmp_path: Path, wheels: Path
) -> None:
    proj = tmp_path / "ws"
    _write(
        proj,
        "pyproject.toml",
        '[project]\nname = "root"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["lib", "alpha>=2"]\n\n[tool.uv.sources]\nlib = { workspace = true }\n\n'
        '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/skip"]\n',
    )
    _write(
        proj,
        "packages/lib/pyproject.toml",
        '[project]\nname = "lib"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["beta>=1"]\n\n[build-system]\nrequires = ["hatchling"]\n'
        'build-backend = "hatchling.build"\n',
    )
    # Not a member: its own project, with its own older alpha, and no lockfile of its own.
    _write(
        proj,
        "examples/demo/pyproject.toml",
        '[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = ["alpha==1.0", "gamma"]\n',
    )
    _write(proj, "labs/one/requirements.txt", "alpha<2\n")
    _uv(["lock"], proj, wheels)
    found = _findings(proj)
    assert _rules(found, "AUD104", "AUD109") == []
    # Adding a dependency to a member without re-locking is drift of the workspace lock.
    lib = proj / "packages/lib/pyproject.toml"
    lib.write_text(lib.read_text().replace('"beta>=1"', '"beta>=1", "gamma"'))
    assert _rules(_findings(proj), "AUD104") == [("AUD104", "gamma", "packages/lib/pyproject.toml")]
    _uv(["lock"], proj, wheels)
    assert _rules(_findings(proj), "AUD104") == []


@needs_uv
def test_uv_pip_compile_output_is_lock_data(tmp_path: Path, wheels: Path) -> None:
    proj = tmp_path / "app"
    _write(proj, "requirements.in", "alpha>=2,<3\nbeta\n")
    _write(proj, "app.py", "import alpha\n")
    _uv(["pip", "compile", "requirements.in", "-o", "requirements.txt"], proj, wheels)
    found = _findings(proj)
    # beta is unpinned in the .in file but the compiled file pins it: no AUD101, no AUD103.
    assert _rules(found, "AUD101", "AUD102", "AUD103", "AUD104", "AUD105") == []
    scan = scan_inputs(Config(root=proj, policy=load_policy_defaults()))
    compiled = compiled_files(proj, scan.inputs)
    assert compiled["requirements.txt"].kind == "uv-pip-compile"
    assert compiled["requirements.txt"].sources == ("requirements.in",)
    # The .in file edited after compiling: drift against its compiled output.
    _write(proj, "requirements.in", "alpha>=3\nbeta\n")
    assert _rules(_findings(proj), "AUD104") == [("AUD104", "alpha", "requirements.in")]
    _uv(["pip", "compile", "requirements.in", "-o", "requirements.txt"], proj, wheels)
    assert _rules(_findings(proj), "AUD104") == []


def test_pip_compile_header_freeze_and_constraints(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "requirements/prod.txt",
        "#\n# This file is autogenerated by pip-compile with Python 3.12\n"
        "# by the following command:\n#\n#    pip-compile requirements/prod.in\n#\n"
        "alpha==2.0\n    # via -r requirements/prod.in\n"
        "beta==1.0\n    # via -r requirements/prod.in\n"
        "-e file:.\n    # via -r requirements/prod.in\n",
    )
    _write(tmp_path, "requirements/prod.in", "alpha>=3\nbeta\n-e .\n")
    names = "\n".join(f"pkg{n:02d}==1.{n}" for n in range(10))
    _write(tmp_path, "tools/requirements.txt", names + "\n")
    _write(tmp_path, "constraints.txt", "alpha==2.0 --hash=sha256:" + "a" * 64 + "\nbeta==1\n")
    _write(tmp_path, "requirements-dev.txt", "-c constraints.txt\nalpha\n")
    scan = scan_inputs(Config(root=tmp_path, policy=load_policy_defaults()))
    compiled = compiled_files(tmp_path, scan.inputs)
    assert compiled["requirements/prod.txt"].kind == "pip-compile"
    assert compiled["requirements/prod.txt"].sources == ("requirements/prod.in",)
    assert compiled["tools/requirements.txt"].kind == "freeze"
    assert compiled["constraints.txt"].kind == "constraints"
    found = _findings(tmp_path)
    assert _rules(found, "AUD104") == [("AUD104", "alpha", "requirements/prod.in")]
    assert _rules(found, "AUD105") == []
    assert not [f for f in found if f.rule_id == "AUD103"]


def test_poetry_lock_markers_and_python_versions(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "pyproject.toml",
        '[tool.poetry]\nname = "p"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\n'
        'python = "^3.10"\nalpha = [\n  { version = "<2", python = "<3.11" },\n'
        '  { version = ">=2", python = ">=3.11" },\n]\n'
        'gamma = { version = "<1", python = "<3.8" }\n',
    )
    _write(
        tmp_path,
        "poetry.lock",
        '[[package]]\nname = "alpha"\nversion = "1.0"\ndescription = ""\noptional = false\n'
        'python-versions = "*"\ngroups = ["main"]\nmarkers = "python_version < \\"3.11\\""\n'
        'files = []\n\n[[package]]\nname = "alpha"\nversion = "2.0"\ndescription = ""\n'
        'optional = false\npython-versions = "*"\ngroups = ["main"]\n'
        'markers = "python_version >= \\"3.11\\""\nfiles = []\n\n[metadata]\n'
        'lock-version = "2.1"\npython-versions = "^3.10"\ncontent-hash = "x"\n',
    )
    assert _rules(_findings(tmp_path, "lockfile"), "AUD104") == []


def test_frozen_requirements_pins_are_never_unused(tmp_path: Path) -> None:
    """A pip freeze output is lock data: its pins are not 'unused, remove it' (AUD502)."""
    from conftest import run_cli

    frozen = "".join(f"{name}==1.0\n" for name in sorted(
        ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]
    ))  # fmt: skip
    (tmp_path / "requirements.txt").write_text(frozen, encoding="utf-8")
    (tmp_path / "app.py").write_text("import alpha\n", encoding="utf-8")
    result = run_cli("scan", str(tmp_path), "--format", "json", "--offline", "--enable", "AUD502")
    import json

    assert [f for f in json.loads(result.out)["findings"] if f["rule_id"] == "AUD502"] == []


def test_requiring_a_workspace_member_that_the_lock_builds_from_source_is_not_drift(
    tmp_path: Path,
) -> None:
    """uv locks workspace members as editable sources, never at a version (mcp's examples)."""
    from conftest import run_cli

    lock = (
        'version = 1\nrequires-python = ">=3.10"\n\n[manifest]\nmembers = ["app", "example"]\n\n'
        '[[package]]\nname = "app"\nversion = "1.0"\nsource = { editable = "." }\n\n'
        '[[package]]\nname = "example"\nversion = "0.1"\n'
        'source = { editable = "examples/example" }\ndependencies = [{ name = "app" }]\n'
    )
    (tmp_path / "uv.lock").write_text(lock, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1.0"\nrequires-python = ">=3.10"\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
        encoding="utf-8",
    )
    member = tmp_path / "examples" / "example"
    member.mkdir(parents=True)
    (member / "pyproject.toml").write_text(
        '[project]\nname = "example"\nversion = "0.1"\ndependencies = ["app>=1.0"]\n',
        encoding="utf-8",
    )
    result = run_cli("scan", str(tmp_path), "--format", "json", "--offline", "--enable", "AUD104")
    import json

    assert json.loads(result.out)["findings"] == []
