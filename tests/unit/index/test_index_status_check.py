"""The index checks' pieces: which packages and versions are asked about, policy, version picks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from checkrun import findings_of, run_check
from fakes import FakeIndex, LoopbackServer
from packaging.specifiers import SpecifierSet

from auditor.checks.base import CheckContext
from auditor.checks.compiled import compiled_transitive
from auditor.checks.index_status import (
    CHECK,
    IndexPolicy,
    newest_release,
    next_good_release,
    quote_index_text,
)
from auditor.config import load_config
from auditor.discover import discover
from auditor.errors import ConfigError
from auditor.graph.build import build_graph
from auditor.index.model import ProjectInfo, Release
from auditor.index.targets import index_names, off_index_names, used_versions
from auditor.model import (
    InputKind,
    Location,
    LockedPackage,
    ParsedInput,
    Requirement,
    Severity,
    canonical_name,
)
from auditor.rules.catalog import load_rules


def _req(name: str, spec: str, line: int, **kwargs: object) -> Requirement:
    return Requirement(
        name=canonical_name(name),
        raw_name=name.title(),
        specifier=SpecifierSet(spec),
        location=Location(path="requirements.txt", line=line),
        kind=InputKind.REQUIREMENTS,
        **kwargs,  # type: ignore[arg-type]  # extra dataclass fields, passed through as given
    )


def _locked(name: str, version: str, line: int, **kwargs: object) -> LockedPackage:
    return LockedPackage(
        name=name,
        raw_name=name,
        version=version,
        location=Location(path="poetry.lock", line=line),
        kind=InputKind.POETRY_LOCK,
        **kwargs,  # type: ignore[arg-type]  # extra dataclass fields, passed through as given
    )


def _context(root: Path, inputs: list[ParsedInput], *rules: str) -> CheckContext:
    catalog = load_rules()
    return CheckContext(
        config=load_config(root),
        root=root,
        inputs=tuple(inputs),
        graph=build_graph(inputs),
        rules=catalog,
        discovery=discover(root),
        enabled_rules=frozenset(rules or ("AUD403", "AUD404", "AUD405")),
    )


def _inputs() -> list[ParsedInput]:
    return [
        ParsedInput(
            path="requirements.txt",
            kind=InputKind.REQUIREMENTS,
            requirements=(
                _req("requests", "==2.19.0", 1),
                _req("flask", ">=2", 2),
                _req("click", "==8.*", 3),
                _req("mylib", "", 4, url="./libs/mylib"),
                _req("vcslib", "", 5, url="git+https://127.0.0.1/x.git"),
                _req("devtool", "==1.0", 6, editable=True, url="."),
                _req("urllib3", "==1.24", 7, constraint=True),
            ),
        ),
        ParsedInput(
            path="poetry.lock",
            kind=InputKind.POETRY_LOCK,
            packages=(
                _locked("requests", "2.19.0", 10),
                _locked("idna", "2.7", 20),
                _locked("gitdep", "0.1", 30, source_url="https://127.0.0.1/g.git"),
                _locked("pinned-commit", "0.2", 40, source_commit="abc123"),
                _locked("localdir", "0.3", 50, source_url="../localdir"),
            ),
        ),
    ]


def test_targets_skip_local_vcs_and_constraints(tmp_path: Path) -> None:
    ctx = _context(tmp_path, _inputs())
    assert index_names(ctx.inputs, ctx.graph) == ["click", "flask", "idna", "requests"]
    uses = {(u.name, u.version): u for u in used_versions(ctx.inputs, ctx.graph)}
    assert sorted(uses) == [("idna", "2.7"), ("requests", "2.19.0")]
    requests = uses[("requests", "2.19.0")]
    assert requests.locked
    assert requests.display_name == "Requests"
    assert requests.locations == (
        Location(path="poetry.lock", line=10),
        Location(path="requirements.txt", line=1),
    )


def test_targets_are_computed_once_per_scan_inputs(tmp_path: Path) -> None:
    ctx = _context(tmp_path, _inputs())
    skip = off_index_names(ctx.inputs, ctx.graph)
    assert off_index_names(ctx.inputs, ctx.graph) is skip  # the scan's tuple: remembered
    assert off_index_names(list(ctx.inputs), ctx.graph) == skip  # other inputs: afresh
    first = used_versions(ctx.inputs, ctx.graph)
    first.clear()  # callers get their own list
    assert used_versions(ctx.inputs, ctx.graph) == used_versions(list(ctx.inputs), ctx.graph)
    assert [u.name for u in used_versions(ctx.inputs, ctx.graph)] == ["idna", "requests"]
    fewer = ctx.inputs[:1]
    assert used_versions(fewer, ctx.graph) != used_versions(ctx.inputs, ctx.graph)


def _info(*releases: Release) -> ProjectInfo:
    return ProjectInfo(name="p", display_name="p", releases=releases)


def _rel(version: str, day: str | None = "2024-01-01", *, yanked: bool = False) -> Release:
    when = dt.datetime.fromisoformat(day + "T00:00:00+00:00") if day else None
    return Release(version=version, upload_time=when, yanked=yanked)


def test_newest_release_ignores_pre_yanked_and_future() -> None:
    info = _info(
        _rel("1.0"),
        _rel("1.5", yanked=True),
        _rel("2.0rc1"),
        _rel("1.2", None),
        _rel("3.0", "2030-01-01"),
    )
    newest = newest_release(info, dt.date(2025, 1, 1))
    assert newest is not None
    assert newest[1].version == "1.2"


def test_next_good_release() -> None:
    info = _info(_rel("1.0"), _rel("1.1", yanked=True), _rel("1.2rc1"), _rel("1.2"), _rel("2.0"))
    assert next_good_release(info, "1.0") == "1.2"
    assert next_good_release(info, "1.2rc0") == "1.2rc1"
    assert next_good_release(info, "2.0") is None
    assert next_good_release(info, "not a version") == "2.0"


def test_quote_index_text() -> None:
    assert quote_index_text("a\x1b[2J\n\tb   c", 100) == "a\ufffd[2J b c"
    assert quote_index_text("x" * 50, 10) == "x" * 9 + "\u2026"
    assert quote_index_text(None, 10) == ""


def test_policy_table_merges_per_subtable(tmp_path: Path) -> None:
    (tmp_path / ".auditor.toml").write_text("[policy.index.stale]\nstale_pin_days = 30\n")
    table = load_config(tmp_path, env={}).policy_section("index")
    policy = IndexPolicy.from_policy(table)
    assert policy.stale_pin_days == 30
    assert policy.stale_major_versions == 2  # shipped value kept beside the override
    assert policy.status_severity["quarantined"] is Severity.CRITICAL


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"status_severity": {"archived": "loud"}},
         "policy.index.status_severity.archived: unknown severity 'loud'"),
        ({"stale": {"stale_major_versions": True}},
         "policy.index.stale.stale_major_versions: expected a positive whole number, got True"),
        ({"stale": "often"}, "policy.index.stale: expected a table"),
    ],
)  # fmt: skip
def test_policy_errors(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        IndexPolicy.from_policy(table)
    assert str(info.value) == message


def test_check_on_locked_and_newest_pins(
    index_server: tuple[FakeIndex, LoopbackServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_TODAY", "2025-06-01")
    fake, server = index_server
    fake.add("requests", {"2.19.0": "2018-06-14T00:00:00Z", "2.20.0": "2018-10-29T00:00:00Z"},
             yanked={"2.19.0": None})  # fmt: skip
    fake.add("idna", {"2.7": "2018-06-11T00:00:00Z"})  # old, but still the newest: not stale
    fake.add("flask", {"3.0": "2024-01-01T00:00:00Z"})
    fake.add("click", {"8.0": "2024-01-01T00:00:00Z"}, status="deprecated", status_reason="")
    ctx = _context(tmp_path, _inputs())
    findings = findings_of(CHECK, ctx)
    got = sorted((f.rule_id, f.package or "", f.severity.value, f.message) for f in findings)
    assert got == [
        ("AUD403", "click", "medium",
         "Click is marked deprecated on the package index (no reason given)"),
        ("AUD404", "requests", "high",
         "Requests 2.19.0 is locked but yanked from the package index (no reason given)"),
        ("AUD405", "requests", "low",
         "Requests is locked to 2.19.0 (released 2018-06-14, 7.0 years before 2025-06-01); the "
         "newest release is 2.20.0: the lockfile has not been refreshed since"),
    ]  # fmt: skip
    asked = sorted({r.path.split("/")[2] for r in server.requests})
    assert asked == ["click", "flask", "idna", "requests"]


def test_a_stale_transitive_version_is_low(
    index_server: tuple[FakeIndex, LoopbackServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_TODAY", "2025-06-01")
    fake, _server = index_server
    fake.add("idna", {"2.7": "2018-06-11T00:00:00Z", "4.0": "2024-01-01T00:00:00Z"})  # locked only
    fake.add("requests", {"2.19.0": "2018-06-14T00:00:00Z", "4.0": "2024-01-01T00:00:00Z"})
    findings = findings_of(CHECK, _context(tmp_path, _inputs(), "AUD405"))
    got = {f.package: f for f in findings}
    assert got["idna"].severity is Severity.LOW
    assert got["idna"].evidence["transitive"] is True
    assert "a dependency of other packages" in got["idna"].message
    assert got["requests"].severity is Severity.MEDIUM  # declared directly, two majors behind
    assert got["requests"].evidence["transitive"] is False


def test_a_version_held_back_by_a_declared_bound_is_low(
    index_server: tuple[FakeIndex, LoopbackServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_TODAY", "2025-06-01")
    fake, _server = index_server
    fake.add("redis", {"4.0": "2019-01-01T00:00:00Z", "6.0": "2024-01-01T00:00:00Z"})
    inputs = [
        ParsedInput(
            path="requirements.txt",
            kind=InputKind.REQUIREMENTS,
            requirements=(
                _req("redis", "==4.0", 1),
                _req("redis", ">=2.8,<5", 2, line_text="redis>=2.8,<5"),
            ),
        )
    ]
    (finding,) = findings_of(CHECK, _context(tmp_path, inputs, "AUD405"))
    assert finding.severity is Severity.LOW
    assert finding.evidence["held_back_by"] == "requirements.txt:2"
    assert "held back on purpose by `redis>=2.8,<5`" in finding.message


def test_pip_compile_via_notes_after_hash_lines_mark_transitive_pins(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "dateutil-x==2.9 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
        "    # via\n    #   botocore\n    #   celery\n"
        "redis==6.4.0 \\\n    --hash=sha256:cc\n    # via\n    #   -r requirements.in\n",
        encoding="utf-8",
    )
    item = ParsedInput(
        path="requirements.txt",
        kind=InputKind.REQUIREMENTS,
        requirements=(_req("dateutil-x", "==2.9", 1), _req("redis", "==6.4.0", 7)),
    )
    assert compiled_transitive(tmp_path, [item]) == {Location(path="requirements.txt", line=1)}


def test_check_does_nothing_when_its_rules_are_off(tmp_path: Path) -> None:
    ctx = _context(tmp_path, _inputs(), "AUD101")
    run = run_check(CHECK, ctx)
    assert run.findings == []
    assert run.incomplete == []


def test_majors_behind_ignores_a_change_of_numbering_scheme() -> None:
    from packaging.version import Version

    from auditor.checks.index_status import _majors_behind

    assert _majors_behind(Version("0.30.0"), Version("2026.1.0")) == 0
    assert _majors_behind(Version("46.0"), Version("48.0")) == 2
    assert _majors_behind(Version("2024.1"), Version("2026.3")) == 2
