"""AUD503 at low when no site breaks the installed project (guarded or lazy imports only)."""

from __future__ import annotations

from pathlib import Path

from checkrun import enriched
from imports_support import make_ctx
from treekit import write_tree

from auditor.checks.imports import CHECK
from auditor.model import Finding, Severity


def test_a_file_guarding_one_import_makes_its_transitive_imports_optional(tmp_path: Path) -> None:
    # scrapy's utils/display.py: try: from pygments import highlight / except ImportError:
    # return text; then the other pygments imports run only when pygments is there.
    write_tree(
        tmp_path,
        {
            "app/display.py": "def colorize(text):\n    try:\n        from pygments import x\n"
            "    except ImportError:\n        return text\n"
            "    from pygments.lexers import PythonLexer\n    return x(PythonLexer())\n"
        },
    )
    ctx = make_ctx(
        tmp_path,
        {"sphinx": "main"},
        locked={"sphinx": ["pygments"], "pygments": []},
        enabled=("AUD503",),
    )
    (finding,) = [f for f in CHECK.run(enriched(ctx)) if isinstance(f, Finding)]
    assert finding.rule_id == "AUD503"
    assert finding.severity is Severity.LOW
    assert finding.evidence["soft_imports_only"] is True


def test_a_transitive_module_imported_only_lazily_is_low_as_for_aud501(tmp_path: Path) -> None:
    # warehouse/cli/observations.py: a development-only command imports faker (which
    # factory-boy brings) inside its function; one module-level import keeps it at medium.
    files = {"app/cli.py": "def generate():\n    import faker\n    return faker.Faker()\n"}
    write_tree(tmp_path, files)
    locked = {"factory-boy": ["faker"], "faker": []}
    ctx = make_ctx(tmp_path, {"factory-boy": "main"}, locked=locked, enabled=("AUD503",))
    (finding,) = [f for f in CHECK.run(enriched(ctx)) if isinstance(f, Finding)]
    assert finding.severity is Severity.LOW
    assert finding.evidence["lazy_imports_only"] is True
    assert "app/cli.py:2 (function body)" in finding.message
    write_tree(tmp_path, {"app/models.py": "import faker\n"})
    ctx = make_ctx(tmp_path, {"factory-boy": "main"}, locked=locked, enabled=("AUD503",))
    (finding,) = [f for f in CHECK.run(enriched(ctx)) if isinstance(f, Finding)]
    assert finding.severity is Severity.MEDIUM


def test_a_module_named_after_what_it_imports_is_not_lazy(tmp_path: Path) -> None:
    # paperless's src/paperless/celery.py imports kombu at module level: the project's core
    write_tree(tmp_path, {"app/celery.py": "from celery import Celery\nimport kombu\n"})
    locked = {"celery": ["kombu"], "kombu": []}
    ctx = make_ctx(tmp_path, {"celery": "main"}, locked=locked, enabled=("AUD503",))
    (finding,) = [f for f in CHECK.run(enriched(ctx)) if isinstance(f, Finding)]
    assert finding.severity is Severity.MEDIUM
