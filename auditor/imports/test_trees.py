"""Which folders of a repository are test trees, whatever they are called.

The imports policy's ``dev_paths`` globs know the usual names (``tests/``, ``test_*.py``); this
module finds the test trees those names miss (celery's ``t/``, a ``qa/`` folder) from what pytest
itself reads, never by running anything:

* the ``testpaths`` of the pytest configuration (``pytest.ini``, ``.pytest.ini``,
  ``pyproject.toml`` ``[tool.pytest.ini_options]`` or ``[tool.pytest]``, ``tox.ini [pytest]``,
  ``setup.cfg [tool:pytest]``: the first that holds a pytest section, in pytest's own order),
  read as data from the repository root and from every folder holding a manifest;
* every folder (other than the repository root) holding a ``conftest.py``.

Such a folder is a test tree unless it lies in one of the project's own shipped packages (a
conftest.py in ``mylib/`` is itself test code, the library is not), or it lies in a regular
package (a folder with ``__init__.py``) without being at least half test modules: pytest may
collect doctests or a plugin from production code, and a package that is mostly production code
stays production code. Then the top-level folder around accepted test trees is a test tree too when
its Python files are mostly test code (celery's ``t/skip.py`` beside ``t/unit/``): a test suite's
shared helpers. "Mostly" is the policy's ``test_tree_min_share`` of the folder's modules
(``__init__.py`` files not counted) that are test code: named like test modules (pytest's
``python_files``, by default ``test_*.py`` and ``*_test.py``), a conftest.py, development code by
the policy's globs, or inside an accepted test tree.
"""

from __future__ import annotations

import configparser
import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli

from auditor.model import InputStatus, normalize_name

if TYPE_CHECKING:
    from auditor.scanning import Scan

# pytest's own order: the first file holding a pytest section wins.
_CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
_DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")
_LAYOUT_DIRS = ("src", "lib", "python")
_MAX_CONFIG_BYTES = 2_000_000
_MAX_CONFIG_FOLDERS = 200
# A test tree candidate inside a regular package must be at least half test modules.
_IN_PACKAGE_SHARE = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class PytestConfig:
    """What a pytest configuration says about where the tests are.

    Attributes:
        path: the configuration file, repo-relative.
        testpaths: the ``testpaths`` entries, repo-relative, without a trailing slash
            (``""`` is the repository root).
        python_files: the ``python_files`` globs (pytest's defaults when not set).
    """

    path: str
    testpaths: tuple[str, ...] = ()
    python_files: tuple[str, ...] = _DEFAULT_PYTHON_FILES


@dataclass(frozen=True, slots=True, kw_only=True)
class TestTrees:
    """The test trees found, each with what marked it.

    Attributes:
        roots: folder (repo-relative, no trailing slash) -> why it is a test tree
            (``conftest.py``, ``testpaths in pyproject.toml``, ``test helpers around t/unit``).
    """

    __test__ = False  # not a pytest test class, whatever its name

    roots: Mapping[str, str]

    def matcher(self, is_dev: Callable[[str], bool]) -> Callable[[str], bool]:
        """Extend `is_dev` to every file below one of the test trees."""
        prefixes = tuple(sorted(f"{root}/" for root in self.roots))
        if not prefixes:
            return is_dev
        return lambda path: is_dev(path) or path.startswith(prefixes)


def _join(folder: str, entry: str) -> str | None:
    """Return `entry` (a testpaths item relative to `folder`) repo-relative, None if outside."""
    parts = [p for p in f"{folder}/{entry}".replace("\\", "/").split("/") if p not in ("", ".")]
    out: list[str] = []
    for part in parts:
        if part == "..":
            if not out:
                return None
            out.pop()
        else:
            out.append(part)
    return "/".join(out)


def _split(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    return []


def _read_text(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_CONFIG_BYTES:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _pytest_section(path: Path, name: str) -> Mapping[str, Any] | None:
    """Return the pytest section of one configuration file, None when it has none."""
    text = _read_text(path)
    if text is None:
        return None
    if name == "pyproject.toml":
        try:
            data = tomli.loads(text)
        except (tomli.TOMLDecodeError, RecursionError):
            return None  # the pyproject source reports the error with its line
        tool = data.get("tool")
        pytest = tool.get("pytest") if isinstance(tool, dict) else None
        if not isinstance(pytest, dict):
            return None
        options = pytest.get("ini_options")
        # pytest 9 reads [tool.pytest] itself; older ones [tool.pytest.ini_options]
        return options if isinstance(options, dict) else pytest
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error:
        return None
    section = "tool:pytest" if name == "setup.cfg" else "pytest"
    return dict(parser[section]) if parser.has_section(section) else None


def read_pytest_config(root: Path, folder: str) -> PytestConfig | None:
    """Return the pytest configuration pytest would use in `folder` (repo-relative), if any.

    Configuration files are read as data (TOML or INI); an unreadable or malformed one is passed
    over (its manifest source reports it when it is a manifest).
    """
    base = root / folder if folder else root
    for name in _CONFIG_FILES:
        section = _pytest_section(base / name, name)
        if section is None:
            continue
        testpaths = tuple(
            path
            for entry in _split(section.get("testpaths"))
            if (path := _join(folder, entry)) is not None
        )
        globs = tuple(_split(section.get("python_files"))) or _DEFAULT_PYTHON_FILES
        relpath = f"{folder}/{name}" if folder else name
        return PytestConfig(path=relpath, testpaths=testpaths, python_files=globs)
    return None


def pytest_configs(root: Path, manifests: Iterable[str]) -> tuple[PytestConfig, ...]:
    """Read the pytest configuration of the repository root and of every manifest's folder."""
    folders = sorted({"", *(m.rpartition("/")[0] for m in manifests)})[:_MAX_CONFIG_FOLDERS]
    return tuple(c for folder in folders if (c := read_pytest_config(root, folder)) is not None)


def shipped_packages(root: Path, project_names: Iterable[str]) -> frozenset[str]:
    """Return the top-level module names the project ships, as far as the tree says.

    The project names (``my-lib`` -> ``my_lib``) and, in an sdist built by setuptools, the
    ``top_level.txt`` of its ``*.egg-info`` folder (``python-dateutil`` ships ``dateutil``).
    """
    names = {normalize_name(n).replace("-", "_") for n in project_names if n}
    for pattern in ("*.egg-info/top_level.txt", "src/*.egg-info/top_level.txt"):
        for path in sorted(root.glob(pattern))[:20]:
            text = _read_text(path) or ""
            names.update(line.strip() for line in text.splitlines() if line.strip())
    return frozenset(n.lower() for n in names)


def _top(folder: str) -> str:
    """Return the top-level folder of `folder`, one level down in a layout dir (``src/x``)."""
    parts = folder.split("/")
    if parts[0] in _LAYOUT_DIRS and len(parts) > 1:
        return "/".join(parts[:2])
    return parts[0]


@dataclass(frozen=True, slots=True)
class _Tree:
    """The Python files of the repository and what is known of them."""

    files: tuple[str, ...]
    packages: frozenset[str]  # folders holding __init__.py
    is_test_file: Callable[[str], bool]

    def below(self, folder: str) -> list[str]:
        prefix = f"{folder}/"
        return [f for f in self.files if f.startswith(prefix)]

    def share(self, folder: str, roots: Iterable[str]) -> float:
        """Return the share of `folder`'s modules that are test code (0 when it has none)."""
        prefixes = tuple(f"{r}/" for r in roots)
        modules = [f for f in self.below(folder) if f.rpartition("/")[2] != "__init__.py"]
        if not modules:
            return 0.0
        tests = sum(1 for f in modules if f.startswith(prefixes) or self.is_test_file(f))
        return tests / len(modules)

    def in_package(self, folder: str) -> bool:
        """Whether `folder` is, or lies in, a regular package."""
        parts = folder.split("/")
        return any("/".join(parts[: i + 1]) in self.packages for i in range(len(parts)))


def find_test_trees(
    python_files: Iterable[str],
    *,
    is_dev: Callable[[str], bool],
    shipped: frozenset[str] = frozenset(),
    configs: Iterable[PytestConfig] = (),
    conftest: bool = True,
    min_share: float = 0.75,
) -> TestTrees:
    """Find the test trees of the repository (see the module docstring).

    Args:
        python_files: the repository's Python files, repo-relative POSIX paths.
        is_dev: the policy's development-path predicate (``dev_paths`` globs).
        shipped: the project's own top-level module names (`shipped_packages`).
        configs: the pytest configurations read (`pytest_configs`).
        conftest: whether folders holding a conftest.py are candidates.
        min_share: the share of test modules that makes a package, or the folder around test
            trees, a test tree.
    """
    files = tuple(sorted(set(python_files)))
    configs = tuple(configs)
    globs = tuple({g for c in configs for g in c.python_files} or _DEFAULT_PYTHON_FILES)

    def is_test_file(path: str) -> bool:
        name = path.rpartition("/")[2]
        return (
            name == "conftest.py"
            or any(fnmatch.fnmatchcase(name, g) for g in globs)
            or is_dev(path)
        )

    tree = _Tree(
        files=files,
        packages=frozenset(f.rpartition("/")[0] for f in files if f.endswith("/__init__.py")),
        is_test_file=is_test_file,
    )
    candidates: dict[str, str] = {}
    for config in configs:
        for entry in config.testpaths:
            candidates.setdefault(entry, f"testpaths in {config.path}")
    if conftest:
        for path in files:
            folder, _, name = path.rpartition("/")
            if name == "conftest.py" and folder:
                candidates.setdefault(folder, "conftest.py")
    roots: dict[str, str] = {}
    for folder, why in sorted(candidates.items()):
        top = _top(folder)
        if not folder or folder in _LAYOUT_DIRS or top.rpartition("/")[2].lower() in shipped:
            continue
        if not tree.below(folder):
            continue  # a test file named in testpaths, or a folder without Python files
        if tree.in_package(folder) and tree.share(folder, ()) < _IN_PACKAGE_SHARE:
            continue  # pytest collects from production code here (doctests, a plugin)
        roots[folder] = why
    # The folder around accepted test trees: the suite's shared helpers (celery's t/skip.py).
    for top in sorted({_top(r) for r in roots}):
        if top in roots or top in _LAYOUT_DIRS or any(top.startswith(f"{r}/") for r in roots):
            continue
        if tree.share(top, roots) >= min_share:
            inner = _outermost(r for r in roots if r.startswith(f"{top}/"))
            roots[top] = f"test helpers around {', '.join(inner)}"
    return TestTrees(roots={r: roots[r] for r in _outermost(roots)})


def _outermost(folders: Iterable[str]) -> list[str]:
    """Return the folders not inside another of them, sorted."""
    items = set(folders)
    return sorted(f for f in items if not any(f.startswith(f"{o}/") for o in items))


def scan_test_trees(
    scan: Scan, policy: Mapping[str, Any], is_dev: Callable[[str], bool]
) -> TestTrees:
    """Find the test trees of a scanned repository, as the imports policy says.

    ``pytest_testpaths_are_dev`` and ``conftest_folders_are_dev`` switch the two signals;
    ``test_tree_min_share`` is the share of test modules that makes a folder a test tree.
    """
    manifests = [i.path for i in scan.inputs if i.status is not InputStatus.SKIPPED]
    configs = (
        pytest_configs(scan.root, manifests) if policy.get("pytest_testpaths_are_dev", True) else ()
    )
    return find_test_trees(
        scan.discovery.python_files,
        is_dev=is_dev,
        shipped=shipped_packages(scan.root, (i.project_name or "" for i in scan.inputs)),
        configs=configs,
        conftest=bool(policy.get("conftest_folders_are_dev", True)),
        min_share=float(policy.get("test_tree_min_share", 0.75)),
    )


def test_tree_matcher(
    scan: Scan, policy: Mapping[str, Any], is_dev: Callable[[str], bool]
) -> Callable[[str], bool]:
    """Extend `is_dev` to every file in one of the scanned repository's test trees."""
    return scan_test_trees(scan, policy, is_dev).matcher(is_dev)


__all__ = [
    "PytestConfig",
    "TestTrees",
    "find_test_trees",
    "pytest_configs",
    "read_pytest_config",
    "scan_test_trees",
    "shipped_packages",
    "test_tree_matcher",
]
