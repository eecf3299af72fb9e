"""``auditor graph`` on hand-made repositories: tree to a file, depth, broken inputs, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

REQUIREMENTS = "flask==3.0.0\n"
POETRY_LOCK = """\
[[package]]
name = "flask"
version = "3.0.0"

[package.dependencies]
werkzeug = ">=3.0"

[[package]]
name = "werkzeug"
version = "3.0.1"

[package.dependencies]
markupsafe = ">=2.1"

[[package]]
name = "markupsafe"
version = "2.1.3"
"""


def _repo(root: Path, *, broken: bool = False) -> Path:
    root.mkdir(exist_ok=True)
    (root / "requirements.txt").write_text(REQUIREMENTS, encoding="utf-8")
    (root / "poetry.lock").write_text(POETRY_LOCK, encoding="utf-8")
    if broken:
        (root / "pyproject.toml").write_text("[project\nname = 'x'\n", encoding="utf-8")
    return root


def test_tree_to_a_file_is_plain_text(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    target = tmp_path / "out" / "graph.txt"
    result = run_cli("graph", str(repo), "--output", str(target))
    assert result.code == 0
    assert result.out == ""
    text = target.read_text(encoding="utf-8")
    assert "\x1b[" not in text
    lines = text.splitlines()
    assert lines[0] == "(project)"
    flask = next(line for line in lines if "flask" in line)
    assert "3.0.0" in flask
    assert "(==3.0.0)" in flask
    assert any("markupsafe 2.1.3" in line for line in lines)


def test_tree_depth_cuts_deeper_levels(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    shallow = run_cli("graph", str(repo), "--depth", "1")
    assert shallow.code == 0
    assert "flask" in shallow.out
    assert "werkzeug" not in shallow.out
    assert "…" in shallow.out
    deep = run_cli("graph", str(repo), "--depth", "3")
    assert "markupsafe" in deep.out


def test_broken_input_is_reported_and_makes_the_run_incomplete(tmp_path: Path) -> None:
    repo = _repo(tmp_path, broken=True)
    for fmt in ("tree", "json"):
        result = run_cli("graph", str(repo), "--format", fmt)
        assert result.code == 3, fmt
        assert result.err.startswith("auditor: pyproject.toml:")
        assert "werkzeug" in result.out
    allowed = run_cli("graph", str(repo), "--format", "json", "--allow-incomplete")
    assert allowed.code == 0
    nodes = {node["id"] for node in json.loads(allowed.out)["nodes"]}
    assert {"flask", "werkzeug", "markupsafe"} <= nodes


def test_tree_file_of_an_incomplete_run_is_still_written(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", broken=True)
    target = tmp_path / "graph.txt"
    result = run_cli("graph", str(repo), "--output", str(target))
    assert result.code == 3
    assert "flask" in target.read_text(encoding="utf-8")


def test_graph_of_one_file_is_the_graph_of_that_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    result = run_cli("graph", str(repo / "requirements.txt"))
    assert result.code == 0
    assert "flask" in result.out
    missing = run_cli("graph", str(repo / "nope.txt"))
    assert missing.code == 2
    assert "no such file or directory" in missing.err
