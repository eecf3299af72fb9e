"""Read one release's license metadata from the index: its JSON document, else its METADATA file.

For a (project, version) the index's per-version JSON document (``{json_url}/{name}/{version}/
json``) is asked first. Where that answers 404 or fails (some indexes do not serve it), the
simple API's project page (JSON form preferred, PEP 503 HTML understood) is read for a file of
that version whose core metadata is served on its own (PEP 658 / PEP 714: ``core-metadata`` /
``data-core-metadata``, or the older ``dist-info-metadata`` spelling). Only that
``<file>.metadata`` document is fetched, never the archive, and its sha256 is checked when the
index gives one.

Answers are cached per version in the run cache (a release's metadata does not change); a
failure is never cached and comes back as a reason, so the caller reports it as not checked.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from auditor.errors import OfflineError
from auditor.index.simple_page import simple_page_files
from auditor.licenses.metadata import from_json_info, parse_metadata_text
from auditor.licenses.model import LicenseMetadata, Source
from auditor.model import normalize_name

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from auditor.cache import Cache

log = logging.getLogger(__name__)

CACHE_NAMESPACE = "license-metadata"
SIMPLE_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.1"
)
_METADATA_LIMIT = 2 * 1024 * 1024


class FetchError(Exception):
    """The index could not be asked (network, HTTP error, malformed answer)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseMetadata:
    """The answer for one release: its license fields and where they came from.

    `metadata` is None when the index serves no metadata for that version (`reason` says so).
    """

    metadata: LicenseMetadata | None
    source: Source
    detail: str = ""
    reason: str = ""
    from_cache: bool = False


def _file_version(filename: str) -> tuple[str, Version] | None:
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return str(name), version
        name, version = parse_sdist_filename(filename)
        return str(name), version
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def metadata_file(
    name: str, version: str, files: Sequence[Mapping[str, Any]]
) -> tuple[str, str | None] | None:
    """Return (URL, sha256 or None) of the served metadata of one of `version`'s files.

    Wheels come first (their METADATA is exact); an sdist's PKG-INFO is next.
    """
    try:
        wanted = Version(version)
    except InvalidVersion:
        return None
    chosen: list[tuple[int, str, Any]] = []
    for item in files:
        filename = str(item.get("filename") or "")
        parsed = _file_version(filename)
        if parsed is None or normalize_name(parsed[0]) != name or parsed[1] != wanted:
            continue
        meta = item.get("core-metadata", item.get("data-dist-info-metadata"))
        if meta is None:
            meta = item.get("dist-info-metadata")
        if not meta:
            continue
        rank = 0 if filename.endswith(".whl") else 1
        chosen.append((rank, filename, item))
    if not chosen:
        return None
    _rank, _filename, item = min(chosen, key=lambda c: (c[0], c[1]))
    meta = item.get("core-metadata", item.get("data-dist-info-metadata"))
    if meta is None:
        meta = item.get("dist-info-metadata")
    digest = meta.get("sha256") if isinstance(meta, dict) else None
    return str(item["url"]), digest if isinstance(digest, str) else None


class ReleaseFetcher:
    """Reads releases' license metadata from the index, with the run cache.

    Args:
        session: the run's HTTP session (offline sessions refuse to connect).
        cache: the run's on-disk cache.
        json_url: base of the JSON API (``.../pypi``).
        simple_url: base of the simple API (``.../simple``).
        cache_key_base: names the index in cache keys (without secrets).
        ttl: seconds a cached answer stays valid.
    """

    def __init__(
        self,
        *,
        session: requests.Session | Callable[[], requests.Session],
        cache: Cache,
        json_url: str,
        simple_url: str,
        cache_key_base: str,
        ttl: float,
        offline: bool | None = None,
    ) -> None:
        # A callable opens the session on the first request: a run answered from the cache
        # (offline) never imports the HTTP stack.
        self._session = session
        self._offline = offline
        self.cache = cache
        self.json_url = json_url.rstrip("/")
        self.simple_url = simple_url.rstrip("/")
        self.cache_key_base = cache_key_base
        self.ttl = ttl

    @property
    def session(self) -> requests.Session:
        """The HTTP session (opened now when it was given as a callable)."""
        if callable(self._session):
            self._session = self._session()
        return self._session

    @property
    def offline(self) -> bool:
        """Whether the run refuses network access (asked of the session when not given)."""
        if self._offline is not None:
            return self._offline
        return bool(getattr(self.session, "offline", False))

    def key(self, name: str, version: str) -> str:
        """The cache key of one release."""
        return f"{self.cache_key_base} {name} {version}"

    def cached(self, keys: list[str]) -> dict[str, ReleaseMetadata]:
        """Return the cached answers among `keys` (one read)."""
        found: dict[str, ReleaseMetadata] = {}
        for key, entry in self.cache.get_many(CACHE_NAMESPACE, keys).items():
            answer = _from_cache(entry)
            if answer is not None:
                found[key] = answer
        return found

    def store(self, answers: Mapping[str, ReleaseMetadata]) -> None:
        """Cache definite answers (never failures) in one transaction."""
        items = {
            key: _to_cache(answer)
            for key, answer in answers.items()
            if answer.source is not Source.NOT_CHECKED and not answer.from_cache
        }
        if items:
            self.cache.set_many(CACHE_NAMESPACE, items, ttl=self.ttl)

    def fetch(self, name: str, version: str) -> ReleaseMetadata:
        """Ask the index about one release (no cache): JSON document, then METADATA file."""
        if self.offline:
            return ReleaseMetadata(metadata=None, source=Source.NOT_CHECKED, reason="offline")
        problems: list[str] = []
        url = f"{self.json_url}/{quote(name, safe='')}/{quote(version, safe='')}/json"
        try:
            document = self._json(url)
        except FetchError as exc:
            problems.append(f"JSON API: {exc.reason}")
            document = None
        if document is not None and isinstance(document.get("info"), dict):
            return ReleaseMetadata(
                metadata=from_json_info(document["info"]),
                source=Source.INDEX_VERSION_JSON,
                detail="index JSON API, per-version document",
            )
        try:
            found = self._pep658(name, version)
        except FetchError as exc:
            problems.append(f"simple API: {exc.reason}")
            found = None
        if found is not None:
            return found
        if problems:
            return ReleaseMetadata(
                metadata=None, source=Source.NOT_CHECKED, reason="; ".join(problems)
            )
        return ReleaseMetadata(
            metadata=None,
            source=Source.INDEX_METADATA,
            reason="the index serves no metadata for this version (no per-version JSON, "
            "no METADATA file)",
        )

    # -- network -------------------------------------------------------------------------

    def _get(self, url: str, accept: str) -> requests.Response:
        import requests

        try:
            return self.session.get(url, headers={"Accept": accept})
        except OfflineError:
            raise FetchError("offline") from None
        except requests.Timeout:
            raise FetchError("the index timed out") from None
        except requests.ConnectionError:
            raise FetchError("could not connect to the index") from None
        except requests.RequestException as exc:
            raise FetchError(f"request to the index failed ({type(exc).__name__})") from None

    def _json(self, url: str) -> dict[str, Any] | None:
        response = self._get(url, "application/json")
        with response:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise FetchError(f"the index answered HTTP {response.status_code}")
            try:
                document = json.loads(response.content)
            except (ValueError, RecursionError):
                raise FetchError("the index sent invalid JSON") from None
        if not isinstance(document, dict):
            raise FetchError("the index sent an unexpected JSON document")
        return document

    def _pep658(self, name: str, version: str) -> ReleaseMetadata | None:
        page = f"{self.simple_url}/{quote(name, safe='')}/"
        response = self._get(page, SIMPLE_ACCEPT)
        with response:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise FetchError(f"the simple API answered HTTP {response.status_code}")
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            body = response.content
        files = _page_files(body, kind)
        found = metadata_file(name, version, files)
        if found is None:
            return None
        url, digest = found
        absolute = urljoin(page, url)
        absolute = absolute.split("#", 1)[0] + ".metadata"
        response = self._get(absolute, "*/*")
        with response:
            if response.status_code != 200:
                raise FetchError(f"the METADATA file answered HTTP {response.status_code}")
            data = response.content[: _METADATA_LIMIT + 1]
        if len(data) > _METADATA_LIMIT:
            raise FetchError("the METADATA file is too large")
        if digest is not None and hashlib.sha256(data).hexdigest() != digest.lower():
            raise FetchError("the METADATA file does not match the sha256 the index gives")
        return ReleaseMetadata(
            metadata=parse_metadata_text(data.decode("utf-8", "replace")),
            source=Source.INDEX_METADATA,
            detail="METADATA file served by the simple API (PEP 658)",
        )


def _page_files(body: bytes, kind: str) -> list[dict[str, Any]]:
    try:
        return simple_page_files(body, kind)
    except ValueError as exc:
        raise FetchError(str(exc)) from None


def _to_cache(answer: ReleaseMetadata) -> dict[str, Any]:
    return {
        "metadata": None if answer.metadata is None else answer.metadata.to_json(),
        "source": str(answer.source),
        "detail": answer.detail,
        "reason": answer.reason,
    }


def _from_cache(entry: Any) -> ReleaseMetadata | None:
    if not isinstance(entry, dict):
        return None
    try:
        source = Source(str(entry.get("source")))
    except ValueError:
        return None
    metadata = LicenseMetadata.from_json(entry.get("metadata"))
    if source is Source.NOT_CHECKED or (metadata is None and entry.get("metadata") is not None):
        return None
    return ReleaseMetadata(
        metadata=metadata,
        source=source,
        detail=str(entry.get("detail") or ""),
        reason=str(entry.get("reason") or ""),
        from_cache=True,
    )


__all__ = ["CACHE_NAMESPACE", "FetchError", "ReleaseFetcher", "ReleaseMetadata", "metadata_file"]
