"""The package index client: asks the configured index whether projects exist and what they hold.

Project metadata comes from the index's JSON API (``{json_url}/{name}/json``); the PEP 792
project status (archived, quarantined, deprecated) from the simple API (``{simple_url}/{name}/``,
JSON form preferred, HTML ``<meta name="pypi:project-status">`` understood). Both base URLs come
from the user's pip configuration through `auditor.config`; nothing here names a host.

Answers are cached in the one on-disk cache with a TTL. A 404 is a real answer (the project does
not exist) and is cached too; a failure (network, HTTP error, malformed JSON, offline) is never
cached and comes back as `LookupState.UNKNOWN` with a reason, so callers report it as not checked
instead of clean.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from auditor.errors import IndexError_, OfflineError
from auditor.index.model import (
    LookupState,
    ProjectInfo,
    ProjectLookup,
    ProjectStatus,
    Release,
    version_sort_key,
)
from auditor.model import DataSource, Incomplete, normalize_name

if TYPE_CHECKING:
    import requests

    from auditor.cache import Cache
    from auditor.context import RunContext

log = logging.getLogger(__name__)

CACHE_NAMESPACE = "index-project"
RELEASE_CACHE_NAMESPACE = "index-release"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
# Prefer the JSON form of the simple API; accept HTML from indexes that only serve that.
SIMPLE_ACCEPT = f"{SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
OFFLINE_REASON = "offline"


class IndexClient:
    """Looks projects up on the package index, with caching and a bounded thread pool.

    Args:
        session: the shared HTTP session (``auditor.http.make_session``); when it is offline,
            or None (an offline run: requests is then never imported), no request is made and
            only cached answers are used.
        cache: the shared on-disk cache.
        json_url: base of the JSON API (``.../pypi``), from `Config.index_json_url`.
        simple_url: base of the simple API (``.../simple``), from `Config.index_url`.
        max_workers: upper bound of concurrent requests.
        ttl: seconds a cached answer stays valid.
    """

    def __init__(
        self,
        *,
        session: requests.Session | None,
        cache: Cache,
        json_url: str,
        simple_url: str,
        max_workers: int,
        ttl: float = 6 * 3600,
    ) -> None:
        self.session = session
        self.cache = cache
        self.json_url = json_url.rstrip("/")
        self.simple_url = simple_url.rstrip("/")
        self.max_workers = max(1, max_workers)
        self.ttl = ttl

    @property
    def offline(self) -> bool:
        """Whether the session refuses network access."""
        return self.session is None or bool(getattr(self.session, "offline", False))

    def _cache_key(self, name: str) -> str:
        # The answer depends on which index was asked, so the key names it (never its secrets).
        return f"{redact_url(self.json_url)} {name}"

    def lookup(self, name: str) -> ProjectLookup:
        """Return what the index says about one project (any spelling of its name)."""
        return self.lookup_many([name])[normalize_name(name)]

    def lookup_many(self, names: Iterable[str]) -> dict[str, ProjectLookup]:
        """Look several projects up, concurrently; keys are normalized names."""
        wanted = sorted({normalize_name(n) for n in names if n and n.strip()})
        if not wanted:
            return {}
        keys = {name: self._cache_key(name) for name in wanted}
        cached = self.cache.get_many(CACHE_NAMESPACE, list(keys.values()))
        results: dict[str, ProjectLookup] = {}
        todo: list[str] = []
        for name in wanted:
            entry = cached.get(keys[name])
            hit = _lookup_from_cache(name, entry) if entry is not None else None
            if hit is not None:
                results[name] = hit
            elif self.offline:
                results[name] = ProjectLookup(
                    name=name, state=LookupState.UNKNOWN, reason=OFFLINE_REASON
                )
            else:
                todo.append(name)
        if todo:
            workers = min(self.max_workers, len(todo))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="index") as pool:
                fetched = list(pool.map(self._fetch, todo))
            to_store: dict[float, dict[str, Any]] = {}
            for name, (lookup, ttl) in zip(todo, fetched, strict=True):
                results[name] = lookup
                if lookup.state is not LookupState.UNKNOWN and not lookup.reason:
                    to_store.setdefault(ttl, {})[keys[name]] = _lookup_to_cache(lookup)
            for ttl, items in to_store.items():  # one transaction per TTL, not one per name
                self.cache.set_many(CACHE_NAMESPACE, items, ttl=ttl)
        return results

    def release_lookup(self, name: str, version: str) -> ProjectLookup:
        """Return one release's own metadata (``{json_url}/{name}/{version}/json``).

        The info describes that version (its requires_dist, license ...); `releases` holds
        that single release. MISSING when the index has no such project or version (or does
        not serve per-version documents); UNKNOWN when it could not be asked.
        """
        key_name = normalize_name(name)
        key = f"{redact_url(self.json_url)} {key_name} {version}"
        entry = self.cache.get(RELEASE_CACHE_NAMESPACE, key)
        if entry is not None and (hit := _lookup_from_cache(key_name, entry)) is not None:
            return hit
        if self.offline:
            return ProjectLookup(name=key_name, state=LookupState.UNKNOWN, reason=OFFLINE_REASON)
        url = f"{self.json_url}/{quote(key_name, safe='')}/{quote(version, safe='')}/json"
        try:
            document = self._get_json(url)
        except IndexError_ as exc:
            return ProjectLookup(name=key_name, state=LookupState.UNKNOWN, reason=exc.reason)
        if document is None:
            lookup = ProjectLookup(name=key_name, state=LookupState.MISSING)
        else:
            try:
                info = parse_project_document(key_name, document, version=version)
            except IndexError_ as exc:
                return ProjectLookup(name=key_name, state=LookupState.UNKNOWN, reason=exc.reason)
            lookup = ProjectLookup(name=key_name, state=LookupState.FOUND, info=info)
        self.cache.set(RELEASE_CACHE_NAMESPACE, key, _lookup_to_cache(lookup), ttl=self.ttl)
        return lookup

    # -- network ---------------------------------------------------------------------------

    def _fetch(self, name: str) -> tuple[ProjectLookup, float]:
        """Ask the index about `name`; return the lookup and how long it may be cached."""
        url = f"{self.json_url}/{quote(name, safe='')}/json"
        try:
            document = self._get_json(url)
            if document is None:
                return ProjectLookup(name=name, state=LookupState.MISSING), self.ttl
            info = parse_project_document(name, document)
        except IndexError_ as exc:
            log.debug("index lookup of %s failed: %s", name, exc.reason)
            return ProjectLookup(name=name, state=LookupState.UNKNOWN, reason=exc.reason), 0.0
        partial = None
        try:
            status = self._fetch_status(name)
        except IndexError_ as exc:
            # The project exists (the JSON API said so); only its status marker is unknown.
            log.debug("index status of %s unavailable: %s", name, exc.reason)
            status = None
            partial = f"project status unknown ({exc.reason})"
        if status is not None:
            info = _with_status(info, *status)
        return ProjectLookup(
            name=name, state=LookupState.FOUND, info=info, reason=partial
        ), self.ttl

    def _get(self, url: str, headers: Mapping[str, str] | None = None) -> requests.Response:
        if self.session is None:
            raise IndexError_("index", OFFLINE_REASON)
        import requests  # here: an offline run never loads it

        try:
            return self.session.get(url, headers=dict(headers or {}))
        except OfflineError:
            raise IndexError_("index", OFFLINE_REASON) from None
        except requests.Timeout:
            raise IndexError_("index", "the index timed out") from None
        except requests.ConnectionError as exc:
            if _timed_out(exc):
                raise IndexError_("index", "the index timed out") from None
            raise IndexError_("index", "could not connect to the index") from None
        except requests.RequestException as exc:
            reason = f"request to the index failed ({type(exc).__name__})"
            raise IndexError_("index", reason) from None

    def _get_json(self, url: str) -> dict[str, Any] | None:
        """GET a JSON document; None on 404, `IndexError_` on any other failure."""
        import requests

        response = self._get(url, {"Accept": "application/json"})
        with response:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise IndexError_("index", f"the index answered HTTP {response.status_code}")
            try:
                document = json.loads(response.content)
            except (ValueError, RecursionError, requests.RequestException):
                raise IndexError_("index", "the index sent invalid JSON") from None
        if not isinstance(document, dict):
            raise IndexError_("index", "the index sent an unexpected JSON document")
        return document

    def _fetch_status(self, name: str) -> tuple[str, str | None] | None:
        """Return the PEP 792 (status, reason) from the simple API, None when not given."""
        url = f"{self.simple_url}/{quote(name, safe='')}/"
        response = self._get(url, {"Accept": SIMPLE_ACCEPT})
        with response:
            if response.status_code != 200:
                reason = f"the simple API answered HTTP {response.status_code}"
                raise IndexError_("index", reason)
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            body = response.content
        if content_type.endswith("json"):
            try:
                document = json.loads(body)
            except (ValueError, RecursionError):
                raise IndexError_("index", "the simple API sent invalid JSON") from None
            return parse_simple_status(document)
        return parse_simple_html_status(body.decode("utf-8", "replace"))


def _timed_out(exc: requests.ConnectionError) -> bool:
    """Whether a connection error is a read timeout (requests wraps it after retries)."""
    from urllib3.exceptions import ReadTimeoutError

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (ReadTimeoutError, TimeoutError))


# -- parsing ---------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _parse_release(version: str, files: Any) -> Release:
    if not isinstance(files, list):
        files = []
    entries = [f for f in files if isinstance(f, dict)]
    times = [
        t
        for f in entries
        if (t := _parse_time(f.get("upload_time_iso_8601") or f.get("upload_time"))) is not None
    ]
    yanked = bool(entries) and all(bool(f.get("yanked")) for f in entries)
    reason = next((r for f in entries if (r := _text(f.get("yanked_reason")))), None)
    return Release(
        version=version,
        upload_time=min(times) if times else None,
        yanked=yanked,
        yanked_reason=reason if yanked else None,
    )


def parse_project_document(
    name: str, document: Mapping[str, Any], *, version: str | None = None
) -> ProjectInfo:
    """Build `ProjectInfo` from a JSON API document (project-wide or per-version).

    Raises `IndexError_` when the document lacks the ``info`` table. Text values are kept as
    the index sent them (reporters escape them).
    """
    info = document.get("info")
    if not isinstance(info, dict):
        raise IndexError_("index", "the index sent a document without project info")
    releases: list[Release] = []
    raw_releases = document.get("releases")
    if isinstance(raw_releases, dict):
        releases = [_parse_release(str(v), files) for v, files in raw_releases.items()]
    elif version is not None:
        releases = [_parse_release(version, document.get("urls"))]
    releases.sort(key=lambda r: version_sort_key(r.version))
    urls = info.get("project_urls")
    project_urls = (
        tuple((str(k), str(v)) for k, v in urls.items() if isinstance(v, str))
        if isinstance(urls, dict)
        else ()
    )
    classifiers = info.get("classifiers")
    requires = info.get("requires_dist")
    return ProjectInfo(
        name=normalize_name(name),
        display_name=_text(info.get("name")) or name,
        summary=_text(info.get("summary")) or "",
        latest_version=_text(info.get("version")),
        license=_text(info.get("license")),
        license_expression=_text(info.get("license_expression")),
        classifiers=tuple(c for c in classifiers if isinstance(c, str))
        if isinstance(classifiers, list)
        else (),
        project_urls=project_urls,
        requires_dist=tuple(r for r in requires if isinstance(r, str))
        if isinstance(requires, list)
        else (),
        author=_text(info.get("author")) or _text(info.get("author_email")),
        maintainer=_text(info.get("maintainer")) or _text(info.get("maintainer_email")),
        releases=tuple(releases),
    )


def parse_simple_status(document: Any) -> tuple[str, str | None] | None:
    """Return (status, reason) from a simple-API JSON document's ``project-status``."""
    if not isinstance(document, dict):
        raise IndexError_("index", "the simple API sent an unexpected JSON document")
    status = document.get("project-status")
    if not isinstance(status, dict):
        return None
    value = _text(status.get("status"))
    return (value, _text(status.get("reason"))) if value else None


def parse_simple_html_status(text: str) -> tuple[str, str | None] | None:
    """Return (status, reason) from ``<meta name="pypi:project-status[-reason]">`` tags.

    Raises:
        IndexError_: the page is HTML the standard parser gives up on (it asserts on some
            malformed declarations such as ``<![{``).
    """
    from auditor.index.meta_tags import meta_tags  # html.parser: only for HTML pages

    try:
        meta = meta_tags(text)
    except AssertionError:
        raise IndexError_("index", "the simple API sent HTML that cannot be parsed") from None
    status = meta.get("pypi:project-status")
    if not status:
        return None
    return status, meta.get("pypi:project-status-reason") or None


def _with_status(info: ProjectInfo, status: str, reason: str | None) -> ProjectInfo:
    try:
        parsed = ProjectStatus(status.strip().lower())
    except ValueError:
        # PEP 792: an unknown status is treated as active; keep the reason for the curious.
        log.debug("unknown project status %r for %s", status, info.name)
        return info
    return replace(info, status=parsed, status_reason=reason)


def _lookup_to_cache(lookup: ProjectLookup) -> dict[str, Any]:
    return {
        "state": str(lookup.state),
        "info": lookup.info.to_json() if lookup.info is not None else None,
    }


def _lookup_from_cache(name: str, entry: Any) -> ProjectLookup | None:
    """Rebuild a cached lookup; None when the entry is unusable (then it is fetched again)."""
    if not isinstance(entry, dict):
        return None
    try:
        state = LookupState(str(entry.get("state")))
        info = ProjectInfo.from_json(entry["info"]) if entry.get("info") else None
    except (KeyError, ValueError, TypeError):
        return None
    if state is LookupState.UNKNOWN or (state is LookupState.FOUND and info is None):
        return None
    return ProjectLookup(name=name, state=state, info=info)


def redact_url(url: str) -> str:
    """Return `url` without user name and password (pip index URLs often carry tokens)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


# -- the per-run lookup --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexAnswers:
    """The index's answers for a run, what could not be checked, and the source used."""

    lookups: dict[str, ProjectLookup]
    incomplete: tuple[Incomplete, ...] = ()
    data_sources: tuple[DataSource, ...] = ()


def index_lookups(context: RunContext, names: Iterable[str]) -> IndexAnswers:
    """Look `names` up on the index once, grouping what could not be checked by reason.

    UNKNOWN answers become one ``index`` incomplete entry per reason; the index is recorded as
    a data source whenever a name was asked. `context.index_lookup` replaces the client (tests).
    """
    wanted = sorted({normalize_name(n) for n in names if n and n.strip()})
    if not wanted:
        return IndexAnswers(lookups={})
    if context.index_lookup is not None:
        fetched = dict(context.index_lookup(wanted))
    else:
        config = context.config
        client = IndexClient(
            # Offline, the cache answers alone: no session (and no requests import) is made.
            session=None if config.offline else context.session,
            cache=context.cache,
            json_url=config.index_json_url,
            simple_url=config.index_url,
            max_workers=config.max_workers,
        )
        fetched = client.lookup_many(wanted)
    unknown: dict[str, list[str]] = {}
    for name, lookup in fetched.items():
        if lookup.state is LookupState.UNKNOWN or lookup.reason:  # FOUND + reason: status unknown
            unknown.setdefault(lookup.reason or "unknown error", []).append(name)
    incomplete = tuple(
        Incomplete(
            source="index",
            reason=f"package index not checked: {reason}",
            packages=tuple(sorted(set(packages))),
        )
        for reason, packages in sorted(unknown.items())
    )
    where = redact_url(context.config.index_url)
    return IndexAnswers(
        lookups={name: fetched[name] for name in wanted if name in fetched},
        incomplete=incomplete,
        data_sources=(DataSource(name="index", detail=f"package index at {where}"),),
    )


__all__ = [
    "CACHE_NAMESPACE",
    "IndexAnswers",
    "IndexClient",
    "index_lookups",
    "parse_project_document",
    "parse_simple_html_status",
    "parse_simple_status",
    "redact_url",
]
