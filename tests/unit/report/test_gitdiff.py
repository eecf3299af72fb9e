"""Change scope: hunk parsing, in-scope rules, affected packages through the graph."""

from __future__ import annotations

from pathlib import Path

from report_sample import make_result

from auditor.gitdiff import ChangeSet, affected_packages, in_scope, parse_hunk_lines, restrict

DIFF = """diff --git a/requirements.txt b/requirements.txt
--- a/requirements.txt
+++ b/requirements.txt
@@ -2,0 +3,2 @@ flask
+django==1.0
+numpy
@@ -7 +9 @@
-old
+new
diff --git a/gone.txt b/gone.txt
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-x
"""


def test_parse_hunk_lines() -> None:
    assert parse_hunk_lines(DIFF) == {"requirements.txt": frozenset({3, 4, 9})}


def test_changed_manifest_line_selects_its_package_and_what_it_pulls_in(tmp_path: Path) -> None:
    result = make_result()
    changes = ChangeSet(lines={"requirements.txt": frozenset({1})})
    packages = affected_packages(result, changes, tmp_path)
    assert packages == {"requests", "urllib3", "idna"}
    kept = restrict(result, changes, tmp_path)
    assert {f.package for f in kept.findings} == {"requests", "urllib3"}
    assert "limited to" in kept.notes[-1]


def test_whole_file_change_and_unrelated_lines(tmp_path: Path) -> None:
    result = make_result()
    only_app = ChangeSet(lines={"app.py": None})
    kept = restrict(result, only_app, tmp_path)
    assert [f.rule_id for f in kept.findings] == ["AUD501"]
    other_line = ChangeSet(lines={"requirements.txt": frozenset({7})})
    assert restrict(result, other_line, tmp_path).findings == ()


def test_imports_in_a_changed_python_file(tmp_path: Path) -> None:
    (tmp_path / "web.py").write_text("from flask import Flask\nimport os\n")
    result = make_result()
    changes = ChangeSet(lines={"web.py": None})
    assert affected_packages(result, changes, tmp_path) == {"flask", "jinja2", "markupsafe"}
    kept = restrict(result, changes, tmp_path)
    assert [f.package for f in kept.findings] == ["flask"]


def test_in_scope_without_package() -> None:
    finding = make_result().findings[-1]
    assert in_scope(finding, ChangeSet(lines={"app.py": frozenset({3})}), frozenset())
    assert not in_scope(finding, ChangeSet(lines={"app.py": frozenset({4})}), frozenset())


def test_only_imports_on_changed_lines_count(tmp_path: Path) -> None:
    (tmp_path / "web.py").write_text("from flask import Flask\nimport requests\n")
    result = make_result()
    changes = ChangeSet(lines={"web.py": None}, source_lines={"web.py": frozenset({2})})
    assert affected_packages(result, changes, tmp_path) == {"requests", "urllib3", "idna"}
