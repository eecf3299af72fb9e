"""Loopback servers that speak the OSV API and the package index's JSON and simple APIs.

Tests point Auditor at them through configuration (``--index-url``, ``--osv-url`` or the
AUDITOR_* variables); nothing here reaches the internet. Faults can be injected per path prefix
(`Fault`): a status code (with any Retry-After), a delay, a hang, a hang-up, an answer dripped
byte by byte, a truncated or short body, a huge body, or a body of the wrong shape.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from auditor.model import normalize_name


@dataclass
class Fault:
    """A fault to inject on the requests whose path starts with a prefix.

    Answer `status` (with `retry_after`), sleep `delay`, or cut the answer: `truncate` sends
    half of it as if whole (invalid JSON), `short` declares the whole length and closes after
    half. `close` hangs up without answering; `hang` never answers (until the server stops).
    `drip` sends the answer one byte every `drip` seconds (with `drip_headers`, the status line
    and headers too). `huge` sends a body of that many bytes (declaring its length unless
    `huge_undeclared`). `body` (with `content_type`) replaces the answer, e.g. the wrong JSON
    shape. `times` limits the fault to the first N requests (None = always).
    """

    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    truncate: bool = False
    times: int | None = None
    short: bool = False
    close: bool = False
    hang: bool = False
    drip: float | None = None
    drip_headers: bool = False
    huge: int | None = None
    huge_undeclared: bool = False
    body: Any = None
    content_type: str | None = None


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    body: Any


Handler = Callable[[str, str, Any], tuple[int, Any, dict[str, str]]]


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 routing to a handler, recording every request.

    `protocol` "HTTP/1.1" keeps connections alive (the client reuses pooled connections).
    """

    def __init__(self, handler: Handler, *, protocol: str = "HTTP/1.0") -> None:
        self.handler = handler
        self.requests: list[Recorded] = []
        self.faults: dict[str, Fault] = {}
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class _RequestHandler(BaseHTTPRequestHandler):
            protocol_version = protocol  # "HTTP/1.1" keeps connections alive between requests

            def log_message(self, *args: Any) -> None:
                return

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                with outer._lock:
                    outer.requests.append(Recorded(method, self.path, body))
                    fault = outer._fault_for(self.path)
                # The client may give up first (its deadline or size cap): expected.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer(method, body, fault)

            def _answer(self, method: str, body: Any, fault: Fault | None) -> None:
                if fault is not None and fault.delay:
                    outer.stopping.wait(fault.delay)
                if fault is not None and fault.hang:
                    outer.stopping.wait(120)
                    self.close_connection = True
                    return
                if fault is not None and fault.close:
                    self.close_connection = True
                    return
                if fault is not None and fault.status is not None:
                    self.send_response(fault.status)
                    if fault.retry_after is not None:
                        self.send_header("Retry-After", fault.retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if fault is not None and fault.huge is not None:
                    self._send_huge(fault.huge, declared=not fault.huge_undeclared)
                    return
                status, payload, headers = outer.handler(method, self.path, body)
                if fault is not None and fault.body is not None:
                    status, payload = 200, fault.body
                    if fault.content_type:
                        headers = {"Content-Type": fault.content_type}
                data = _encode(payload)
                if fault is not None and fault.truncate:
                    data = data[: max(1, len(data) // 2)]
                headers.setdefault("Content-Type", "application/json")
                if fault is not None and fault.drip is not None:
                    self._drip(status, headers, data, fault.drip, fault.drip_headers)
                    return
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if fault is not None and fault.short:
                    self.wfile.write(data[: max(1, len(data) // 2)])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)

            def _send_huge(self, size: int, *, declared: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if declared:
                    self.send_header("Content-Length", str(size))
                self.end_headers()
                chunk = b" " * 65536
                sent = 0
                while sent < size and not outer.stopping.is_set():
                    part = chunk[: min(len(chunk), size - sent)]
                    self.wfile.write(part)
                    sent += len(part)
                self.close_connection = True

            def _drip(
                self, status: int, headers: dict[str, str], data: bytes, every: float, all_: bool
            ) -> None:
                head = [f"{self.protocol_version} {status} Dripping"]
                head += [f"{key}: {value}" for key, value in headers.items()]
                head += [f"Content-Length: {len(data)}", "", ""]
                raw_head = "\r\n".join(head).encode()
                if not all_:
                    self.wfile.write(raw_head)
                    self.wfile.flush()
                for byte in raw_head + data if all_ else data:
                    if outer.stopping.wait(every):
                        break
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                self.close_connection = True

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        class _Server(ThreadingHTTPServer):
            request_queue_size = 128  # many client threads connect at once in the pool tests

        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _fault_for(self, path: str) -> Fault | None:
        for prefix, fault in self.faults.items():
            if path.startswith(prefix):
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                return fault
        return None

    @property
    def url(self) -> str:
        """Base URL, without a trailing slash."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LoopbackServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (hanging and dripping answers end at once)."""
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


def _encode(payload: Any) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload).encode()


@dataclass
class FakeIndex:
    """A package index: ``/pypi/<name>/json`` and ``/simple/<name>/`` (JSON or HTML).

    `projects` maps a normalized name to the JSON API document; `statuses` holds PEP 792
    project-status values. Unknown names answer 404, as the real index does.
    """

    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    # License tests: per-version ``info`` overrides, projects whose per-version JSON answers
    # 404 (as some indexes do), and PEP 658 METADATA files served at /files/<wheel>.metadata.
    version_info: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    no_version_json: set[str] = field(default_factory=set)
    metadata_files: dict[str, bytes] = field(default_factory=dict)

    def add(
        self,
        name: str,
        releases: dict[str, str | list[dict[str, Any]]],
        *,
        summary: str = "",
        license: str | None = None,
        license_expression: str | None = None,
        classifiers: list[str] | None = None,
        requires_dist: list[str] | None = None,
        yanked: dict[str, str | None] | None = None,
        status: str | None = None,
        status_reason: str | None = None,
        info: dict[str, Any] | None = None,
        version_info: dict[str, dict[str, Any]] | None = None,
        version_json: bool = True,
        metadata: dict[str, str] | None = None,
    ) -> None:
        """Register a project; `releases` maps version -> ISO upload time (or file list).

        `version_info` overrides the per-version JSON document's ``info`` of some versions;
        `version_json=False` makes every per-version JSON document answer 404; `metadata` maps
        a version to the METADATA text its wheel serves through the simple API (PEP 658).
        """
        yanked = yanked or {}
        files: dict[str, list[dict[str, Any]]] = {}
        for version, when in releases.items():
            if isinstance(when, list):
                files[version] = when
                continue
            files[version] = [
                {
                    "filename": f"{normalize_name(name)}-{version}.tar.gz",
                    "upload_time_iso_8601": when,
                    "upload_time": when.replace("Z", ""),
                    "yanked": version in yanked,
                    "yanked_reason": yanked.get(version),
                    "packagetype": "sdist",
                    "digests": {"sha256": "0" * 64},
                    "url": f"http://127.0.0.1/files/{name}-{version}.tar.gz",
                }
            ]
        for version, text in (metadata or {}).items():
            wheel = f"{normalize_name(name).replace('-', '_')}-{version}-py3-none-any.whl"
            body = text.encode()
            self.metadata_files[f"/files/{wheel}.metadata"] = body
            first = files.setdefault(version, [])
            when = first[0]["upload_time_iso_8601"] if first else "2024-01-01T00:00:00Z"
            first.append(
                {
                    "filename": wheel,
                    "upload_time_iso_8601": when,
                    "upload_time": when.replace("Z", ""),
                    "yanked": False,
                    "yanked_reason": None,
                    "packagetype": "bdist_wheel",
                    "digests": {"sha256": "1" * 64},
                    "url": f"/files/{wheel}",
                    "core-metadata": {"sha256": hashlib.sha256(body).hexdigest()},
                }
            )
        if version_info:
            self.version_info[normalize_name(name)] = version_info
        if not version_json:
            self.no_version_json.add(normalize_name(name))
        latest = sorted(releases, key=_version_key)[-1] if releases else None
        document = {
            "info": {
                "name": name,
                "version": latest,
                "summary": summary,
                "license": license,
                "license_expression": license_expression,
                "classifiers": classifiers or [],
                "requires_dist": requires_dist,
                "project_urls": {"Homepage": f"http://127.0.0.1/{name}"},
                "author": "Someone",
                "maintainer": None,
                "yanked": False,
                **(info or {}),
            },
            "releases": files,
            "urls": files.get(latest, []) if latest else [],
        }
        self.projects[normalize_name(name)] = document
        if status is not None:
            self.statuses[normalize_name(name)] = (status, status_reason)

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        """Route one request."""
        parts = [p for p in path.split("?")[0].split("/") if p]
        if len(parts) >= 3 and parts[0] == "pypi" and parts[-1] == "json":
            name = normalize_name(parts[1])
            if name not in self.projects:
                return 404, {"message": "Not Found"}, {}
            if len(parts) == 4:  # per-version JSON
                version = parts[2]
                doc = self.projects[name]
                if version not in doc["releases"] or name in self.no_version_json:
                    return 404, {"message": "Not Found"}, {}
                info = {**doc["info"], "version": version}
                info.update(self.version_info.get(name, {}).get(version, {}))
                return 200, {"info": info, "urls": doc["releases"][version]}, {}
            return 200, self.projects[name], {}
        if len(parts) == 2 and parts[0] == "simple":
            name = normalize_name(parts[1])
            if name not in self.projects:
                return 404, "Not Found", {"Content-Type": "text/plain"}
            doc = self.projects[name]
            status, reason = self.statuses.get(name, ("active", None))
            simple = {
                "meta": {"api-version": "1.4"},
                "name": name,
                "project-status": {"status": status, **({"reason": reason} if reason else {})},
                "versions": list(doc["releases"]),
                "files": [
                    {
                        "filename": f["filename"],
                        "url": f["url"],
                        "hashes": f.get("digests", {}),
                        "upload-time": f.get("upload_time_iso_8601"),
                        "yanked": f.get("yanked_reason") or bool(f.get("yanked")),
                        **({"core-metadata": f["core-metadata"]} if "core-metadata" in f else {}),
                    }
                    for files in doc["releases"].values()
                    for f in files
                ],
            }
            return 200, simple, {"Content-Type": "application/vnd.pypi.simple.v1+json"}
        if path in self.metadata_files:
            return 200, self.metadata_files[path], {"Content-Type": "text/plain"}
        return 404, {"message": "Not Found"}, {}


def _version_key(version: str) -> Any:
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


@dataclass
class FakeOsv:
    """The OSV API: ``POST /v1/querybatch`` (with pagination) and ``GET /v1/vulns/{id}``.

    `page_size` caps the vulns returned per query per page to exercise ``next_page_token``.
    """

    vulns: dict[str, dict[str, Any]] = field(default_factory=dict)
    page_size: int = 1000

    def add(self, record: dict[str, Any]) -> None:
        """Register one OSV record."""
        self.vulns[record["id"]] = record

    def _matching(self, name: str, version: str | None) -> list[str]:
        from auditor.advisories.matching import affects  # the matcher under test elsewhere

        found = []
        for vid, record in sorted(self.vulns.items()):
            if record.get("withdrawn"):
                continue
            for affected in record.get("affected", []):
                pkg = affected.get("package", {})
                if pkg.get("ecosystem") != "PyPI" or normalize_name(pkg.get("name", "")) != name:
                    continue
                if version is None or affects(affected, version):
                    found.append(vid)
                    break
        return found

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        """Route one request."""
        if method == "POST" and path.startswith("/v1/querybatch"):
            results = []
            for query in body.get("queries", []):
                pkg = query.get("package", {})
                ids = self._matching(normalize_name(pkg.get("name", "")), query.get("version"))
                start = int(query.get("page_token") or 0)
                page = ids[start : start + self.page_size]
                result: dict[str, Any] = {
                    "vulns": [{"id": i, "modified": self.vulns[i].get("modified")} for i in page]
                }
                if start + self.page_size < len(ids):
                    result["next_page_token"] = str(start + self.page_size)
                results.append(result if page else {})
            return 200, {"results": results}, {}
        if method == "GET" and path.startswith("/v1/vulns/"):
            vid = path.rsplit("/", 1)[-1]
            if vid in self.vulns:
                return 200, self.vulns[vid], {}
            return 404, {"code": 5, "message": "Bug not found."}, {}
        return 404, {"message": "not found"}, {}


@contextmanager
def serve(fake: FakeIndex | FakeOsv) -> Iterator[LoopbackServer]:
    """Run `fake` on a loopback port for the duration of the block."""
    server = LoopbackServer(fake.handle).start()
    try:
        yield server
    finally:
        server.stop()
