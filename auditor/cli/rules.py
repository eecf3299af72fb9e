"""``auditor rules``: list the rule catalogue or show one rule."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.cli.main import Streams


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the rules command."""
    parser = sub.add_parser("rules", help="list the rule catalogue")
    parser.add_argument("action", nargs="?", choices=("list", "show"), default="list")
    parser.add_argument("rule", nargs="?", help="rule id or name (for show)")
    parser.add_argument("-f", "--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Print the catalogue or one rule."""
    from auditor.errors import ConfigError
    from auditor.rules.catalog import load_rules

    catalog = load_rules()
    rules = list(catalog)
    if args.action == "show":
        if not args.rule:
            raise ConfigError("rules show: name a rule id or name")
        found = catalog.find(args.rule)
        if found is None:
            raise ConfigError(f"rules show: no rule {args.rule!r}")
        rules = [found]
    if args.format == "json":
        data = [
            {"id": r.id, "name": r.name, "title": r.title, "severity": r.severity.value,
             "category": r.category, "description": r.description,
             "remediation": r.remediation, "references": list(r.references),
             "tags": list(r.tags), "check": r.check}
            for r in rules
        ]  # fmt: skip
        streams.out.write(json.dumps({"schema_version": 1, "rules": data}, indent=2) + "\n")
        return 0
    if args.action == "show":
        rule = rules[0]
        streams.out.write(
            f"{rule.id} {rule.name} ({rule.severity.value}, {rule.category})\n{rule.title}\n\n"
            f"{rule.description}\n\nFix: {rule.remediation}\n"
        )
        for ref in rule.references:
            streams.out.write(f"  - {ref}\n")
        return 0
    for rule in rules:
        streams.out.write(f"{rule.id}  {rule.name:<32} {rule.severity.value:<8} {rule.title}\n")
    return 0


__all__ = ["register", "run"]
