"""Read advisory data for ``auditor db import``/``update``: OSV zips, folders, manifests.

Three JSON shapes are recognised by content: OSV records (one per file, or a list), the
malicious-package manifest ``{name: null | [versions]}`` (stored as synthetic malicious
records), and a top-packages list ``{"rows": [{"project", "download_count"}]}`` (handed to the
reputation store). Zip members with unsafe names (``..``, absolute paths) or over the size limit
are rejected and reported, never extracted; a zip whose members inflate past the total limit (a
zip bomb) is refused as a whole, counted by the sizes its directory declares and by the bytes
actually inflated (a directory can lie).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any

from auditor.model import normalize_name

DEFAULT_MAX_MEMBER_BYTES = 10_000_000
DEFAULT_MAX_TOTAL_BYTES = 1_000_000_000


class ArchiveTooLargeError(ValueError):
    """A zip inflates past the total limit; nothing of it is imported."""


class JsonShape(enum.StrEnum):
    """What a JSON document holds."""

    OSV = "osv"
    MANIFEST = "malicious-manifest"
    POPULAR = "top-packages"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class Collected:
    """Records read from one import path, plus what was rejected and why."""

    source: str
    kind: str
    origin: str
    records: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def is_osv_record(data: Any) -> bool:
    """Whether `data` looks like one OSV record (an id plus OSV fields)."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("id"), str)
        and any(k in data for k in ("affected", "modified", "aliases", "withdrawn"))
    )


def classify(data: Any) -> JsonShape:
    """Tell the shape of a parsed JSON document."""
    if is_osv_record(data):
        return JsonShape.OSV
    if isinstance(data, list) and data and all(is_osv_record(item) for item in data):
        return JsonShape.OSV
    if isinstance(data, dict):
        rows = data.get("rows")
        if isinstance(rows, list) and all(
            isinstance(r, dict) and "project" in r for r in rows[:50]
        ):
            return JsonShape.POPULAR
        if data and all(
            isinstance(k, str)
            and (v is None or (isinstance(v, list) and all(isinstance(i, str) for i in v)))
            for k, v in data.items()
        ):
            return JsonShape.MANIFEST
    return JsonShape.UNKNOWN


def manifest_records(data: Mapping[str, Any], source: str) -> list[dict[str, Any]]:
    """Turn a malicious-package manifest into synthetic OSV records.

    ``null`` means every release is malicious; a list means only those releases.
    """
    now = dt.datetime.now(tz=dt.UTC).replace(microsecond=0).isoformat()
    records: list[dict[str, Any]] = []
    for raw_name, versions in sorted(data.items()):
        name = raw_name.strip()
        if not name:
            continue
        affected: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": name}}
        if versions is None:
            affected["ranges"] = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]
            what = "every release"
        else:
            affected["versions"] = sorted(set(versions))
            what = "releases " + ", ".join(affected["versions"])
        records.append(
            {
                "id": f"{source}:{normalize_name(name)}",
                "modified": now,
                "summary": f"{name} is listed as a malicious package by {source}",
                "details": f"{source} lists {what} of {name} as malicious.",
                "affected": [affected],
                "database_specific": {"auditor": {"kind": "malicious", "source": source}},
            }
        )
    return records


def unsafe_member(name: str) -> str | None:
    """Return why a zip member name is unsafe (traversal, absolute), or None if it is fine."""
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or PureWindowsPath(name).is_absolute() or PureWindowsPath(name).drive:
        return "absolute path"
    if ".." in posix.parts:
        return "path traversal (..)"
    return None


def _read_limited(handle: IO[bytes], limit: int) -> bytes | None:
    data = handle.read(limit + 1)
    return None if len(data) > limit else data


def iter_zip(
    path: Path, max_member_bytes: int, *, max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES
) -> Iterator[tuple[str, Any | None, str | None]]:
    """Yield (member, parsed JSON or None, problem or None) for each ``.json`` member.

    Raises:
        ArchiveTooLargeError: when the members inflate past `max_total_bytes` in all (checked
            on the declared sizes before reading, and on the bytes read while reading).
    """
    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        declared = sum(i.file_size for i in infos if i.file_size <= max_member_bytes and _wanted(i))
        if declared > max_total_bytes:
            raise ArchiveTooLargeError(
                f"{path.name}: refused: members inflate to {declared} bytes, over the total "
                f"limit of {max_total_bytes} (policy.advisories.max_total_bytes)"
            )
        inflated = 0
        for info in infos:
            where = f"{path.name}:{info.filename}"
            problem = unsafe_member(info.filename)
            if problem is not None:
                yield where, None, f"rejected: {problem}"
                continue
            if not _wanted(info):
                continue
            if info.file_size > max_member_bytes:
                yield where, None, f"rejected: {info.file_size} bytes, over {max_member_bytes}"
                continue
            try:
                with archive.open(info) as handle:
                    raw = _read_limited(handle, max_member_bytes)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                yield where, None, f"unreadable: {exc}"
                continue
            if raw is None:  # the header lied about the size
                yield where, None, f"rejected: over {max_member_bytes} bytes when inflated"
                inflated += max_member_bytes
            else:
                inflated += len(raw)
            if inflated > max_total_bytes:
                raise ArchiveTooLargeError(
                    f"{path.name}: refused: members inflate past the total limit of "
                    f"{max_total_bytes} bytes (policy.advisories.max_total_bytes)"
                )
            if raw is None:
                continue
            try:
                yield where, json.loads(raw), None
            except (ValueError, UnicodeDecodeError) as exc:
                yield where, None, f"invalid JSON: {exc}"


def _wanted(info: zipfile.ZipInfo) -> bool:
    return info.filename.lower().endswith(".json") and unsafe_member(info.filename) is None


def _add_osv(collected: Collected, where: str, data: Any) -> None:
    items = data if isinstance(data, list) else [data]
    for item in items:
        if is_osv_record(item):
            collected.records.append(item)
        else:
            collected.rejected.append(f"{where}: not an OSV record")


def collect_zip(
    path: Path,
    source: str,
    max_member_bytes: int,
    *,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
) -> Collected:
    """Read OSV records from a zip (OSV's ``all.zip`` layout or any zip of OSV JSON).

    A zip over the total limit yields no records, and one rejection saying so.
    """
    collected = Collected(source=source, kind="osv", origin=str(path))
    try:
        for where, data, problem in iter_zip(
            path, max_member_bytes, max_total_bytes=max_total_bytes
        ):
            if problem is not None:
                collected.rejected.append(f"{where}: {problem}")
            elif classify(data) is JsonShape.OSV:
                _add_osv(collected, where, data)
            else:
                collected.rejected.append(f"{where}: not an OSV record")
    except ArchiveTooLargeError as exc:
        collected.records.clear()
        collected.rejected = [str(exc)]
    except (zipfile.BadZipFile, OSError) as exc:
        collected.rejected.append(f"{path}: unreadable zip: {exc}")
    return collected


def collect_dir(
    path: Path,
    source: str,
    max_member_bytes: int,
    *,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
) -> Collected:
    """Read OSV records from every ``.json`` file (and zip) under a folder."""
    collected = Collected(source=source, kind="osv", origin=str(path))
    root = path.resolve()
    for file in sorted(path.rglob("*")):
        if file.is_symlink() or not file.is_file():
            continue
        if not file.resolve().is_relative_to(root):
            continue
        where = str(file.relative_to(path))
        if file.suffix.lower() == ".zip":
            inner = collect_zip(file, source, max_member_bytes, max_total_bytes=max_total_bytes)
            collected.records.extend(inner.records)
            collected.rejected.extend(inner.rejected)
            continue
        if file.suffix.lower() != ".json":
            continue
        if file.stat().st_size > max_member_bytes:
            collected.rejected.append(f"{where}: rejected: over {max_member_bytes} bytes")
            continue
        try:
            data = json.loads(file.read_bytes())
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            collected.rejected.append(f"{where}: invalid JSON: {exc}")
            continue
        if classify(data) is JsonShape.OSV:
            _add_osv(collected, where, data)
        else:
            collected.rejected.append(f"{where}: not an OSV record")
    return collected


__all__ = [
    "DEFAULT_MAX_MEMBER_BYTES",
    "DEFAULT_MAX_TOTAL_BYTES",
    "ArchiveTooLargeError",
    "Collected",
    "JsonShape",
    "classify",
    "collect_dir",
    "collect_zip",
    "is_osv_record",
    "iter_zip",
    "manifest_records",
    "unsafe_member",
]
