"""Atomic writes: whole files or nothing, permissions kept, no temporary files left behind."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from auditor.atomic import atomic_write_bytes, atomic_write_text


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_in_new_folders_is_world_readable(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "report.json"
    atomic_write_text(target, "{}\n")
    assert target.read_text(encoding="utf-8") == "{}\n"
    assert _mode(target) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_replacing_keeps_the_files_permissions(tmp_path: Path) -> None:
    target = tmp_path / "secret.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o600)
    atomic_write_bytes(target, b"new \xff bytes")
    assert target.read_bytes() == b"new \xff bytes"
    assert _mode(target) == 0o600


def test_text_is_written_as_utf8(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    atomic_write_text(target, "naïve ✓\n")
    assert target.read_bytes() == "naïve ✓\n".encode()


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(IsADirectoryError):  # a folder cannot be replaced by a file
        atomic_write_text(target, "new")
    assert target.is_dir()
    assert (target / "inside.txt").read_text(encoding="utf-8") == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_stale_leftovers_of_a_killed_write_are_removed_by_the_next(tmp_path: Path) -> None:
    target = tmp_path / "requirements.txt"
    target.write_text("old\n")
    stale = tmp_path / ".requirements.txt.k1ll3d.tmp"
    stale.write_text("half")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    young = tmp_path / ".requirements.txt.c0ncur.tmp"  # a concurrent writer's: kept
    young.write_text("in progress")
    atomic_write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert not stale.exists()
    assert young.exists()
