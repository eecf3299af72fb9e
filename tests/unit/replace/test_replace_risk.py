"""Risk and replaceability scores, reasons in plain words, and the known-replacement catalogue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditor.advisories.advisory import Advisory
from auditor.advisories.client import Query
from auditor.advisories.lookup import AdvisoryFacts
from auditor.config import load_policy_defaults
from auditor.errors import ConfigError
from auditor.facts import Facts
from auditor.index.model import LookupState, ProjectInfo, ProjectLookup, Release
from auditor.replace.catalogue import applicable, load_catalogue, project_python
from auditor.replace.footprint import Footprint
from auditor.replace.risk import RiskPolicy, assess

TODAY = dt.date(2026, 11, 26)
POLICY = RiskPolicy.from_policy(load_policy_defaults()["replace"])


def _footprint(**changes: object) -> Footprint:
    values: dict[str, object] = {
        "package": "tinycase",
        "version": "1.0",
        "symbols": ("tinycase.snake", "tinycase.camel"),
        "call_sites": 3,
        "files": ("app/main.py",),
        "used_lines": 18,
        "package_lines": 400,
        "complexity": 4,
        "functions": 2,
        "pure": True,
        "license": "MIT",
    }
    values.update(changes)
    return Footprint(**values)  # type: ignore[arg-type]  # test data


def _facts(footprint: Footprint, *, advisories: int = 0, now: bool = False) -> Facts:
    when = dt.datetime(2019, 3, 1, tzinfo=dt.UTC)
    info = ProjectInfo(
        name="tinycase",
        display_name="tinycase",
        author="Ada Example",
        releases=(Release(version="1.0", upload_time=when),),
    )
    found: dict[Query, tuple[Advisory, ...]] = {}
    if advisories:
        found[Query(name="tinycase")] = tuple(
            Advisory(id=f"PYSEC-2020-{i}") for i in range(advisories)
        )
    if now:
        found[Query(name="tinycase", version="1.0")] = (Advisory(id="PYSEC-2020-0"),)
    return Facts(
        index={"tinycase": ProjectLookup(name="tinycase", state=LookupState.FOUND, info=info)},
        advisories=AdvisoryFacts(advisories=found),
        footprints={"tinycase": footprint},
    )


def test_reasons_read_in_plain_words() -> None:
    found = assess("tinycase", "tinycase", None, _facts(_footprint(), advisories=3), POLICY, TODAY)
    assert found.reasons() == (
        "uses 2 functions of tinycase (18 of 400 lines), called at 3 sites; "
        "3 past advisories; no release since 2019; single maintainer; 1 release ever"
    )
    assert found.score == 24 + 15 + 10 + 5
    assert found.replaceable
    assert found.trivial
    assert found.to_json()["factors"][0] == {
        "key": "advisory_past",
        "points": 24,
        "text": "3 past advisories",
    }


def test_current_advisory_counts_once() -> None:
    found = assess(
        "tinycase", "tinycase", None, _facts(_footprint(), advisories=1, now=True), POLICY, TODAY
    )
    keys = [f.key for f in found.factors]
    assert "advisory_now" in keys
    assert "advisory_past" not in keys


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"pure": False}, "ships compiled code"),
        ({"used_lines": 900}, "900 lines (over 400)"),
        ({"used_lines": 300, "package_lines": 320}, "not a sliver"),
        ({"used_lines": None, "problem": "needs the module x.y as an object"}, "as an object"),
        ({"symbols": tuple(f"tinycase.f{i}" for i in range(12))}, "uses 12 names"),
    ],
)
def test_not_replaceable(changes: dict[str, object], why: str) -> None:
    found = assess("tinycase", "tinycase", None, _facts(_footprint(**changes)), POLICY, TODAY)
    assert not found.replaceable
    assert why in found.why_not


def test_constants_only_use_is_neither_replaceable_nor_trivial() -> None:
    # ``from pydantic import VERSION``: no code of the package is used.
    footprint = _footprint(functions=0, classes=0, used_lines=1, symbols=("tinycase.VERSION",))
    found = assess("tinycase", "tinycase", None, _facts(footprint), POLICY, TODAY)
    assert (found.replaceable, found.trivial) == (False, False)
    assert found.why_not == "uses no function or class of it"


def test_kept_packages_are_never_proposed() -> None:
    policy = RiskPolicy.from_policy(
        {**load_policy_defaults()["replace"], "keep": {"TinyCase": "data that must stay current"}}
    )
    found = assess("tinycase", "tinycase", None, _facts(_footprint(), advisories=3), policy, TODAY)
    assert (found.replaceable, found.trivial) == (False, False)
    assert found.why_not == "data that must stay current"
    assert "certifi" in POLICY.keep


def test_restrictive_license_adds_risk() -> None:
    found = assess(
        "tinycase", "tinycase", None, _facts(_footprint(license="GPL-3.0-only")), POLICY, TODAY
    )
    assert "license GPL-3.0-only" in found.reasons()


def test_catalogue_loads_every_entry_the_issue_names() -> None:
    catalogue = load_catalogue()
    for name in (
        "six",
        "mock",
        "pytz",
        "simplejson",
        "toml",
        "tomli",
        "typing-extensions",
        "backports-zoneinfo",
        "importlib-metadata",
        "exceptiongroup",
    ):
        assert name in catalogue, name
    assert catalogue["mock"].exact
    assert not catalogue["pytz"].exact
    assert catalogue["tomli"].min_python == (3, 11)


def test_typing_extensions_names_move_by_python_version() -> None:
    entry = load_catalogue()["typing-extensions"]
    used = ["typing_extensions.Literal", "typing_extensions.override"]
    old = applicable(entry, used, (3, 11))
    assert not old.fits
    assert old.left == ("typing_extensions.override",)
    assert old.rewrites == {"typing_extensions.Literal": "typing.Literal"}
    new = applicable(entry, used, (3, 12))
    assert new.fits
    assert new.exact
    assert not applicable(load_catalogue()["tomli"], [], (3, 10)).fits


def test_catalogue_errors_name_the_file_and_entry(tmp_path: Path) -> None:
    bad = tmp_path / "replacements.yaml"
    bad.write_text(
        "schema: 1\nreplacements:\n  - package: six\n    replacement: x\n    exact: maybe\n"
    )
    with pytest.raises(
        ConfigError, match=r"replacements.yaml: /replacements/0/exact: expected true or false"
    ):
        load_catalogue(bad)


def test_project_python_from_requires_python(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nrequires-python = ">=3.9"\n')
    assert project_python(tmp_path) == ((3, 9), "pyproject.toml requires-python >=3.9")
    assert "assumed the running Python" in project_python(tmp_path / "nowhere")[1]


def test_used_part_that_imports_another_distribution_is_not_replaceable() -> None:
    footprint = _footprint(third_party=("attr",))
    found = assess("tinycase", "tinycase", None, _facts(footprint), POLICY, TODAY)
    assert not found.replaceable
    assert found.why_not == "the used part imports attr"
    assert found.to_json()["needs_packages"] == ["attr"]
