"""Narrow an audit result to a change, then hold back the accepted findings (the CI workflow).

A diff base (a git ref) keeps the findings in what changed since its merge base, a list of
changed files those in the files or about the packages they declare or import (see
`auditor.gitdiff`); a baseline then moves the findings it accepts out of the gate (see
`auditor.baseline`). ``auditor scan`` and ``auditor report`` both apply it to their result.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from auditor import gitdiff
from auditor.baseline import Baseline, apply_baseline
from auditor.result import AuditResult

__all__ = ["Workflow", "apply_workflow"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Workflow:
    """What to limit a result to, and which findings are accepted.

    `diff_base` is a git ref, `changed` the changed files as given; None leaves the result
    whole. `baseline` holds the accepted findings, read from `baseline_file`.
    """

    diff_base: str | None = None
    changed: tuple[str, ...] | None = None
    baseline: Baseline | None = None
    baseline_file: str = ""


def apply_workflow(result: AuditResult, root: Path, workflow: Workflow) -> AuditResult:
    """Limit the result to the change (diff base, changed files), then apply the baseline."""
    if workflow.diff_base is not None:
        result = gitdiff.restrict(result, gitdiff.changes_since(root, workflow.diff_base), root)
    if workflow.changed is not None:
        result = gitdiff.restrict(result, gitdiff.changed_paths(root, workflow.changed), root)
    if workflow.baseline is not None:
        result = apply_baseline(result, workflow.baseline, file=workflow.baseline_file)
    return result
