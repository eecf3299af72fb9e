"""One parse of every requirement: `Requirement.pinned` and `version_span`, and who reads them.

``foo==1.2,!=1.3`` pins 1.2 for everyone: the graph (node version), the vulnerability check (the
version queried against advisories), the pin checks and ``auditor fix`` (which edits 1.2 in
place, keeping ``,!=1.3``). Before the refactor the graph and the vulnerability check read that
specifier as a range.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from fakes import FakeIndex, FakeOsv, LoopbackServer
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from auditor.fix import plan_fixes
from auditor.graph import query
from auditor.graph.build import ROOT, build_graph
from auditor.model import (
    Finding,
    InputKind,
    Location,
    ParsedInput,
    Requirement,
    Severity,
    canonical_name,
)
from auditor.sources.pyproject import PyprojectSource
from auditor.sources.requirements import RequirementsSource

LINE = "foo==1.2,!=1.3"


def _parse(root: Path, text: str, name: str = "requirements.txt") -> ParsedInput:
    (root / name).write_text(text, encoding="utf-8")
    return RequirementsSource().parse(root, name)


def _only(root: Path, line: str) -> Requirement:
    (req,) = _parse(root, line + "\n").requirements
    return req


def _osv_record(vid: str, name: str, fixed: str) -> dict[str, Any]:
    events = [{"introduced": "0"}, {"fixed": fixed}]
    return {
        "id": vid,
        "modified": "2024-01-01T00:00:00Z",
        "summary": f"{name} problem",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }


# -- pinned ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "pinned"),
    [
        ("foo==1.2,!=1.3", "1.2"),
        ("foo!=1.3,==1.2", "1.2"),
        ("foo===1.0", "1.0"),
        ("foo===foobar", None),  # arbitrary equality with no version: nothing a Version holds
        ("foo==1.0.*", None),
        ("foo==1.2,==1.3", None),
        ("foo==1.2,>=2", None),  # the other clauses must admit the pinned version
        ("foo==1.2,==1.2.0", "1.2"),  # two spellings of one version
        ("foo>=1,<2", None),
        ("foo", None),
        ('foo==1.2 ; python_version<"3"', "1.2"),
        ("foo == 1.2", "1.2"),
        ("foo ( == 1.2 )", "1.2"),
        ("foo==v1.2", "1.2"),  # normalized
        ("foo==1.0RC1", "1.0rc1"),
        ("foo[bar,baz]==2.0.1+local", "2.0.1+local"),
        ("foo @ https://files.invalid/foo-1.2.tar.gz", None),
    ],
)
def test_pinned_on_tricky_specifiers(tmp_path: Path, line: str, pinned: str | None) -> None:
    req = _only(tmp_path, line)
    assert (None if req.pinned is None else str(req.pinned)) == pinned


def test_pinned_is_computed_at_construction_and_on_replace() -> None:
    req = Requirement(
        name=canonical_name("Foo"),
        raw_name="Foo",
        specifier=SpecifierSet("==1.2,!=1.3"),
        location=Location(path="requirements.txt", line=1),
        kind=InputKind.REQUIREMENTS,
        version_span=(5, 8),
    )
    assert req.pinned == Version("1.2")
    ranged = dataclasses.replace(req, specifier=SpecifierSet(">=1"))
    assert ranged.pinned is None
    assert ranged.version_span is None  # a span only ever says where the pinned version is


# -- version_span ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("foo==1.2,!=1.3\n", "1.2"),
        ("foo!=1.3,==1.2\n", "1.2"),
        ("foo[async,socks]==2.0 ; python_version >= '3.8'\n", "2.0"),
        ('   foo [ x ] ==  v2.0.1  ;  sys_platform == "linux"\n', "v2.0.1"),
        ("foo===1.0  # the pin we tested\n", "1.0"),
        ("foo==1.2 --hash=sha256:" + "a" * 64 + "\n", "1.2"),
        ("foo==1.2 \\\n    --hash=sha256:" + "a" * 64 + " \\\n    --hash=sha256:" + "b" * 64 + "\n",
         "1.2"),
        ("# a comment line first\n\nfoo>=1.0,==1.2\r\n", "1.2"),
        ("foo (==1.2)\n", "1.2"),
    ],
)  # fmt: skip
def test_version_span_on_requirements_lines(tmp_path: Path, text: str, written: str) -> None:
    req = _only(tmp_path, text.rstrip("\n"))
    assert req.version_span is not None
    assert req.location.line is not None
    physical = text.split("\n")[req.location.line - 1]
    start, end = req.version_span
    assert physical[start:end] == written
    assert Version(written) == req.pinned


@pytest.mark.parametrize(
    "text",
    [
        "foo \\\n    ==1.2\n",  # the pin is on a continuation line, not on location.line
        "foo==${FOO_VERSION}\n",  # the file does not say the version
        "${PKG}==1.2\n",  # text before the pin moved when ${PKG} was expanded
        "foo>=1.2\n",
        "foo==1.*\n",
        "foo @ https://files.invalid/foo.whl#sha256==1\n",
    ],
)
def test_no_version_span_where_the_line_does_not_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv("FOO_VERSION", "1.2")
    monkeypatch.setenv("PKG", "foo")
    reqs = _parse(tmp_path, text).requirements
    assert [r.version_span for r in reqs] == [None] * len(reqs)


def test_suggested_requirements_have_no_span(tmp_path: Path) -> None:
    # ``requests=2.31`` is repaired to requests==2.31 and emitted, but the file says ``=2.31``.
    (req,) = _parse(tmp_path, "requests=2.31\n").requirements
    assert str(req.pinned) == "2.31"
    assert req.version_span is None


def test_version_span_in_pyproject_strings(tmp_path: Path) -> None:
    text = (
        '[project]\nname = "app"\nversion = "1"\ndependencies = [\n'
        '    \'foo[x] == 1.2, != 1.3 ; python_version >= "3.8"\', "bar>=1",\n'
        '    "baz==2.0 ; os_name == \\"nt\\"",\n]\n'
        '[dependency-groups]\ndev = ["pytest===7.0"]\n'
    )
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    parsed = PyprojectSource().parse(tmp_path, "pyproject.toml")
    lines = text.split("\n")
    spans = {}
    for req in parsed.requirements:
        assert req.location.line is not None
        span = req.version_span
        spans[req.name] = None if span is None else lines[req.location.line - 1][slice(*span)]
    # baz's string has escapes: its written text is not the value, so no span.
    assert spans == {"foo": "1.2", "bar": None, "baz": None, "pytest": "7.0"}


_SPACE = st.sampled_from(["", " ", "  "])


@settings(max_examples=150, deadline=None)
@given(
    indent=_SPACE,
    extras=st.sampled_from(["", "[x]", "[a, b]"]),
    gap=_SPACE,
    others=st.lists(st.sampled_from(["!=1.3", ">=0.9", "<5", "!=4.*"]), max_size=2),
    operator=st.sampled_from(["==", "==="]),
    version=st.sampled_from(["1.2", "v1.2", "2.0.1", "1.0rc1", "3.0.post1"]),
    marker=st.sampled_from(["", " ; python_version >= '3.8'", ';sys_platform=="linux"']),
    tail=st.sampled_from(["", "  # note", " --hash=sha256:" + "c" * 64, " \\\n  --hash=x:y"]),
)
def test_version_span_always_reads_the_pinned_version(
    indent: str,
    extras: str,
    gap: str,
    others: list[str],
    operator: str,
    version: str,
    marker: str,
    tail: str,
) -> None:
    clauses = ",".join([f"{operator}{gap}{version}", *others])
    text = f"{indent}foo{gap}{extras}{gap}{clauses}{marker}{tail}\n"
    with tempfile.TemporaryDirectory() as tmp:
        (req,) = _parse(Path(tmp), text).requirements
    assert req.pinned == Version(version)
    assert req.version_span is not None
    assert text.split("\n")[0][slice(*req.version_span)] == version


# -- every reader sees 1.2 -------------------------------------------------------------------


def test_graph_records_the_pin_as_the_node_version(tmp_path: Path) -> None:
    graph = build_graph([_parse(tmp_path, LINE + "\n")])
    node = query.package(graph, "foo")
    assert node is not None
    assert node.versions == ("1.2",)
    (origin,) = query.origins(graph, ROOT, "foo")
    assert (origin.specifier, origin.pinned) == ("!=1.3,==1.2", "1.2")


def test_vulnerability_check_queries_the_pinned_version(
    osv_server: tuple[FakeOsv, LoopbackServer], tmp_path: Path
) -> None:
    fake, server = osv_server
    fake.add(_osv_record("PYSEC-0001", "foo", "2.0"))
    (tmp_path / "requirements.txt").write_text(LINE + "\n", encoding="utf-8")
    done = run_cli("scan", str(tmp_path), "--format", "json", "--enable", "AUD2")
    data = json.loads(done.out)
    queries = [
        query
        for request in server.requests
        if request.method == "POST"
        for query in request.body["queries"]
    ]
    assert queries == [{"package": {"name": "foo", "ecosystem": "PyPI"}, "version": "1.2"}]
    found = [(f["rule_id"], f["package"], f["version"]) for f in data["findings"]]
    assert found == [("AUD201", "foo", "1.2")]  # not AUD203 "your range admits ..."


def test_pin_checks_count_it_as_an_exact_pin(tmp_path: Path) -> None:
    (tmp_path / ".auditor.toml").write_text('[policy.pins]\nrequire = "exact"\n')
    (tmp_path / "requirements.txt").write_text(LINE + "\nbar>=1\n", encoding="utf-8")
    done = run_cli("scan", str(tmp_path), "--format", "json", "--enable", "AUD1")
    data = json.loads(done.out)
    found = {(f["rule_id"], f["package"]) for f in data["findings"]}
    assert ("AUD102", "bar") in found  # the policy is in force ...
    assert not {rule for rule, package in found if package == "foo"}  # ... and foo is pinned
    assert not {rule for rule, _package in found if rule == "AUD101"}


def test_fix_edits_the_pinned_version_in_place(
    osv_server: tuple[FakeOsv, LoopbackServer],
    index_server: tuple[FakeIndex, LoopbackServer],
    tmp_path: Path,
) -> None:
    fake, _ = osv_server
    fake.add(_osv_record("PYSEC-0001", "foo", "2.0"))
    text = "# app\n" + LINE + "  # keep the exclusion\n"
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    done = run_cli("fix", str(tmp_path), "--enable", "AUD201", "--format", "json")
    assert done.code == 0, done.err
    edits = [(e["line"], e["from"], e["to"], e["new"]) for e in json.loads(done.out)["edits"]]
    assert edits == [(2, "1.2", "2.0", "foo==2.0,!=1.3  # keep the exclusion\n")]


def test_fix_uses_the_span_where_the_text_search_cannot_find_the_pin(tmp_path: Path) -> None:
    # PEP 508's parenthesized form: the fallback text search does not read it, the parser does.
    parsed = _parse(tmp_path, "foo (==1.2, !=1.3)\n")
    finding = Finding(
        rule_id="AUD201",
        rule_name="known-vulnerability",
        severity=Severity.HIGH,
        message="foo 1.2 is affected by PYSEC-0001",
        package="foo",
        version="1.2",
        locations=(Location(path="requirements.txt", line=1),),
        evidence={"advisories": ["PYSEC-0001"], "fixed_by_advisory": {"PYSEC-0001": ["2.0"]}},
        key="PYSEC-0001",
    )
    plan = plan_fixes([finding], [parsed], tmp_path)
    assert [edit.new_text for edit in plan.edits] == ["foo (==2.0, !=1.3)\n"]
