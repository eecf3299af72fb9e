"""Real wheels built in the tests, served by a loopback index that uv and pip resolve against.

`Wheelhouse.add` builds a tiny but genuine wheel (METADATA with ``Requires-Dist``, WHEEL, RECORD)
with the standard library's zipfile; `serve_wheelhouse` stands up a loopback HTTP server speaking
the simple API (PEP 691 JSON or PEP 503 HTML, with PEP 658 metadata files), the JSON API
(``/pypi/<name>/json`` and ``/pypi/<name>/<version>/json``) and the files themselves. Nothing
here reaches the internet; resolvers are pointed at it with ``--index-url``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from auditor.model import normalize_name

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def metadata_text(
    name: str, version: str, requires: list[str], license_expression: str | None
) -> str:
    """Return a METADATA file (core metadata 2.4) for a tiny project."""
    lines = ["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}"]
    if license_expression:
        lines.append(f"License-Expression: {license_expression}")
    extras = sorted(set(re.findall(r"extra\s*==\s*[\"']([^\"']+)", " ".join(requires))))
    lines += [f"Provides-Extra: {extra}" for extra in extras]
    lines += [f"Requires-Dist: {req}" for req in requires]
    return "\n".join(lines) + "\n\n"


def build_wheel(
    name: str, version: str, requires: list[str], license_expression: str | None = None
) -> tuple[str, bytes, str]:
    """Build a pure-Python wheel; return (file name, bytes, its METADATA text)."""
    module = normalize_name(name).replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    metadata = metadata_text(name, version, requires, license_expression)
    members = {
        f"{module}/__init__.py": f"__version__ = {version!r}\n",
        f"{dist_info}/METADATA": metadata,
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: auditor-tests\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n\n",
    }
    record = [f"{path},{_record_hash(text.encode())},{len(text.encode())}"
              for path, text in members.items()]  # fmt: skip
    record.append(f"{dist_info}/RECORD,,")
    members[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in members.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), text)
    return f"{module}-{version}-py3-none-any.whl", buffer.getvalue(), metadata


def build_sdist(name: str, version: str, tripwire: str | None = None) -> tuple[str, bytes]:
    """Return an sdist's (file name, bytes); its setup.py would run code if anything built it.

    With `tripwire`, setup.py writes that file first: its existence proves the build ran.
    """
    import tarfile

    module = normalize_name(name).replace("-", "_")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, text in {
            f"{module}-{version}/setup.py": (
                f"open({tripwire!r}, 'w').close()\n" if tripwire else ""
            )
            + "raise SystemExit('never built in tests')\n",
            f"{module}-{version}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\n"
            f"Version: {version}\nDynamic: Requires-Dist\n\n",
        }.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return f"{module}-{version}.tar.gz", buffer.getvalue()


@dataclass
class _File:
    filename: str
    data: bytes
    version: str
    metadata: str | None
    uploaded: str
    yanked: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Wheelhouse:
    """The projects a loopback index serves: real wheel (or sdist) files with their metadata."""

    files: dict[str, list[_File]] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    licenses: dict[str, str | None] = field(default_factory=dict)
    html: bool = False
    requests: list[str] = field(default_factory=list)

    def add(
        self,
        name: str,
        version: str,
        requires: list[str] | None = None,
        *,
        uploaded: str = "2020-01-01T00:00:00Z",
        yanked: str | None = None,
        sdist_only: bool = False,
        license_expression: str | None = "MIT",
        tripwire: str | None = None,
    ) -> Wheelhouse:
        """Add one release of `name` (a wheel, or an sdist alone when `sdist_only`)."""
        key = normalize_name(name)
        self.display.setdefault(key, name)
        self.licenses[key] = license_expression
        if sdist_only:
            filename, data = build_sdist(name, version, tripwire)
            entry = _File(filename, data, version, None, uploaded, yanked)
        else:
            filename, data, metadata = build_wheel(
                name, version, requires or [], license_expression
            )
            entry = _File(filename, data, version, metadata, uploaded, yanked)
        self.files.setdefault(key, []).append(entry)
        return self

    def simple_page(self, key: str, *, want_json: bool) -> tuple[bytes, str] | None:
        """Return the simple-API page of a project (JSON or HTML) and its content type."""
        files = self.files.get(key)
        if files is None:
            return None
        status = self.statuses.get(key, "active")
        if want_json and not self.html:
            document = {
                "meta": {"api-version": "1.4"},
                "name": key,
                "project-status": {"status": status},
                "versions": sorted({f.version for f in files}),
                "files": [
                    {
                        "filename": f.filename,
                        "url": f"../../files/{f.filename}",
                        "hashes": {"sha256": f.sha256},
                        "size": len(f.data),
                        "upload-time": f.uploaded,
                        "yanked": f.yanked if f.yanked is not None else False,
                        **({"core-metadata": {"sha256": _sha(f.metadata)}} if f.metadata else {}),
                    }
                    for f in files
                ],
            }
            return json.dumps(document).encode(), SIMPLE_JSON
        links = []
        for f in files:
            extra = f' data-yanked="{f.yanked}"' if f.yanked is not None else ""
            if f.metadata:
                extra += f' data-core-metadata="sha256={_sha(f.metadata)}"'
            links.append(f'<a href="../../files/{f.filename}#sha256={f.sha256}"{extra}>'
                         f"{f.filename}</a><br/>")  # fmt: skip
        meta = f'<meta name="pypi:project-status" content="{status}">'
        page = f"<!DOCTYPE html><html><head>{meta}</head><body>{''.join(links)}</body></html>"
        return page.encode(), "text/html"

    def json_document(self, key: str, version: str | None = None) -> dict[str, Any] | None:
        """Return the JSON API document of a project (or of one of its versions)."""
        files = self.files.get(key)
        if files is None:
            return None
        releases: dict[str, list[dict[str, Any]]] = {}
        for f in files:
            releases.setdefault(f.version, []).append(
                {
                    "filename": f.filename,
                    "upload_time_iso_8601": f.uploaded,
                    "upload_time": f.uploaded.replace("Z", ""),
                    "yanked": f.yanked is not None,
                    "yanked_reason": f.yanked,
                    "packagetype": "bdist_wheel" if f.metadata else "sdist",
                    "digests": {"sha256": f.sha256},
                    "url": f"../../files/{f.filename}",
                }
            )
        from packaging.version import Version

        latest = max(releases, key=Version)
        info: dict[str, Any] = {
            "name": self.display[key],
            "version": version or latest,
            "summary": "",
            "license_expression": self.licenses.get(key),
            "classifiers": [],
            "requires_dist": None,
            "project_urls": {},
            "author": "Someone",
        }
        if version is not None:
            if version not in releases:
                return None
            return {"info": info, "urls": releases[version]}
        return {"info": info, "releases": releases, "urls": releases[latest]}

    def file(self, filename: str) -> bytes | None:
        """Return a file's bytes (``.metadata`` names give its METADATA)."""
        for files in self.files.values():
            for f in files:
                if f.filename == filename:
                    return f.data
                if f.metadata and filename == f.filename + ".metadata":
                    return f.metadata.encode()
        return None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def _handler(house: Wheelhouse) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if status == 200:  # as a real index: pages may be reused for ten minutes
                self.send_header("Cache-Control", "max-age=600, public")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            house.requests.append(path)
            parts = [p for p in path.split("/") if p]
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._route(parts)

        def _route(self, parts: list[str]) -> None:
            if parts[:1] == ["simple"] and len(parts) == 2:
                want_json = SIMPLE_JSON in (self.headers.get("Accept") or "")
                page = house.simple_page(normalize_name(parts[1]), want_json=want_json)
                if page is not None:
                    self._send(200, page[0], page[1])
                    return
            elif parts[:1] == ["files"] and len(parts) == 2:
                data = house.file(parts[1])
                if data is not None:
                    self._send(200, data, "application/octet-stream")
                    return
            elif parts[:1] == ["pypi"] and parts[-1:] == ["json"] and len(parts) in (3, 4):
                version = parts[2] if len(parts) == 4 else None
                document = house.json_document(normalize_name(parts[1]), version)
                if document is not None:
                    self._send(200, json.dumps(document).encode(), "application/json")
                    return
            self._send(404, b"Not Found", "text/plain")

    return Handler


@contextlib.contextmanager
def serve_wheelhouse(house: Wheelhouse) -> Iterator[str]:
    """Serve `house` on 127.0.0.1; yield the base URL (the simple API is ``{url}/simple``)."""
    server = _Server(("127.0.0.1", 0), _handler(house))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def house_as_index(house: Wheelhouse, environ: pytest.MonkeyPatch) -> Iterator[str]:
    """Serve `house` and make it Auditor's index (``AUDITOR_INDEX_URL``); yield the simple URL."""
    with serve_wheelhouse(house) as url:
        environ.setenv("AUDITOR_INDEX_URL", f"{url}/simple")
        yield f"{url}/simple"


def sample_house() -> Wheelhouse:
    """A small index with a web framework's tree, extras, an sdist-only project and a tripwire.

    ``tripwire`` only has an sdist whose setup.py would fail loudly if anything ran it.
    """
    house = Wheelhouse()
    house.add("flask", "2.0.0", ["werkzeug>=2", "jinja2"], uploaded="2021-05-11T00:00:00Z")
    house.add("flask", "3.0.0", ["werkzeug>=3", "jinja2>=3", "itsdangerous"])
    house.add("werkzeug", "3.0.1", ["markupsafe>=2.1"])
    house.add("jinja2", "3.1.0", ["markupsafe>=2"])
    house.add("markupsafe", "2.1.0")
    house.add("itsdangerous", "2.0.0")
    house.add("requests", "2.31.0", ["idna", 'pysocks; extra == "socks"'])
    house.add("idna", "3.4")
    house.add("pysocks", "1.7.1")
    house.add("tripwire", "1.0", sdist_only=True)
    house.add("needs-tripwire", "1.0", ["tripwire", "idna"])
    return house
