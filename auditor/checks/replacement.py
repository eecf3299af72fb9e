"""AUD601-AUD603: dependencies worth replacing.

- AUD601 stdlib-replacement: a declared distribution the standard library replaces at the
  project's oldest Python (rules/policy/replacements.yaml), exact or approximate.
- AUD602 replacement-candidate: a risky dependency (score from rules/policy/replace.toml) of
  which the production code uses only a sliver: `auditor replace` can propose an in-house slice.
- AUD603 trivial-dependency: the used part is under ``trivial_lines`` lines, whatever the risk.

The wording names the candidate and the reasons in plain words; the evidence holds the scores.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.base import CheckContext
from auditor.checks.lock_envs import python_envs, requirement_envs
from auditor.checks.stdlib_names import stdlib_declared
from auditor.model import Finding, Requirement
from auditor.replace.catalogue import applicable, load_catalogue, project_python, show_python
from auditor.replace.risk import RiskPolicy, assess
from auditor.report.safe import clean

KNOWN, CANDIDATE, TRIVIAL = "AUD601", "AUD602", "AUD603"


class ReplacementCheck:
    """Reports known replacements, risky slivers and trivial dependencies."""

    name = "replacement"

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        """Yield AUD601/AUD602/AUD603 findings for the declared distributions."""
        known = set()
        if ctx.enabled(KNOWN):
            for finding in self._known(ctx):
                known.add(finding.package)
                yield finding
        if not (ctx.enabled(CANDIDATE) or ctx.enabled(TRIVIAL)):
            return
        policy = RiskPolicy.from_policy(ctx.config.policy_section("replace"))
        today = ctx.config.today_date()
        for use in ctx.facts.declared:
            if use.display_name in known or use.name not in ctx.facts.footprints:
                continue
            found = assess(use.name, use.display_name, None, ctx.facts, policy, today, ctx.graph)
            display = clean(use.display_name)
            evidence = found.to_json()
            command = f"auditor replace . --package {display}"
            if ctx.enabled(CANDIDATE) and found.replaceable and found.score >= policy.threshold:
                yield ctx.finding(
                    CANDIDATE,
                    message=f"{display} is a replacement candidate: {clean(found.reasons())} "
                    f"(risk {found.score})",
                    package=use.display_name,
                    version=found.version,
                    locations=use.locations,
                    evidence=evidence,
                    fix=f"run `{command}` for a verified in-house slice",
                )
            elif ctx.enabled(TRIVIAL) and found.trivial and found.footprint is not None:
                yield ctx.finding(
                    TRIVIAL,
                    message=f"{display} is a trivial dependency: {clean(found.reasons())}",
                    package=use.display_name,
                    version=found.version,
                    locations=use.locations,
                    evidence=evidence,
                    fix=f"inline the used code: `{command}` proposes a verified patch",
                )

    def _known(self, ctx: CheckContext) -> Iterator[Finding]:
        catalogue = load_catalogue()
        python, python_source = project_python(ctx.root)
        skip = stdlib_declared(ctx)
        usage = ctx.facts.imports
        for use in ctx.facts.declared:
            entry = catalogue.get(use.name)
            if (
                entry is None
                or use.name in skip
                or _only_before(use.requirements, entry.min_python)
            ):
                continue
            symbols = usage.symbols_for_distribution(use.name) if usage is not None else ()
            fit = applicable(entry, symbols, python)
            if not fit.fits:
                continue
            display = clean(use.display_name)
            kind = "exact" if fit.exact else "approximate"
            note = f" {clean(entry.note)}" if entry.note and not fit.exact else ""
            yield ctx.finding(
                KNOWN,
                message=f"{display} can be replaced by {entry.replacement} "
                f"(Python {show_python(entry.min_python)}+, {kind}).{note}",
                package=use.display_name,
                locations=use.locations,
                evidence={
                    "replacement": entry.replacement,
                    "min_python": show_python(entry.min_python),
                    "project_python": show_python(python),
                    "project_python_source": python_source,
                    "exact": fit.exact,
                    "rewrites": dict(fit.rewrites),
                    "references": list(entry.references),
                },
                fix=f"use {entry.replacement}; `auditor replace . --package {display}` writes "
                "the import rewrite",
            )


def _only_before(requirements: tuple[Requirement, ...], min_python: tuple[int, ...]) -> bool:
    """Whether every requirement's marker limits it to Pythons older than the replacement.

    ``dataclasses; python_version < "3.7"`` is how a backport should be declared: nothing to do.
    """
    newer = python_envs(">=" + ".".join(str(part) for part in min_python))
    return bool(requirements) and all(
        r.marker_text is not None and not requirement_envs(r.marker_text) & newer
        for r in requirements
    )


CHECK = ReplacementCheck()

__all__ = ["CHECK", "ReplacementCheck"]
