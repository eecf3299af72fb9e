"""Which repositories SOURCES names: folders, list files (paths and URLs), globs."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import ConfigError
from auditor.fleet.revision import content_hash
from auditor.fleet.sources import RepoSource, parse_sources


def test_a_folder_of_checkouts(tmp_path: Path) -> None:
    for name in ("b", "a", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "notes.txt").write_text("x")
    found = parse_sources(str(tmp_path))
    assert [s.name for s in found] == ["a", "b"]
    assert all(not s.is_url and Path(s.location).is_absolute() for s in found)


def test_a_list_of_paths_and_urls(tmp_path: Path) -> None:
    (tmp_path / "repos" / "one").mkdir(parents=True)
    listing = tmp_path / "fleet.txt"
    listing.write_text(
        "# comment\n\nrepos/one\n"
        "https://git.example.invalid/org/two.git\n"
        "git@git.example.invalid:org/three.git\n"
        "repos/one\n"
    )
    found = parse_sources(str(listing))
    assert [(s.name, s.is_url) for s in found] == [("one", False), ("two", True), ("three", True)]
    assert found[0].location == str((tmp_path / "repos" / "one").resolve())
    assert found[1].origin == f"{listing}:4"


def test_a_list_line_naming_nothing_is_an_error_with_its_line(tmp_path: Path) -> None:
    listing = tmp_path / "fleet.txt"
    listing.write_text("missing-folder\n")
    with pytest.raises(ConfigError, match=r"fleet.txt:1: missing-folder: no such folder"):
        parse_sources(str(listing))


def test_an_option_is_not_a_url(tmp_path: Path) -> None:
    listing = tmp_path / "fleet.txt"
    listing.write_text("ssh://-oProxyCommand=evil/x with space\n")
    with pytest.raises(ConfigError, match="not a repository URL"):
        parse_sources(str(listing))


def test_a_glob(tmp_path: Path) -> None:
    for name in ("svc-a", "svc-b", "lib-c"):
        (tmp_path / name).mkdir()
    found = parse_sources(str(tmp_path / "svc-*"))
    assert [s.name for s in found] == ["svc-a", "svc-b"]


def test_nothing_found(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such folder, list file or glob"):
        parse_sources(str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="no repositories found"):
        parse_sources(str(tmp_path))


def test_keys_are_stable_file_names() -> None:
    source = RepoSource(name="../../etc x", location="/a/b", is_url=False, origin="o")
    assert (
        source.key
        == RepoSource(name="../../etc x", location="/a/b", is_url=False, origin="elsewhere").key
    )
    assert "/" not in source.key
    assert not source.key.startswith(".")
    other = RepoSource(name="../../etc x", location="/a/c", is_url=False, origin="o")
    assert other.key != source.key


def test_content_hash_follows_content_not_time(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("a==1\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "index").write_text("ignored")
    first = content_hash(tmp_path)
    (tmp_path / ".git" / "index").write_text("changed")
    assert content_hash(tmp_path) == first
    (tmp_path / "requirements.txt").write_text("a==2\n")
    assert content_hash(tmp_path) != first
    (tmp_path / "link").symlink_to("/etc/passwd")
    linked = content_hash(tmp_path)
    (tmp_path / "link").unlink()
    (tmp_path / "link").symlink_to("/etc/hosts")
    assert content_hash(tmp_path) != linked
