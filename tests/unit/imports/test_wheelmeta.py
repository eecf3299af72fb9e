"""Module lists of wheels read from the index: member names, wheel choice, range reads, cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from wheel_index import WheelIndex, make_wheel, serve_wheels

from auditor.cache import Cache
from auditor.http import make_session
from auditor.imports.wheelmeta import (
    WheelModules,
    WheelReader,
    choose_wheel,
    modules_from_members,
    parse_simple_page,
    read_wheel_modules,
)

ARGON2_WHEEL = {
    "argon2/__init__.py": "",
    "argon2/_utils.py": "",
    "argon2_cffi-23.1.0.dist-info/METADATA": "Name: argon2-cffi\n",
    "argon2_cffi-23.1.0.dist-info/RECORD": "",
}


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        (list(ARGON2_WHEEL), {"argon2"}),
        (["six.py", "six-1.16.0.dist-info/RECORD"], {"six"}),
        (["_cffi_backend.cpython-312-x86_64-linux-gnu.so", "cffi/__init__.py"],
         {"_cffi_backend", "cffi"}),
        # namespace packages resolve to the first regular package, never the bare namespace
        (["google/protobuf/__init__.py", "google/protobuf/json_format.py",
          "google/_upb/_message.abi3.so"], {"google.protobuf", "google._upb._message"}),
        (["google/cloud/storage/__init__.py", "google/cloud/storage/blob.py"],
         {"google.cloud.storage"}),
        # .data/purelib is the root; scripts, headers, stubs, tests and docs give nothing
        (["pkg-1.0.data/purelib/pkg/__init__.py", "pkg-1.0.data/scripts/run.py",
          "requests-stubs/__init__.pyi", "tests/__init__.py", "docs/conf.py"], {"pkg"}),
        (["yaml/__init__.py", "_yaml/__init__.py", "PyYAML-6.0.dist-info/top_level.txt"],
         {"yaml", "_yaml"}),
    ],
)  # fmt: skip
def test_modules_from_members(members: list[str], expected: set[str]) -> None:
    assert modules_from_members(members) == expected


def test_choose_wheel_prefers_the_version_then_pure_then_small() -> None:
    files: list[dict[str, Any]] = [
        {"filename": "argon2_cffi-23.1.0-cp39-abi3-manylinux_x86_64.whl", "url": "a", "size": 9},
        {"filename": "argon2_cffi-23.1.0-py3-none-any.whl", "url": "b", "size": 99},
        {"filename": "argon2_cffi-21.3.0-py3-none-any.whl", "url": "c", "size": 1},
        {"filename": "argon2-cffi-23.1.0.tar.gz", "url": "d"},
        {"filename": "argon2_cffi-24.0.0rc1-py3-none-any.whl", "url": "e"},
        {"filename": "other-23.1.0-py3-none-any.whl", "url": "f"},
    ]
    assert choose_wheel("argon2-cffi", "23.1.0", files) == {**files[1], "_pure": True}
    # without a version: the newest final release
    latest = choose_wheel("argon2-cffi", None, files)
    assert latest is not None
    assert latest["url"] == "b"
    assert choose_wheel("argon2-cffi", "9.9", files) is None


def test_simple_page_html_and_json() -> None:
    html = (
        b'<a href="../f/x-1.0-py3-none-any.whl#sha256=00" data-yanked="">x-1.0-py3-none-any.whl</a>'
    )
    (item,) = parse_simple_page(html, "text/html")
    assert (item["filename"], item["yanked"]) == ("x-1.0-py3-none-any.whl", True)
    body = b'{"files": [{"filename": "x-1.0-py3-none-any.whl", "url": "u"}, {"bad": 1}]}'
    assert len(parse_simple_page(body, "application/vnd.pypi.simple.v1+json")) == 1


def _read(
    index_url: str,
    tmp_path: Path,
    wanted: dict[str, str | None],
    *,
    max_bytes: int = 8_000_000,
    offline: bool = False,
) -> WheelModules:
    session = make_session(timeout=5, retries=0, offline=offline)
    cache = Cache(tmp_path / "cache")
    try:
        reader = WheelReader(session=session, index_url=index_url, max_bytes=max_bytes)
        return read_wheel_modules(wanted, reader=reader, cache=cache, offline=offline)
    finally:
        session.close()
        cache.close()


@pytest.mark.parametrize("html", [False, True])
def test_reads_only_the_zip_directory_with_range_requests(tmp_path: Path, html: bool) -> None:
    index = WheelIndex(html=html)
    wheel = make_wheel(ARGON2_WHEEL, padding=400_000)
    index.add("argon2-cffi", "argon2_cffi-23.1.0-py3-none-any.whl", wheel)
    with serve_wheels(index) as url:
        result = _read(url, tmp_path, {"argon2-cffi": "23.1.0", "ghost": None})
    assert result.modules == {"argon2-cffi": frozenset({"argon2"})}
    assert result.no_wheel == ("ghost",)
    assert index.bytes_sent < 100_000  # the 400 kB blob was never downloaded
    assert any(r == "bytes=-65536" for _p, r in index.requests)


def test_large_central_directory_is_fetched_with_a_second_range(tmp_path: Path) -> None:
    index = WheelIndex()
    members = {f"bigpkg/mod_{i:05d}_{'x' * 60}.py": "" for i in range(1500)}
    members["bigpkg/__init__.py"] = ""
    index.add("bigpkg", "bigpkg-1.0-py3-none-any.whl", make_wheel(members))
    with serve_wheels(index) as url:
        result = _read(url, tmp_path, {"bigpkg": "1.0"})
    assert result.modules == {"bigpkg": frozenset({"bigpkg"})}
    assert len([r for _p, r in index.requests if r]) >= 2


def test_host_ignoring_ranges_is_read_whole_up_to_the_cap(tmp_path: Path) -> None:
    index = WheelIndex(ranges=False)
    index.add("small", "small-1.0-py3-none-any.whl", make_wheel({"small/__init__.py": ""}))
    index.add("huge", "huge-1.0-py3-none-any.whl", make_wheel({"huge.py": ""}, padding=300_000))
    with serve_wheels(index) as url:
        result = _read(url, tmp_path, {"small": "1.0", "huge": "1.0"}, max_bytes=200_000)
    assert result.modules == {"small": frozenset({"small"})}
    assert "read cap" in result.failed["huge"]


def test_answers_are_cached_and_offline_reads_only_the_cache(tmp_path: Path) -> None:
    index = WheelIndex()
    index.add("argon2-cffi", "argon2_cffi-23.1.0-py3-none-any.whl", make_wheel(ARGON2_WHEEL))
    with serve_wheels(index) as url:
        _read(url, tmp_path, {"argon2-cffi": "23.1.0"})
        first = len(index.requests)
        again = _read(url, tmp_path, {"argon2-cffi": "23.1.0", "other": None}, offline=True)
    assert len(index.requests) == first
    assert again.modules == {"argon2-cffi": frozenset({"argon2"})}
    assert again.cached == 1
    assert again.failed == {"other": "offline"}


def test_unreachable_index_is_a_failure_not_an_answer(tmp_path: Path) -> None:
    result = _read("http://127.0.0.1:9/simple", tmp_path, {"argon2-cffi": "23.1.0"})
    assert "argon2-cffi" in result.failed
    assert not result.modules


def test_pth_folders_and_platform_choice(tmp_path: Path) -> None:
    index = WheelIndex()
    members = {
        "pywin32.pth": "# comment\nwin32\nwin32/lib\nimport os\n",
        "win32/win32api.pyd": "",
        "win32/lib/win32con.py": "",
        "pythoncom.py": "",
        "pywin32-312.dist-info/RECORD": "",
    }
    index.add("pywin32", "pywin32-312-cp312-cp312-win_amd64.whl", make_wheel(members))
    # a Windows shell wheel and a complete Linux one: the Linux one is read
    index.add("tf", "tf-2.0-cp312-cp312-win_amd64.whl", make_wheel({"tf-2.0.dist-info/RECORD": ""}))
    index.add("tf", "tf-2.0-cp312-cp312-manylinux_2_17_x86_64.whl",
              make_wheel({"tf/__init__.py": "", "tf/big.py": "x" * 5000}))  # fmt: skip
    with serve_wheels(index) as url:
        result = _read(url, tmp_path, {"pywin32": "312", "tf": "2.0"})
    assert {"win32api", "win32con", "pythoncom"} <= result.modules["pywin32"]
    assert result.modules["tf"] == frozenset({"tf"})
    assert "manylinux" in result.wheels["tf"]
