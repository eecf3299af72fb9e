"""The modules a distribution's wheel provides, read from the index without installing anything.

For each wanted (distribution, version) -- the lockfile's pin, or the newest release for a
declared name without one -- the index's simple API (JSON form preferred, PEP 503 HTML
understood) names the wheel files. One wheel of that version is chosen: a pure ``none-any``
one first, then Linux x86-64 (a platform wheel can be a shell: tensorflow's Windows wheel only
depends on another distribution), then the smallest. Only its zip central directory is read,
with HTTP range requests: the last 64 KiB, then the directory itself if it is larger. The
member names are the wheel's RECORD in all but name, so the importable top-level modules follow
from them (`modules_from_members`); a root ``.pth`` file (pywin32's) is read too, for the
folders it puts on ``sys.path``. Nothing is extracted to disk, imported or executed. An index
that ignores range requests gets the whole wheel read, up to the size cap, and refused beyond.

Answers are kept in the run cache (a pinned version's wheel never changes: 90 days; the newest
release: a week; "no wheel": a day). Offline, only the cache answers. Failures are never cached
and come back in `WheelModules.failed`, so the imports check can say what it could not know.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from auditor.errors import OfflineError
from auditor.model import normalize_name

if TYPE_CHECKING:
    import requests

    from auditor.cache import Cache

log = logging.getLogger(__name__)

CACHE_NAMESPACE = "wheel-modules:v1"
SIMPLE_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.1"
)
TAIL_BYTES = 65536
DEFAULT_MAX_BYTES = 8_000_000
_PINNED_TTL = 90 * 86400.0
_LATEST_TTL = 7 * 86400.0
_NO_WHEEL_TTL = 86400.0
# Top-level folders some wheels ship by mistake; nobody imports them from a dependency.
_NOT_MODULES = frozenset({"test", "tests", "testing", "doc", "docs", "example", "examples",
                          "benchmark", "benchmarks", "bench", "__pycache__"})  # fmt: skip
_MODULE_FILE = re.compile(r"^([A-Za-z_]\w*)(?:\.[\w-]+)*\.(?:py|pyc|so|pyd)$")
_MAX_DEPTH = 4


class WheelError(Exception):
    """A wheel's module list could not be learned (the reason is the message)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WheelModules:
    """What the wheels of the wanted distributions provide.

    Attributes:
        modules: distribution -> the module paths its wheel provides (top-level names, and for
            namespace packages the dotted path down to the first regular package).
        wheels: distribution -> the wheel file read.
        no_wheel: distributions the index has no wheel for (their modules cannot be known).
        failed: distribution -> why its wheel could not be read (offline, network, too big).
        cached: how many answers came from the cache.
    """

    modules: Mapping[str, frozenset[str]] = field(default_factory=dict)
    wheels: Mapping[str, str] = field(default_factory=dict)
    no_wheel: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)
    cached: int = 0


def modules_from_members(names: Iterable[str]) -> frozenset[str]:
    """Return the importable module paths of a wheel from its member names.

    ``pkg/__init__.py`` gives ``pkg``; ``mod.py`` and ``_speedups.cpython-312-x86_64.so`` give
    ``mod`` and ``_speedups``; ``*.data/purelib/`` and ``platlib/`` count as the root. A
    top-level folder without ``__init__`` is a namespace: ``google/protobuf/__init__.py`` gives
    ``google.protobuf``, never ``google`` alone. Type-stub folders (``x-stubs``), dist-info and
    test or doc folders give nothing.
    """
    files: list[list[str]] = []
    for name in names:
        parts = [p for p in name.replace("\\", "/").split("/") if p]
        if not parts or parts[0].endswith(".dist-info"):
            continue
        if parts[0].endswith(".data"):
            if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                continue
            parts = parts[2:]
        if _MODULE_FILE.match(parts[-1]):
            files.append(parts)
    regular = {
        "/".join(parts[:-1])
        for parts in files
        if len(parts) > 1 and parts[-1].split(".")[0] == "__init__"
    }
    found: set[str] = set()
    for parts in files:
        dirs, stem = parts[:-1], _MODULE_FILE.match(parts[-1])
        path = [*dirs, stem.group(1)] if stem and stem.group(1) != "__init__" else dirs
        if not path or path[0] in _NOT_MODULES or not all(p.isidentifier() for p in path):
            continue
        depth = next((i for i in range(1, len(dirs) + 1) if "/".join(dirs[:i]) in regular), None)
        keep = path[:depth] if depth is not None else path
        found.add(".".join(keep[:_MAX_DEPTH]))
    return frozenset(found)


def parse_simple_page(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """Return the files of a simple-API project page: filename, url, size (JSON only), yanked."""
    from auditor.index.simple_page import simple_page_files  # html.parser: only when asked

    try:
        return simple_page_files(body, content_type)
    except ValueError as exc:
        raise WheelError(str(exc)) from None


def choose_wheel(
    name: str, version: str | None, files: Iterable[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """Pick the wheel to read: of `version` (else the newest final release), pure first."""
    wheels: list[tuple[Version, Mapping[str, Any]]] = []
    for item in files:
        filename = str(item.get("filename") or "")
        if not filename.endswith(".whl"):
            continue
        try:
            dist, found, _build, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            continue
        if normalize_name(dist) != name:
            continue
        if version is None and (found.is_prerelease or item.get("yanked")):
            continue
        wheels.append((found, {**item, "_pure": any(t.abi == "none" for t in tags)}))
    if version is not None:
        try:
            wanted = Version(version)
        except ValueError:
            return None
        wheels = [w for w in wheels if w[0] == wanted]
    elif wheels:
        newest = max(v for v, _ in wheels)
        wheels = [w for w in wheels if w[0] == newest]
    if not wheels:
        return None
    big = float("inf")
    return min(
        (w for _, w in wheels),
        key=lambda w: (
            not w["_pure"],
            _platform_rank(str(w["filename"])),
            w.get("size") or big,
            str(w["filename"]),
        ),
    )


def _platform_rank(filename: str) -> int:
    """Rank a platform wheel: Linux x86-64 first (the most complete), Windows last.

    Some projects ship a Windows wheel that is only a shell depending on another distribution
    (tensorflow's on ``tensorflow-intel``), so its module list says nothing.
    """
    platform = filename.removesuffix(".whl").rpartition("-")[2]
    if "linux" in platform and "x86_64" in platform:
        return 0
    if "linux" in platform:
        return 1
    if "macosx" in platform:
        return 2
    return 3


def _pth_modules(members: list[str], read: Callable[[str], bytes]) -> set[str]:
    """Modules a wheel's root ``.pth`` files put on ``sys.path`` (pywin32's ``win32/lib``)."""
    found: set[str] = set()
    for name in members:
        if "/" in name or not name.endswith(".pth"):
            continue
        try:
            text = read(name).decode("utf-8", "replace")
        except (WheelError, zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError):
            continue
        for line in text.splitlines():
            folder = line.strip().strip("/")
            if not folder or folder.startswith(("#", "import")) or ".." in folder:
                continue
            inner = [m[len(folder) + 1 :] for m in members if m.startswith(folder + "/")]
            found |= modules_from_members(inner)
    return found


class _RemoteFile(io.RawIOBase):
    """A read-only, seekable view of a remote file that fetches byte ranges on demand."""

    def __init__(self, size: int, fetch: Callable[[int, int], bytes], tail: bytes) -> None:
        super().__init__()
        self.size = size
        self.pos = 0
        self._fetch = fetch
        self._chunks: list[tuple[int, bytes]] = [(size - len(tail), tail)]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, min(self.size, base + offset))
        return self.pos

    def readinto(self, buffer: Any) -> int:
        end = min(self.size, self.pos + len(buffer))
        if end <= self.pos:
            return 0
        data = self._read(self.pos, end)
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)

    def _read(self, start: int, end: int) -> bytes:
        for offset, chunk in self._chunks:
            if offset <= start and end <= offset + len(chunk):
                return chunk[start - offset : end - offset]
        data = self._fetch(start, end - 1)
        self._chunks.append((start, data))
        return data[: end - start]


@dataclass(slots=True)
class WheelReader:
    """Reads module lists of wheels from one index (simple API base URL) over `session`.

    Give `session`, or `open_session` to open it only when a wheel is really read (a run
    that finds every answer in the cache, or is offline, never pays for an HTTP session).
    """

    index_url: str
    session: requests.Session | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    open_session: Callable[[], requests.Session] | None = None
    _spent: dict[str, int] = field(default_factory=dict)

    def _http(self) -> requests.Session:
        if self.session is None:
            if self.open_session is None:
                raise WheelError("no HTTP session to read wheels with")
            self.session = self.open_session()
        return self.session

    def modules(self, name: str, version: str | None) -> tuple[frozenset[str], str] | None:
        """Return (module paths, wheel file name), or None when the index has no such wheel.

        Raises `WheelError` when the index or the file could not be read.
        """
        page = f"{self.index_url.rstrip('/')}/{quote(name, safe='')}/"
        response = self._get(page, {"Accept": SIMPLE_ACCEPT})
        with response:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise WheelError(f"the simple API answered HTTP {response.status_code}")
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            files = parse_simple_page(response.content, kind)
        chosen = choose_wheel(name, version, files)
        if chosen is None:
            return None
        url = urljoin(page, str(chosen["url"]))
        url = urlunsplit(urlsplit(url)._replace(fragment=""))
        return self._modules(url), str(chosen["filename"])

    def _get(
        self, url: str, headers: Mapping[str, str], *, stream: bool = False
    ) -> requests.Response:
        import requests  # here: only a run that reads wheels pays for importing it

        try:
            return self._http().get(url, headers=dict(headers), stream=stream)
        except OfflineError:
            raise WheelError("offline") from None
        except requests.RequestException as exc:
            raise WheelError(f"request to the index failed ({type(exc).__name__})") from None

    def _body(self, response: requests.Response, url: str) -> bytes:
        import requests  # here: see _get

        chunks: list[bytes] = []
        try:
            for chunk in response.iter_content(chunk_size=65536):
                self._spent[url] = self._spent.get(url, 0) + len(chunk)
                if self._spent[url] > self.max_bytes:
                    raise WheelError(f"wheel larger than the {self.max_bytes}-byte read cap")
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise WheelError(f"reading the wheel failed ({type(exc).__name__})") from None
        return b"".join(chunks)

    def _range(self, url: str, spec: str) -> tuple[bytes, int | None]:
        """GET ``Range: bytes=<spec>``; return the body and the file's total size (206)."""
        response = self._get(url, {"Range": f"bytes={spec}"}, stream=True)
        with response:
            if response.status_code == 206:
                total = response.headers.get("Content-Range", "").rpartition("/")[2]
                return self._body(response, url), int(total) if total.isdigit() else None
            if response.status_code == 200:
                return self._body(response, url), None
            raise WheelError(f"the wheel's host answered HTTP {response.status_code}")

    def _modules(self, url: str) -> frozenset[str]:
        tail, total = self._range(url, f"-{TAIL_BYTES}")
        if total is None:  # the host ignored the range: `tail` is the whole wheel
            source: io.IOBase = io.BytesIO(tail)
        else:

            def fetch(start: int, end: int) -> bytes:
                data, _ = self._range(url, f"{start}-{end}")
                return data

            source = _RemoteFile(total, fetch, tail)
        try:
            with zipfile.ZipFile(source) as archive:
                members = archive.namelist()
                extra = _pth_modules(members, archive.read)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise WheelError(f"not a readable wheel ({exc})") from None
        return modules_from_members(members) | extra


def _cache_key(index_url: str, name: str, version: str | None) -> str:
    parts = urlsplit(index_url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    base = urlunsplit(parts._replace(netloc=netloc)).rstrip("/")
    return f"{base} {name} {version or 'latest'}"


def read_wheel_modules(
    wanted: Mapping[str, str | None],
    *,
    reader: WheelReader,
    cache: Cache,
    offline: bool,
    max_workers: int = 8,
) -> WheelModules:
    """Learn what the wheels of `wanted` (distribution -> version or None) provide."""
    keys = {name: _cache_key(reader.index_url, name, version) for name, version in wanted.items()}
    stored = cache.get_many(CACHE_NAMESPACE, list(keys.values())) if keys else {}
    modules: dict[str, frozenset[str]] = {}
    wheels: dict[str, str] = {}
    no_wheel: list[str] = []
    failed: dict[str, str] = {}
    todo: list[str] = []
    cached = 0
    for name in sorted(wanted):
        entry = stored.get(keys[name])
        if isinstance(entry, dict) and ("modules" in entry or entry.get("no_wheel")):
            cached += 1
            if entry.get("no_wheel"):
                no_wheel.append(name)
            else:
                modules[name] = frozenset(str(m) for m in entry["modules"])
                wheels[name] = str(entry.get("wheel", ""))
        elif offline:
            failed[name] = "offline"
        else:
            todo.append(name)

    def one(name: str) -> tuple[str, tuple[frozenset[str], str] | str | None]:
        try:
            return name, reader.modules(name, wanted[name])
        except WheelError as exc:
            return name, str(exc)

    if todo:
        with ThreadPoolExecutor(max(1, min(max_workers, len(todo))), "wheels") as pool:
            answers = list(pool.map(one, todo))
        for name, answer in answers:
            ttl = _PINNED_TTL if wanted[name] else _LATEST_TTL
            if isinstance(answer, str):
                log.debug("wheel modules of %s unavailable: %s", name, answer)
                failed[name] = answer
            elif answer is None:
                no_wheel.append(name)
                cache.set(CACHE_NAMESPACE, keys[name], {"no_wheel": True}, ttl=_NO_WHEEL_TTL)
            else:
                modules[name], wheels[name] = answer
                value = {"modules": sorted(answer[0]), "wheel": answer[1]}
                cache.set(CACHE_NAMESPACE, keys[name], value, ttl=ttl)
    return WheelModules(
        modules=modules,
        wheels=wheels,
        no_wheel=tuple(sorted(no_wheel)),
        failed=failed,
        cached=cached,
    )


__all__ = [
    "CACHE_NAMESPACE",
    "WheelError",
    "WheelModules",
    "WheelReader",
    "choose_wheel",
    "modules_from_members",
    "parse_simple_page",
    "read_wheel_modules",
]
