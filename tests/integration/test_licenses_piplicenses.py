"""The installed environment's inventory compared with pip-licenses on the same environment.

Both read every installed distribution's metadata. pip-licenses (``--from=mixed``, its default)
shows the names of the License classifiers when a distribution has any, else the License field;
Auditor takes the most precise field first (License-Expression, then an SPDX-mappable License
field, then the classifiers) and maps everything to SPDX. Every package where the two differ is
listed with the reason; the test fails on a difference no reason explains.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from conftest import run_cli

from auditor.licenses.metadata import from_distribution
from auditor.licenses.model import Normalized
from auditor.licenses.names import fold, load_names
from auditor.licenses.spdx import decide, normalize_classifiers, normalize_text
from auditor.model import normalize_name

REASONS = {
    "classifier-first": "pip-licenses shows the License classifiers; Auditor reads the more "
    "precise License-Expression or License field first",
    "several-classifiers": "pip-licenses joins several classifiers with '; '; Auditor reads "
    "License-Expression, or the classifiers as AND / a family",
    "same-family": "both name the same family without an SPDX id (BSD, Apache, LGPL ...)",
    "license-file": "the fields name only a family (BSD License); Auditor recognised the "
    "exact license in the license file the metadata names (License-File)",
}


def _theirs(text: str) -> Normalized | None:
    """pip-licenses' string read the way Auditor reads classifier names and free text."""
    names = load_names()
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if parts and all(fold(p) in names.classifiers for p in parts):
        return normalize_classifiers([f"License :: {p}" for p in parts])
    return normalize_text(text)


def _pip_licenses() -> list[dict[str, str]]:
    if importlib.util.find_spec("piplicenses") is None:
        pytest.skip("pip-licenses is not installed (pip install -e . --group test)")
    done = subprocess.run(
        [sys.executable, "-m", "piplicenses", "--format=json", "--from=mixed", "--with-system"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    data: list[dict[str, str]] = json.loads(done.stdout)
    return data


def _reason(name: str, ours: dict[str, object], theirs: str) -> str | None:
    dist = metadata.distribution(name)
    meta = from_distribution(dist)
    read = decide(meta)
    classifier_names = {c.rsplit("::", 1)[-1].strip() for c in meta.classifiers}
    their_names = {p.strip() for p in theirs.split(";") if p.strip()}
    their = _theirs(theirs)
    if read.field == "License-File" and their is not None and not their.expression:
        return "license-file"
    if (
        their is not None
        and not ours["license"]
        and their.family
        and their.family in str(ours.get("raw") or "")
    ):
        return "same-family"
    if their_names != classifier_names:
        return None
    if len(their_names) > 1:
        return "several-classifiers"
    if read.field in ("License-Expression", "License", "License (text)"):
        return "classifier-first"
    return None


def test_environment_inventory_agrees_with_pip_licenses(tmp_path: Path) -> None:
    theirs = {(normalize_name(r["Name"]), r["Version"]): r["License"] for r in _pip_licenses()}
    done = run_cli("licenses", str(tmp_path), "--environment", "--offline", "--format", "json")
    assert done.code == 0, done.err
    ours = {
        (normalize_name(str(r["name"])), str(r["version"])): r
        for r in json.loads(done.out)["packages"]
    }
    common = sorted(set(ours) & set(theirs))
    assert len(common) >= 0.95 * len(theirs)
    agree = 0
    differences: list[tuple[str, str, object, str, str | None]] = []
    for key in common:
        row, text = ours[key], theirs[key]
        their = _theirs(text)
        if their is not None and their.expression and their.expression == row["license"]:
            agree += 1
            continue
        differences.append(
            (key[0], key[1], row["license"] or row.get("raw"), text, _reason(key[0], row, text))
        )
    listing = "\n".join(
        f"{n} {v}: auditor={o!r} pip-licenses={t!r} -> {REASONS[r] if r else 'UNEXPLAINED'}"
        for n, v, o, t, r in differences
    )
    print(f"\n{agree} agree, {len(differences)} differ of {len(common)}\n{listing}")
    unexplained = [d for d in differences if d[4] is None]
    assert unexplained == [], listing
