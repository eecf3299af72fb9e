"""A loopback index serving wheels: the simple API (JSON or HTML) and files with range requests."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from auditor.model import normalize_name


def make_wheel(members: dict[str, str], *, padding: int = 0) -> bytes:
    """Build a wheel (a zip) holding `members`; `padding` adds an incompressible blob."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
        if padding:
            archive.writestr("blob.bin", bytes(range(256)) * (padding // 256), zipfile.ZIP_STORED)
    return buffer.getvalue()


@dataclass
class WheelIndex:
    """Projects -> wheel files; `ranges` false makes the file host ignore Range headers."""

    files: dict[str, dict[str, bytes]] = field(default_factory=dict)
    ranges: bool = True
    html: bool = False
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    bytes_sent: int = 0

    def add(self, name: str, filename: str, data: bytes) -> None:
        """Register a wheel file of project `name`."""
        self.files.setdefault(normalize_name(name), {})[filename] = data

    def page(self, name: str) -> tuple[bytes, str] | None:
        """Return the simple-API page of `name` and its content type."""
        files = self.files.get(name)
        if files is None:
            return None
        if self.html:
            links = "".join(f'<a href="../../files/{fn}#sha256=00">{fn}</a>' for fn in files)
            return f"<html><body>{links}</body></html>".encode(), "text/html"
        document = {
            "meta": {"api-version": "1.1"},
            "name": name,
            "files": [
                {"filename": fn, "url": f"../../files/{fn}", "size": len(data), "hashes": {}}
                for fn, data in files.items()
            ],
        }
        return json.dumps(document).encode(), "application/vnd.pypi.simple.v1+json"

    def file(self, filename: str) -> bytes | None:
        """Return a wheel file's bytes by name."""
        for files in self.files.values():
            if filename in files:
                return files[filename]
        return None


def _handler(index: WheelIndex) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            index.bytes_sent += len(body)

        def do_GET(self) -> None:
            path = self.path.split("#")[0]
            index.requests.append((path, self.headers.get("Range")))
            parts = [p for p in path.split("/") if p]
            if len(parts) == 2 and parts[0] == "simple":
                page = index.page(normalize_name(parts[1]))
                if page is None:
                    self._send(404, b"not found", {"Content-Type": "text/plain"})
                else:
                    self._send(200, page[0], {"Content-Type": page[1]})
                return
            data = index.file(parts[-1]) if len(parts) == 2 and parts[0] == "files" else None
            if data is None:
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            wanted = self.headers.get("Range")
            if not index.ranges or not wanted or not wanted.startswith("bytes="):
                self._send(200, data, {})
                return
            spec = wanted.removeprefix("bytes=")
            size = len(data)
            first, _, last = spec.partition("-")
            if not first:
                start, end = max(0, size - int(last)), size - 1
            else:
                start, end = int(first), min(size - 1, int(last) if last else size - 1)
            self._send(206, data[start : end + 1], {"Content-Range": f"bytes {start}-{end}/{size}"})

    return Handler


@contextmanager
def serve_wheels(index: WheelIndex) -> Iterator[str]:
    """Serve `index` on a loopback port; yield the simple API's base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(index))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}/simple"
    finally:
        server.shutdown()
        server.server_close()
