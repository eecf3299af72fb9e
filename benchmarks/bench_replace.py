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


def main() -> int:
    """Run both parts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60, help="hypothesis examples per function")
    args = parser.parse_args()
    candidates()
    print()
    subjects(args.examples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
