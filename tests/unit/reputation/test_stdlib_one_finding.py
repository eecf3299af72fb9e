"""A standard-library module declared as a requirement is one finding (AUD409), not four."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from checkrun import run_check
from reputation_helpers import FakeLookup, info, make_ctx

from auditor.checks.index_status import CHECK as INDEX_STATUS
from auditor.checks.reputation import CHECK as REPUTATION
from auditor.checks.stdlib_names import CHECK as STDLIB
from auditor.checks.typosquat import CHECK as TYPOSQUAT

OLD = {"0.4.9.6": "2013-01-01T00:00:00"}


def test_asyncio_json_logging_get_only_aud409(tmp_path: Path) -> None:
    files = {"requirements.txt": "asyncio==3.4.3\njson\nlogging\nrequests==2.31.0\n"}
    ctx = make_ctx(tmp_path, files, today=dt.date(2026, 1, 1), enable=("AUD4",))
    projects = {
        "asyncio": info("asyncio", {"3.4.3": "2015-03-10T00:00:00"}),
        "logging": info("logging", OLD),
        "requests": info("requests", {"2.31.0": "2023-05-22T00:00:00"}),
    }
    lookup = FakeLookup(projects)
    rules: dict[str, set[str]] = {}
    for check in (STDLIB, REPUTATION, TYPOSQUAT, INDEX_STATUS):
        for finding in run_check(check, ctx, lookup=lookup).findings:
            rules.setdefault(finding.package or "", set()).add(finding.rule_id)
    assert rules["asyncio"] == {"AUD409"}
    assert rules["json"] == {"AUD409"}
    assert rules["logging"] == {"AUD409"}
    stdlib = run_check(STDLIB, ctx, lookup=lookup).findings
    assert all("did you mean" not in f.message for f in stdlib)
    assert all(f.fix and "remove" in f.fix.lower() for f in stdlib)
