"""Find the inputs in a repository: manifests, lockfiles and Python sources.

Honours .gitignore and .ignore files (with pathspec's gitignore semantics), skips version
control, tool caches and node_modules by name, virtual environments by their ``pyvenv.cfg`` (or
activate script and site-packages), and build output by its contents; a folder named ``env``,
``build`` or ``dist`` that holds source code is scanned. Every skipped folder that holds Python
files is counted in ``skipped_dirs``. Never follows a symlink out of the repository.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.model import InputKind
from auditor.sources.reading import looks_like_utf16

if TYPE_CHECKING:
    import pathspec

# Folders that never hold the project's own code, whatever they contain.
SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
        ".pytest_cache", ".ruff_cache", "site-packages", ".eggs", ".ipynb_checkpoints", ".idea",
        ".vscode", "__pypackages__",
    }
)  # fmt: skip
# Folder names that usually hold build output; skipped when their contents say so.
_BUILD_NAMES = frozenset({"build", "dist"})
_IGNORE_FILES = (".gitignore", ".ignore")
# How many directory entries a look for Python files in a skipped folder reads at most.
_PEEK_ENTRIES = 5000
# Lockfiles are read past max_file_bytes (50k-package locks exist), up to this many bytes.
_LOCKFILE_LIMIT = 512 * 1024 * 1024

_REQUIREMENTS_NAME = re.compile(
    r"^(.*[-_.])?(requirements|requires|constraints|reqs)([-_.].*)?\.(txt|in|pip)$", re.IGNORECASE
)
_REQUIREMENTS_DIRS = frozenset({"requirements", "requirements.d", "reqs", "requires"})
_REQ_EXTS = (".txt", ".in", ".pip")
_DOC_DIRS = frozenset({"docs", "doc", "documentation"})
_CONDA_NAME = re.compile(r"^(environment|conda|env)([-_.].*)?\.ya?ml$", re.IGNORECASE)
_PYLOCK_NAME = re.compile(r"^pylock(\.[^./]+)?\.toml$")

_FIXED_NAMES = {
    "pyproject.toml": InputKind.PYPROJECT,
    "setup.cfg": InputKind.SETUP_CFG,
    "setup.py": InputKind.SETUP_PY,
    "Pipfile": InputKind.PIPFILE,
    "Pipfile.lock": InputKind.PIPFILE_LOCK,
    "poetry.lock": InputKind.POETRY_LOCK,
    "uv.lock": InputKind.UV_LOCK,
    "pdm.lock": InputKind.PDM_LOCK,
}


def classify(relpath: str) -> InputKind | None:
    """Return the input kind of a repo-relative path, or None when it is not an input."""
    parts = relpath.split("/")
    name = parts[-1]
    if name in _FIXED_NAMES:
        return _FIXED_NAMES[name]
    if _PYLOCK_NAME.match(name):
        return InputKind.PYLOCK
    if _REQUIREMENTS_NAME.match(name):
        # Documentation folders hold prose files such as docs/ref/constraints.txt; there only
        # files that say "requirements" are requirements files (docs/requirements.txt).
        if "requirements" not in name.lower() and _DOC_DIRS.intersection(parts[:-1]):
            return None
        return InputKind.REQUIREMENTS
    if len(parts) > 1 and parts[-2].lower() in _REQUIREMENTS_DIRS and name.endswith(_REQ_EXTS):
        return InputKind.REQUIREMENTS
    if _CONDA_NAME.match(name):
        return InputKind.CONDA
    return None


@dataclass(slots=True)
class Discovery:
    """What `discover` found: inputs by kind, Python sources, notebooks and skipped files."""

    root: Path
    inputs: list[tuple[str, InputKind]] = field(default_factory=list)
    python_files: list[str] = field(default_factory=list)
    notebooks: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    fixture_inputs: list[str] = field(default_factory=list)
    # Folders left out that hold Python files, with why: (path, reason).
    skipped_dirs: list[tuple[str, str]] = field(default_factory=list)
    # The walk's stat of each Python file and notebook: size, mtime_ns, ctime_ns, inode (the
    # import scan's cache key; it need not stat them again).
    stats: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)

    @property
    def skipped_inputs(self) -> list[tuple[str, str]]:
        """Skipped files that are manifests or lockfiles (not code)."""
        return [(rel, why) for rel, why in self.skipped if classify(rel) is not None]


def _is_venv(path: Path) -> bool:
    """A virtual environment: pyvenv.cfg, conda-meta, or an activate script beside site-packages."""
    if (path / "pyvenv.cfg").is_file() or (path / "conda-meta").is_dir():
        return True
    activate = (path / "bin" / "activate").is_file() or (path / "Scripts" / "activate").is_file()
    return activate and any(path.glob("lib*/python*/site-packages"))


def _is_build_output(path: Path) -> bool:
    """A setuptools/wheel build folder (lib*/bdist.*/temp.*) or a dist folder of archives."""
    try:
        entries = list(path.iterdir())
    except OSError:
        return False
    if not entries:
        return True
    names = [e.name for e in entries]
    if any(n.startswith(("lib.", "bdist.", "temp.")) or n == "lib" for n in names):
        return not any(n in ("__init__.py", "setup.py", "pyproject.toml") for n in names)
    archives = (".whl", ".tar.gz", ".zip", ".egg", ".tar.bz2")
    return all(e.is_file() and e.name.endswith(archives) for e in entries)


def _holds_python(path: Path) -> bool:
    """Whether a folder holds a .py file (reads at most a few thousand entries)."""
    seen = 0
    stack = [path]
    while stack and seen < _PEEK_ENTRIES:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if entry.name.endswith(".py") and entry.is_file(follow_symlinks=False):
                        return True
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
        except OSError:
            continue
    return False


def _skip_reason(child: Path, name: str) -> str | None:
    """Why a folder is not walked (None: walk it)."""
    if name in SKIP_DIRS or name.endswith(".egg-info"):
        return "tool folder"
    if _is_venv(child):
        return "virtual environment"
    if name in _BUILD_NAMES and _is_build_output(child):
        return "build output"
    return None


def _load_gitignore(directory: Path) -> pathspec.GitIgnoreSpec | None:
    lines: list[str] = []
    for file_name in _IGNORE_FILES:
        ignore = directory / file_name
        if not ignore.is_file():
            continue
        try:
            lines += ignore.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
    if not lines:
        return None
    import pathspec  # here: a scan of named files (pre-commit) walks no folder

    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:
        # git skips a line it cannot read (a lone "!"); keep every line that is valid.
        return pathspec.GitIgnoreSpec.from_lines(line for line in lines if _valid_pattern(line))


def _valid_pattern(line: str) -> bool:
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True


def _ignored(
    specs: list[tuple[str, pathspec.GitIgnoreSpec]], relpath: str, *, is_dir: bool
) -> bool:
    for base, spec in specs:
        if base and not relpath.startswith(base + "/"):
            continue
        local = relpath[len(base) + 1 :] if base else relpath
        if spec.match_file(local + "/" if is_dir else local):
            return True
    return False


def in_fixture_dir(rel_dir: str, patterns: tuple[str, ...]) -> bool:
    """Whether a repo-relative folder lies in a test-fixture or template folder.

    A pattern without a slash is a glob on one folder name (``fixtures``, ``*{{*}}*``); a
    pattern with slashes matches consecutive folder names anywhere in the path (``tests/data``).
    """
    if not rel_dir or not patterns:
        return False
    return _fixture_regex(patterns).search("/" + rel_dir.lower() + "/") is not None


@functools.lru_cache(maxsize=64)
def _fixture_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for all patterns: each piece a whole folder name, pieces consecutive."""

    def piece(glob: str) -> str:
        # fnmatch's translation, held to one folder name (its `*` would cross slashes).
        body = fnmatch.translate(glob).removeprefix("(?s:").removesuffix(")\\Z")
        return body.replace(".*", "[^/]*")

    alternatives = [
        "/" + "/".join(piece(p) for p in pattern.lower().strip("/").split("/")) + "/"
        for pattern in patterns
    ]
    return re.compile("(?=(?:" + "|".join(alternatives) + "))", re.DOTALL)


def discover(
    root: Path,
    *,
    exclude: tuple[str, ...] = (),
    max_file_bytes: int = 5_000_000,
    fixture_dirs: tuple[str, ...] = (),
) -> Discovery:
    """Walk `root` and return every input, Python file and notebook in it, sorted by path.

    Manifests and lockfiles inside folders matching `fixture_dirs` (test fixtures, project
    templates) are not inputs: they are listed in ``fixture_inputs`` instead. Python files there
    are still returned.
    """
    root = root.resolve()
    found = Discovery(root=root)
    specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        current = Path(dirpath)
        rel_dir = current.relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        if (spec := _load_gitignore(current)) is not None:
            specs.append((rel_dir, spec))
        kept = []
        for name in sorted(dirnames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            child = current / name
            if child.is_symlink() or _ignored(specs, rel, is_dir=True):
                continue
            if any(fnmatch.fnmatch(rel, pat) for pat in exclude):
                continue
            reason = _skip_reason(child, name)
            if reason is not None:
                if reason != "tool folder" and _holds_python(child):
                    found.skipped_dirs.append((rel, reason))
                continue
            kept.append(name)
        dirnames[:] = kept
        fixture = in_fixture_dir(rel_dir, fixture_dirs)
        for name in sorted(filenames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            kind = classify(rel)
            if fixture and kind is not None and _wanted(rel, specs, exclude):
                found.fixture_inputs.append(rel)
            _consider_file(
                found, root, os.path.join(dirpath, name),  # noqa: PTH118 - one per walked file
                rel, specs, exclude, max_file_bytes,
                kind=None if fixture else kind,
            )  # fmt: skip
    found.inputs.sort()
    found.fixture_inputs.sort()
    return found


def _wanted(
    rel: str, specs: list[tuple[str, pathspec.GitIgnoreSpec]], exclude: tuple[str, ...]
) -> bool:
    return not any(fnmatch.fnmatch(rel, pat) for pat in exclude) and not _ignored(
        specs, rel, is_dir=False
    )


def _consider_file(
    found: Discovery,
    root: Path,
    path: str,
    rel: str,
    specs: list[tuple[str, pathspec.GitIgnoreSpec]],
    exclude: tuple[str, ...],
    max_file_bytes: int,
    *,
    kind: InputKind | None,
) -> None:
    """File one walked file: an input of `kind` (None: not one), a Python file or a notebook.

    One ``lstat`` tells a symlink and the size (most files are no links): walking a
    10,000-file tree paid for a second system call and a path object per file before.
    """
    is_source = rel.endswith(".py")
    is_notebook = rel.endswith(".ipynb")
    if kind is None and not is_source and not is_notebook:
        return
    if any(fnmatch.fnmatch(rel, pat) for pat in exclude):
        return
    if _ignored(specs, rel, is_dir=False):
        return
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            try:
                Path(path).resolve(strict=True).relative_to(root)
            except (OSError, ValueError):
                found.skipped.append((rel, "symlink pointing outside the repository"))
                return
            info = os.stat(path)  # noqa: PTH116 - the link's target, as a string path
    except OSError as exc:
        found.skipped.append((rel, f"cannot read: {exc.strerror}"))
        return
    size = info.st_size
    # A lockfile is read whatever its size (50k-package locks exist): padding it must not hide it.
    limit = _LOCKFILE_LIMIT if kind is not None and kind.is_lockfile else max_file_bytes
    if size > max(limit, max_file_bytes):
        found.skipped.append((rel, f"larger than {max(limit, max_file_bytes)} bytes ({size})"))
        return
    if kind is not None:
        if _looks_binary(Path(path)):
            found.skipped.append((rel, "binary file"))
            return
        found.inputs.append((rel, kind))
    if is_source or is_notebook:
        found.stats[rel] = (size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
    if is_source:
        found.python_files.append(rel)
    if is_notebook:
        found.notebooks.append(rel)


def _looks_binary(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    return b"\x00" in head and looks_like_utf16(head) is None


__all__ = ["SKIP_DIRS", "Discovery", "classify", "discover"]
