"""Scan Python files and notebooks for imports: which modules, which symbols, and where.

This module runs the scan over many files and turns what parsing found into `ImportSite`
values tied to paths. Parsing one file lives next door: `auditor.imports.ast_walk` (Python
source, with the line-based fallback of `auditor.imports.recovery` for syntax `ast` rejects)
and `auditor.imports.notebooks` (``.ipynb`` code cells); `auditor.imports.records` holds what
they return and its cached form.

The cache (namespace `CACHE_NAMESPACE` of the shared cache) holds one entry per folder, keyed
by the folder's absolute path: for each file scanned there, its last seen stat (size,
mtime_ns, ctime_ns, inode), the sha256 of its bytes and its parsed imports. A warm scan of an
unchanged tree reads one entry per folder, stats the files and reads none of them; a file
whose stat changed is read and hashed, and parsed only when no entry of the scan holds its
digest (a ``git checkout`` or ``touch`` that left the bytes alone costs a read, not a parse).
A folder's entry is rewritten only when something in it changed. Known limit: a file rewritten
with the same size, inode and both timestamps unchanged (within the file system's timestamp
granularity) would be missed; to make that window unreachable in practice, a file whose ctime
or mtime is under `RECENT_SECONDS` old is not trusted by stat (read again next time), like
git's "racily clean" rule. Cold scans of many files run in a process pool, in chunks; small
scans stay serial because starting workers costs more than it saves.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from auditor.imports.ast_walk import parse_python
from auditor.imports.notebooks import parse_notebook
from auditor.imports.records import ParsedFile, site_rows
from auditor.model import CodeFileError

if TYPE_CHECKING:
    from auditor.cache import Cache

log = logging.getLogger(__name__)

# Where the folder entries live (stat, digest and `ParsedFile.to_cache` form of each file).
CACHE_NAMESPACE = "imports:dir:v1"
# A file changed this recently may change again within the same timestamp tick: not remembered.
RECENT_SECONDS = 2.0
# Where earlier versions kept one entry per file: emptied when a scan writes its entries.
_LEGACY_NAMESPACES = ("imports:v2", "imports:stat:v1")
# Bump when the shape or meaning of a cached entry changes (entries of other versions are
# ignored and rewritten).
SCANNER_VERSION = "7"
# Below this many files to parse, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 400
_CHUNK = 250


class ImportSite(NamedTuple):
    """One import statement (or dynamic import call) in one file.

    `module` is the full dotted module as written (for a relative import, the dots are kept:
    ``.models``); `top` its first component (empty for ``from . import x``). `symbols` are
    fully qualified names used from the module. `line` is 1-based; in a notebook it counts the
    lines of the code cells joined in order, and `cell` is the 0-based index of the code cell.
    `approximate` is set when the file did not parse and the site was read by the line-based
    fallback (`auditor.imports.recovery`). `lazy`: inside a function or method body (imported
    only when called); `in_except`: inside an ``except`` handler (imported only as a fallback).

    A named tuple rather than a frozen dataclass (build it with keywords): a warm scan makes
    tens of thousands of sites from the cache, and a tuple is several times cheaper to create.
    """

    module: str
    top: str
    path: str
    line: int
    symbols: tuple[str, ...] = ()
    type_only: bool = False
    optional: bool = False
    dynamic: bool = False
    relative: bool = False
    star: bool = False
    cell: int | None = None
    approximate: bool = False
    lazy: bool = False
    in_except: bool = False


# A file that could not be scanned (syntax error, bad encoding, NUL bytes, unreadable): the
# report's ``import_errors`` record, defined once in auditor.model.
ScanError = CodeFileError


@dataclass(slots=True)
class ScanResult:
    """Every import site found, the files that failed, and how much work the cache saved.

    `cached` files came from the cache (not parsed); `read` counts the files whose bytes were
    read (a warm scan of an unchanged tree reads none).
    """

    sites: list[ImportSite] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    files: int = 0
    parsed: int = 0
    cached: int = 0
    read: int = 0


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: AST nodes hold no cycles, and its passes cost a third of the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse(relpath: str, data: bytes) -> ParsedFile:
    return parse_notebook(data) if relpath.endswith(".ipynb") else parse_python(data)


def _digest(data: bytes, relpath: str) -> str:
    kind = "nb" if relpath.endswith(".ipynb") else "py"
    return f"{kind}:{hashlib.sha256(data).hexdigest()}"


# What parsing one file gives the scan: (relpath, digest, cached form); no digest if unread.
_Parsed = tuple[str, str, dict[str, Any]]


def _parse_chunk(root: str, relpaths: list[str]) -> list[_Parsed]:
    """Worker: read, hash and parse each file; returns (relpath, digest, cached form)."""
    with _gc_paused():
        return [_parse_one(root, relpath) for relpath in relpaths]


def _parse_one(root: str, relpath: str, data: bytes | None = None) -> _Parsed:
    """Read (unless given), hash and parse one file into its cached form."""
    if data is None:
        try:
            # os.path and open() rather than pathlib: this runs once per file of a cold scan.
            with open(os.path.join(root, relpath), "rb") as handle:  # noqa: PTH118, PTH123
                data = handle.read()
        except OSError as exc:
            return relpath, "", ParsedFile(error=f"cannot read: {exc.strerror}").to_cache()
    return relpath, _digest(data, relpath), _parse(relpath, data).to_cache()


def _run_pool(root: Path, todo: list[str], workers: int) -> Iterable[_Parsed]:
    from concurrent.futures import ProcessPoolExecutor  # multiprocessing: only when it runs

    chunks = [todo[i : i + _CHUNK] for i in range(0, len(todo), _CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done in pool.map(_parse_chunk, [str(root)] * len(chunks), chunks):
            yield from done


_make_site = ImportSite._make


def _from_form(relpath: str, form: dict[str, Any]) -> tuple[list[ImportSite], list[ScanError]]:
    """Build the sites and errors of one file from its cached form (raises when damaged)."""
    errors: list[ScanError] = []
    rows = site_rows(form)
    error = form.get("error")
    if error is not None:
        errors.append(
            ScanError(path=relpath, line=form.get("line"), message=error, recovered=len(rows))
        )
    cell_errors = form.get("cell_errors")
    if cell_errors:
        counts = form.get("cell_recovered") or [0] * len(cell_errors)
        for problem, count in zip(cell_errors, counts, strict=True):
            errors.append(ScanError(path=relpath, line=None, message=problem, recovered=count))
    sites = [
        _make_site(
            (
                module,
                "" if head[3] else module.partition(".")[0],
                relpath,
                line,
                symbols,
                *head,
                cell,
                *tail,
            )
        )
        for module, line, symbols, head, cell, tail in rows
    ]
    return sites, errors


_DAMAGED = (TypeError, KeyError, IndexError, AttributeError, ValueError)
# A file's stat as remembered: size, mtime_ns, ctime_ns, inode; None when not to be trusted.
_Stat = tuple[int, int, int, int]


def _folder_files(value: object) -> dict[str, list[Any]]:
    """Return a stored folder entry's files (name -> [*stat, digest, form]); {} if unusable."""
    if not isinstance(value, dict) or value.get("v") != SCANNER_VERSION:
        return {}
    files = value.get("files")
    return files if isinstance(files, dict) else {}


@dataclass(slots=True)
class _Folder:
    """One folder of the scan: its cache key, what the cache held, what this scan saw."""

    key: str
    stored: dict[str, list[Any]]
    seen: dict[str, list[Any]] = field(default_factory=dict)
    changed: bool = False


class _Scan:
    """The state of one `scan_files` call (kept apart so each step stays short)."""

    def __init__(
        self,
        root: Path,
        paths: list[str],
        cache: Cache | None,
        known_stats: Mapping[str, _Stat] | None = None,
    ) -> None:
        self.base = str(root)
        self.known_stats = known_stats or {}
        self.paths = paths
        self.cache = cache
        self.result = ScanResult(files=len(paths))
        self.done: dict[str, tuple[list[ImportSite], list[ScanError]]] = {}
        self.forms: dict[str, tuple[str, dict[str, Any]]] = {}  # relpath -> (digest, form)
        self.stats: dict[str, _Stat] = {}
        self.folders: dict[str, _Folder] = {}

    def load(self) -> None:
        """Read the folder entries of every scanned folder, in one batch."""
        keys = {
            folder: os.path.abspath(os.path.join(self.base, folder))  # noqa: PTH100, PTH118
            for folder in {relpath.rpartition("/")[0] for relpath in self.paths}
        }
        stored = self.cache.get_many(CACHE_NAMESPACE, list(keys.values())) if self.cache else {}
        self.folders = {f: _Folder(key, _folder_files(stored.get(key))) for f, key in keys.items()}

    def match(self) -> list[str]:
        """Stat every file; take the unchanged ones from the cache; return the others."""
        result = self.result
        changed: list[str] = []
        base = self.base
        known = self.known_stats
        for relpath in self.paths:
            folder_name, _, name = relpath.rpartition("/")
            folder = self.folders[folder_name]
            stat = known.get(relpath)
            if stat is None:
                try:
                    st = os.stat(os.path.join(base, relpath))  # noqa: PTH116, PTH118 - hot loop
                except OSError as exc:
                    result.errors.append(
                        ScanError(path=relpath, line=None, message=f"cannot read: {exc.strerror}")
                    )
                    folder.changed = True
                    continue
                stat = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            self.stats[relpath] = stat
            old = folder.stored.get(name)
            if (
                type(old) is list
                and len(old) == 6
                and old[0] == stat[0]
                and old[1] == stat[1]
                and old[2] == stat[2]
                and old[3] == stat[3]
            ):
                try:
                    self.done[relpath] = _from_form(relpath, old[5])
                except _DAMAGED:
                    pass
                else:
                    folder.seen[name] = old
                    continue
            folder.changed = True
            changed.append(relpath)
        for folder in self.folders.values():
            if not folder.changed and len(folder.seen) != len(folder.stored):
                folder.changed = True  # a file was removed since: rewrite the entry
        result.cached = len(self.done)
        return changed

    def by_digest(self) -> dict[str, Any]:
        """Every parsed form the stored entries hold, by content digest."""
        known: dict[str, Any] = {}
        for folder in self.folders.values():
            for old in folder.stored.values():
                if type(old) is list and len(old) == 6 and isinstance(old[4], str):
                    known.setdefault(old[4], old[5])
        return known

    def read(self, changed: list[str]) -> tuple[list[str], dict[str, bytes]]:
        """Read and hash the changed files; take the ones whose bytes the cache knows."""
        known = self.by_digest()
        if not known:
            return changed, {}  # nothing to match against: the parse reads them
        todo: list[str] = []
        contents: dict[str, bytes] = {}
        for relpath in changed:
            try:
                with open(os.path.join(self.base, relpath), "rb") as handle:  # noqa: PTH118, PTH123
                    data = handle.read()
            except OSError as exc:
                self.result.errors.append(
                    ScanError(path=relpath, line=None, message=f"cannot read: {exc.strerror}")
                )
                continue
            self.result.read += 1
            digest = _digest(data, relpath)
            form = known.get(digest)
            if form is not None:
                try:
                    self.done[relpath] = _from_form(relpath, form)
                except _DAMAGED:
                    pass
                else:
                    self.forms[relpath] = (digest, form)
                    self.result.cached += 1
                    continue
            todo.append(relpath)
            contents[relpath] = data
        return todo, contents

    def parse(self, todo: list[str], contents: dict[str, bytes], workers: int) -> None:
        """Parse what is left, in a process pool when it is worth it.

        Pooled results are taken in as they arrive, so building their sites overlaps the
        workers' parsing; if the pool breaks, what it did not deliver is parsed serially.
        """
        self.result.parsed = len(todo)
        left = todo
        # A daemon process (a fleet worker) may not start children: parse serially there.
        if workers > 1 and len(todo) >= PARALLEL_THRESHOLD and not _in_daemon():
            # Workers read their files (cheaper than pickling the bytes) and hash what they
            # read, so a file changed mid-scan is cached under the content actually parsed.
            from concurrent.futures.process import BrokenProcessPool

            try:
                for item in _run_pool(Path(self.base), todo, workers):
                    self._take(item, contents)
            except (BrokenProcessPool, OSError) as exc:
                log.warning("import scan: process pool unavailable (%s); scanning serially", exc)
                left = [rel for rel in todo if rel not in self.done]
            else:
                left = []
        for relpath in left:
            self._take(_parse_one(self.base, relpath, contents.get(relpath)), contents)

    def _take(self, item: _Parsed, contents: dict[str, bytes]) -> None:
        relpath, digest, form = item
        self.done[relpath] = _from_form(relpath, form)
        if digest:  # parse errors depend on the content only: cached
            self.forms[relpath] = (digest, form)
            self.result.read += relpath not in contents  # read by the parse itself

    def store(self) -> None:
        """Write back the entry of every folder where something changed, in one batch."""
        if self.cache is None:
            return
        recent = int((time.time() - RECENT_SECONDS) * 1e9)
        for relpath, (digest, form) in self.forms.items():
            folder_name, _, name = relpath.rpartition("/")
            stat: Any = self.stats[relpath]
            if not (stat[1] < recent and stat[2] < recent):
                stat = (None, None, None, None)  # too recent to trust: read again next time
            self.folders[folder_name].seen[name] = [*stat, digest, form]
        entries = {
            folder.key: {"v": SCANNER_VERSION, "files": folder.seen}
            for folder in self.folders.values()
            if folder.changed
        }
        if entries:
            self.cache.set_many(CACHE_NAMESPACE, entries)
            for namespace in _LEGACY_NAMESPACES:  # the per-file layout of earlier versions
                self.cache.delete_namespace(namespace)

    def finish(self) -> ScanResult:
        """Put the sites and errors together in the order of the paths given."""
        result = self.result
        sites = result.sites
        for relpath in self.paths:
            found = self.done.get(relpath)
            if found is not None:
                sites.extend(found[0])
                result.errors.extend(found[1])
        for error in result.errors:
            if error.recovered:
                log.warning("%s: imports read approximately: %s", error.path, error.message)
            else:
                log.warning("%s: imports not scanned: %s", error.path, error.message)
        return result


def _in_daemon() -> bool:
    import multiprocessing

    return bool(multiprocessing.current_process().daemon)


def default_workers() -> int:
    """Return the worker count for cold scans: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def scan_files(
    root: Path,
    python_files: Sequence[str],
    *,
    notebooks: Sequence[str] = (),
    cache: Cache | None = None,
    workers: int | None = None,
    stats: Mapping[str, tuple[int, int, int, int]] | None = None,
) -> ScanResult:
    """Scan `python_files` and `notebooks` (repo-relative) under `root` for imports.

    Files unchanged since the last scan (by stat, or by content) come from `cache`; the rest
    are parsed, in a process pool when there are at least `PARALLEL_THRESHOLD` of them and
    `workers` allows (default: the usable CPUs), and written back to the cache in one batch.
    `stats` holds what the discovery walk already read of the files (size, mtime_ns, ctime_ns,
    inode); the others are stat-ed here.
    """
    scan = _Scan(root, [*python_files, *notebooks], cache, stats)
    with _gc_paused():
        scan.load()
        changed = scan.match()
        todo, contents = scan.read(changed) if changed else ([], {})
        scan.parse(todo, contents, default_workers() if workers is None else max(1, workers))
        scan.store()
        result = scan.finish()
        # Free the cached forms while the collector is paused: by reference counting, instead
        # of one collection walking every object the scan allocated.
        del scan, contents
    return result


__all__ = [
    "CACHE_NAMESPACE",
    "ImportSite",
    "ScanError",
    "ScanResult",
    "default_workers",
    "scan_files",
]
