"""Hostile inputs: each one becomes an error naming its file (and line), never a traceback.

Every case is scanned whole (discovery, parsers, graph, import scan, checks) beside a good
requirements file, which must still be parsed and audited.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli.main import main
from auditor.config import load_config
from auditor.model import InputStatus
from auditor.scanning import scan_inputs
from auditor.sources.requirements import RequirementsSource

DEEP = 100_000
DEEP_TOML = "a = " + "[" * DEEP + "]" * DEEP + "\n"
DEEP_JSON = "[" * DEEP + "]" * DEEP

# path -> hostile content; each must end as an input error (or an issue on its line).
BROKEN_INPUTS: dict[str, str] = {
    "pyproject.toml": DEEP_TOML,
    "Pipfile": DEEP_TOML,
    "Pipfile.lock": DEEP_JSON,
    "poetry.lock": DEEP_TOML,
    "uv.lock": DEEP_TOML,
    "pdm.lock": DEEP_TOML,
    "pylock.toml": DEEP_TOML,
    "environment.yml": "[" * 10_000 + "]" * 10_000,
    "setup.py": "(" * 200_000,
}


def _scan(root: Path) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", str(root), "--format", "json", "--offline", "--allow-incomplete"],
                out=out, err=err)  # fmt: skip
    return code, json.loads(out.getvalue()), err.getvalue()


def _inputs(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["path"]: item for item in report["inputs"]}


def _good(root: Path) -> None:
    (root / "good").mkdir()
    (root / "good" / "requirements.txt").write_text("rich==13.7.0\n", encoding="utf-8")


@pytest.mark.parametrize("name", sorted(BROKEN_INPUTS))
def test_nested_or_exhausting_manifest_is_an_error_of_that_file(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text(BROKEN_INPUTS[name], encoding="utf-8")
    _good(tmp_path)
    scan = scan_inputs(load_config(tmp_path, env={"AUDITOR_OFFLINE": "1"}))
    by_path = {item.path: item for item in scan.inputs}
    assert by_path[name].status is InputStatus.ERROR
    assert (by_path[name].error or "").startswith(f"{name}")
    assert by_path["good/requirements.txt"].status is InputStatus.OK
    assert scan.graph.nx.has_node("rich")


def test_every_hostile_input_at_once_through_the_cli(tmp_path: Path) -> None:
    for name, text in BROKEN_INPUTS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    _good(tmp_path)
    (tmp_path / "parens.py").write_text("(" * 200_000, encoding="utf-8")
    (tmp_path / "plus.py").write_text("x = " + "1+" * 10**6 + "1\n", encoding="utf-8")
    (tmp_path / "chain.py").write_text("X = " + "'a'+" * 1500 + "'a'\n", encoding="utf-8")
    (tmp_path / "settings.py").write_text("X = " + "'a'+" * 1500 + "'a'\n", encoding="utf-8")
    (tmp_path / "ok.py").write_text("import rich\n", encoding="utf-8")
    code, report, err = _scan(tmp_path)
    assert code != 4, err
    assert "Traceback" not in err
    inputs = _inputs(report)
    assert inputs["good/requirements.txt"]["status"] == "ok"
    for name in BROKEN_INPUTS:
        assert inputs[name]["status"] == "error", name
        assert inputs[name]["error"].startswith(name)
    assert "rich" in {p["name"] for p in report["packages"]}


@pytest.mark.parametrize(
    "line",
    ["https://[oops/x.whl", "name @ http://[::1", "-e git+https://[oops/x#egg=x",
     "name @ https://host:99999/x.whl", "git+https://[::1/repo"],
)  # fmt: skip
def test_urls_urllib_rejects_become_issues_on_their_line(tmp_path: Path, line: str) -> None:
    (tmp_path / "requirements.txt").write_text(f"rich==13.7.0\n{line}\n", encoding="utf-8")
    code, report, err = _scan(tmp_path)
    assert code != 4, err
    assert [p["name"] for p in report["packages"]] == ["rich"]
    lines = {(loc["path"], loc["line"]) for f in report["findings"] for loc in f["locations"]}
    assert ("requirements.txt", 2) in lines


def test_unsplittable_url_in_pyproject_is_an_issue(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\ndependencies = ["rich==13.7.0", '
        '"name @ http://[::1"]\n',
        encoding="utf-8",
    )
    code, report, err = _scan(tmp_path)
    assert code != 4, err
    assert [p["name"] for p in report["packages"]] == ["rich"]


def test_include_chain_of_500_files_is_followed_without_recursion(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r r0.txt\nrich==13.7.0\n", encoding="utf-8")
    for i in range(500):
        (tmp_path / f"r{i}.txt").write_text(f"-r r{i + 1}.txt\npkg{i}==1.0\n", encoding="utf-8")
    (tmp_path / "r500.txt").write_text("-r r0.txt\nlast==1.0\n", encoding="utf-8")
    parsed = RequirementsSource().parse(tmp_path, "requirements.txt")
    names = [r.name for r in parsed.requirements]
    assert len(names) == 502
    assert names[0] == "last"  # an include is read in place, before the rest of its file
    assert names[-1] == "rich"
    assert [(i.code, i.location.path, i.location.line) for i in parsed.issues] == [
        ("include-cycle", "r500.txt", 1)
    ]


NOTEBOOK_CELLS: list[Any] = [
    {"cell_type": "code", "source": 5},
    {"cell_type": "code", "source": {"a": 1}},
    {"cell_type": "code", "source": [1, None, {}, "import rich\n"]},
    {"cell_type": "code", "source": "(" * 200_000},
    {"cell_type": "code", "source": "x = " + "1+" * 10**5 + "1"},
    {"cell_type": "code", "source": "import os\x00"},
    {"cell_type": ["code"], "source": "import json"},
    "not a cell",
    None,
]


@pytest.mark.parametrize(
    "document",
    [{"cells": NOTEBOOK_CELLS, "metadata": [1, 2]}, {"cells": {"a": 1}}, {"cells": 3}, [1, 2]],
)
def test_notebook_junk_is_no_crash(tmp_path: Path, document: Any) -> None:
    (tmp_path / "nb.ipynb").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "deep.ipynb").write_text(DEEP_JSON, encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("rich==13.7.0\n", encoding="utf-8")
    (tmp_path / "app.py").write_text("import rich\n", encoding="utf-8")
    code, report, err = _scan(tmp_path)
    assert code != 4, err
    assert _inputs(report)["requirements.txt"]["status"] == "ok"
    assert not [
        f for f in report["findings"] if f["rule_id"] == "AUD502" and f["package"] == "rich"
    ]


@pytest.mark.parametrize(
    "text",
    ["tool = 1\nproject = 2\n", "[tool]\npoetry = 1\ndeptry = []\n",
     '[project]\nname = "x"\nentry-points = 3\nscripts = 4\n[build-system]\nrequires = 5\n'],
)  # fmt: skip
def test_pyproject_tables_of_the_wrong_type_are_no_crash(tmp_path: Path, text: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("rich==13.7.0\n", encoding="utf-8")
    (tmp_path / "app.py").write_text("import rich\n", encoding="utf-8")
    code, report, err = _scan(tmp_path)
    assert code != 4, err
    assert _inputs(report)["requirements.txt"]["status"] == "ok"
