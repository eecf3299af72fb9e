"""AUD504 when a runtime requirement brings the dev-declared distribution (scrapy's h2)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from checkrun import enriched
from imports_support import make_ctx
from treekit import write_tree

from auditor.checks.base import CheckContext
from auditor.checks.imports import CHECK
from auditor.checks.runtime_through import brought_by
from auditor.imports.groups import GroupPolicy
from auditor.index.model import LookupState, ProjectInfo, ProjectLookup
from auditor.model import Finding, Severity

TWISTED = ProjectLookup(
    name="twisted",
    state=LookupState.FOUND,
    info=ProjectInfo(
        name="twisted",
        display_name="Twisted",
        requires_dist=(
            "attrs>=22.2.0",
            'h2<5.0,>=3.2; extra == "http2"',
            'priority<2.0,>=1.1.0; extra == "http2"',
            'pyopenssl>=21.0.0; extra == "tls"',
            "not a requirement ][",
        ),
    ),
)

# scrapy's shape: h2 is declared only in the docs requirements, the HTTP/2 handler imports it,
# and users get it with the twisted-http2 extra, Twisted[http2].
FILES = {"scrapy_like/_http2/protocol.py": "from h2.connection import H2Connection\n"}


def _misplaced(tmp_path: Path, index: Mapping[str, ProjectLookup], **declared: str) -> Finding:
    write_tree(tmp_path, FILES)
    ctx = make_ctx(tmp_path, {"h2": "docs", **declared}, enabled=("AUD504",))
    ready = enriched(ctx)
    ready = dataclasses.replace(ready, facts=dataclasses.replace(ready.facts, index=index))
    (finding,) = [f for f in CHECK.run(ready) if isinstance(f, Finding)]
    assert finding.rule_id == "AUD504"
    return finding


def test_twisted_without_its_http2_extra_does_not_bring_h2(tmp_path: Path) -> None:
    finding = _misplaced(tmp_path, {"twisted": TWISTED}, **{"twisted": "optional:twisted-http2"})
    assert finding.severity is Severity.MEDIUM


def test_twisted_http2_extra_lowers_the_finding_and_changes_the_advice(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    ctx = _with_extras(
        make_ctx(tmp_path, {"h2": "docs", "twisted": "optional:twisted-http2"}, enabled=("AUD504",))
    )
    ready = enriched(ctx)
    ready = dataclasses.replace(
        ready, facts=dataclasses.replace(ready.facts, index={"twisted": TWISTED})
    )
    (finding,) = [f for f in CHECK.run(ready) if isinstance(f, Finding)]
    assert finding.severity is Severity.LOW
    assert "comes with twisted[http2] (extra 'twisted-http2')" in finding.message
    assert finding.evidence["brought_by"] == ["twisted[http2] (extra 'twisted-http2')"]
    assert finding.fix is not None
    assert "main dependencies" not in finding.fix


def test_a_development_requirement_brings_nothing_at_run_time(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    ctx = _with_extras(make_ctx(tmp_path, {"h2": "docs", "twisted": "dev"}, enabled=("AUD504",)))
    ready = enriched(ctx)
    ready = dataclasses.replace(
        ready, facts=dataclasses.replace(ready.facts, index={"twisted": TWISTED})
    )
    (finding,) = [f for f in CHECK.run(ready) if isinstance(f, Finding)]
    assert finding.severity is Severity.MEDIUM
    assert finding.fix == "move h2 to the main dependencies"


def test_without_index_metadata_the_finding_stays(tmp_path: Path) -> None:
    finding = _misplaced(tmp_path, {}, **{"twisted": "optional:twisted-http2"})
    assert finding.severity is Severity.MEDIUM


def test_only_the_requested_extras_dependencies_count() -> None:
    from auditor.model import InputKind, Location, ParsedInput, Requirement, canonical_name

    def req(extras: tuple[str, ...]) -> ParsedInput:
        r = Requirement(
            name=canonical_name("twisted"),
            raw_name="Twisted",
            extras=extras,
            location=Location(path="pyproject.toml", line=1),
            kind=InputKind.PYPROJECT,
        )
        return ParsedInput(path="pyproject.toml", kind=InputKind.PYPROJECT, requirements=(r,))

    index = {"twisted": TWISTED}
    for name, extras, expected in [
        ("attrs", (), False),  # a plain dependency: relying on it is relying on a transitive one
        ("attrs", ("http2",), False),
        ("h2", (), False),
        ("h2", ("tls",), False),
        ("h2", ("tls", "http2"), True),
        ("pyopenssl", ("tls",), True),
    ]:
        inputs = [req(extras)]
        found = brought_by(name, inputs=inputs, groups=GroupPolicy(), index=index)
        assert bool(found) is expected, (name, extras)


def _with_extras(ctx: CheckContext) -> CheckContext:
    """Give the declared twisted requirement the [http2] extra, as scrapy writes it."""
    inputs = tuple(
        dataclasses.replace(
            item,
            requirements=tuple(
                dataclasses.replace(r, extras=("http2",)) if r.name == "twisted" else r
                for r in item.requirements
            ),
        )
        for item in ctx.inputs
    )
    return dataclasses.replace(ctx, inputs=inputs)
