"""Requirements files that feed a library's metadata, found statically (setup.py, pyproject)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.sources.pyproject import PyprojectSource
from auditor.sources.setuppy import SetupPySource


def _write(root: Path, rel: str, text: str = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _setup_files(root: Path, setup_py: str, *files: str, where: str = "setup.py") -> list[str]:
    _write(root, where, setup_py)
    for rel in files:
        _write(root, rel, "requests\n")
    return list(SetupPySource().parse(root, where).metadata_files)


# -- setup.py ------------------------------------------------------------------------------------


def test_open_of_a_relative_path(tmp_path: Path) -> None:
    code = (
        "from setuptools import setup\n"
        "reqs = open('requirements/default.txt').read().splitlines()\n"
        "setup(name='x', install_requires=reqs)\n"
    )
    found = _setup_files(tmp_path, code, "requirements/default.txt", "requirements/docs.txt")
    assert found == ["requirements/default.txt"]


def test_helper_with_file_name_and_folder_literal(tmp_path: Path) -> None:
    # celery: _reqs('default.txt') joins os.getcwd(), 'requirements' and the name.
    code = (
        "import os\nfrom setuptools import setup\n"
        "def _reqs(*f):\n"
        "    return open(os.path.join(os.getcwd(), 'requirements', *f)).readlines()\n"
        "EXTENSIONS = ('redis', 'yaml')\n"
        "def extras(*p):\n    return _reqs('extras', *p)\n"
        "setup(install_requires=_reqs('default.txt'),\n"
        "      extras_require={x: extras(x + '.txt') for x in EXTENSIONS})\n"
    )
    found = _setup_files(
        tmp_path,
        code,
        "requirements/default.txt",
        "requirements/extras/redis.txt",
        "requirements/extras/yaml.txt",
        "requirements/extras/zstd.txt",
        "requirements/pkgutils.txt",
    )
    assert found == [
        "requirements/default.txt",
        "requirements/extras/redis.txt",
        "requirements/extras/yaml.txt",
    ]


@pytest.mark.parametrize(
    "helper",
    [
        # dash
        'def read(kind):\n    return open(os.path.join("requirements", f"{kind}.txt")).read()\n',
        # flask-restx
        'def read(kind):\n    return open(os.path.join("requirements", "{0}.txt".format(kind)))\n',
    ],
)
def test_helper_with_a_stem_and_the_folder_named(tmp_path: Path, helper: str) -> None:
    code = (
        f"import os\nfrom setuptools import setup\n{helper}"
        'setup(install_requires=read("install"), extras_require={"ci": read("ci")})\n'
    )
    found = _setup_files(
        tmp_path, code, "requirements/install.txt", "requirements/ci.txt", "requirements/dev.txt"
    )
    assert found == ["requirements/ci.txt", "requirements/install.txt"]


def test_stem_without_the_folder_named_is_not_enough(tmp_path: Path) -> None:
    code = (
        "from setuptools import setup, find_packages\n"
        "setup(name='x', packages=find_packages('install'), install_requires=['a'])\n"
    )
    assert _setup_files(tmp_path, code, "requirements/install.txt") == []


def test_parse_requirements_and_pathlib(tmp_path: Path) -> None:
    code = (
        "from pathlib import Path\nfrom setuptools import setup\n"
        "here = Path(__file__).parent\n"
        "base = parse_requirements('requirements/install.pip')\n"
        "extra = (here / 'requirements-extra.txt').read_text().split()\n"
        "setup(install_requires=base, extras_require={'x': extra})\n"
    )
    found = _setup_files(
        tmp_path, code, "requirements/install.pip", "requirements-extra.txt", "requirements-dev.txt"
    )
    assert found == ["requirements-extra.txt", "requirements/install.pip"]


def test_missing_files_and_setup_keywords_are_ignored(tmp_path: Path) -> None:
    # A literal naming a file that does not exist, and strings given to setup() itself.
    code = (
        "from setuptools import setup\n"
        "reqs = open('requirements.txt').read().split()\n"
        "setup(name='requirements-dev.txt', install_requires=reqs)\n"
    )
    assert _setup_files(tmp_path, code, "requirements-dev.txt") == []


def test_setup_py_in_a_subfolder_gets_repo_relative_paths(tmp_path: Path) -> None:
    code = "from setuptools import setup\nsetup(install_requires=open('requirements.txt'))\n"
    found = _setup_files(tmp_path, code, "pkg/requirements.txt", where="pkg/setup.py")
    assert found == ["pkg/requirements.txt"]


# -- pyproject.toml ------------------------------------------------------------------------------

_BUILD = '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'


def _pyproject(root: Path, text: str, where: str = "pyproject.toml") -> tuple[list[str], ...]:
    _write(root, where, text)
    parsed = PyprojectSource().parse(root, where)
    return list(parsed.metadata_files), [i.code for i in parsed.issues], list(parsed.notes)


def test_setuptools_dynamic_file(tmp_path: Path) -> None:
    files, issues, notes = _pyproject(
        tmp_path,
        _BUILD + '[project]\nname = "x"\ndynamic = ["dependencies", "optional-dependencies"]\n'
        "[tool.setuptools.dynamic]\n"
        'dependencies = {file = ["requirements.txt"]}\n'
        'optional-dependencies.redis = {file = "requirements/redis.txt"}\n',
    )
    assert files == ["requirements.txt", "requirements/redis.txt"]
    assert issues == []  # the dynamic fields are read from files that are audited
    assert notes == [
        "[project] dependencies is read from requirements.txt ([tool.setuptools.dynamic])",
        "[project] optional-dependencies is read from requirements/redis.txt "
        "([tool.setuptools.dynamic])",
    ]


def test_setuptools_dynamic_without_file_stays_a_dynamic_value(tmp_path: Path) -> None:
    files, issues, _notes = _pyproject(
        tmp_path,
        _BUILD + '[project]\nname = "x"\ndynamic = ["dependencies", "optional-dependencies"]\n'
        '[tool.setuptools.dynamic]\ndependencies = {file = ["requirements.txt"]}\n',
    )
    assert files == ["requirements.txt"]
    assert issues == ["dynamic-value"]  # optional-dependencies is still computed elsewhere


@pytest.mark.parametrize(
    "table",
    [
        'files = ["requirements.txt"]\n',
        'filename = "requirements.txt"\n',  # the plugin's older spelling (gradio)
    ],
)
def test_hatch_requirements_txt_plugin(tmp_path: Path, table: str) -> None:
    files, issues, notes = _pyproject(
        tmp_path,
        '[build-system]\nrequires = ["hatchling", "hatch-requirements-txt"]\n'
        'build-backend = "hatchling.build"\n'
        '[project]\nname = "x"\ndynamic = ["version", "dependencies", "optional-dependencies"]\n'
        f"[tool.hatch.metadata.hooks.requirements_txt]\n{table}"
        "[tool.hatch.metadata.hooks.requirements_txt.optional-dependencies]\n"
        'oauth = ["requirements-oauth.txt"]\n',
        where="sub/pyproject.toml",
    )
    assert files == ["sub/requirements-oauth.txt", "sub/requirements.txt"]
    assert issues == []
    assert "hatch.metadata.hooks.requirements_txt" in notes[0]


def test_paths_leaving_the_repository_are_dropped(tmp_path: Path) -> None:
    files, _issues, _notes = _pyproject(
        tmp_path,
        _BUILD + '[project]\nname = "x"\ndynamic = ["dependencies"]\n'
        '[tool.setuptools.dynamic]\ndependencies = {file = ["../../outside.txt", "/abs.txt"]}\n',
    )
    assert files == []
