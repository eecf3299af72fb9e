"""The resolver's pure parts: uv's compile output and errors, pip's report, policy, cache keys."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.errors import ConfigError
from auditor.resolve.model import (
    NOT_FOUND,
    WOULD_BUILD,
    Resolution,
    ResolvedPackage,
    ResolveRequest,
    ResolveTarget,
    Unresolved,
)
from auditor.resolve.pip import parse_report
from auditor.resolve.resolver import ResolvePolicy
from auditor.resolve.uv import left_out, parse_compile_output

COMPILED = """\
flask==3.0.0              # via -r /tmp/x/requirements.in
itsdangerous==2.0.0       # via flask
Jinja2==3.1.0             # via flask
markupsafe==2.1.0         # via jinja2, werkzeug
pysocks==1.7.1            # via requests
requests[socks]==2.31.0   # via -r /tmp/x/requirements.in, -c /tmp/x/constraints.txt
werkzeug==3.0.1           # via flask
"""


def test_compile_output_gives_versions_parents_and_direct_names() -> None:
    found = {p.name: p for p in parse_compile_output(COMPILED, {"flask", "requests"})}
    assert sorted(found) == [
        "flask", "itsdangerous", "jinja2", "markupsafe", "pysocks", "requests", "werkzeug",
    ]  # fmt: skip
    assert found["markupsafe"].parents == ("jinja2", "werkzeug")
    assert found["jinja2"].display_name == "Jinja2"
    assert found["jinja2"].version == "3.1.0"
    assert found["flask"].requested
    assert found["requests"].requested
    assert found["flask"].parents == ()
    assert not found["werkzeug"].requested


def test_compile_output_skips_comments_options_and_garbage() -> None:
    text = "# header\n--index-url http://127.0.0.1/simple\n\nnot a line at all\nx==1\n"
    assert [p.name for p in parse_compile_output(text, set())] == ["x"]


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        (
            "  cause: Because buildme==1.0 has no usable wheels and only buildme==1.0 is "
            "available ...\nhint: Wheels are required for `buildme` because building from "
            "source is disabled",
            [("buildme", WOULD_BUILD)],
        ),
        (
            "  cause: Because nosuchpkg was not found in the package registry and you require "
            "nosuchpkg, we can conclude that your requirements are unsatisfiable.",
            [("nosuchpkg", NOT_FOUND)],
        ),
        (
            "Because there are no versions of Flask_X and you require flask-x ...",
            [("flask-x", "not resolved: no version on the index matches")],
        ),
        ("error: a conflict nobody can fix", []),
    ],
)
def test_uv_errors_name_what_to_leave_out(stderr: str, expected: list[tuple[str, str]]) -> None:
    assert [(u.name, u.reason) for u in left_out(stderr)] == expected


def _item(name: str, version: str, requires: list[str], **extra: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "version": version, "requires_dist": requires}, **extra}


def test_pip_report_edges_follow_markers_and_extras() -> None:
    report = {
        "environment": {"python_version": "3.11", "sys_platform": "linux"},
        "install": [
            _item(
                "requests",
                "2.31.0",
                ["idna", 'pysocks; extra == "socks"', 'win-only; sys_platform == "win32"'],
                requested=True,
                requested_extras=["socks"],
            ),
            _item("idna", "3.4", []),
            _item("PySocks", "1.7.1", []),
            _item("lib", "1.0", ['idna; python_version < "3"'], requested=True),
        ],
    }
    found = {p.name: p for p in parse_report(report)}
    assert found["idna"].parents == ("requests",)  # lib's edge is for Python 2 only
    assert found["pysocks"].parents == ("requests",)
    assert found["pysocks"].display_name == "PySocks"
    assert found["requests"].requested
    assert not found["idna"].requested


def test_resolution_round_trips_through_the_cache_form() -> None:
    resolution = Resolution(
        packages=(
            ResolvedPackage(
                name="a", display_name="A", version="1", requested=True, parents=("b",)
            ),
        ),
        resolver="uv 0.13.9",
        index_url="http://127.0.0.1:1/simple",
        target=ResolveTarget(python="3.12", platform="linux"),
        unresolved=(Unresolved(name="c", reason=WOULD_BUILD),),
    )
    assert Resolution.from_json(resolution.to_json()) == resolution
    with pytest.raises(ValueError, match="malformed"):
        Resolution.from_json({"packages": [{}]})


def test_cache_key_depends_on_requirements_index_python_and_platform() -> None:
    base = ResolveRequest(requirements=("a", "b"), index_url="http://127.0.0.1/simple",
                          target=ResolveTarget(python="3.11"))  # fmt: skip
    same = ResolveRequest(requirements=("b", "a"), index_url="http://127.0.0.1/simple",
                          target=ResolveTarget(python="3.11"))  # fmt: skip
    assert base.cache_key("uv") == same.cache_key("uv")
    others = [
        ResolveRequest(requirements=("a",), index_url=base.index_url, target=base.target),
        ResolveRequest(
            requirements=base.requirements,
            index_url="http://127.0.0.1:2/simple",
            target=base.target,
        ),
        ResolveRequest(
            requirements=base.requirements,
            index_url=base.index_url,
            target=ResolveTarget(python="3.12"),
        ),
        ResolveRequest(
            requirements=base.requirements,
            index_url=base.index_url,
            target=ResolveTarget(python="3.11", platform="windows"),
        ),
    ]
    keys = {base.cache_key("uv"), base.cache_key("pip"), *(o.cache_key("uv") for o in others)}
    assert len(keys) == 6
    assert "127.0.0.1" not in base.cache_key("uv")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"resolver": "conda"}, "policy.resolve.resolver: expected one of auto, uv, pip"),
        ({"timeout": 0}, "policy.resolve.timeout: expected a positive number"),
        ({"python": 3.11}, "policy.resolve.python: expected a string"),
    ],
)
def test_policy_errors_name_the_key(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ResolvePolicy.from_policy(table)
    assert str(caught.value) == message


def test_policy_target_defaults_to_the_running_python() -> None:
    import sys

    target = ResolvePolicy.from_policy({}).target()
    assert target.python == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert target.platform == ""
    assert ResolvePolicy.from_policy({"python": "3.9", "platform": "windows"}).target() == (
        ResolveTarget(python="3.9", platform="windows")
    )
