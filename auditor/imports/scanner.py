"""Scan Python files and notebooks for imports: which modules, which symbols, and where.

This module runs the scan over many files and turns what parsing found into `ImportSite`
values tied to paths. Parsing one file lives next door: `auditor.imports.ast_walk` (Python
source, with the line-based fallback of `auditor.imports.recovery` for syntax `ast` rejects)
and `auditor.imports.notebooks` (``.ipynb`` code cells); `auditor.imports.records` holds what
they return and its cached form.

Results are cached by the sha256 of each file's bytes (namespace ``imports:v2`` of the shared
cache, read and written in batches), so a warm re-scan parses only the files that changed. A
second namespace (``imports:stat:v1``) maps each file's absolute path to its last seen stat
(size, mtime_ns, ctime_ns, inode) and content digest, so a warm re-scan does not even read the
files whose stat is unchanged: it stats them and takes their digest from there. Known limit: a
file rewritten with the same size, inode and both timestamps unchanged (within the file system's
timestamp granularity) would be missed; to make that window unreachable in practice, a file
whose ctime or mtime is under `RECENT_SECONDS` old is not remembered by stat (read again next
time), like git's "racily clean" rule. Cold scans of many files run in a process pool, in
chunks; small scans stay serial because starting workers costs more than it saves.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.imports.ast_walk import parse_python
from auditor.imports.notebooks import parse_notebook
from auditor.imports.records import ParsedFile

if TYPE_CHECKING:
    from auditor.cache import Cache

log = logging.getLogger(__name__)

# Where parse results are cached (`ParsedFile.to_cache`); its version changes with that form.
CACHE_NAMESPACE = "imports:v3"
# Where each file's last seen stat and content digest are kept (keyed by absolute path).
STAT_NAMESPACE = "imports:stat:v1"
# A file changed this recently may change again within the same timestamp tick: not remembered.
RECENT_SECONDS = 2.0
# Bump when the shape or meaning of a cached record changes (it is part of every cache key).
SCANNER_VERSION = "6"
# Below this many files to parse, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 400
_CHUNK = 250


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportSite:
    """One import statement (or dynamic import call) in one file.

    `module` is the full dotted module as written (for a relative import, the dots are kept:
    ``.models``); `top` its first component (empty for ``from . import x``). `symbols` are
    fully qualified names used from the module. `line` is 1-based; in a notebook it counts the
    lines of the code cells joined in order, and `cell` is the 0-based index of the code cell.
    `approximate` is set when the file did not parse and the site was read by the line-based
    fallback (`auditor.imports.recovery`). `lazy`: inside a function or method body (imported
    only when called); `in_except`: inside an ``except`` handler (imported only as a fallback).
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


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanError:
    """A file that could not be scanned (syntax error, bad encoding, NUL bytes, unreadable).

    `recovered` counts the import sites the line-based fallback still read from a file with a
    syntax error (they are in the scan result, flagged approximate); the message says so too.
    """

    path: str
    line: int | None
    message: str
    recovered: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used in the report's ``import_errors`` section."""
        data: dict[str, Any] = {"path": self.path, "line": self.line, "message": self.message}
        if self.recovered:
            data["recovered_imports"] = self.recovered
        return data


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
    return f"{SCANNER_VERSION}:{kind}:{hashlib.sha256(data).hexdigest()}"


def _parse_chunk(root: str, relpaths: list[str]) -> list[tuple[str, str, ParsedFile]]:
    """Worker: read, hash and parse each file; returns (relpath, digest, parsed)."""
    out: list[tuple[str, str, ParsedFile]] = []
    with _gc_paused():
        for relpath in relpaths:
            _parse_one(root, relpath, out)
    return out


def _parse_one(root: str, relpath: str, out: list[tuple[str, str, ParsedFile]]) -> None:
    try:
        data = Path(root, relpath).read_bytes()
    except OSError as exc:
        out.append((relpath, "", ParsedFile(error=f"cannot read: {exc.strerror}")))
        return
    out.append((relpath, _digest(data, relpath), _parse(relpath, data)))


def _sites(relpath: str, parsed: ParsedFile, result: ScanResult) -> None:
    if parsed.error is not None:
        result.errors.append(
            ScanError(
                path=relpath,
                line=parsed.error_line,
                message=parsed.error,
                recovered=parsed.recovered,
            )
        )
    for problem, count in zip(parsed.cell_errors, parsed.cell_recovered, strict=True):
        result.errors.append(ScanError(path=relpath, line=None, message=problem, recovered=count))
    append = result.sites.append
    for record in parsed.imports:
        module = record.module
        append(
            ImportSite(
                module=module,
                top="" if record.relative else module.partition(".")[0],
                path=relpath,
                line=record.line,
                symbols=record.symbols,
                type_only=record.type_only,
                optional=record.optional,
                dynamic=record.dynamic,
                relative=record.relative,
                star=record.star,
                cell=record.cell,
                approximate=record.approximate,
                lazy=record.lazy,
                in_except=record.in_except,
            )
        )


def _run_pool(root: Path, todo: list[str], workers: int) -> Iterable[tuple[str, str, ParsedFile]]:
    chunks = [todo[i : i + _CHUNK] for i in range(0, len(todo), _CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done in pool.map(_parse_chunk, [str(root)] * len(chunks), chunks):
            yield from done


_Stat = tuple[int, int, int, int]


def _stat_key(base: str, relpath: str) -> str:
    return os.path.abspath(os.path.join(base, relpath))  # noqa: PTH100, PTH118 - hot loop


def _stat_digests(
    base: str, paths: Sequence[str], cache: Cache | None, result: ScanResult
) -> tuple[dict[str, _Stat], dict[str, str]]:
    """Stat every file; return the stats and the digests remembered for unchanged stats."""
    stats: dict[str, _Stat] = {}
    for relpath in paths:
        try:
            st = os.stat(os.path.join(base, relpath))  # noqa: PTH116, PTH118 - hot loop
        except OSError as exc:
            result.errors.append(
                ScanError(path=relpath, line=None, message=f"cannot read: {exc.strerror}")
            )
            continue
        stats[relpath] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    digests: dict[str, str] = {}
    if cache is None or not stats:
        return stats, digests
    keys = {_stat_key(base, rel): rel for rel in stats}
    for key, entry in cache.get_many(STAT_NAMESPACE, list(keys)).items():
        rel = keys[key]
        if isinstance(entry, list) and len(entry) == 5 and tuple(entry[:4]) == stats[rel]:
            digests[rel] = str(entry[4])
    return stats, digests


def _remember_stats(cache: Cache, base: str, seen: dict[str, tuple[_Stat, str]]) -> None:
    """Store each read file's stat and digest, except files changed too recently to trust."""
    recent = int((time.time() - RECENT_SECONDS) * 1e9)
    entries = {
        _stat_key(base, rel): [*stat, digest]
        for rel, (stat, digest) in seen.items()
        if stat[1] < recent and stat[2] < recent
    }
    if entries:
        cache.set_many(STAT_NAMESPACE, entries)


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
) -> ScanResult:
    """Scan `python_files` and `notebooks` (repo-relative) under `root` for imports.

    Files whose bytes were scanned before come from `cache`; the rest are parsed, in a process
    pool when there are at least `PARALLEL_THRESHOLD` of them and `workers` allows (default:
    the usable CPUs), and written back to the cache in one batch.
    """
    result = ScanResult()
    paths = [*python_files, *notebooks]
    result.files = len(paths)
    base = str(root)
    stats, digests = _stat_digests(base, paths, cache, result)
    known: dict[str, Any] = {}
    if cache is not None and digests:
        known = cache.get_many(CACHE_NAMESPACE, sorted(set(digests.values())))
    contents: dict[str, bytes] = {}
    unread = [rel for rel in stats if digests.get(rel) not in known]
    for relpath in unread:
        try:
            # os.path and open() rather than pathlib: this loop may run once per file per scan.
            with open(os.path.join(base, relpath), "rb") as handle:  # noqa: PTH118, PTH123
                data = handle.read()
        except OSError as exc:
            result.errors.append(
                ScanError(path=relpath, line=None, message=f"cannot read: {exc.strerror}")
            )
            digests.pop(relpath, None)
            continue
        digests[relpath] = _digest(data, relpath)
        contents[relpath] = data
    result.read = len(contents)
    if cache is not None and contents:
        fresh_digests = sorted({digests[r] for r in contents} - known.keys())
        known.update(cache.get_many(CACHE_NAMESPACE, fresh_digests))
        _remember_stats(cache, base, {r: (stats[r], digests[r]) for r in contents})
    todo = [rel for rel, dig in digests.items() if dig not in known]
    result.cached = len(digests) - len(todo)
    result.parsed = len(todo)
    workers = default_workers() if workers is None else max(1, workers)
    parsed_items: Iterable[tuple[str, str, ParsedFile]]
    pooled: list[tuple[str, str, ParsedFile]] | None = None
    if workers > 1 and len(todo) >= PARALLEL_THRESHOLD:
        # Workers re-read their files (cheaper than pickling the bytes) and hash what they
        # read, so a file changed mid-scan is cached under the content actually parsed.
        try:
            pooled = list(_run_pool(root, todo, workers))
        except (BrokenProcessPool, OSError) as exc:
            log.warning("import scan: process pool unavailable (%s); scanning serially", exc)
    if pooled is not None:
        parsed_items = pooled
    else:
        with _gc_paused():
            parsed_items = [(rel, digests[rel], _parse(rel, contents[rel])) for rel in todo]
    fresh: dict[str, Any] = {}
    parsed_by_path: dict[str, ParsedFile] = {}
    for relpath, digest, parsed in parsed_items:
        parsed_by_path[relpath] = parsed
        if digest and cache is not None:  # parse errors depend on the content only: cached
            fresh[digest] = parsed.to_cache()
    if cache is not None and fresh:
        cache.set_many(CACHE_NAMESPACE, fresh)
    for relpath in paths:
        if relpath in parsed_by_path:
            _sites(relpath, parsed_by_path[relpath], result)
        elif relpath in digests:
            _sites(relpath, ParsedFile.from_cache(known[digests[relpath]]), result)
    for error in result.errors:
        if error.recovered:
            log.warning("%s: imports read approximately: %s", error.path, error.message)
        else:
            log.warning("%s: imports not scanned: %s", error.path, error.message)
    return result


__all__ = [
    "CACHE_NAMESPACE",
    "STAT_NAMESPACE",
    "ImportSite",
    "ScanError",
    "ScanResult",
    "default_workers",
    "scan_files",
]
