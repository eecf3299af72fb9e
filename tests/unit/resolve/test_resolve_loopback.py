"""Real resolvers (uv and pip) against a loopback index serving real wheels built in the tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from wheelhouse import Wheelhouse, sample_house, serve_wheelhouse

from auditor.cache import Cache
from auditor.resolve.model import WOULD_BUILD, Resolution, ResolveRequest, ResolveTarget
from auditor.resolve.resolver import CACHE_NAMESPACE, ResolvePolicy, resolve
from auditor.resolve.uv import find_uv

pytestmark = pytest.mark.skipif(find_uv() is None, reason="uv is not installed")


@pytest.fixture
def house() -> Wheelhouse:
    return sample_house()


@pytest.fixture
def index(house: Wheelhouse) -> Iterator[str]:
    with serve_wheelhouse(house) as url:
        yield f"{url}/simple"


def _resolve(
    index: str,
    *reqs: str,
    tmp_path: Path,
    resolver: str = "uv",
    cache: Cache | None = None,
    **policy: object,
) -> Resolution:
    request = ResolveRequest(requirements=reqs, index_url=index,
                             target=ResolveTarget(python="3.11"))  # fmt: skip
    return resolve(
        request,
        policy=ResolvePolicy.from_policy({"resolver": resolver, **policy}),
        cache=cache,
        cache_dir=tmp_path / "cache",
    )


def _edges(resolution: Resolution) -> set[tuple[str, str]]:
    return {(parent, p.name) for p in resolution.packages for parent in p.parents}


@pytest.mark.parametrize("resolver", ["uv", "pip"])
def test_resolution_brings_the_whole_tree_with_edges(
    index: str, tmp_path: Path, resolver: str
) -> None:
    found = _resolve(index, "flask>=2", "requests[socks]", tmp_path=tmp_path, resolver=resolver)
    assert found.error is None, found.error
    assert {(p.name, p.version) for p in found.packages} == {
        ("flask", "3.0.0"), ("werkzeug", "3.0.1"), ("jinja2", "3.1.0"), ("markupsafe", "2.1.0"),
        ("itsdangerous", "2.0.0"), ("requests", "2.31.0"), ("idna", "3.4"), ("pysocks", "1.7.1"),
    }  # fmt: skip
    assert {("flask", "werkzeug"), ("flask", "jinja2"), ("werkzeug", "markupsafe"),
            ("jinja2", "markupsafe"), ("requests", "pysocks")} <= _edges(found)  # fmt: skip
    assert {p.name for p in found.packages if p.requested} == {"flask", "requests"}
    assert found.resolver.startswith(resolver)
    assert found.index_url == index


@pytest.mark.parametrize("resolver", ["uv", "pip"])
def test_sdist_only_package_is_left_out_and_never_built(
    house: Wheelhouse, tmp_path: Path, resolver: str
) -> None:
    ran = tmp_path / "setup-py-ran"
    house.add("buildme", "1.0", sdist_only=True, tripwire=str(ran))
    with serve_wheelhouse(house) as url:
        found = _resolve(f"{url}/simple", "buildme", tmp_path=tmp_path, resolver=resolver)
    assert not ran.exists()  # no package code ran
    assert found.packages == ()
    assert [u.name for u in found.unresolved] == ["buildme"]


def test_sdist_only_dependency_is_left_out_the_rest_resolved(index: str, tmp_path: Path) -> None:
    found = _resolve(index, "needs-tripwire", "flask", tmp_path=tmp_path)
    assert found.error is None, found.error
    assert [(u.name, u.reason) for u in found.unresolved] == [("tripwire", WOULD_BUILD)]
    assert {p.name for p in found.packages} >= {"needs-tripwire", "idna", "flask"}
    assert "tripwire" not in {p.name for p in found.packages}


def test_a_name_the_index_does_not_know_is_left_out(index: str, tmp_path: Path) -> None:
    found = _resolve(index, "reqeusts", "idna", tmp_path=tmp_path)
    assert found.error is None
    assert [u.name for u in found.unresolved] == ["reqeusts"]
    assert [p.name for p in found.packages] == ["idna"]


def test_a_conflict_is_an_error_not_an_empty_clean_answer(index: str, tmp_path: Path) -> None:
    found = _resolve(index, "flask==3.0.0", "werkzeug<3", tmp_path=tmp_path)
    assert found.error is not None
    assert found.packages == ()


def test_answers_are_cached_by_what_they_depend_on(
    index: str, house: Wheelhouse, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "c")
    first = _resolve(index, "flask", tmp_path=tmp_path, cache=cache)
    asked = len(house.requests)
    second = _resolve(index, "flask", tmp_path=tmp_path, cache=cache)
    assert not first.cached
    assert second.cached
    assert len(house.requests) == asked  # nothing asked again
    assert second.packages == first.packages
    other = resolve(
        ResolveRequest(
            requirements=("flask",), index_url=index, target=ResolveTarget(python="3.12")
        ),
        policy=ResolvePolicy(),
        cache=cache,
        cache_dir=tmp_path / "cache",
    )
    assert not other.cached
    cache.close()


def test_offline_uses_only_the_cache(index: str, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    request = ResolveRequest(requirements=("idna",), index_url=index,
                             target=ResolveTarget(python="3.11"))  # fmt: skip
    policy = ResolvePolicy()
    missed = resolve(request, policy=policy, cache=cache, offline=True)
    assert missed.error == "offline and no cached resolution"
    resolve(request, policy=policy, cache=cache, cache_dir=tmp_path / "cache")
    hit = resolve(request, policy=policy, cache=cache, offline=True)
    assert hit.cached
    assert [p.name for p in hit.packages] == ["idna"]
    cache.close()


def test_failed_resolutions_are_not_cached(index: str, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    _resolve(index, "flask==3.0.0", "werkzeug<3", tmp_path=tmp_path, cache=cache)
    assert cache.get_many(CACHE_NAMESPACE, []) == {}
    again = _resolve(index, "flask==3.0.0", "werkzeug<3", tmp_path=tmp_path, cache=cache)
    assert not again.cached
    cache.close()


def test_a_hanging_index_ends_at_the_deadline(tmp_path: Path) -> None:
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:  # accept and never answer
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        started = time.monotonic()
        found = _resolve(f"http://127.0.0.1:{port}/simple", "idna", tmp_path=tmp_path, timeout=2)
        assert time.monotonic() - started < 10
        assert found.error == "the resolver did not finish within 2 s"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_missing_uv_is_reported_when_uv_is_required(index: str, tmp_path: Path) -> None:
    found = _resolve(index, "idna", tmp_path=tmp_path, uv=str(tmp_path / "no-uv-here"))
    assert found.error is not None
    assert "uv not found" in found.error
