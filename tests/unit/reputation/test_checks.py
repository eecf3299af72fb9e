"""The reputation checks over a scanned temporary repository, with a fake index injected."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from checkrun import findings_of, run_check
from reputation_helpers import FakeLookup, info, make_ctx

from auditor.checks.deprecated import DeprecatedCheck
from auditor.checks.reputation import ReputationCheck
from auditor.checks.stdlib_names import StdlibNamesCheck
from auditor.checks.typosquat import TyposquatCheck
from auditor.model import Finding, Severity
from auditor.reputation.gitdates import GitHistory
from auditor.reputation.popular import NO_POPULAR_LIST, import_popular_file

TODAY = dt.date(2025, 6, 1)
OLD = {"1.0": "2015-01-01T00:00:00", "2.0": "2020-01-01T00:00:00", "3.0": "2025-01-01T00:00:00"}
TOP = {"rows": [{"project": n, "download_count": 10**9 - i}
                for i, n in enumerate(["requests", "flask", "numpy", "colorama"])]}  # fmt: skip


# The popular list shipped with Auditor switched off: the "no popular list" path.
NO_BUNDLED = {".auditor.toml": "[policy.reputation]\nbundled_popular = false\n"}
# The declared distributions' module lists are not asked of the index (the test run's index is
# dead): the answer must not depend on whether they happen to be installed here.
NO_WHEEL_METADATA = {".auditor.toml": "[policy.imports]\nwheel_metadata = false\n"}


def _import_top(ctx: Any, tmp_path: Path) -> None:
    path = tmp_path / "top.json"
    path.write_text(json.dumps(TOP), encoding="utf-8")
    import_popular_file(path, ctx.config)


def _by_rule(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in findings:
        out.setdefault(finding.rule_id, []).append(finding)
    return out


# -- AUD401 -----------------------------------------------------------------------------------


def test_missing_name_is_critical_with_suggestions(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "flask==3.0\nreqeusts==2.0\n"}, today=TODAY)
    _import_top(ctx, tmp_path)
    lookup = FakeLookup({"flask": info("flask", OLD)})
    findings = list(findings_of(ReputationCheck(), ctx, lookup=lookup))
    (hit,) = _by_rule(findings)["AUD401"]
    assert hit.severity is Severity.CRITICAL
    assert hit.package == "reqeusts"
    assert hit.evidence["suggestions"][0] == "requests"
    assert "did you mean requests" in hit.message
    assert hit.locations[0].path == "requirements.txt"
    assert hit.locations[0].line == 2


def test_missing_name_without_popular_list_has_no_suggestions(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "reqeusts\n", **NO_BUNDLED}, today=TODAY)
    (hit,) = findings_of(ReputationCheck(), ctx, lookup=FakeLookup())
    assert hit.evidence == {"index": "404 not found", "suggestions": [], "popular_list": False}


def test_missing_name_gets_suggestions_from_the_bundled_list(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "reqeusts\n"}, today=TODAY)
    run = run_check(ReputationCheck(), ctx, lookup=FakeLookup())
    (hit,) = run.findings
    assert hit.evidence["popular_list"] is True
    assert hit.evidence["suggestions"][0] == "requests"
    (source,) = [d for d in run.data_sources if d.name == "popular-packages"]
    assert source.detail.startswith("5000 most downloaded projects (bundled list, 2026-04-01: ")
    assert source.updated is not None


def test_unknown_is_never_clean(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "whatever\n"}, today=TODAY)
    run = run_check(ReputationCheck(), ctx, lookup=lambda names: {})
    assert run.findings == []
    assert any(i.source == "index" and "whatever" in i.packages for i in run.incomplete)
    findings = list(findings_of(ReputationCheck(), ctx, lookup=FakeLookup(unknown=["whatever"])))
    assert findings == []


def test_paths_urls_and_other_indexes_are_not_judged(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "./libs/localpkg\nvcspkg @ git+https://example.org/x.git@abc\n",
        "private/requirements.txt": "--extra-index-url https://pkgs.example.org/simple\n"
        "internal-tool==1.0\n",
    }
    ctx = make_ctx(tmp_path, files, today=TODAY)
    lookup = FakeLookup()
    run = run_check(ReputationCheck(), ctx, lookup=lookup)
    assert run.findings == []
    assert "vcspkg" not in lookup.asked
    assert "internal-tool" in lookup.asked
    (note,) = [i for i in run.incomplete if i.source == "reputation"]
    assert "pkgs.example.org" in note.reason
    assert note.packages == ("internal-tool",)


def test_pyproject_source_counts_as_other_index(tmp_path: Path) -> None:
    pyproject = (
        '[project]\nname = "app"\nversion = "1"\ndependencies = ["corp-lib"]\n'
        '[[tool.uv.index]]\nname = "corp"\nurl = "https://pkgs.example.org/simple"\n'
    )
    ctx = make_ctx(tmp_path, {"pyproject.toml": pyproject}, today=TODAY)
    assert list(findings_of(ReputationCheck(), ctx, lookup=FakeLookup())) == []


# -- AUD406 / AUD407 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("releases", "rule"),
    [
        ({"0.1": "2025-05-01T00:00:00"}, "AUD406"),  # 31 days old
        ({"0.1": "2025-01-01T00:00:00", "0.2": "2025-02-01T00:00:00"}, "AUD406"),  # few, young
        ({"0.1": "2019-01-01T00:00:00", "0.2": "2020-06-01T00:00:00"}, "AUD407"),  # idle 5 years
        (OLD, None),
    ],
)
def test_age_rules(tmp_path: Path, releases: dict[str, str], rule: str | None) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "somepkg\n"}, today=TODAY)
    findings = list(
        findings_of(
            ReputationCheck(), ctx, lookup=FakeLookup({"somepkg": info("somepkg", releases)})
        )
    )
    assert [f.rule_id for f in findings if f.rule_id != "AUD410"] == ([rule] if rule else [])


def test_a_new_package_for_an_exotic_platform_only_is_low(tmp_path: Path) -> None:
    text = 'somepkg==1.0 ; sys_platform == "emscripten"\nother\n'
    ctx = make_ctx(tmp_path, {"requirements.txt": text}, today=TODAY)
    young = {"0.1": "2025-05-01T00:00:00"}
    lookup = FakeLookup({"somepkg": info("somepkg", young), "other": info("other", young)})
    found = {
        f.package: f
        for f in findings_of(ReputationCheck(), ctx, lookup=lookup)
        if f.rule_id == "AUD406"
    }
    assert found["somepkg"].severity is Severity.LOW
    assert found["somepkg"].evidence["installed_on_common_platforms"] is False
    assert found["other"].severity is Severity.MEDIUM


def test_age_thresholds_come_from_policy(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.auditor.policy.reputation.new_package]\nmax_age_days = 10\nmin_releases = 0\n"
        "few_releases_days = 0\n",
        encoding="utf-8",
    )
    ctx = make_ctx(tmp_path, {"requirements.txt": "somepkg\n"}, today=TODAY)
    lookup = FakeLookup({"somepkg": info("somepkg", {"0.1": "2025-05-01T00:00:00"})})
    assert [f.rule_id for f in findings_of(ReputationCheck(), ctx, lookup=lookup)] == []


def test_disabled_rules_do_nothing(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "x\n"}, today=TODAY, enable=("AUD1",))
    lookup = FakeLookup()
    assert list(findings_of(ReputationCheck(), ctx, lookup=lookup)) == []
    assert lookup.asked == []
    assert list(findings_of(TyposquatCheck(), ctx, lookup=lookup)) == []


# -- AUD402 -----------------------------------------------------------------------------------


def test_typosquat_without_list_is_incomplete(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "reqeusts\n", **NO_BUNDLED}, today=TODAY)
    run = run_check(TyposquatCheck(), ctx, lookup=FakeLookup())
    assert run.findings == []
    (note,) = [i for i in run.incomplete if i.source == "typosquat"]
    assert note.reason == NO_POPULAR_LIST
    assert note.packages == ("reqeusts",)


def test_typosquat_runs_out_of_the_box_on_the_bundled_list(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "reqeusts\n"}, today=TODAY)
    run = run_check(TyposquatCheck(), ctx, lookup=FakeLookup({"reqeusts": info("reqeusts", OLD)}))
    (hit,) = run.findings
    assert (hit.rule_id, hit.evidence["target"]) == ("AUD402", "requests")
    assert not [i for i in run.incomplete if i.source == "typosquat"]


@pytest.mark.parametrize(
    ("lookup", "severity", "aggravating"),
    [
        (FakeLookup({"reqeusts": info("reqeusts", OLD)}), Severity.MEDIUM, None),
        (FakeLookup({"reqeusts": info("reqeusts", {"1": "2025-05-20T00:00:00"})}),
         Severity.HIGH, "it was first released 12 days ago"),
        (FakeLookup(), Severity.HIGH, "it does not exist on the index"),
        (FakeLookup(unknown=["reqeusts"]), Severity.MEDIUM, None),
    ],
)  # fmt: skip
def test_typosquat_severity(
    tmp_path: Path, lookup: FakeLookup, severity: Severity, aggravating: str | None
) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "requests\nreqeusts==1\n"}, today=TODAY)
    _import_top(ctx, tmp_path)
    run = run_check(TyposquatCheck(), ctx, lookup=lookup)
    (hit,) = run.findings
    assert hit.rule_id == "AUD402"
    assert hit.severity is severity
    assert hit.evidence["target"] == "requests"
    assert hit.evidence["technique"] == "swap"
    assert hit.evidence["aggravating"] == aggravating
    assert "looks like the popular requests" in hit.message
    assert "reqeusts" in lookup.asked  # enrichment asks once for every declared name
    assert any(d.name == "popular-packages" for d in run.data_sources)


# -- AUD408 / AUD409 --------------------------------------------------------------------------


def test_deprecated_names(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "PyPDF2==3.0.1\npycrypto\nmock\nrequests\n"})
    found = {f.package: f for f in findings_of(DeprecatedCheck(), ctx)}
    assert set(found) == {"PyPDF2", "pycrypto", "mock"}
    assert found["pycrypto"].severity is Severity.HIGH
    assert found["PyPDF2"].severity is Severity.MEDIUM
    assert found["mock"].severity is Severity.LOW
    assert "Use pypdf." in found["PyPDF2"].message
    assert found["mock"].fix == "replace mock with the standard library's unittest.mock"


def test_deprecated_names_no_python_3_installs_are_left_out(tmp_path: Path) -> None:
    text = (
        "pycrypto; python_version < '3.0'\nmock; python_version < '3.3'\n"
        "PyPDF2; sys_platform == 'win32'\n"
    )
    ctx = make_ctx(tmp_path, {"requirements.txt": text})
    assert [f.package for f in findings_of(DeprecatedCheck(), ctx)] == ["PyPDF2"]


def test_stdlib_names(tmp_path: Path) -> None:
    text = (
        "asyncio\nurllib2\ndataclasses\ntyping; python_version < '3.5'\n"
        "contextvars; sys_platform == 'win32'\nrequests\n"
    )
    ctx = make_ctx(tmp_path, {"requirements.txt": text})
    found = {f.package: f for f in findings_of(StdlibNamesCheck(), ctx)}
    assert set(found) == {"asyncio", "urllib2", "dataclasses", "contextvars"}
    assert found["asyncio"].severity is Severity.HIGH
    assert "may be owned by a squatter" in found["asyncio"].message
    assert found["urllib2"].evidence["python2"] is True
    assert found["dataclasses"].severity is Severity.MEDIUM
    assert 'python_version < "3.7"' in (found["dataclasses"].fix or "")


# -- AUD410 -----------------------------------------------------------------------------------


class FakeHistory(GitHistory):
    def __init__(self, written: dict[str, dt.datetime], start: dt.datetime | None) -> None:
        self.root = Path()
        self.problem = None
        self._usable = True
        self.written = written
        self.start = start

    @property
    def in_repository(self) -> bool:
        return True

    @property
    def usable(self) -> bool:
        return True

    def first_commit(self, relpath: str) -> dt.datetime | None:
        return self.start

    def first_mention(self, relpath: str, text: str) -> dt.datetime | None:
        return self.written.get(text)


def test_born_after_use(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "slopped==1.0\nflask\n"}, today=TODAY)
    slopped = {"1.0": "2024-06-01T00:00:00", "1.1": "2024-07-01T00:00:00",
               "1.2": "2024-08-01T00:00:00"}  # fmt: skip
    lookup = FakeLookup({"slopped": info("slopped", slopped), "flask": info("flask", OLD)})
    written = {"slopped": dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
               "flask": dt.datetime(2024, 3, 1, tzinfo=dt.UTC)}  # fmt: skip
    start = dt.datetime(2014, 1, 1, tzinfo=dt.UTC)
    history = lambda root: FakeHistory(written, start)  # noqa: E731
    found = findings_of(ReputationCheck(), ctx, lookup=lookup, history=history)
    (hit,) = [f for f in found if f.rule_id == "AUD410"]
    assert hit.severity is Severity.CRITICAL
    assert hit.package == "slopped"
    assert hit.evidence["days_between"] == 92
    assert "written before the project existed" in hit.message


def test_born_after_use_skips_when_git_is_unusable(tmp_path: Path) -> None:
    # A checkout git cannot read (a .git file pointing nowhere): the check could not run.
    ctx = make_ctx(
        tmp_path,
        {"requirements.txt": "flask\n", ".git": "gitdir: /nonexistent/worktree\n"},
        today=TODAY,
    )
    run = run_check(ReputationCheck(), ctx, lookup=FakeLookup({"flask": info("flask", OLD)}))
    assert [f for f in run.findings if f.rule_id == "AUD410"] == []
    (note,) = [i for i in run.incomplete if i.source == "git"]
    assert "born-after-use check skipped" in note.reason


def test_born_after_use_does_not_apply_outside_a_checkout(tmp_path: Path) -> None:
    # An unpacked sdist has no history: nothing failed, so the audit is not incomplete.
    ctx = make_ctx(tmp_path, {"requirements.txt": "flask\n"}, today=TODAY)
    run = run_check(ReputationCheck(), ctx, lookup=FakeLookup({"flask": info("flask", OLD)}))
    assert [f for f in run.findings if f.rule_id == "AUD410"] == []
    assert [i for i in run.incomplete if i.source == "git"] == []
    others = ("index", "popular-packages", "licenses")
    assert [d.name for d in run.data_sources if d.name not in others] == ["git"]


def test_imported_module_without_distribution(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "flask\n",
        "app.py": "import os\nimport flask\nimport fastapi_magic_router\nimport helpers\n"
        "try:\n    import optional_thing\nexcept ImportError:\n    pass\n",
        "helpers.py": "X = 1\n",
        **NO_WHEEL_METADATA,
    }
    ctx = make_ctx(tmp_path, files, today=TODAY)
    lookup = FakeLookup({"flask": info("flask", OLD)})
    hits = [f for f in findings_of(ReputationCheck(), ctx, lookup=lookup) if f.rule_id == "AUD401"]
    assert [(f.package, f.severity, f.locations[0].line) for f in hits] == [
        ("fastapi-magic-router", Severity.HIGH, 3)
    ]
    assert "os" not in lookup.asked
    assert "helpers" not in lookup.asked
    assert "optional-thing" not in lookup.asked


def test_unreadable_module_lists_lower_an_unknown_import_and_say_so(tmp_path: Path) -> None:
    # A declared distribution whose module list cannot be read (the index is dead) might be the
    # one that provides the import: the finding is hedged to low and names it.
    files = {
        "requirements.txt": "weird-dist-not-installed\n",
        "app.py": "import fastapi_magic_router\n",
    }
    ctx = make_ctx(tmp_path, files, today=TODAY)
    found = findings_of(ReputationCheck(), ctx, lookup=FakeLookup())
    hits = [f for f in found if f.rule_id == "AUD401" and f.package == "fastapi-magic-router"]
    assert [f.severity for f in hits] == [Severity.LOW]
    assert hits[0].evidence["unmapped"] == ["weird-dist-not-installed"]
    assert "could not be read" in hits[0].message


def test_unknown_import_only_in_tests_is_not_reported_by_default(tmp_path: Path) -> None:
    # Tests often import modules they write to a temporary folder at run time (Flask does);
    # AUD501 still reports them (low), AUD401 leaves them alone unless the policy asks.
    files = {
        "requirements.txt": "flask\n",
        "app.py": "import flask\n",
        "tests/test_app.py": "def test_x():\n    from generated_app import app\n",
    }
    ctx = make_ctx(tmp_path, files, today=TODAY)
    lookup = FakeLookup({"flask": info("flask", OLD)})
    assert [
        f for f in findings_of(ReputationCheck(), ctx, lookup=lookup) if f.rule_id == "AUD401"
    ] == []


def test_unknown_import_only_in_tests_is_low_when_policy_asks(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "flask\n",
        "pyproject.toml": "[tool.auditor.policy.reputation.hallucinated]\n"
        "imported_in_dev_code = true\n",
        "app.py": "import flask\n",
        "tests/test_app.py": "def test_x():\n    from generated_app import app\n",
    }
    ctx = make_ctx(tmp_path, files, today=TODAY)
    lookup = FakeLookup({"flask": info("flask", OLD)})
    hits = [f for f in findings_of(ReputationCheck(), ctx, lookup=lookup) if f.rule_id == "AUD401"]
    assert [(f.package, f.severity) for f in hits] == [("generated-app", Severity.LOW)]


def test_private_module_import_is_never_asked_about(tmp_path: Path) -> None:
    # ``_black_version`` normalises to "-black-version": no project can have that name.
    files = {
        "requirements.txt": "flask\n",
        "app.py": "import flask\nimport _build_generated_version\nimport sklearn_extra_utils\n",
        **NO_WHEEL_METADATA,
    }
    ctx = make_ctx(tmp_path, files, today=TODAY)
    lookup = FakeLookup({"flask": info("flask", OLD)})
    hits = [f for f in findings_of(ReputationCheck(), ctx, lookup=lookup) if f.rule_id == "AUD401"]
    assert [(f.package, f.severity) for f in hits] == [("sklearn-extra-utils", Severity.HIGH)]
    assert not any(n.startswith("-") for n in lookup.asked)
