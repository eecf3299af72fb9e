"""Set-up shared by the replace tests: an installed package, its slice, and its verification.

`install` writes a distribution into a folder and finds it there; `tinycase_subject` installs
the `replacekit.TINYCASE` distribution and slices the symbols asked for; `verify_draft` runs the
verifier on a draft of that slice (the module is always ``tinycase_lite``, the security scan is
off: these tests judge the sandbox itself).
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


def install(site: Path, name: str, files: Mapping[str, str]) -> PackageSource:
    """Write distribution `name` (`files`) into the folder `site` and find it there."""
    return find_installed(name, [str(make_distribution(site, name, files))])


def tinycase_subject(
    tmp_path: Path, symbols: Sequence[str], files: Mapping[str, str] = TINYCASE
) -> Subject:
    """Install tinycase (`files`) under ``tmp_path/site``; return its source and the slice."""
    source = install(tmp_path / "site", "tinycase", files)
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
