"""Where a distribution's code is: the installed copy, or a wheel unpacked from the cache.

Nothing here imports or runs the package: files are listed from the ``RECORD`` (installed) or the
zip directory (wheel) and read as text. `PackageSource` also carries what the slicer and the
license seam need from the metadata: the declared license, the license files and the authors.
"""

from __future__ import annotations

import importlib.metadata as md
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import Message
from pathlib import Path, PurePosixPath

from auditor.errors import AuditorError
from auditor.model import normalize_name

_LICENSE_NAMES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")
_NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
_MAX_FILE_BYTES = 2_000_000


class SourceNotFound(AuditorError):  # noqa: N818 - reads as the condition
    """The distribution is neither installed nor in the wheel cache."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageSource:
    """A distribution's files on disk, and the metadata the replacement needs.

    Attributes:
        name: PEP 503 name; version: the installed or wheel version.
        root: the folder the import names resolve from (site-packages, or the unpacked wheel).
        files: the ``.py`` files, relative to `root` (posix paths).
        native: compiled extension files (a package with any is not pure Python).
        license: the declared license (``License-Expression``, else ``License``, else the
            classifiers' names), or None.
        license_texts: (file name, text) of the license files shipped in the distribution.
        authors: author and maintainer fields, as written.
        requires: the distribution's own requirements (``Requires-Dist``).
        origin: ``installed`` or ``wheel:<file name>``.
    """

    name: str
    version: str
    root: Path
    files: tuple[str, ...]
    native: tuple[str, ...] = ()
    license: str | None = None
    license_texts: tuple[tuple[str, str], ...] = ()
    authors: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    classifiers: tuple[str, ...] = ()
    origin: str = "installed"
    description: str = ""

    @property
    def pure(self) -> bool:
        """Whether the distribution ships no compiled extension."""
        return not self.native

    def module_file(self, dotted: str) -> Path | None:
        """Return the file defining module `dotted` (``pkg.sub``), or None."""
        parts = dotted.split(".")
        # A package folder wins over a module file of the same name, as in the import system.
        for candidate in ("/".join(parts) + "/__init__.py", "/".join(parts) + ".py"):
            if candidate in self.files:
                return self.root / candidate
        return None

    def is_module(self, dotted: str) -> bool:
        """Whether `dotted` names a module of this distribution."""
        return self.module_file(dotted) is not None

    def read(self, dotted: str) -> str:
        """Return the source text of module `dotted` (raises SourceNotFound when absent)."""
        path = self.module_file(dotted)
        if path is None:
            raise SourceNotFound(f"{self.name}: no module {dotted}")
        return _read_text(path)


def _read_text(path: Path) -> str:
    data = path.read_bytes()[:_MAX_FILE_BYTES]
    return data.decode("utf-8", errors="replace")


def _license_of(meta: Message) -> str | None:
    if expression := (meta.get("License-Expression") or "").strip():
        return expression
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 80:
        return text
    found = [
        c.rsplit("::", 1)[1].strip()
        for c in meta.get_all("Classifier") or ()
        if c.startswith("License ::") and c.count("::") >= 2
    ]
    return " AND ".join(found) if found else (text.splitlines()[0][:80] if text else None)


def _authors(meta: Message) -> tuple[str, ...]:
    fields = ("Author", "Author-email", "Maintainer", "Maintainer-email")
    return tuple(v.strip() for key in fields if (v := meta.get(key)) and v.strip())


def _is_license_file(relpath: str) -> bool:
    name = PurePosixPath(relpath).name.upper()
    in_meta = ".dist-info/" in relpath or "/licenses/" in relpath.lower()
    return in_meta and name.startswith(_LICENSE_NAMES)


def find_installed(name: str, paths: Sequence[str] | None = None) -> PackageSource:
    """Return the installed distribution `name` (on `paths`, default ``sys.path``).

    Raises:
        SourceNotFound: no such distribution is installed.
    """
    wanted = normalize_name(name)
    # Looked up by name (the finders match normalized names): no walk over every distribution.
    where = list(paths) if paths is not None else list(sys.path)
    for dist in md.distributions(context=md.DistributionFinder.Context(name=wanted, path=where)):
        if normalize_name(dist.metadata["Name"] or "") != wanted:
            continue
        records = [str(f) for f in dist.files or ()]
        root = Path(str(dist.locate_file("")))
        licenses = [f for f in records if _is_license_file(f)]
        return _build(
            wanted, dist.version, root, records, dist.metadata, licenses, origin="installed"
        )
    raise SourceNotFound(f"{name} is not installed in this environment")


def unpack_wheel(wheel: Path, into: Path) -> PackageSource:
    """Unpack a wheel (names checked: no absolute or parent paths) and describe it.

    Raises:
        SourceNotFound: the file is not a readable wheel.
    """
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            for member in members:
                target = PurePosixPath(member.filename)
                if target.is_absolute() or ".." in target.parts:
                    raise SourceNotFound(f"{wheel.name}: unsafe member {member.filename!r}")
            for member in members:
                if member.file_size <= _MAX_FILE_BYTES:
                    archive.extract(member, into)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SourceNotFound(f"{wheel.name}: not a readable wheel: {exc}") from exc
    records = [m.filename for m in members]
    meta_files = [f for f in records if f.endswith(".dist-info/METADATA")]
    if not meta_files:
        raise SourceNotFound(f"{wheel.name}: no .dist-info/METADATA")
    from email.parser import Parser

    meta = Parser().parsestr(_read_text(into / meta_files[0]))
    name = normalize_name(meta.get("Name") or wheel.name.split("-")[0])
    licenses = [f for f in records if _is_license_file(f)]
    return _build(
        name,
        meta.get("Version") or "",
        into,
        records,
        meta,
        licenses,
        origin=f"wheel:{wheel.name}",
    )


def _build(
    name: str,
    version: str,
    root: Path,
    records: Iterable[str],
    meta: Message | md.PackageMetadata,
    licenses: Iterable[str],
    *,
    origin: str,
) -> PackageSource:
    message = meta if isinstance(meta, Message) else _as_message(meta)
    items = [r for r in records if ".dist-info/" not in r and not r.startswith("..")]
    texts = []
    for relpath in sorted(set(licenses)):
        path = root / relpath
        if path.is_file():
            texts.append((PurePosixPath(relpath).name, _read_text(path)))
    return PackageSource(
        name=name,
        version=version,
        root=root,
        files=tuple(sorted(r for r in items if r.endswith(".py"))),
        native=tuple(sorted(r for r in items if r.endswith(_NATIVE_SUFFIXES))),
        license=_license_of(message),
        license_texts=tuple(texts),
        authors=_authors(message),
        requires=tuple(message.get_all("Requires-Dist") or ()),
        classifiers=tuple(message.get_all("Classifier") or ()),
        origin=origin,
        description=_description(message),
    )


def _description(message: Message) -> str:
    body = message.get_payload()
    text = body if isinstance(body, str) and body.strip() else message.get("Description") or ""
    return str(text)[:8000]


def _as_message(meta: md.PackageMetadata) -> Message:
    message = Message()
    for key in set(meta):
        for value in meta.get_all(key) or ():
            message[key] = value
    return message


def find_source(
    name: str,
    *,
    paths: Sequence[str] | None = None,
    wheels: Path | None = None,
    unpack_to: Path | None = None,
) -> PackageSource:
    """Return the installed distribution, else a wheel of it found in `wheels` (unpacked).

    Raises:
        SourceNotFound: neither is there.
    """
    try:
        return find_installed(name, paths)
    except SourceNotFound:
        if wheels is None or unpack_to is None:
            raise
    stem = normalize_name(name).replace("-", "_")
    for wheel in sorted(wheels.glob("*.whl")):
        if normalize_name(wheel.name.split("-")[0]).replace("-", "_") == stem:
            return unpack_wheel(wheel, unpack_to)
    raise SourceNotFound(f"{name} is neither installed nor in {wheels}")


__all__ = ["PackageSource", "SourceNotFound", "find_installed", "find_source", "unpack_wheel"]
