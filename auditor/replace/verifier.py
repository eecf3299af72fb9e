"""The verifier: is a draft equivalent to the original on the project's use?

Both sides run in their own sandbox (`auditor.replace.sandbox`): the original package's files in
one, the draft module alone in the other, so a draft cannot consult the original. Each side
gets the same cases (call-site literals, doctests, hypothesis draws: `auditor.replace.inputs`)
and returns, as JSON only, the canonical form of every return value, the raised exception type
and the arguments after the call; any difference is a mismatch. The draft must also reach no
capability (network, processes, eval, files ...) that the original's used part does not, and
pass the static security check. The report says exactly what was and was not verified.
"""

from __future__ import annotations

import json
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.replace.capabilities import (
    SecurityScan,
    excess,
    imported_distributions,
    security_scan,
)
from auditor.replace.inputs import Case
from auditor.replace.pkgtests import PackageTests
from auditor.replace.sandbox import (
    Isolation,
    IsolationLevel,
    Limits,
    isolation_of,
    require_isolation,
    run_python,
)
from auditor.replace.slicer import SymbolInfo
from auditor.replace.source import PackageSource
from auditor.result import Verification

_HARNESS = Path(__file__).with_name("_harness.py")
_MARKER = "@@AUDITOR-RESULT@@"
_SHIM = "_auditor_original"


@dataclass(frozen=True, slots=True, kw_only=True)
class SideRun:
    """What one side returned: results per case, refusals, import error, lines reached."""

    results: tuple[dict[str, Any], ...]
    violations: tuple[str, ...]
    import_error: str | None
    error: str | None
    lines: frozenset[tuple[str, int]]
    netns: str


def _parse_side(stdout: str, stderr: str, timed_out: bool, code: int | None) -> SideRun:
    refused = tuple(
        line.removeprefix("sandbox-refused: ")
        for line in stderr.splitlines()
        if line.startswith("sandbox-refused: ")
    )
    payload = None
    for line in reversed(stdout.splitlines()):
        if line.startswith(_MARKER):
            try:
                payload = json.loads(line[len(_MARKER) :])
            except json.JSONDecodeError:
                payload = None
            break
    if not isinstance(payload, dict):
        reason = "timed out" if timed_out else f"exited {code} without a result"
        tail = stderr.strip().splitlines()[-3:] if stderr.strip() else []
        return SideRun(
            results=(),
            violations=refused,
            import_error=None,
            error=f"{reason}: {' | '.join(tail)[:400]}",
            lines=frozenset(),
            netns="",
        )
    violations = tuple(dict.fromkeys([*map(str, payload.get("violations") or ()), *refused]))
    return SideRun(
        results=tuple(r if isinstance(r, dict) else {} for r in payload.get("results") or ()),
        violations=violations,
        import_error=payload.get("import_error"),
        error=None,
        lines=frozenset((str(f), int(n)) for f, n in payload.get("lines") or ()),
        netns=str(payload.get("netns") or ""),
    )


def _run_side(
    files: dict[str, str],
    module: str,
    cases: Sequence[Case],
    limits: Limits,
    *,
    trace: bool,
    tests: Sequence[PackageTests] = (),
) -> SideRun:
    folder = Path(tempfile.mkdtemp(prefix="auditor-verify-"))
    try:
        subject = folder / "subject"
        files = {**files, **{f"{t.module}.py": t.module_text(module) for t in tests}}
        for relpath, text in files.items():
            target = subject / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        shutil.copyfile(_HARNESS, folder / "harness.py")
        with (folder / "cases.pickle").open("wb") as handle:
            pickle.dump([c.to_wire() for c in cases], handle)
        args = (module, "--trace") if trace else (module,)
        run = run_python(folder, "harness.py", args, limits=limits)
        return _parse_side(run.stdout, run.stderr, run.timed_out, run.returncode)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def original_files(source: PackageSource, symbols: Sequence[SymbolInfo]) -> dict[str, str]:
    """The original package's modules plus a shim exporting the used symbols by their names."""
    files = {
        relpath: (source.root / relpath).read_text(encoding="utf-8", errors="replace")
        for relpath in source.files
    }
    lines = []
    for info in symbols:
        module, _, attr = info.qualified.rpartition(".")
        while module and not source.is_module(module):
            module, _, _rest = module.rpartition(".")
        attr = info.qualified[len(module) + 1 :].split(".")[0]
        lines.append(f"from {module} import {attr} as {info.name}")
    files[f"{_SHIM}.py"] = "\n".join(lines) + "\n"
    return files


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, default=repr)
    return text if len(text) <= limit else text[:limit] + "..."


def verify(
    source: PackageSource,
    draft: str,
    draft_module: str,
    symbols: Sequence[SymbolInfo],
    cases: Sequence[Case],
    *,
    original_code: str,
    limits: Limits,
    require: IsolationLevel | None = None,
    statement_lines: Sequence[tuple[str, int]] = (),
    security: bool = True,
    tests: Sequence[PackageTests | None] = (),
) -> Verification:
    """Run the cases against the original and the draft, and judge the draft.

    Raises:
        IsolationError: `require` was given and the sandbox did not reach it.
    """
    started = time.perf_counter()
    suites = [t for t in tests if t is not None]
    labels = {t.label for t in suites}
    cases = [
        *cases,
        *(Case(name=n, source=t.label, module=t.module) for t in suites for n, _t in t.functions),
    ]
    original = _run_side(
        original_files(source, symbols), _SHIM, cases, limits, trace=True, tests=suites
    )
    draft_run = _run_side(
        {f"{draft_module}.py": draft}, draft_module, cases, limits, trace=False, tests=suites
    )
    isolation: Isolation = isolation_of(draft_run.netns or original.netns, limits)
    require_isolation(isolation, require)
    reasons: list[str] = []
    mismatches: list[dict[str, Any]] = []
    per_symbol: dict[str, dict[str, int]] = {
        s.name: {"inputs": 0, "mismatches": 0} for s in symbols
    }
    tried = 0
    skipped_tests: list[str] = []
    if original.error or original.import_error:
        reasons.append(f"the original could not run: {original.error or original.import_error}")
    elif draft_run.error or draft_run.import_error:
        reasons.append(f"the draft could not run: {draft_run.error or draft_run.import_error}")
        tried = len(cases)
        mismatches = [{"symbol": "*", "reason": draft_run.error or draft_run.import_error}]
    else:
        for case, want, got in zip(cases, original.results, draft_run.results, strict=False):
            if case.source in labels and "raises" in want:
                skipped_tests.append(f"{case.source}:{case.name}")  # fails on the original
                continue
            tried += 1
            entry = per_symbol.setdefault(case.name, {"inputs": 0, "mismatches": 0})
            entry["inputs"] += 1
            if want != got:
                entry["mismatches"] += 1
                mismatches.append(
                    {
                        "symbol": case.name,
                        "source": case.source,
                        "input": _short([list(case.args), case.kwargs]),
                        "expected": _short(want),
                        "got": _short(got),
                    }
                )
        if len(draft_run.results) < len(cases):
            reasons.append("the draft stopped before every case ran")
    untested = sorted(n for n, e in per_symbol.items() if e["inputs"] == 0)
    if untested:
        reasons.append(f"no input could be made for: {', '.join(untested)}")
    # The original tripping the same fence (a .env lookup above its folder) is its own behaviour.
    own = [v for v in draft_run.violations if v not in set(original.violations)]
    if own:
        reasons.append(f"the sandbox refused {len(own)} action(s) of the draft")
    extra = excess(draft, original_code)
    foreign = sorted(
        set(imported_distributions(draft)) - set(imported_distributions(original_code))
    )
    if foreign:
        reasons.append(
            f"the draft imports {', '.join(foreign)}: only the standard library (and what the "
            "original's used part imports) may be used"
        )
    if extra:
        reasons.append(
            "the draft reaches what the original's used part does not: "
            + ", ".join(f"{k} (line {', '.join(map(str, v))})" for k, v in extra.items())
        )
    scan = (
        security_scan(draft)
        if security
        else SecurityScan(tool="bandit", ran=False, detail="not asked")
    )
    if scan.issues:
        reasons.append(f"the static security check found {len(scan.issues)} issue(s)")
    if mismatches:
        reasons.append(f"{len(mismatches)} of {tried} inputs gave a different result")
    wanted_lines = set(statement_lines)
    reached = len(wanted_lines & original.lines)
    verified = not reasons and tried > 0
    details: dict[str, Any] = {
        "summary": "equivalent on every input tried"
        if verified
        else "not verified: " + "; ".join(reasons),
        "verified_what": "return values, raised exception types and argument mutation of the "
        "used symbols on the inputs below, both sides sandboxed",
        "not_verified": [
            "inputs outside those tried (call-site literals, doctests, hypothesis draws)",
            "the project's own tests with the import rewired (run them after applying)",
            *(f"{name}: no input" for name in untested),
        ],
        "inputs_by_source": _by_source(
            c for c in cases if f"{c.source}:{c.name}" not in skipped_tests
        ),
        "test_suites": {
            t.label: {
                "from": list(t.files),
                "run": sum(1 for n, _t in t.functions if f"{t.label}:{n}" not in skipped_tests),
                "failing_on_the_original": [
                    n for n, _t in t.functions if f"{t.label}:{n}" in skipped_tests
                ][:50],
            }
            for t in suites
        },
        "per_symbol": per_symbol,
        "mismatch_examples": mismatches[:5],
        "isolation": isolation.to_json(),
        "sandbox_refusals": {
            "draft": list(draft_run.violations),
            "original": list(original.violations),
        },
        "capabilities_beyond_original": extra,
        "security_scan": scan.to_json(),
        "coverage": {
            "kind": "statement coverage of the used functions' bodies in the original",
            "statements": len(wanted_lines),
            "reached": reached,
            "percent": round(100 * reached / len(wanted_lines), 1) if wanted_lines else None,
        },
        "seconds": round(time.perf_counter() - started, 3),
    }
    return Verification(
        inputs_tried=tried, mismatches=len(mismatches), verified=verified, details=details
    )


def _by_source(cases: Iterable[Case]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in cases:
        counts[case.source] = counts.get(case.source, 0) + 1
    return dict(sorted(counts.items()))


__all__ = ["SideRun", "Verification", "original_files", "verify"]
