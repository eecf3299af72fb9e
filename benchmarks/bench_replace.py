"""Benchmark `auditor replace`: candidates of the example app, then slice + verify real packages.

Run: ``python benchmarks/bench_replace.py [--examples N]``. Part 1 enriches the example app
(examples/vibe-app) with the import and footprint facts and prints each imported distribution's
risk-free replaceability (what is installed here gets sliced). Part 2 takes small real
pure-Python packages installed in this environment with a typical use, and times each stage --
locate, slice, draw inputs, verify in the sandbox -- printing the slice size against the
package, inputs tried, mismatches, the sandbox's isolation level and the statement coverage of
the original's used code reached by the verifier's inputs. Packages not installed are skipped.
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.config import load_config  # noqa: E402 - after the path set-up
from auditor.context import RunContext  # noqa: E402
from auditor.enrich import enrich  # noqa: E402
from auditor.facts import NEED_FOOTPRINT, NEED_IMPORTS  # noqa: E402
from auditor.replace.inputs import build_cases  # noqa: E402
from auditor.replace.pkgtests import find_package_tests  # noqa: E402
from auditor.replace.risk import RiskPolicy, assess  # noqa: E402
from auditor.replace.sandbox import Limits  # noqa: E402
from auditor.replace.slicer import SliceError, slice_package  # noqa: E402
from auditor.replace.source import SourceNotFound, find_installed  # noqa: E402
from auditor.replace.verifier import verify  # noqa: E402
from auditor.scanning import scan_inputs  # noqa: E402

SUBJECTS = [
    ("inflection", ["inflection.underscore", "inflection.camelize"]),
    ("inflection", ["inflection.pluralize"]),
    ("toolz", ["toolz.itertoolz.partition_all", "toolz.itertoolz.frequencies"]),
    ("six", ["six.ensure_str", "six.ensure_text"]),
    ("python-dotenv", ["dotenv.main.dotenv_values"]),
    ("idna", ["idna.encode"]),
    ("jmespath", ["jmespath.search"]),
    ("wcwidth", ["wcwidth.wcswidth"]),
    ("decorator", ["decorator.decorator"]),
    ("pathspec", ["pathspec.util.normalize_file"]),
]


def candidates() -> None:
    """Part 1: the example app's imported distributions and their footprints."""
    app = ROOT / "examples" / "vibe-app"
    config = load_config(app).with_overrides(offline=True).started()
    start = time.perf_counter()
    scan = scan_inputs(config)
    context = RunContext(config)
    try:
        facts = enrich(scan, {NEED_IMPORTS, NEED_FOOTPRINT}, context)
    finally:
        context.close()
    seconds = time.perf_counter() - start
    policy = RiskPolicy.from_policy(config.policy_section("replace"))
    print(f"example app: scan + imports + footprints in {seconds:.2f} s")
    for name, footprint in sorted(facts.footprints.items()):
        found = assess(name, name, None, facts, policy, config.today_date())
        state = "replaceable" if found.replaceable else f"keep: {found.why_not}"
        print(f"  {name:<16} {len(footprint.symbols):>2} names  {state[:90]}")


def subjects(examples: int) -> None:
    """Part 2: slice and verify real packages, stage by stage."""
    head = (
        f"{'package':<14}{'symbols':<34}{'slice':>6}{'pkg':>7}{'find s':>8}{'slice s':>8}"
        f"{'inputs s':>9}{'verify s':>9}{'tried':>6}{'mism':>5}{'cov %':>7}  result"
    )
    print(head)
    limits = Limits(timeout=60, cpu_seconds=30)
    for package, symbols in SUBJECTS:
        t0 = time.perf_counter()
        try:
            source = find_installed(package)
        except SourceNotFound:
            print(f"{package:<14}(not installed here: skipped)")
            continue
        t1 = time.perf_counter()
        try:
            sliced = slice_package(source, symbols)
        except SliceError as exc:
            print(f"{package:<14}{','.join(s.split('.')[-1] for s in symbols):<34}refused: {exc}")
            continue
        t2 = time.perf_counter()
        cases = build_cases(sliced.symbols, [], examples=examples)
        t3 = time.perf_counter()
        result = verify(
            source,
            sliced.text,
            f"{package.replace('-', '_')}_lite",
            sliced.symbols,
            cases,
            original_code=sliced.text,
            limits=limits,
            statement_lines=sliced.statement_lines,
            security=False,
            tests=(find_package_tests(source, sliced.symbols),),
        )
        t4 = time.perf_counter()
        coverage = result.details["coverage"]["percent"]
        verdict = "verified" if result.verified else result.details["summary"][:60]
        level = result.details["isolation"]["level"]
        names = ",".join(s.split(".")[-1] for s in symbols)
        print(
            f"{package:<14}{names[:33]:<34}{sliced.used_lines:>6}{sliced.package_lines:>7}"
            f"{t1 - t0:>8.3f}{t2 - t1:>8.3f}{t3 - t2:>9.3f}{t4 - t3:>9.2f}"
            f"{result.inputs_tried:>6}{result.mismatches:>5}"
            f"{coverage if coverage is not None else '-':>7}  {verdict} ({level})"
        )


_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.And: ast.Or,
    ast.Or: ast.And,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}


def mutants(text: str, limit: int) -> list[str]:
    """Up to `limit` one-change mutants of the functions in `text` (operators, int constants)."""
    tree = ast.parse(text)
    spots = [
        node
        for func in ast.walk(tree)
        if isinstance(func, ast.FunctionDef)
        for node in ast.walk(func)
        if type(node) in _SWAPS or (isinstance(node, ast.Constant) and type(node.value) is int)
    ]
    step = max(1, len(spots) // limit)
    found = []
    for index in range(0, len(spots), step):
        node = spots[index]
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            old_value = node.value
            node.value = old_value + 1
            found.append(ast.unparse(tree))
            node.value = old_value
        else:
            cls = node.__class__
            node.__class__ = _SWAPS[cls]
            found.append(ast.unparse(tree))
            node.__class__ = cls
        if len(found) >= limit:
            break
    return found


def mutation_score(examples: int, per_package: int) -> None:
    """Part 3: how many one-change mutants of a correct slice the verifier rejects."""
    print(f"{'package':<14}{'mutants':>8}{'caught':>8}{'score':>8}{'s each':>8}")
    limits = Limits(timeout=60, cpu_seconds=30)
    total = caught_all = 0
    for package, symbols in SUBJECTS[:6] + SUBJECTS[7:8] + SUBJECTS[9:]:
        try:
            source = find_installed(package)
            sliced = slice_package(source, symbols)
        except (SourceNotFound, SliceError):
            continue
        cases = build_cases(sliced.symbols, [], examples=examples)
        if not cases:
            continue
        tests = find_package_tests(source, sliced.symbols)
        drafts = mutants(sliced.text, per_package)
        start = time.perf_counter()
        caught = 0
        for draft in drafts:
            result = verify(
                source,
                draft,
                "mutant",
                sliced.symbols,
                cases,
                original_code=sliced.text,
                limits=limits,
                security=False,
                tests=(tests,),
            )
            caught += not result.verified
        each = (time.perf_counter() - start) / max(1, len(drafts))
        total += len(drafts)
        caught_all += caught
        score = 100 * caught / len(drafts) if drafts else 0.0
        print(f"{package:<14}{len(drafts):>8}{caught:>8}{score:>7.0f}%{each:>8.2f}")
    if total:
        print(f"{'all':<14}{total:>8}{caught_all:>8}{100 * caught_all / total:>7.0f}%")


def main() -> int:
    """Run both parts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60, help="hypothesis examples per function")
    parser.add_argument("--mutants", type=int, default=12, help="mutants per package (0: skip)")
    args = parser.parse_args()
    candidates()
    print()
    subjects(args.examples)
    if args.mutants:
        print()
        mutation_score(args.examples, args.mutants)
    return 0


if __name__ == "__main__":
    sys.exit(main())
