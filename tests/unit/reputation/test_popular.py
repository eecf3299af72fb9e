"""The popular-package store: parse, import, download, load, status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import LoopbackServer

from auditor.config import load_config
from auditor.errors import SourceError, SourceUnavailable
from auditor.http import make_session
from auditor.reputation.popular import (
    download_popular,
    import_popular_file,
    load_popular,
    parse_popular,
    popular_status,
    store_path,
)

DOC = {
    "last_update": "2026-04-01 06:34:06",
    "rows": [
        {"project": "requests", "download_count": 900},
        {"project": "boto3", "download_count": 1000},
        {"project": "Typing_Extensions", "download_count": 800},
    ],
}


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_parse_ranks_by_downloads_and_normalizes() -> None:
    popular = parse_popular(DOC, "top.json")
    assert [p.name for p in popular] == ["boto3", "requests", "typing-extensions"]
    assert popular.rank("typing.extensions") == 3
    assert popular.get("Typing_Extensions") is not None
    assert popular.get("Typing_Extensions").display_name == "Typing_Extensions"  # type: ignore[union-attr]  # not None: asserted above
    assert "REQUESTS" in popular
    assert popular.rank("nope") is None
    assert [p.name for p in popular.without("boto3")] == ["requests", "typing-extensions"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], 'top.json: expected an object with a "rows" array'),
        ({"rows": ["x"]}, "top.json: /rows/0: expected an object"),
        ({"rows": [{"download_count": 1}]}, "top.json: /rows/0/project: expected a project name"),
        ({"rows": [{"project": "a", "download_count": -1}]},
         "top.json: /rows/0/download_count: expected a count"),
    ],
)  # fmt: skip
def test_parse_rejects_malformed(data: object, message: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_popular(data, "top.json")
    assert str(info.value) == message


def test_import_stores_atomically_and_loads(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert load_popular(config) is None
    assert popular_status(config) is None
    count = import_popular_file(_write(tmp_path / "top.json", DOC), config)
    assert count == 3
    popular = load_popular(config)
    assert popular is not None
    assert popular.rank("boto3") == 1
    assert popular.last_update == "2026-04-01 06:34:06"
    status = popular_status(config)
    assert status is not None
    assert status["count"] == 3
    assert status["source"].endswith("top.json")
    assert status["last_update"] == "2026-04-01 06:34:06"
    assert status["imported_at"]
    # No temporary file is left next to the store.
    assert [p.name for p in store_path(config).parent.iterdir()] == ["top-packages.json"]


def test_import_errors_name_the_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{\n oops", encoding="utf-8")
    with pytest.raises(SourceError, match=r"bad\.json:2: invalid JSON"):
        import_popular_file(bad, config)
    with pytest.raises(SourceError, match="holds no projects"):
        import_popular_file(_write(tmp_path / "empty.json", {"rows": []}), config)
    with pytest.raises(SourceError, match="cannot read"):
        import_popular_file(tmp_path / "absent.json", config)


def test_damaged_store_counts_as_absent(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    path = store_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    assert load_popular(config) is None
    assert popular_status(config) is None
    path.write_text(json.dumps({"format": 1, "rows": [["ok", 1], "broken"]}), encoding="utf-8")
    assert load_popular(config) is None


def _serve(payload: object, status: int = 200) -> LoopbackServer:
    return LoopbackServer(lambda method, path, body: (status, payload, {})).start()


def test_download_stores_the_list(tmp_path: Path) -> None:
    server = _serve(DOC)
    try:
        config = load_config(tmp_path).with_overrides(top_packages_url=f"{server.url}/top.json")
        assert download_popular(config, make_session(retries=0)) == 3
    finally:
        server.stop()
    status = popular_status(config)
    assert status is not None
    assert status["source"] == f"{server.url}/top.json"


@pytest.mark.parametrize(("payload", "status"), [({"rows": "x"}, 200), ("nope", 200), ({}, 500)])
def test_download_failures_raise_source_unavailable(
    tmp_path: Path, payload: object, status: int
) -> None:
    server = _serve(payload, status)
    try:
        config = load_config(tmp_path).with_overrides(top_packages_url=f"{server.url}/top.json")
        with pytest.raises(SourceUnavailable):
            download_popular(config, make_session(retries=0))
    finally:
        server.stop()
    assert load_popular(config) is None


def test_offline_download_raises(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    with pytest.raises(SourceUnavailable):
        download_popular(config, make_session(offline=True))
