"""The license policy: categories, OR/AND, deny lists, exceptions, project compatibility."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditor.config import Config, load_config
from auditor.errors import ConfigError
from auditor.licenses.category import expression_category, id_category, parse_categories
from auditor.licenses.model import Category, Normalized, Verdict
from auditor.licenses.policy import (
    LicenseException,
    LicensePolicy,
    Project,
    Use,
    expired_exceptions,
    judge,
    load_license_policy,
)

TODAY = dt.date(2026, 1, 1)


def _lic(expression: str) -> Normalized:
    return Normalized(expression=expression, raw=expression)


def _project(
    license_: str | None = "Apache-2.0", use: Use = Use.LIBRARY, *, commercial: bool = False
) -> Project:
    own = _lic(license_) if license_ else None
    return Project(license=own, use=use, commercial=commercial)


def _verdict(
    expression: str,
    policy: LicensePolicy | None = None,
    project: Project | None = None,
    package: str = "pkg",
) -> Verdict:
    found = judge(
        package, _lic(expression), policy or LicensePolicy(), project or _project(), TODAY
    )
    return found.verdict


@pytest.mark.parametrize(
    ("expression", "category"),
    [
        ("MIT", Category.PERMISSIVE),
        ("CC0-1.0", Category.PUBLIC_DOMAIN),
        ("MPL-2.0", Category.WEAK_COPYLEFT),
        ("GPL-3.0-only", Category.STRONG_COPYLEFT),
        ("AGPL-3.0-or-later", Category.NETWORK_COPYLEFT),
        ("BUSL-1.1", Category.NON_COMMERCIAL),
        ("GPL-3.0-only OR MIT", Category.PERMISSIVE),
        ("GPL-3.0-only AND MIT", Category.STRONG_COPYLEFT),
        ("LicenseRef-Acme OR MIT", Category.PERMISSIVE),
        ("LicenseRef-Acme AND MIT", Category.UNKNOWN),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", Category.WEAK_COPYLEFT),
        ("Apache-2.0 WITH LLVM-exception", Category.PERMISSIVE),
        ("HPND-sell-variant", Category.PERMISSIVE),  # from ScanCode's categories
    ],
)
def test_expression_category(expression: str, category: Category) -> None:
    assert expression_category(expression) is category


def test_unknown_id_has_unknown_category() -> None:
    assert id_category("LicenseRef-Whatever") is Category.UNKNOWN


def test_category_data_errors_name_the_file() -> None:
    with pytest.raises(ConfigError, match=r"x.yaml: /categories/bogus: unknown category"):
        parse_categories({"schema": 1, "categories": {"bogus": ["MIT"]}}, "x.yaml")
    with pytest.raises(ConfigError, match="schema: 1"):
        parse_categories({"categories": {}}, "x.yaml")


def test_default_policy_allows_permissive_and_weak_copyleft() -> None:
    assert _verdict("MIT") is Verdict.ALLOWED
    assert _verdict("MPL-2.0") is Verdict.ALLOWED
    assert _verdict("LGPL-3.0-or-later") is Verdict.ALLOWED


def test_deny_list_and_categories_with_or_and_semantics() -> None:
    policy = LicensePolicy(deny=frozenset({"sspl-1.0"}))
    assert _verdict("SSPL-1.0", policy) is Verdict.DENIED
    assert _verdict("SSPL-1.0 OR Apache-2.0", policy) is Verdict.ALLOWED  # any option passes
    assert _verdict("SSPL-1.0 AND Apache-2.0", policy) is Verdict.DENIED  # all must pass
    policy = LicensePolicy(deny_categories=frozenset({Category.WEAK_COPYLEFT}))
    assert _verdict("MPL-2.0", policy) is Verdict.DENIED
    assert _verdict("MPL-2.0 OR MIT", policy) is Verdict.ALLOWED
    found = judge("pkg", _lic("MPL-2.0 AND MIT"), policy, _project(), TODAY)
    assert found.verdict is Verdict.DENIED
    assert found.reasons == ("MPL-2.0 is weak-copyleft, a denied category",)


def test_allow_list_wins_over_a_denied_category() -> None:
    policy = LicensePolicy(
        allow=frozenset({"mpl-2.0"}), deny_categories=frozenset({Category.WEAK_COPYLEFT})
    )
    assert _verdict("MPL-2.0", policy) is Verdict.ALLOWED


def test_unknown_license_is_unknown_and_or_with_a_known_option_passes() -> None:
    assert _verdict("LicenseRef-Acme") is Verdict.UNKNOWN
    assert _verdict("LicenseRef-Acme OR MIT") is Verdict.ALLOWED
    found = judge("pkg", None, LicensePolicy(), _project(), TODAY)
    assert found.verdict is Verdict.UNKNOWN
    family = Normalized(
        expression=None, raw="BSD", family="BSD", family_category=Category.PERMISSIVE
    )
    assert judge("pkg", family, LicensePolicy(), _project(), TODAY).verdict is Verdict.ALLOWED
    gpl = Normalized(
        expression=None, raw="GPL", family="GPL", family_category=Category.STRONG_COPYLEFT
    )
    assert judge("pkg", gpl, LicensePolicy(), _project(), TODAY).verdict is Verdict.INCOMPATIBLE


@pytest.mark.parametrize(
    ("dependency", "project", "use", "expected"),
    [
        ("GPL-3.0-only", "Apache-2.0", Use.LIBRARY, Verdict.INCOMPATIBLE),
        ("GPL-3.0-only", "Apache-2.0", Use.APPLICATION, Verdict.INCOMPATIBLE),
        ("GPL-3.0-only", "Apache-2.0", Use.SERVICE, Verdict.ALLOWED),
        ("GPL-3.0-only", "Apache-2.0", Use.INTERNAL, Verdict.ALLOWED),
        ("GPL-3.0-only", "GPL-3.0-or-later", Use.APPLICATION, Verdict.ALLOWED),
        ("GPL-2.0-only", "GPL-3.0-only", Use.APPLICATION, Verdict.INCOMPATIBLE),
        ("GPL-2.0-or-later", "GPL-3.0-only", Use.LIBRARY, Verdict.ALLOWED),
        ("AGPL-3.0-only", "MIT", Use.SERVICE, Verdict.INCOMPATIBLE),
        ("AGPL-3.0-only", "AGPL-3.0-or-later", Use.SERVICE, Verdict.ALLOWED),
        ("AGPL-3.0-only", "MIT", Use.INTERNAL, Verdict.ALLOWED),
        ("Apache-2.0", "GPL-2.0-only", Use.APPLICATION, Verdict.INCOMPATIBLE),
        ("Apache-2.0", "GPL-2.0-or-later", Use.APPLICATION, Verdict.ALLOWED),
        ("Apache-2.0", "GPL-2.0-only", Use.SERVICE, Verdict.ALLOWED),
        ("GPL-3.0-only OR MIT", "Apache-2.0", Use.LIBRARY, Verdict.ALLOWED),
        ("GPL-3.0-only AND MIT", "Apache-2.0", Use.LIBRARY, Verdict.INCOMPATIBLE),
        ("LGPL-3.0-only", "MIT", Use.APPLICATION, Verdict.ALLOWED),
        ("MIT", "MIT OR Apache-2.0", Use.LIBRARY, Verdict.ALLOWED),
        ("GPL-3.0-only", "MIT OR GPL-3.0-only", Use.LIBRARY, Verdict.ALLOWED),
    ],
)
def test_compatibility_with_the_project(
    dependency: str, project: str, use: Use, expected: Verdict
) -> None:
    assert _verdict(dependency, project=_project(project, use)) is expected


def test_project_without_license_cannot_take_copyleft() -> None:
    found = judge("gplkit", _lic("GPL-3.0-only"), LicensePolicy(), _project(None), TODAY)
    assert found.verdict is Verdict.INCOMPATIBLE
    assert "no license declared" in found.reasons[0]


def test_non_commercial_terms_conflict_only_in_a_commercial_product() -> None:
    commercial = _project("MIT", Use.INTERNAL, commercial=True)
    assert _verdict("CC-BY-NC-4.0", project=commercial) is Verdict.INCOMPATIBLE
    assert _verdict("CC-BY-NC-4.0", project=_project("MIT", Use.INTERNAL)) is Verdict.ALLOWED


def test_exceptions_apply_with_reason_until_they_expire() -> None:
    exception = LicenseException(
        package="gpl-tool",
        licenses=frozenset({"gpl-3.0-only"}),
        reason="build tool only",
        expires=dt.date(2026, 6, 30),
    )
    policy = LicensePolicy(exceptions=(exception,))
    found = judge("GPL_Tool", _lic("GPL-3.0-only"), policy, _project(), TODAY)
    assert found.verdict is Verdict.EXCEPTED
    assert found.reasons == ("build tool only",)
    # limited to the ids it names
    assert _verdict("AGPL-3.0-only", policy, package="gpl-tool") is Verdict.INCOMPATIBLE
    later = dt.date(2026, 7, 1)
    assert judge("gpl-tool", _lic("GPL-3.0-only"), policy, _project(), later).verdict is (
        Verdict.INCOMPATIBLE
    )
    assert expired_exceptions(policy, later) == [exception]
    assert expired_exceptions(policy, TODAY) == []


def _config(tmp_path: Path, body: str) -> Config:
    (tmp_path / ".auditor.toml").write_text(body, encoding="utf-8")
    return load_config(tmp_path, env={})


def test_policy_loads_from_config(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        """
[policy.licenses]
use = "service"
commercial = true
deny = ["SSPL-1.0"]
deny_categories = ["non-commercial"]

[[policy.licenses.exceptions]]
package = "Some_Tool"
reason = "vendored under a separate agreement"
expires = 2027-01-31
""",
    )
    policy = load_license_policy(config)
    assert policy.use is Use.SERVICE
    assert policy.commercial is True
    alias = _config(tmp_path, '[policy.licenses]\nuse = "network service"\n')
    assert load_license_policy(alias).use is Use.SERVICE
    assert policy.deny == frozenset({"sspl-1.0"})
    assert policy.deny_categories == frozenset({Category.NON_COMMERCIAL})
    assert policy.exceptions[0].package == "some-tool"
    assert policy.exceptions[0].expires == dt.date(2027, 1, 31)


def test_default_policy_from_rules(tmp_path: Path) -> None:
    policy = load_license_policy(load_config(tmp_path, env={}))
    assert policy.use is Use.LIBRARY
    assert policy.exceptions == ()
    assert policy.use_installed is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('use = "cloud"', r"policy.licenses.use: expected one of library"),
        ('deny_categories = ["evil"]', r"deny_categories: unknown category 'evil'"),
        ("deny = 3", r"policy.licenses.deny: expected a list of strings"),
        ('exceptions = [{package = "x"}]', r"exceptions\[0\].reason: every exception needs"),
        (
            'exceptions = [{package = "x", reason = "r", expires = "soon"}]',
            r"exceptions\[0\].expires: expected a date",
        ),
        ('exceptions = [{package = "x", reason = "r", why = 1}]', r"unknown keys \['why'\]"),
        ("commercial = 1", r"policy.licenses.commercial: expected true or false"),
        ("cache_days = -1", r"cache_days: expected a non-negative integer"),
    ],
)
def test_policy_errors_name_the_key(tmp_path: Path, body: str, message: str) -> None:
    config = _config(tmp_path, f"[policy.licenses]\n{body}\n")
    with pytest.raises(ConfigError, match=message):
        load_license_policy(config)
