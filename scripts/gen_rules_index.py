"""Regenerate the rule table in rules/README.md between its markers (``--check`` to verify)."""

from __future__ import annotations

import sys
from pathlib import Path

from auditor.rules.catalog import load_rules

README = Path(__file__).resolve().parent.parent / "rules" / "README.md"
START = "<!-- rules-table:start -->"
END = "<!-- rules-table:end -->"


def render_table() -> str:
    """Return the Markdown table of every rule."""
    lines = ["| id | name | severity | category | title |", "|---|---|---|---|---|"]
    for rule in load_rules():
        title = rule.title.replace("|", "\\|")
        lines.append(
            f"| {rule.id} | [{rule.name}]({rule.id}-{rule.name}.yaml) | {rule.severity.value} "
            f"| {rule.category} | {title} |"
        )
    return "\n".join(lines)


def updated_text(text: str) -> str:
    """Return `text` with the table between the markers replaced."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{render_table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite the table, or with --check exit 1 when it is out of date."""
    text = README.read_text(encoding="utf-8")
    new = updated_text(text)
    if "--check" in argv:
        if new != text:
            sys.stderr.write("rules/README.md is stale: run python scripts/gen_rules_index.py\n")
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
