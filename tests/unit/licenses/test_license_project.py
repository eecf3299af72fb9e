"""The project's own license: policy, pyproject, setup.cfg, LICENSE file."""

from __future__ import annotations

from pathlib import Path

from auditor.licenses.project import project_license

MIT_BODY = (
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this "
    "software. The above copyright notice and this permission notice shall be included in all "
    "copies or substantial portions of the Software.\n" * 2
)


def test_policy_setting_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nlicense = "MIT"\n')
    found, source = project_license(tmp_path, "gpl-3.0-or-later")
    assert found is not None
    assert found.expression == "GPL-3.0-or-later"
    assert source == "policy.licenses.project_license"
    found, _ = project_license(tmp_path, "not a license")
    assert found is not None
    assert found.expression is None
    assert "not a valid SPDX" in found.note


def test_pyproject_expression_table_and_classifiers(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\nlicense = "Apache-2.0"\n')
    assert project_license(tmp_path)[0].expression == "Apache-2.0"  # type: ignore[union-attr]
    pyproject.write_text('[project]\nname = "x"\nlicense = {text = "BSD 3-Clause"}\n')
    assert project_license(tmp_path)[0].expression == "BSD-3-Clause"  # type: ignore[union-attr]
    pyproject.write_text(
        '[project]\nname = "x"\nclassifiers = ["License :: OSI Approved :: MIT License"]\n'
    )
    found, source = project_license(tmp_path)
    assert found is not None
    assert (found.expression, source) == ("MIT", "pyproject.toml [project]")
    (tmp_path / "LICENSE.txt").write_text("MIT License\n\n" + MIT_BODY)
    pyproject.write_text('[project]\nname = "x"\nlicense = {file = "LICENSE.txt"}\n')
    assert project_license(tmp_path)[0].expression == "MIT"  # type: ignore[union-attr]


def test_setup_cfg_then_license_file(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = x\nlicense = GPLv3+\n")
    found, source = project_license(tmp_path)
    assert found is not None
    assert (found.expression, source) == ("GPL-3.0-or-later", "setup.cfg [metadata]")
    (tmp_path / "setup.cfg").unlink()
    (tmp_path / "LICENSE").write_text("MIT License\n\n" + MIT_BODY)
    found, source = project_license(tmp_path)
    assert found is not None
    assert (found.expression, source) == ("MIT", "LICENSE")


def test_nothing_declared(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nbroken")
    assert project_license(tmp_path) == (None, "")


def test_pyproject_license_files(tmp_path: Path) -> None:
    (tmp_path / "LICENSE.md").write_text("MIT License\n\n" + MIT_BODY)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nlicense-files = ["LICEN[CS]E*", "../outside*"]\n'
    )
    found, source = project_license(tmp_path)
    assert found is not None
    assert (found.expression, found.field, source) == (
        "MIT",
        "License-File",
        "pyproject.toml [project]",
    )
