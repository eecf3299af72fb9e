"""The popular-package store: parse, import, download, load, status."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from fakes import LoopbackServer

from auditor.config import load_config
from auditor.errors import ConfigError, SourceError, SourceUnavailable
from auditor.http import make_session
from auditor.reputation.bundled import BUNDLED_COUNT, load_bundled, render_bundled
from auditor.reputation.bundled import main as bundled_main
from auditor.reputation.policy import load_reputation_policy
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
    assert load_popular(config, bundled=False) is None
    assert popular_status(config) is None
    count = import_popular_file(_write(tmp_path / "top.json", DOC), config)
    assert count == 3
    popular = load_popular(config)  # the stored list wins over the bundled one
    assert popular is not None
    assert len(popular) == 3
    assert not popular.bundled
    assert popular.describe().startswith("3 most downloaded projects (imported list: ")
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
    assert load_popular(config, bundled=False) is None
    assert popular_status(config) is None
    fallback = load_popular(config)  # a damaged store falls back to the bundled list
    assert fallback is not None
    assert fallback.bundled
    path.write_text(json.dumps({"format": 1, "rows": [["ok", 1], "broken"]}), encoding="utf-8")
    assert load_popular(config, bundled=False) is None
    assert load_popular(config) == fallback


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
    assert load_popular(config, bundled=False) is None


def test_offline_download_raises(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    with pytest.raises(SourceUnavailable):
        download_popular(config, make_session(offline=True))


# -- the bundled list ---------------------------------------------------------------------------


def test_the_shipped_list_loads() -> None:
    popular = load_bundled()
    assert popular is not None
    assert popular.bundled
    assert len(popular) == BUNDLED_COUNT
    assert popular.packages[0].rank == 1
    assert {"requests", "numpy", "pandas"} <= {p.name for p in popular.top(100)}
    assert popular.last_update is not None
    assert popular.describe().startswith(
        f"{BUNDLED_COUNT} most downloaded projects (bundled list, "
    )
    assert "hugovk/top-pypi-packages" in popular.describe()


def test_render_and_parse_round_trip_in_rank_order(tmp_path: Path) -> None:
    doc = {"last_update": "2026-04-01", "rows": [
        {"project": "Big", "download_count": 123_456_789},
        {"project": "small", "download_count": 999},
        {"project": "mid", "download_count": 45_678},
    ]}  # fmt: skip
    data = render_bundled(parse_popular(doc, "top.json"), count=2)
    assert data == render_bundled(parse_popular(doc, "top.json"), count=2)  # reproducible
    path = tmp_path / "top.txt.gz"
    path.write_bytes(data)
    popular = load_bundled(path)
    assert popular is not None
    assert [(p.display_name, p.rank, p.downloads) for p in popular] == [
        ("Big", 1, 123_000_000),
        ("mid", 2, 45_700),
    ]
    assert popular.last_update == "2026-04-01"
    assert popular.source == "bundled: hugovk/top-pypi-packages, 30-day downloads, top.txt.gz"
    assert popular.describe() == (
        "2 most downloaded projects (bundled list, 2026-04-01: "
        "hugovk/top-pypi-packages, 30-day downloads, top.txt.gz)"
    )


def test_generator_writes_the_file(tmp_path: Path) -> None:
    source = _write(tmp_path / "top.json", DOC)
    out = tmp_path / "out.txt.gz"
    assert bundled_main([str(source), str(out), "--count", "2"]) == 0
    popular = load_bundled(out)
    assert popular is not None
    assert [p.name for p in popular] == ["boto3", "requests"]
    assert bundled_main([]) == 2


@pytest.mark.parametrize("content", [b"", b"not gzip", gzip.compress(b"# only a header\n")])
def test_unreadable_shipped_list_counts_as_absent(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "top.txt.gz"
    path.write_bytes(content)
    assert load_bundled(path) is None
    assert load_bundled(tmp_path / "absent.gz") is None


def test_bundled_list_can_be_switched_off(tmp_path: Path) -> None:
    (tmp_path / ".auditor.toml").write_text(
        "[policy.reputation]\nbundled_popular = false\n", encoding="utf-8"
    )
    config = load_config(tmp_path)
    policy = load_reputation_policy(config)
    assert policy.bundled_popular is False
    assert load_popular(config, bundled=policy.bundled_popular) is None
    (tmp_path / ".auditor.toml").write_text(
        '[policy.reputation]\nbundled_popular = "yes"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"policy\.reputation\.bundled_popular: expected true"):
        load_reputation_policy(load_config(tmp_path))
