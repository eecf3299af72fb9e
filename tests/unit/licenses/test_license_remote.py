"""One release's license metadata from a loopback index: per-version JSON, else PEP 658."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DEAD_URL
from fakes import FakeIndex, Fault, LoopbackServer, serve

from auditor.cache import Cache
from auditor.http import make_session
from auditor.licenses.model import Source
from auditor.licenses.remote import ReleaseFetcher, _page_files, metadata_file

METADATA = """Metadata-Version: 2.4
Name: meta-only
Version: 1.0
License-Expression: BSD-3-Clause
Classifier: Programming Language :: Python
License-File: LICENSE

A description that mentions the GPL, which is not a license field.
"""


@pytest.fixture
def index() -> Iterator[tuple[FakeIndex, LoopbackServer]]:
    fake = FakeIndex()
    fake.add(
        "json-lib",
        {"1.0": "2024-01-01T00:00:00Z", "2.0": "2024-06-01T00:00:00Z"},
        license_expression="MIT",
        version_info={"1.0": {"license_expression": None, "license": "BSD License"}},
    )
    fake.add(
        "meta-only",
        {"1.0": "2024-01-01T00:00:00Z", "2.0": "2024-06-01T00:00:00Z"},
        version_json=False,
        metadata={"1.0": METADATA},
    )
    fake.add(
        "bare", {"1.0": "2024-01-01T00:00:00Z", "2.0": "2024-06-01T00:00:00Z"}, version_json=False
    )
    with serve(fake) as server:
        yield fake, server


def _fetcher(url: str, tmp_path: Path, *, offline: bool = False) -> ReleaseFetcher:
    return ReleaseFetcher(
        session=make_session(offline=offline, timeout=5, retries=0),
        cache=Cache(tmp_path / "cache"),
        json_url=f"{url}/pypi",
        simple_url=f"{url}/simple",
        cache_key_base=f"{url}/pypi",
        ttl=3600,
    )


def test_per_version_json_first(index: tuple[FakeIndex, LoopbackServer], tmp_path: Path) -> None:
    _fake, server = index
    answer = _fetcher(server.url, tmp_path).fetch("json-lib", "1.0")
    assert answer.source is Source.INDEX_VERSION_JSON
    assert answer.metadata is not None
    assert answer.metadata.license == "BSD License"
    assert answer.metadata.expression is None


def test_pep658_metadata_when_no_version_json(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = index
    answer = _fetcher(server.url, tmp_path).fetch("meta-only", "1.0")
    assert answer.source is Source.INDEX_METADATA
    assert answer.metadata is not None
    assert answer.metadata.expression == "BSD-3-Clause"
    assert answer.metadata.license_files == ("LICENSE",)
    paths = [r.path for r in server.requests]
    assert "/pypi/meta-only/1.0/json" in paths
    assert any(p.endswith(".whl.metadata") for p in paths)
    assert not any(p.endswith(".whl") for p in paths)  # never the archive


def test_no_metadata_anywhere_is_an_answer_not_a_failure(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = index
    answer = _fetcher(server.url, tmp_path).fetch("bare", "1.0")
    assert answer.metadata is None
    assert answer.source is Source.INDEX_METADATA
    assert "serves no metadata" in answer.reason


def test_metadata_hash_mismatch_is_refused(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    fake, server = index
    path = next(iter(fake.metadata_files))
    fake.metadata_files[path] = b"Metadata-Version: 2.4\nName: meta-only\nLicense: MIT\n"
    answer = _fetcher(server.url, tmp_path).fetch("meta-only", "1.0")
    assert answer.source is Source.NOT_CHECKED
    assert "sha256" in answer.reason


def test_failures_are_not_checked_and_never_cached(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = index
    server.faults["/"] = Fault(status=503)
    fetcher = _fetcher(server.url, tmp_path)
    answer = fetcher.fetch("json-lib", "1.0")
    assert answer.source is Source.NOT_CHECKED
    assert "HTTP 503" in answer.reason
    key = fetcher.key("json-lib", "1.0")
    fetcher.store({key: answer})
    assert fetcher.cached([key]) == {}
    dead = _fetcher(DEAD_URL, tmp_path).fetch("json-lib", "1.0")
    assert dead.source is Source.NOT_CHECKED


def test_cache_round_trip_and_offline(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = index
    fetcher = _fetcher(server.url, tmp_path)
    answer = fetcher.fetch("meta-only", "1.0")
    key = fetcher.key("meta-only", "1.0")
    fetcher.store({key: answer})
    offline = _fetcher(server.url, tmp_path, offline=True)
    hit = offline.cached([key])[key]
    assert hit.from_cache
    assert hit.metadata == answer.metadata
    assert hit.source is Source.INDEX_METADATA
    assert offline.fetch("meta-only", "2.0").reason == "offline"


def test_html_simple_page_with_core_metadata_attribute() -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    body = (
        '<html><body><a href="../../files/pkg-1.0-py3-none-any.whl#sha256=00" '
        f'data-core-metadata="sha256={digest}">pkg-1.0-py3-none-any.whl</a>'
        '<a href="../../files/pkg-1.0.tar.gz" data-dist-info-metadata="true">pkg-1.0.tar.gz</a>'
        '<a href="../../files/pkg-0.9-py3-none-any.whl">pkg-0.9-py3-none-any.whl</a>'
        "</body></html>"
    ).encode()
    files = _page_files(body, "text/html")
    assert metadata_file("pkg", "1.0", files) == (
        "../../files/pkg-1.0-py3-none-any.whl#sha256=00",
        digest,
    )
    assert metadata_file("pkg", "0.9", files) is None  # no metadata served for it
    sdist_only = [f for f in files if f["filename"].endswith(".tar.gz")]
    assert metadata_file("pkg", "1.0", sdist_only) == ("../../files/pkg-1.0.tar.gz", None)
    assert metadata_file("other", "1.0", files) is None
