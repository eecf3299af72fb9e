"""The patch writer: libcst import rewrites that keep formatting, manifest edits, apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.replace.patch import (
    FileChange,
    Patch,
    apply_patch,
    drop_requirement,
    render_diff,
    rewrite_imports,
)

SOURCE = '''"""App."""
import os
import tinycase  # case helpers, keep this comment
import tinycase as tc
from tinycase import snake, camelize   # two names
from tinycase._core import snake as s2
import tinycase._core
from typing_extensions import Literal, override

x = tinycase.snake("A")  # call sites stay as they are
'''


def test_rewrites_keep_comments_and_call_sites() -> None:
    out, manual = rewrite_imports(
        SOURCE,
        {"tinycase": "app.tinycase_lite"},
        {"typing_extensions.Literal": "typing.Literal"},
    )
    assert "import app.tinycase_lite as tinycase  # case helpers, keep this comment" in out
    assert "import app.tinycase_lite as tc\n" in out
    assert "from app.tinycase_lite import snake, camelize   # two names" in out
    assert "from app.tinycase_lite import snake as s2" in out
    assert "from typing import Literal\nfrom typing_extensions import override\n" in out
    assert 'x = tinycase.snake("A")  # call sites stay as they are' in out
    assert manual == ["import tinycase._core: rewrite by hand (dotted access)"]


def test_stdlib_rewrite_drops_redundant_alias() -> None:
    out, _ = rewrite_imports(
        "import simplejson as json\nimport mock\n", {"simplejson": "json", "mock": "unittest.mock"}
    )
    assert out == "import json\nimport unittest.mock as mock\n"


@pytest.mark.parametrize(
    ("text", "line", "result"),
    [
        ("a\ntinycase==1.0\nb\n", 2, "a\nb\n"),
        ('deps = [\n  "tinycase>=1",\n  "x",\n]\n', 2, 'deps = [\n  "x",\n]\n'),
        ("tinycase==1.0; python_version<'3.12'\n", 1, ""),
        ("tinycase==1.0 \\\n  --hash=sha256:00\n", 1, None),
        ("other==1\n", 1, None),
    ],
)
def test_drop_requirement(text: str, line: int, result: str | None) -> None:
    assert drop_requirement(text, line, "tinycase") == result


def test_diff_and_apply_with_backup(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("import tinycase\n")
    changes = (
        FileChange(path="app/tinycase_lite.py", before=None, after="def snake(t):\n    return t\n"),
        FileChange(
            path="app/main.py",
            before="import tinycase\n",
            after="import app.tinycase_lite as tinycase\n",
        ),
    )
    diff = render_diff(changes)
    assert "--- /dev/null\n+++ b/app/tinycase_lite.py" in diff
    assert "-import tinycase\n+import app.tinycase_lite as tinycase\n" in diff
    backup = tmp_path / "backup"
    written = apply_patch(tmp_path, Patch(changes=changes, diff=diff), backup)
    assert written == ["app/tinycase_lite.py", "app/main.py"]
    assert (tmp_path / "app" / "main.py").read_text() == "import app.tinycase_lite as tinycase\n"
    assert (backup / "app" / "main.py").read_text() == "import tinycase\n"


def test_apply_refuses_a_changed_file_and_paths_outside(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("changed since\n")
    stale = Patch(changes=(FileChange(path="main.py", before="import x\n", after="y\n"),), diff="")
    with pytest.raises(ValueError, match="changed since the patch was made"):
        apply_patch(tmp_path, stale, tmp_path / "b")
    outside = Patch(changes=(FileChange(path="../evil.py", before=None, after="x\n"),), diff="")
    with pytest.raises(ValueError, match="outside"):
        apply_patch(tmp_path, outside, tmp_path / "b")
    assert (tmp_path / "main.py").read_text() == "changed since\n"
