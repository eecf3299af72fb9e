"""Lockfile parsers (edges, roots, groups, hashes, sources), conda files and the environment."""

from __future__ import annotations

import json
import shutil
from importlib import metadata
from pathlib import Path

import pytest
from conftest import shared_data

from auditor.errors import ParseError
from auditor.model import LockedDependency
from auditor.sources.conda import CondaSource
from auditor.sources.environment import (
    ENVIRONMENT_PATH,
    EnvironmentSource,
    package_from_distribution,
    read_distributions,
)
from auditor.sources.lines import JsonLineIndex, TomlLineIndex
from auditor.sources.pdm_lock import PdmLockSource
from auditor.sources.pipfile_lock import PipfileLockSource
from auditor.sources.poetry_lock import PoetryLockSource
from auditor.sources.pylock import PylockSource
from auditor.sources.uv_lock import UvLockSource

UV_LOCK = """\
version = 1

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "httpx" },
]

[package.optional-dependencies]
cli = [{ name = "rich" }]

[package.dev-dependencies]
test = [{ name = "pytest" }]

[[package]]
name = "httpx"
version = "0.27.0"
source = { registry = "https://mirror.invalid/simple" }
dependencies = [
    { name = "certifi" },
    { name = "anyio", extra = ["trio"] },
]
sdist = { url = "https://files.invalid/httpx.tar.gz", hash = "sha256:aaa", size = 1 }

[[package]]
name = "anyio"
version = "4.0.0"
source = { registry = "https://mirror.invalid/simple" }

[package.optional-dependencies]
trio = [{ name = "trio" }]

[[package]]
name = "trio"
version = "0.25.0"
source = { registry = "https://mirror.invalid/simple" }

[[package]]
name = "certifi"
version = "2024.2.2"
source = { git = "https://github.invalid/certifi/python-certifi?rev=main#deadbeef" }

[[package]]
name = "rich"
version = "13.7.0"
source = { registry = "https://mirror.invalid/simple" }

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://mirror.invalid/simple" }
wheels = [{ url = "https://files.invalid/pytest.whl", hash = "sha256:bbb", size = 1 }]
"""


def test_uv_lock_root_edges_groups(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(UV_LOCK)
    parsed = UvLockSource().parse(tmp_path, "uv.lock")
    by = {p.name: p for p in parsed.packages}
    root = by["app"]
    assert root.is_root
    assert root.dependencies == (LockedDependency(name="httpx"),)
    assert root.location.line == 4
    assert by["httpx"].groups == ("main",)
    assert by["httpx"].hashes == ("sha256:aaa",)
    assert by["httpx"].dependencies[1] == LockedDependency(name="anyio", extras=("trio",))
    assert by["trio"].groups == ("main",)  # reached through anyio[trio]
    assert by["certifi"].source_commit == "deadbeef"
    assert by["certifi"].source_url == "git+https://github.invalid/certifi/python-certifi?rev=main"
    assert by["rich"].groups == ("optional:cli",)
    assert by["pytest"].groups == ("test",)
    assert by["pytest"].hashes == ("sha256:bbb",)
    assert not by["pytest"].is_root


POETRY_LOCK = """\
[[package]]
name = "Proto-Plus"
version = "1.22.0"
description = "x"
optional = false
python-versions = ">=3.6"
groups = ["main", "dev"]
files = [
    {file = "proto-plus-1.22.0.tar.gz", hash = "sha256:ccc"},
]

[package.dependencies]
protobuf = ">=3.19.0,<5.0.0dev"
six = "^1.16"
typing-extensions = {version = "*", markers = "python_version < '3.8'"}

[[package]]
name = "ike"
version = "0.2.0"
optional = true
category = "main"

[package.source]
type = "git"
url = "https://github.invalid/dzshn/ike"
reference = "main"
resolved_reference = "cd66602cd29f61a2d2e7fb995fef1e61708c034d"

[metadata]
lock-version = "2.0"
"""


def test_poetry_lock_edges_groups_sources(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text(POETRY_LOCK)
    proto, ike = PoetryLockSource().parse(tmp_path, "poetry.lock").packages
    assert (proto.name, proto.raw_name, proto.location.line) == ("proto-plus", "Proto-Plus", 2)
    assert proto.groups == ("main", "dev")
    assert proto.hashes == ("sha256:ccc",)
    assert proto.dependencies == (
        LockedDependency(name="protobuf", specifier="<5.0.0dev,>=3.19.0"),
        LockedDependency(name="six", specifier="<2.0,>=1.16"),
        LockedDependency(name="typing-extensions", marker='python_version < "3.8"'),
    )
    assert ike.groups == ("optional",)
    assert ike.source_url == "git+https://github.invalid/dzshn/ike"
    assert ike.source_commit == "cd66602cd29f61a2d2e7fb995fef1e61708c034d"


def test_poetry_lock_v1_hashes_from_metadata_files(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "numpy"\nversion = "1.0"\ncategory = "dev"\n\n'
        '[metadata.files]\nnumpy = [{file = "numpy.whl", hash = "sha256:ddd"}]\n'
    )
    (numpy,) = PoetryLockSource().parse(tmp_path, "poetry.lock").packages
    assert numpy.groups == ("dev",)
    assert numpy.hashes == ("sha256:ddd",)


def test_pdm_lock_edges(tmp_path: Path) -> None:
    root = shared_data("fixtures", "python-lockfiles", "pdmlock")
    parsed = PdmLockSource().parse(root, "optional-dependency.toml")
    pyroute2 = next(p for p in parsed.packages if p.name == "pyroute2")
    assert pyroute2.groups == ("tmp",)
    assert pyroute2.dependencies == (
        LockedDependency(name="win-inet-pton", marker='platform_system == "Windows"'),
    )
    assert pyroute2.hashes
    assert all(h.startswith("sha256:") for h in pyroute2.hashes)


def test_pylock_root_and_vcs() -> None:
    root = shared_data("fixtures", "python-lockfiles", "pylock")
    parsed = PylockSource().parse(root, "commits.toml")
    roots = [p for p in parsed.packages if p.is_root]
    assert [p.name for p in roots] == ["net-inf-eval"]
    mleroc = next(p for p in parsed.packages if p.name == "mleroc")
    assert mleroc.source_url == "git+https://github.com/Veggente/mleroc.git"


def test_pylock_groups_from_marker(tmp_path: Path) -> None:
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "x"\n\n[[packages]]\nname = "pytest"\n'
        "version = \"8.0\"\nmarker = \"'dev' in dependency_groups or 'cli' in extras\"\n"
        'dependencies = [{name = "pluggy"}]\n'
        '[packages.sdist]\nurl = "https://files.invalid/p.tar.gz"\nhashes = {sha256 = "eee"}\n'
    )
    (pytest_pkg,) = PylockSource().parse(tmp_path, "pylock.toml").packages
    assert pytest_pkg.groups == ("dev", "optional:cli")
    assert pytest_pkg.dependencies == (LockedDependency(name="pluggy"),)
    assert pytest_pkg.hashes == ("sha256:eee",)


def test_pipfile_lock_merges_sections_and_reads_git(tmp_path: Path) -> None:
    data = {
        "_meta": {"hash": {"sha256": "x"}},
        "default": {
            "six": {"version": "==1.16.0", "hashes": ["sha256:fff"], "markers": "x"},
            "ike": {"git": "https://github.invalid/ike", "ref": "abc"},
        },
        "develop": {"six": {"version": "==1.16.0"}, "pytest": {"version": "==8.0"}},
    }
    (tmp_path / "Pipfile.lock").write_text(json.dumps(data, indent=4))
    parsed = PipfileLockSource().parse(tmp_path, "Pipfile.lock")
    by = {p.name: p for p in parsed.packages}
    assert by["six"].groups == ("main", "dev")
    assert by["six"].hashes == ("sha256:fff",)
    assert by["six"].location.line == 8
    assert by["ike"].version is None
    assert by["ike"].source_commit == "abc"
    assert by["pytest"].groups == ("dev",)


@pytest.mark.parametrize(
    ("cls", "text", "line"),
    [
        (PoetryLockSource, "[[package]]\nname = 1\n", 2),
        (UvLockSource, 'package = "x"\n', None),
        (PdmLockSource, "[[package]]\nversion = '1'\n", 1),
        (PylockSource, "packages = 3\n", None),
    ],
)
def test_malformed_lock_structure_raises(
    tmp_path: Path, cls: type, text: str, line: int | None
) -> None:
    (tmp_path / "x.lock").write_text(text)
    with pytest.raises(ParseError) as info:
        cls().parse(tmp_path, "x.lock")
    assert info.value.path == "x.lock"
    assert info.value.line == line


def test_invalid_json_line(tmp_path: Path) -> None:
    (tmp_path / "Pipfile.lock").write_text('{\n  "default": {\n    "six": \n}\n')
    with pytest.raises(ParseError, match=r"^Pipfile\.lock:4: invalid JSON"):
        PipfileLockSource().parse(tmp_path, "Pipfile.lock")


# -- conda ---------------------------------------------------------------------------------------

ENVIRONMENT_YML = """\
name: science
channels:
  - conda-forge
dependencies:
  - python=3.11
  - numpy>=1.26
  - pip
  - pip:
      - requests==2.31.0
      - "rich>=13"   # pretty
      - --index-url https://mirror.invalid/simple
      - not valid!!
"""


def test_conda_environment(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text(ENVIRONMENT_YML)
    parsed = CondaSource().parse(tmp_path, "environment.yml")
    assert parsed.project_name == "science"
    got = [(r.name, str(r.specifier), r.location.line) for r in parsed.requirements]
    assert got == [("requests", "==2.31.0", 9), ("rich", ">=13", 10)]
    assert [(i.code, i.location.line) for i in parsed.issues] == [("not-a-requirement", 12)]
    assert parsed.notes == (
        "3 conda package(s) not audited (not PyPI projects)",
        "pip option '--index-url https://mirror.invalid/simple' (line 11) noted, not followed",
    )


def test_conda_pip_list_follows_requirement_files(tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    (tmp_path / "env/environment.yml").write_text(
        "dependencies:\n  - pip:\n    - -r requirements.txt\n    - -c pins.txt\n"
        "    - --requirement=missing.txt\n    - -e .\n"
    )
    (tmp_path / "env/requirements.txt").write_text("flask==3.0\n-r more.txt\n")
    (tmp_path / "env/more.txt").write_text("rich\n")
    (tmp_path / "env/pins.txt").write_text("click==8.1\n")
    parsed = CondaSource().parse(tmp_path, "env/environment.yml")
    got = [(r.name, r.location.path, r.constraint) for r in parsed.requirements]
    assert got == [
        ("flask", "env/requirements.txt", False),
        ("rich", "env/more.txt", False),
        ("click", "env/pins.txt", True),
    ]
    assert set(parsed.includes) >= {"env/requirements.txt", "env/more.txt", "env/pins.txt"}
    ((code, line, message),) = [(i.code, i.location.line, i.message) for i in parsed.issues]
    assert (code, line) == ("include-missing", 5)
    assert "--requirement missing.txt: cannot be read" in message
    assert parsed.notes == ("pip option '-e .' (line 6) noted, not followed",)


def test_conda_yaml_is_safe_loaded(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text("dependencies: !!python/object/apply:os.system [x]\n")
    with pytest.raises(ParseError, match=r"^environment\.yml:1: invalid YAML"):
        CondaSource().parse(tmp_path, "environment.yml")


# -- environment ---------------------------------------------------------------------------------


def _dist_dir(tmp_path: Path, name: str, metadata_text: str) -> Path:
    site = tmp_path / "site"
    info = site / f"{name}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(metadata_text)
    return site


def test_environment_reads_a_site_packages_dir(tmp_path: Path) -> None:
    _dist_dir(
        tmp_path,
        "Demo_Pkg-1.0",
        "Metadata-Version: 2.1\nName: Demo_Pkg\nVersion: 1.0\n"
        "Requires-Dist: requests (>=2)\n"
        'Requires-Dist: pywin32 ; sys_platform == "never-a-platform"\n'
        'Requires-Dist: pytest ; extra == "test"\n',
    )
    parsed = EnvironmentSource().parse(tmp_path, "site")
    (pkg,) = parsed.packages
    assert (pkg.name, pkg.raw_name, pkg.version) == ("demo-pkg", "Demo_Pkg", "1.0")
    assert pkg.location.path == ENVIRONMENT_PATH
    assert pkg.location.line is None
    assert pkg.groups == ("main",)
    assert pkg.dependencies == (LockedDependency(name="requests", specifier=">=2"),)


def test_environment_default_lists_running_interpreter() -> None:
    parsed = EnvironmentSource().parse(Path.cwd(), ENVIRONMENT_PATH)
    names = {p.name for p in parsed.packages}
    assert {"packaging", "pytest"} <= names


WHEELEGG = ["distinfo_meta", "egginfo", "egginfo_pkginfo", "pkginfo", "mixed_case"]


@pytest.mark.parametrize("fixture", WHEELEGG)
def test_environment_metadata_fixtures(tmp_path: Path, fixture: str) -> None:
    folder = shared_data("fixtures", "python-metadata", "wheelegg")
    expected = json.loads((folder / "expected.json").read_text())["fixtures"][fixture]
    source = folder / fixture
    info = tmp_path / "x.dist-info"
    info.mkdir()
    shutil.copyfile(source if source.is_file() else next(source.rglob("*")), info / "METADATA")
    (dist,) = metadata.distributions(path=[str(tmp_path)])
    pkg = package_from_distribution(dist)
    assert pkg is not None
    (want,) = expected["packages"]
    assert (pkg.raw_name, pkg.version) == (want["name"], want["version"])


def test_read_distributions_first_duplicate_wins(tmp_path: Path) -> None:
    for base, version in (("a", "1.0"), ("b", "2.0")):
        info = tmp_path / base / "dup-x.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Name: dup\nVersion: {version}\n")
    dists = metadata.distributions(path=[str(tmp_path / "a"), str(tmp_path / "b")])
    assert [p.version for p in read_distributions(dists)] == ["1.0"]


# -- line index ----------------------------------------------------------------------------------


def test_toml_line_index_ignores_strings_and_comments() -> None:
    text = (
        '[[package]]\n# name = "fake"\nname = "first"\ndescription = """\nname = "no"\n"""\n'
        "[package.meta]\nname = \"sub\"\n\n[[package]]\nname = 'second'\n"
        'deps = [\n  "a",  # c\n  {name = "b"},\n  "c",\n]\n'
    )
    index = TomlLineIndex(text)
    assert index.key_line(("package",), "name", 0) == 3
    assert index.key_line(("package",), "name", 1) == 11
    assert index.key_line(("package", "meta"), "name", 0) == 8
    assert index.item_lines(("package", "deps"), 1) == [("a", 13), ("c", 15)]
    assert index.key_line(("package", "deps", "name"), "x") is None
    assert index.find(("package", "deps", "name"), 1) is not None


def test_json_line_index() -> None:
    text = '{\n "a": {\n  "b": 1,\n  "c": [\n   {"d": 2}\n  ]\n },\n "e": "}"\n}\n'
    index = JsonLineIndex(text)
    assert index.key_line("a") == 2
    assert index.key_line("a", "b") == 3
    assert index.key_line("a", "c", "0", "d") == 5
    assert index.key_line("e") == 8


def test_name_lines_survive_header_lookalikes_in_strings(tmp_path: Path) -> None:
    # A multi-line string holding a header-like line defeats the fast line scan; the full
    # TOML line index must still give the right lines.
    text = (
        '[[package]]\nname = "a"\nversion = "1"\ndescription = """\n[[package]]\n"""\n\n'
        '[[package]]\nname = "b"\nversion = "2"\n'
    )
    (tmp_path / "poetry.lock").write_text(text)
    parsed = PoetryLockSource().parse(tmp_path, "poetry.lock")
    assert [(p.name, p.location.line) for p in parsed.packages] == [("a", 2), ("b", 9)]
