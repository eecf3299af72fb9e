"""Set-up shared by the replace verifier and agent tests: a sliced package and its verification.

`tinycase_subject` installs the `replacekit.TINYCASE` distribution into a folder and slices the
symbols asked for; `verify_draft` runs the verifier on a draft of that slice (the module is
always ``tinycase_lite``, the security scan is off: these tests judge the sandbox itself).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from replacekit import TINYCASE, make_distribution

from auditor.replace.inputs import Case, build_cases
from auditor.replace.pkgtests import PackageTests
from auditor.replace.sandbox import Limits
from auditor.replace.slicer import Slice, slice_package
from auditor.replace.source import PackageSource, find_installed
from auditor.replace.verifier import Verification, verify

Subject = tuple[PackageSource, Slice]
DRAFT_MODULE = "tinycase_lite"


def tinycase_subject(
    tmp_path: Path, symbols: Sequence[str], files: Mapping[str, str] = TINYCASE
) -> Subject:
    """Install tinycase (`files`) under ``tmp_path/site``; return its source and the slice."""
    site = make_distribution(tmp_path / "site", "tinycase", files)
    source = find_installed("tinycase", [str(site)])
    return source, slice_package(source, list(symbols))


def verify_draft(
    subject: Subject,
    draft: str,
    *,
    limits: Limits,
    examples: int = 15,
    cases: Sequence[Case] | None = None,
    coverage: bool = False,
    tests: Sequence[PackageTests | None] = (),
) -> Verification:
    """Verify `draft` against the slice on `cases` (built from `examples` when not given).

    `coverage` passes the slice's statement lines, so the result reports line coverage.
    """
    source, sliced = subject
    return verify(
        source,
        draft,
        DRAFT_MODULE,
        sliced.symbols,
        build_cases(sliced.symbols, [], examples=examples) if cases is None else cases,
        original_code=sliced.text,
        limits=limits,
        statement_lines=sliced.statement_lines if coverage else (),
        security=False,
        tests=tests,
    )
