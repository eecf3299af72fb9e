"""A notebook's own ``%pip install`` lines are its declared dependencies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.model import InputKind, InputStatus
from auditor.scanning import scan_inputs
from auditor.sources.notebook import NotebookSource, install_args


def _notebook(cells: list[object]) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
                      indent=1)  # fmt: skip


def _code(*lines: str) -> dict[str, object]:
    return {"cell_type": "code", "source": [line + "\n" for line in lines], "metadata": {}}


@pytest.mark.parametrize(
    ("line", "args"),
    [
        ("%pip install pandas==2.2 seaborn", ["pandas==2.2", "seaborn"]),
        ("!pip install -q -U 'scikit-learn>=1.4'", ["scikit-learn>=1.4"]),
        ("!python -m pip install --index-url https://x.example/simple tqdm", ["tqdm"]),
        ("%pip install -r requirements.txt", []),
        ("!pip3 install ./local_pkg $EXTRA  # comment", []),
        ("%uv pip install polars", ["polars"]),
        ("import pandas", None),
        ("print('pip install x')", None),
    ],
)
def test_install_args(line: str, args: list[str] | None) -> None:
    assert install_args(line) == args


def test_notebook_installs_are_requirements_with_file_lines(tmp_path: Path) -> None:
    text = _notebook([
        {"cell_type": "markdown", "source": "%pip install notme"},
        _code("%pip install pandas==2.2.0 flask-magic-auth", "import pandas"),
        _code("!pip install 'numpy<2' ???"),
    ])  # fmt: skip
    (tmp_path / "nb.ipynb").write_text(text, encoding="utf-8")
    item = NotebookSource().parse(tmp_path, "nb.ipynb")
    assert [(r.name, str(r.specifier), r.group) for r in item.requirements] == [
        ("pandas", "==2.2.0", "notebook"),
        ("flask-magic-auth", "", "notebook"),
        ("numpy", "<2", "notebook"),
    ]
    lines = text.splitlines()
    for req in item.requirements:
        assert req.location.line is not None
        assert "install" in lines[req.location.line - 1]
    assert [i.code for i in item.issues] == ["not-a-requirement"]


def test_scan_reads_only_notebooks_that_install(tmp_path: Path) -> None:
    (tmp_path / "a.ipynb").write_text(_notebook([_code("%pip install rich")]), encoding="utf-8")
    (tmp_path / "b.ipynb").write_text(_notebook([_code("import os")]), encoding="utf-8")
    (tmp_path / "c.ipynb").write_text('{"cells": 3, "pip install": 1}', encoding="utf-8")
    scan = scan_inputs(load_config(tmp_path))
    kinds = {i.path: (i.kind, i.status) for i in scan.inputs}
    assert kinds == {
        "a.ipynb": (InputKind.NOTEBOOK, InputStatus.OK),
        "c.ipynb": (InputKind.NOTEBOOK, InputStatus.ERROR),
    }
    from auditor.graph import query

    assert query.package(scan.graph, "rich") is not None


def test_imports_of_notebook_installs_are_not_missing(tmp_path: Path) -> None:
    from conftest import run_cli

    nb = _notebook([_code("%pip install seaborn", "import seaborn")])
    (tmp_path / "analysis.ipynb").write_text(nb, encoding="utf-8")
    result = run_cli("scan", str(tmp_path), "--format", "json", "--offline", "--enable", "AUD5")
    findings = json.loads(result.out)["findings"]
    assert [f for f in findings if f["rule_id"] == "AUD501"] == []
    assert [f for f in findings if f["rule_id"] == "AUD502"] == []
