"""The OSV API client: batched queries with pagination, then one fetch per distinct advisory.

``POST /v1/querybatch`` answers up to 1,000 (package, version) queries with advisory ids; each
id's full record comes from ``GET /v1/vulns/{id}``, fetched by a bounded thread pool and cached
by id + modified. A failure never reads as "no advisories": the queries it touched come back
in `ClientResult.failed` with the reason.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    import requests

    from auditor.cache import Cache

log = logging.getLogger(__name__)

CACHE_NAMESPACE = "osv-vuln"
MAX_BATCH = 1000


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Query:
    """One lookup: a normalized package name and a version (None = every advisory of it)."""

    name: str
    version: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the OSV query object."""
        data: dict[str, Any] = {"package": {"name": self.name, "ecosystem": "PyPI"}}
        if self.version is not None:
            data["version"] = self.version
        return data


@dataclass(slots=True)
class ClientResult:
    """Records per query, the queries that failed (with reasons), and request counts."""

    records: dict[Query, list[dict[str, Any]]] = field(default_factory=dict)
    failed: dict[Query, str] = field(default_factory=dict)
    batch_requests: int = 0
    record_requests: int = 0
    cache_hits: int = 0


class OsvResponseError(Exception):
    """An OSV answer that cannot be used (status, invalid or truncated JSON, wrong shape)."""


def _describe(exc: BaseException) -> str:
    # requests is imported where it is used: an offline run (the store only) never loads it.
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

    if isinstance(exc, requests.Timeout):
        return f"timed out ({exc.__class__.__name__})"
    if isinstance(exc, requests.ConnectionError):
        # urllib3 wraps the cause (name resolution, refused, TLS) in a long MaxRetryError text.
        cause = exc.args[0] if exc.args else exc
        reason = getattr(cause, "reason", None) or cause
        # NewConnectionError subclasses ConnectTimeoutError in urllib3, but is a refusal.
        timeouts = (TimeoutError, ReadTimeoutError, ConnectTimeoutError)
        if isinstance(reason, timeouts) and not isinstance(reason, NewConnectionError):
            return f"timed out ({type(reason).__name__})"
        return f"connection failed ({type(reason).__name__})"
    return str(exc) or exc.__class__.__name__


class OsvClient:
    """Query an OSV API for PyPI packages (`base_url` without the ``/v1`` suffix)."""

    def __init__(
        self,
        session: requests.Session,
        base_url: str,
        *,
        cache: Cache | None = None,
        max_workers: int = 8,
        batch_size: int = MAX_BATCH,
        max_pages: int = 50,
        ttl_seconds: float | None = 7 * 86400,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.cache = cache
        self.max_workers = max(1, max_workers)
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.max_pages = max(1, max_pages)
        self.ttl_seconds = ttl_seconds

    # -- querybatch ---------------------------------------------------------------------------

    def _post_batch(self, batch: Sequence[tuple[Query, str | None]]) -> list[dict[str, Any]]:
        import requests

        payload: dict[str, list[dict[str, Any]]] = {"queries": []}
        for query, token in batch:
            item = query.to_json()
            if token is not None:
                item["page_token"] = token
            payload["queries"].append(item)
        try:
            response = self.session.post(f"{self.base_url}/v1/querybatch", json=payload)
        except requests.RequestException as exc:
            raise OsvResponseError(f"querybatch: {_describe(exc)}") from exc
        if response.status_code != 200:
            raise OsvResponseError(f"querybatch: HTTP {response.status_code}")
        try:
            data = response.json()
        except (ValueError, RecursionError) as exc:
            raise OsvResponseError(f"querybatch: invalid or truncated JSON ({exc})") from exc
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list) or len(results) != len(batch):
            raise OsvResponseError(
                f"querybatch: expected {len(batch)} results, got "
                f"{len(results) if isinstance(results, list) else 'none'}"
            )
        if not all(isinstance(r, dict) for r in results):
            raise OsvResponseError("querybatch: a result is not an object")
        return results

    def _query_ids(
        self, queries: Sequence[Query], result: ClientResult
    ) -> dict[Query, dict[str, str]]:
        """Run every query through querybatch (following pages); return ids -> modified."""
        found: dict[Query, dict[str, str]] = {q: {} for q in queries}
        pending: list[tuple[Query, str | None]] = [(q, None) for q in queries]
        pages: dict[Query, int] = dict.fromkeys(queries, 0)
        while pending:
            next_round: list[tuple[Query, str | None]] = []
            for start in range(0, len(pending), self.batch_size):
                batch = pending[start : start + self.batch_size]
                result.batch_requests += 1
                try:
                    answers = self._post_batch(batch)
                except OsvResponseError as exc:
                    for query, _token in batch:
                        result.failed[query] = str(exc)
                    continue
                for (query, _token), answer in zip(batch, answers, strict=True):
                    vulns = answer.get("vulns") or []
                    if not isinstance(vulns, list):
                        result.failed[query] = "querybatch: malformed vulns list"
                        continue
                    for vuln in vulns:
                        if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                            found[query][vuln["id"]] = str(vuln.get("modified") or "")
                    token = answer.get("next_page_token")
                    if token:
                        pages[query] += 1
                        if pages[query] >= self.max_pages:
                            result.failed[query] = (
                                f"querybatch: more than {self.max_pages} pages of results"
                            )
                        else:
                            next_round.append((query, str(token)))
            pending = [(q, t) for q, t in next_round if q not in result.failed]
        return {q: ids for q, ids in found.items() if q not in result.failed}

    # -- vulns/{id} ---------------------------------------------------------------------------

    def _get_record(self, vid: str) -> dict[str, Any]:
        import requests

        url = f"{self.base_url}/v1/vulns/{quote(vid, safe='')}"
        try:
            response = self.session.get(url)
        except requests.RequestException as exc:
            raise OsvResponseError(f"vulns/{vid}: {_describe(exc)}") from exc
        if response.status_code != 200:
            raise OsvResponseError(f"vulns/{vid}: HTTP {response.status_code}")
        try:
            data = response.json()
        except (ValueError, RecursionError) as exc:
            raise OsvResponseError(f"vulns/{vid}: invalid or truncated JSON ({exc})") from exc
        if not isinstance(data, dict) or data.get("id") != vid:
            raise OsvResponseError(f"vulns/{vid}: not the requested OSV record")
        return data

    def _fetch_records(
        self, wanted: Mapping[str, str], result: ClientResult
    ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """Return (records by id, failures by id), using the cache where it is fresh."""
        keys = {vid: f"{vid}@{modified}" for vid, modified in wanted.items()}
        records: dict[str, dict[str, Any]] = {}
        if self.cache is not None and keys:
            cached = self.cache.get_many(CACHE_NAMESPACE, sorted(keys.values()))
            for vid, key in keys.items():
                if isinstance(cached.get(key), dict):
                    records[vid] = cached[key]
            result.cache_hits += len(records)
        missing = sorted(vid for vid in wanted if vid not in records)
        failures: dict[str, str] = {}
        fetched: dict[str, Any] = {}
        if missing:
            workers = min(self.max_workers, len(missing))
            with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(self._get_record, vid): vid for vid in missing}
                for future in concurrent.futures.as_completed(futures):
                    vid = futures[future]
                    result.record_requests += 1
                    try:
                        records[vid] = future.result()
                    except OsvResponseError as exc:
                        failures[vid] = str(exc)
                        continue
                    fetched[keys[vid]] = records[vid]
        if self.cache is not None and fetched:
            self.cache.set_many(CACHE_NAMESPACE, fetched, ttl=self.ttl_seconds)
        return records, failures

    # -- public -------------------------------------------------------------------------------

    def query(self, queries: Sequence[Query]) -> ClientResult:
        """Look up every query; failed ones are listed with a reason, never left empty."""
        result = ClientResult()
        unique = sorted(set(queries))
        if not unique:
            return result
        ids = self._query_ids(unique, result)
        wanted: dict[str, str] = {}
        for found in ids.values():
            for vid, modified in found.items():
                wanted[vid] = max(wanted.get(vid, ""), modified)
        records, failures = self._fetch_records(wanted, result)
        for query, found in ids.items():
            broken = sorted(vid for vid in found if vid in failures)
            if broken:
                result.failed[query] = "; ".join(failures[vid] for vid in broken)
                continue
            result.records[query] = [records[vid] for vid in sorted(found)]
        log.debug(
            "osv: %d queries, %d batch requests, %d record requests, %d cached",
            len(unique), result.batch_requests, result.record_requests, result.cache_hits,
        )  # fmt: skip
        return result


__all__ = ["CACHE_NAMESPACE", "MAX_BATCH", "ClientResult", "OsvClient", "OsvResponseError", "Query"]
