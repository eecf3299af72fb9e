"""pyproject.toml (PEP 621/735, Poetry, PDM, uv), setup.cfg, setup.py and Pipfile parsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import ParseError
from auditor.model import ParsedInput, Requirement
from auditor.sources.pipfile import PipfileSource
from auditor.sources.poetry_constraint import UnsupportedConstraint, poetry_to_pep440
from auditor.sources.pyproject import PyprojectSource
from auditor.sources.setupcfg import SetupCfgSource
from auditor.sources.setuppy import SetupPySource


def _write(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)


def _by(parsed: ParsedInput) -> dict[tuple[str, str], Requirement]:
    return {(r.name, r.group): r for r in parsed.requirements}


# -- Poetry constraint converter ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^1.2", ">=1.2,<2.0"),
        ("^1", ">=1,<2.0"),
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0.0", ">=0.0,<0.1"),
        ("^0", ">=0,<1.0"),
        ("^1.2.3b1", ">=1.2.3b1,<2.0.0"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1", ">=1,<2.0"),
        ("~=1.4", "~=1.4"),
        ("*", ""),
        ("", ""),
        ("1.2.3", "==1.2.3"),
        ("=1.2.3", "==1.2.3"),
        ("1.2.*", "==1.2.*"),
        (">=1.2,<2.0", ">=1.2,<2.0"),
        (">= 1.2 < 2.0", ">=1.2,<2.0"),
        ("!=1.5", "!=1.5"),
        ("^2.0, !=2.1.0", ">=2.0,<3.0,!=2.1.0"),
    ],
)
def test_poetry_to_pep440(poetry: str, pep440: str) -> None:
    assert poetry_to_pep440(poetry) == pep440


@pytest.mark.parametrize("bad", ["1.0 || 2.0", "^not.a.version", ">=", "^"])
def test_poetry_constraint_unsupported(bad: str) -> None:
    with pytest.raises(UnsupportedConstraint):
        poetry_to_pep440(bad)


# -- pyproject.toml ---------------------------------------------------------------------------

PYPROJECT = """\
[project]
name = "demo"
dynamic = ["version"]
dependencies = [
    "requests>=2.31",
    'rich[jupyter]==13.0 ; python_version >= "3.9"',
]

[project.optional-dependencies]
yaml = ["PyYAML>=6"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff==0.5.0"]
dev = [{include-group = "test"}, "ipython"]

[tool.uv]
dev-dependencies = ["coverage"]

[tool.uv.sources]
requests = { git = "https://github.invalid/psf/requests", rev = "abc123" }

[tool.pdm.dev-dependencies]
docs = ["mkdocs>=1.5"]
"""


def test_pyproject_pep621_groups_and_lines(tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", PYPROJECT)
    parsed = PyprojectSource().parse(tmp_path, "pyproject.toml")
    assert parsed.project_name == "demo"
    by = _by(parsed)
    assert by["requests", "main"].location.line == 5
    assert by["requests", "main"].url == "git+https://github.invalid/psf/requests@abc123"
    assert by["rich", "main"].location.line == 6
    assert by["rich", "main"].extras == ("jupyter",)
    assert by["rich", "main"].marker_text == 'python_version >= "3.9"'
    assert by["pyyaml", "optional:yaml"].location.line == 10
    assert by["pytest", "test"].location.line == 13
    assert by["ruff", "lint"].location.line == 14
    # include-group repeats the included requirements under the including group
    assert by["ruff", "test"].location.line == 14
    assert {n for n, g in by if g == "dev"} == {"pytest", "ruff", "ipython", "coverage"}
    assert by["coverage", "dev"].location.line == 18
    assert by["mkdocs", "docs"].location.line == 24
    assert parsed.issues == ()


def test_dependency_group_cycle(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "pyproject.toml",
        '[dependency-groups]\na = ["x", {include-group = "b"}]\n'
        'b = ["y", {include-group = "a"}]\nc = [{include-group = "missing"}]\n',
    )
    parsed = PyprojectSource().parse(tmp_path, "pyproject.toml")
    assert sorted((r.name, r.group) for r in parsed.requirements) == [
        ("x", "a"),
        ("x", "b"),
        ("y", "a"),
        ("y", "b"),
    ]
    codes = sorted((i.code, i.location.line) for i in parsed.issues)
    assert codes == [("include-cycle", 2), ("include-cycle", 3), ("include-missing", 4)]


def test_dynamic_dependencies_noted(tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", '[project]\nname = "x"\ndynamic = ["dependencies"]\n')
    parsed = PyprojectSource().parse(tmp_path, "pyproject.toml")
    ((code, line),) = [(i.code, i.location.line) for i in parsed.issues]
    assert (code, line) == ("dynamic-value", 3)


POETRY = """\
[tool.poetry]
name = "poetry-demo"

[tool.poetry.dependencies]
python = "^3.10"
requests = "^2.31"
numpy = { version = "~1.26", extras = ["dev"], markers = "sys_platform == 'linux'" }
mysqlclient = { version = "*", optional = true }
ike = { git = "https://github.invalid/dzshn/ike", rev = "cd66602" }
local = { path = "../local", develop = true }
foo = [
    { version = "<2", python = "<3.11" },
    { version = ">=2", python = ">=3.11" },
]
weird = "1.0 || 2.0"

[tool.poetry.extras]
mysql = ["mysqlclient"]

[tool.poetry.dev-dependencies]
pytest = "^7.0"

[tool.poetry.group.docs.dependencies]
sphinx = ">=7"
"""


def test_poetry_tables(tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", POETRY)
    parsed = PyprojectSource().parse(tmp_path, "pyproject.toml")
    assert parsed.project_name == "poetry-demo"
    by = _by(parsed)
    assert "python" not in {n for n, _ in by}
    assert str(by["requests", "main"].specifier) == "<3.0,>=2.31"
    assert by["requests", "main"].location.line == 6
    numpy = by["numpy", "main"]
    assert (str(numpy.specifier), numpy.extras, numpy.marker_text) == (
        "<1.27,>=1.26",
        ("dev",),
        'sys_platform == "linux"',
    )
    assert str(by["mysqlclient", "optional:mysql"].specifier) == ""
    assert by["ike", "main"].url == "git+https://github.invalid/dzshn/ike@cd66602"
    assert by["local", "main"].editable
    foos = [r for r in parsed.requirements if r.name == "foo"]
    assert [(str(f.specifier), f.marker_text) for f in foos] == [
        ("<2", 'python_version < "3.11"'),
        (">=2", 'python_version >= "3.11"'),
    ]
    assert all(f.location.line == 11 for f in foos)
    assert str(by["pytest", "dev"].specifier) == "<8.0,>=7.0"
    assert by["sphinx", "docs"].location.line == 24
    (issue,) = parsed.issues
    assert (issue.code, issue.location.line) == ("unsupported-constraint", 15)
    assert str(by["weird", "main"].specifier) == ""


def test_pyproject_bad_items_are_issues(tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", '[project]\ndependencies = ["ok", "not valid!!", 3]\n')
    parsed = PyprojectSource().parse(tmp_path, "pyproject.toml")
    assert [r.name for r in parsed.requirements] == ["ok"]
    assert [(i.code, i.location.line) for i in parsed.issues] == [("not-a-requirement", 2)]


def test_pyproject_invalid_toml(tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", "[project]\nname = \n")
    with pytest.raises(ParseError, match=r"^pyproject\.toml:2: invalid TOML"):
        PyprojectSource().parse(tmp_path, "pyproject.toml")


# -- setup.cfg -----------------------------------------------------------------------------------

SETUP_CFG = """\
[metadata]
name = cfgdemo

[options]
packages = find:
install_requires =
    requests>=2  # comment
    click
    not a requirement!

[options.extras_require]
yaml = PyYAML
test =
    pytest
"""


def test_setup_cfg(tmp_path: Path) -> None:
    _write(tmp_path, "setup.cfg", SETUP_CFG)
    parsed = SetupCfgSource().parse(tmp_path, "setup.cfg")
    assert parsed.project_name == "cfgdemo"
    got = [(r.name, str(r.specifier), r.group, r.location.line) for r in parsed.requirements]
    assert got == [
        ("requests", ">=2", "main", 7),
        ("click", "", "main", 8),
        ("pyyaml", "", "optional:yaml", 12),
        ("pytest", "", "optional:test", 14),
    ]
    assert [(i.code, i.location.line) for i in parsed.issues] == [("not-a-requirement", 9)]


def test_setup_cfg_invalid(tmp_path: Path) -> None:
    _write(tmp_path, "setup.cfg", "no section header\n")
    with pytest.raises(ParseError, match=r"^setup\.cfg"):
        SetupCfgSource().parse(tmp_path, "setup.cfg")


# -- setup.py ------------------------------------------------------------------------------------

SETUP_PY = """\
import os
from setuptools import setup

BASE = ["requests>=2", "click"]
TESTS = ["pytest"]
CHANGED = ["x"]
CHANGED.append("y")

def extra():
    return ["z"]

setup(
    name="pydemo",
    install_requires=BASE + [
        "rich==13.0",
        os.environ["DEP"],
    ],
    extras_require={"yaml": ["PyYAML"], "dyn": extra(), "changed": CHANGED},
    tests_require=TESTS,
)
"""


def test_setup_py_static_values(tmp_path: Path) -> None:
    _write(tmp_path, "setup.py", SETUP_PY)
    parsed = SetupPySource().parse(tmp_path, "setup.py")
    assert parsed.project_name == "pydemo"
    got = [(r.name, r.group, r.location.line) for r in parsed.requirements]
    assert got == [
        ("requests", "main", 4),
        ("click", "main", 4),
        ("rich", "main", 15),
        ("pyyaml", "optional:yaml", 18),
        # CHANGED.append("y") grows the list: both elements are read, each at its own line.
        ("x", "optional:changed", 6),
        ("y", "optional:changed", 7),
        ("pytest", "dev", 5),
    ]
    issues = [(i.code, i.location.line) for i in parsed.issues]
    assert issues == [("dynamic-value", 16), ("dynamic-value", 18)]
    assert all("could not read statically" in i.message for i in parsed.issues)


def test_setup_py_conditional_growth_and_unpacking(tmp_path: Path) -> None:
    # The shape of httpie's setup.py: a list grown under a platform condition, and extras that
    # unpack another list with *name.
    _write(
        tmp_path,
        "setup.py",
        "import sys\nfrom setuptools import setup\n"
        "tests = ['pytest']\n"
        "dev = [*tests, 'flake8']\n"
        "install = ['requests']\n"
        "win = ['colorama']\n"
        "if sys.platform == 'win32':\n"
        "    install.extend(win)\n"
        "install += ['rich']\n"
        "setup(install_requires=install, extras_require={'dev': dev})\n",
    )
    parsed = SetupPySource().parse(tmp_path, "setup.py")
    got = [(r.name, r.group, r.location.line) for r in parsed.requirements]
    assert got == [
        ("requests", "main", 5),
        ("colorama", "main", 6),
        ("rich", "main", 9),
        ("pytest", "optional:dev", 3),
        ("flake8", "optional:dev", 4),
    ]
    assert parsed.issues == ()


def test_setup_py_shrunk_list_is_dynamic(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "setup.py",
        "from setuptools import setup\nreqs = ['a', 'b']\nreqs.remove('b')\n"
        "setup(install_requires=reqs)\n",
    )
    parsed = SetupPySource().parse(tmp_path, "setup.py")
    assert parsed.requirements == ()
    assert [(i.code, i.location.line) for i in parsed.issues] == [("dynamic-value", 4)]


def test_setup_py_kwargs_are_dynamic(tmp_path: Path) -> None:
    _write(tmp_path, "setup.py", "import setuptools\nkw = {}\nsetuptools.setup(**kw)\n")
    parsed = SetupPySource().parse(tmp_path, "setup.py")
    assert [(i.code, i.location.line) for i in parsed.issues] == [("dynamic-value", 3)]


def test_setup_py_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    _write(
        tmp_path,
        "setup.py",
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "import setuptools\nsetuptools.setup(install_requires=['six'])\n",
    )
    parsed = SetupPySource().parse(tmp_path, "setup.py")
    assert [r.name for r in parsed.requirements] == ["six"]
    assert not marker.exists()


def test_setup_py_syntax_error(tmp_path: Path) -> None:
    _write(tmp_path, "setup.py", "from setuptools import setup\nsetup(\n")
    with pytest.raises(ParseError, match=r"^setup\.py:2: invalid Python"):
        SetupPySource().parse(tmp_path, "setup.py")


# -- Pipfile -------------------------------------------------------------------------------------

PIPFILE = """\
[[source]]
url = "https://mirror.invalid/simple"
name = "mirror"

[packages]
requests = "*"
Django = ">=4.2,<5"
records = { version = "==0.5.3", extras = ["pandas"], markers = "os_name == 'posix'" }
ike = { git = "https://github.invalid/dzshn/ike.git", ref = "main", editable = true }

[dev-packages]
pytest = "==8.0"
broken = "not a version"

[requires]
python_version = "3.11"
"""


def test_pipfile(tmp_path: Path) -> None:
    _write(tmp_path, "Pipfile", PIPFILE)
    parsed = PipfileSource().parse(tmp_path, "Pipfile")
    got = [(r.name, str(r.specifier), r.group, r.location.line) for r in parsed.requirements]
    assert got == [
        ("requests", "", "main", 6),
        ("django", "<5,>=4.2", "main", 7),
        ("records", "==0.5.3", "main", 8),
        ("ike", "", "main", 9),
        ("pytest", "==8.0", "dev", 12),
    ]
    by = _by(parsed)
    assert by["records", "main"].extras == ("pandas",)
    assert by["records", "main"].marker_text == 'os_name == "posix"'
    assert by["ike", "main"].url == "git+https://github.invalid/dzshn/ike.git@main"
    assert by["ike", "main"].editable
    assert [(i.code, i.location.line) for i in parsed.issues] == [("not-a-requirement", 13)]
