"""Discovery: which files are inputs, what is skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.discover import classify, discover
from auditor.model import InputKind


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("requirements.txt", InputKind.REQUIREMENTS),
        ("requirements-dev.txt", InputKind.REQUIREMENTS),
        ("dev-requirements.in", InputKind.REQUIREMENTS),
        ("requirements/base.txt", InputKind.REQUIREMENTS),
        ("requirements/install.pip", InputKind.REQUIREMENTS),
        ("docs/requirements.txt", InputKind.REQUIREMENTS),
        ("docs/ref/models/constraints.txt", None),
        ("constraints.txt", InputKind.REQUIREMENTS),
        ("sub/pyproject.toml", InputKind.PYPROJECT),
        ("setup.cfg", InputKind.SETUP_CFG),
        ("setup.py", InputKind.SETUP_PY),
        ("Pipfile", InputKind.PIPFILE),
        ("Pipfile.lock", InputKind.PIPFILE_LOCK),
        ("poetry.lock", InputKind.POETRY_LOCK),
        ("uv.lock", InputKind.UV_LOCK),
        ("pdm.lock", InputKind.PDM_LOCK),
        ("pylock.toml", InputKind.PYLOCK),
        ("pylock.dev.toml", InputKind.PYLOCK),
        ("environment.yml", InputKind.CONDA),
        ("README.md", None),
        ("notes.txt", None),
        ("app.py", None),
    ],
)
def test_classify(path: str, kind: InputKind | None) -> None:
    assert classify(path) == kind


def test_walk_skips_venvs_gitignored_and_build_dirs(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text("import flask\n")
    for skipped in ("node_modules", "build", ".git", "myenv", "ignored"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "requirements.txt").write_text("x\n")
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "build" / "lib").mkdir()  # setuptools' build output, recognised by its contents
    (tmp_path / ".gitignore").write_text("ignored/\n*.gen.py\n")
    (tmp_path / "skip.gen.py").write_text("import os\n")
    (tmp_path / "nb.ipynb").write_text("{}")
    found = discover(tmp_path)
    assert found.inputs == [("requirements.txt", InputKind.REQUIREMENTS)]
    assert found.python_files == ["app.py"]
    assert found.notebooks == ["nb.ipynb"]


def test_nested_gitignore_applies_below_its_folder(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / ".gitignore").write_text("gen_*.py\n")
    (tmp_path / "svc" / "gen_a.py").write_text("")
    (tmp_path / "gen_b.py").write_text("")
    assert discover(tmp_path).python_files == ["gen_b.py"]


def test_symlink_out_of_repo_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    repo = tmp_path / "repo"
    outside.mkdir()
    repo.mkdir()
    (outside / "requirements.txt").write_text("evil\n")
    (repo / "linked").symlink_to(outside)
    (repo / "requirements.txt").symlink_to(outside / "requirements.txt")
    found = discover(repo)
    assert found.inputs == []
    assert found.skipped == [("requirements.txt", "symlink pointing outside the repository")]


def test_huge_and_binary_inputs_are_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"flask\x00\x01\x02")
    (tmp_path / "requirements-big.txt").write_text("x\n" * 100)
    found = discover(tmp_path, max_file_bytes=50)
    assert found.inputs == []
    reasons = dict(found.skipped)
    assert reasons["requirements.txt"] == "binary file"
    assert reasons["requirements-big.txt"].startswith("larger than 50 bytes")


def test_exclude_patterns(tmp_path: Path) -> None:
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "requirements.txt").write_text("x\n")
    (tmp_path / "requirements.txt").write_text("y\n")
    found = discover(tmp_path, exclude=("vendor",))
    assert [p for p, _ in found.inputs] == ["requirements.txt"]


def test_invalid_gitignore_line_is_skipped_like_git_does(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("!\nbuild-out/\n")
    (tmp_path / "build-out").mkdir()
    (tmp_path / "build-out" / "requirements.txt").write_text("x\n")
    (tmp_path / "requirements.txt").write_text("y\n")
    assert [p for p, _ in discover(tmp_path).inputs] == ["requirements.txt"]
