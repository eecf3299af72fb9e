"""The verifier and its sandbox: equivalence, mismatches, and hostile drafts stopped."""

from __future__ import annotations

from pathlib import Path

import pytest
from replace_setup import Subject, tinycase_subject, verify_draft
from replacekit import TINYCASE

from auditor.replace.callsites import CallSite
from auditor.replace.capabilities import capabilities, excess
from auditor.replace.inputs import build_cases, doctest_cases, hypothesis_cases
from auditor.replace.pkgtests import find_package_tests
from auditor.replace.sandbox import (
    IsolationError,
    IsolationLevel,
    Limits,
    isolation_of,
    require_isolation,
)
from auditor.replace.verifier import Verification

SECRET = "sk-test-SECRET-never-leaks-0123456789"
LIMITS = Limits(timeout=20, cpu_seconds=10, memory_mb=512)


APPEND_ALL = """def append_all(items, value):
    items.append(value)
    return len(items)
"""


@pytest.fixture
def subject(tmp_path: Path) -> Subject:
    return tinycase_subject(tmp_path, ["tinycase.snake", "tinycase.append_all"])


def _verify(subject: Subject, draft: str, examples: int = 15) -> Verification:
    return verify_draft(subject, draft, limits=LIMITS, examples=examples, coverage=True)


def test_the_slice_itself_verifies(subject: Subject) -> None:
    result = _verify(subject, subject[1].text)
    assert result.verified, result.details["summary"]
    assert result.inputs_tried > 10
    assert result.mismatches == 0
    assert result.details["inputs_by_source"]["doctest"] == 2
    assert result.details["coverage"]["percent"] == 100.0
    assert result.details["isolation"]["audit_hook"] is True


WRONG = """import re

def snake(text: str) -> str:
    return "_".join(w.lower() for w in re.findall(r"[A-Za-z]+", text))

def append_all(items, value):
    return len(items) + 1
"""


def test_wrong_draft_is_rejected_with_examples(subject: Subject) -> None:
    result = _verify(subject, WRONG)
    assert not result.verified
    assert result.mismatches > 0
    symbols = {m["symbol"] for m in result.details["mismatch_examples"]}
    # append_all must mutate its argument: the draft returns the right count but does not.
    assert "append_all" in symbols or result.details["per_symbol"]["append_all"]["mismatches"]


HOSTILE_NETWORK = f"""import socket

def snake(text):
    s = socket.socket()
    s.connect(("127.0.0.1", 9))
    return text

{APPEND_ALL}"""

HOSTILE_FILES = f"""import os

def snake(text):
    with open("/tmp/auditor-escape-test.txt", "w") as f:
        f.write(os.environ.get("OPENAI_API_KEY", "none"))
    return text

{APPEND_ALL}"""

HOSTILE_PROCESS = f"""import os

def snake(text):
    os.system("echo pwned")
    return text

{APPEND_ALL}"""

LEAKS_ENV = f"""import os

def snake(text):
    return repr(dict(os.environ))

{APPEND_ALL}"""


@pytest.mark.parametrize(
    ("draft", "refused", "capability"),
    [
        (HOSTILE_NETWORK, "socket", "network"),
        (HOSTILE_FILES, "outside the sandbox", "environment"),
        (HOSTILE_PROCESS, "os.system", "subprocess"),
    ],
)
def test_sandbox_stops_hostile_drafts(
    subject: Subject,
    monkeypatch: pytest.MonkeyPatch,
    draft: str,
    refused: str,
    capability: str,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    escape = Path("/tmp/auditor-escape-test.txt")
    escape.unlink(missing_ok=True)
    result = _verify(subject, draft, examples=3)
    assert not result.verified
    assert any(refused in v for v in result.details["sandbox_refusals"]["draft"])
    assert capability in result.details["capabilities_beyond_original"]
    assert not escape.exists()
    assert SECRET not in repr(result.to_json())


def test_environment_is_scrubbed(subject: Subject, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    result = _verify(subject, LEAKS_ENV, examples=2)
    assert not result.verified
    assert SECRET not in repr(result.to_json())
    assert "HOME" in repr(result.details["mismatch_examples"])  # what the child did see


def test_runaway_draft_is_cut_by_the_time_limit(subject: Subject) -> None:
    draft = (
        "def snake(text):\n    while True:\n        pass\n\n"
        "def append_all(items, value):\n    return 0\n"
    )
    result = verify_draft(subject, draft, limits=Limits(timeout=6, cpu_seconds=4), examples=2)
    assert not result.verified
    assert result.mismatches > 0


def test_draft_that_does_not_import(subject: Subject) -> None:
    result = _verify(subject, "raise RuntimeError('no')\n", examples=2)
    assert not result.verified
    assert "the draft could not run: RuntimeError: no" in result.details["summary"]


def test_isolation_is_reported_and_required() -> None:
    link = Path("/proc/self/ns/net")
    here = str(link.readlink()) if link.exists() else ""
    same = isolation_of(here, LIMITS)
    assert same.level is IsolationLevel.PROCESS
    with pytest.raises(IsolationError, match="namespace is required"):
        require_isolation(same, IsolationLevel.NAMESPACE)
    require_isolation(same, IsolationLevel.PROCESS)
    other = isolation_of("net:[1]", LIMITS)
    assert other.level is IsolationLevel.NAMESPACE
    assert other.network_namespace


def test_capabilities_compare_draft_to_original() -> None:
    found = capabilities("import subprocess\nimport os\nx = eval('1')\ny = os.environ['A']\n")
    assert set(found) == {"subprocess", "eval", "environment"}
    assert excess("import re\n", "import socket\n") == {}
    assert "network" in excess("import urllib.request\n", "import re\n")


def test_inputs_from_hints_call_sites_and_doctests(subject: Subject) -> None:
    snake = (
        subject[1].symbols[1] if subject[1].symbols[1].name == "snake" else subject[1].symbols[0]
    )
    assert len(doctest_cases(snake)) == 2
    drawn = hypothesis_cases(snake, [], 10)
    assert drawn
    assert all(isinstance(c.args[0], str) for c in drawn)
    assert drawn == hypothesis_cases(snake, [], 10)  # deterministic
    site = CallSite(
        path="a.py", line=1, symbol="tinycase.snake", text="snake('AbC')", args=("AbC",), kwargs={}
    )
    cases = build_cases([snake], [site], examples=0)
    assert ("AbC",) in [c.args for c in cases if c.source == "call-site"]


PACKAGE_TESTS = {
    "tinycase/tests/__init__.py": "",
    "tinycase/tests/test_core.py": """import re
from tinycase import snake, camelize
from tinycase._core import _words


def test_snake():
    assert snake("HTTPServerError") == "http_server_error"


def test_snake_fixture(tmp_path):
    assert snake("A") == "a"


def test_words():
    assert _words("aB") == ["a", "B"]


def test_broken_upstream():
    assert snake("X") == "nope"


def test_camel():
    assert camelize("a_b") == "AB"
""",
}


def test_package_tests_that_use_only_used_symbols_run_on_both_sides(tmp_path: Path) -> None:
    subject = tinycase_subject(tmp_path, ["tinycase.snake"], {**TINYCASE, **PACKAGE_TESTS})
    source, sliced = subject
    tests = find_package_tests(source, sliced.symbols)
    assert tests is not None
    # No fixtures, no helpers outside the used symbols, no unused symbols (camelize).
    assert [name for name, _text in tests.functions] == ["test_snake", "test_broken_upstream"]
    assert tests.imports == ("import re",)
    cases = build_cases(sliced.symbols, [], examples=5)

    def run(draft: str) -> Verification:
        return verify_draft(subject, draft, limits=LIMITS, cases=cases, tests=(tests,))

    good = run(sliced.text)
    assert good.verified, good.details["summary"]
    suite = good.details["test_suites"]["package-test"]
    assert suite["run"] == 1
    assert suite["failing_on_the_original"] == ["test_broken_upstream"]
    assert good.details["inputs_by_source"]["package-test"] == 1
    # A draft that only differs on the package's own test input is caught by that test.
    bad = sliced.text.replace(
        "return SEPARATOR.join",
        "return text.lower() if text.startswith('HTTP') else SEPARATOR.join",
    )
    wrong = run(bad)
    assert not wrong.verified
    assert wrong.details["per_symbol"]["test_snake"]["mismatches"] == 1


DELEGATES = """import sys

sys.path.extend(p.replace("lib-dynload", "site-packages") for p in list(sys.path))
from tinycase import snake, append_all
"""


def test_draft_that_delegates_to_the_original_is_rejected(
    subject: Subject,
) -> None:
    result = _verify(subject, DELEGATES, examples=2)
    assert not result.verified
    assert "the draft imports tinycase" in result.details["summary"]
