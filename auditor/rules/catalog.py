"""Load and validate the rule catalogue: one YAML file per rule, ``<CODE>-<name>.yaml``."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from auditor.atomic import atomic_write_text
from auditor.config import rules_dir
from auditor.errors import DuplicateRuleId, RuleSchemaError
from auditor.facts import KNOWN_NEEDS
from auditor.model import RULE_CATEGORIES, Severity
from auditor.result import RuleInfo
from auditor.yamlio import safe_load

CATEGORIES = RULE_CATEGORIES

RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["schema", "id", "name", "title", "description", "severity", "category",
                 "applies_to", "engine", "remediation", "references", "tags"],
    "properties": {
        "schema": {"const": 1},
        "id": {"type": "string", "pattern": "^AUD[1-6][0-9]{2}$"},
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
        "title": {"type": "string", "minLength": 1},
        "description": {"type": "string", "minLength": 1},
        "severity": {"enum": [s.value for s in Severity]},
        "category": {"enum": list(CATEGORIES)},
        "applies_to": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "engine": {"enum": ["python"]},
        "check": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "match": {"type": "object"},
        "remediation": {"type": "string", "minLength": 1},
        "references": {"type": "array", "items": {"type": "string"}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "confidence": {"enum": ["high", "medium", "low"]},
        "needs": {"type": "array", "items": {"enum": sorted(KNOWN_NEEDS)}},
    },
    "if": {"properties": {"engine": {"const": "python"}}},
    "then": {"required": ["check"]},
}  # fmt: skip

_FILE_NAME = re.compile(r"^(AUD[1-6][0-9]{2})-([a-z][a-z0-9-]*)\.ya?ml$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One rule of the catalogue."""

    id: str
    name: str
    title: str
    description: str
    severity: Severity
    category: str
    applies_to: tuple[str, ...]
    engine: str
    check: str
    remediation: str
    references: tuple[str, ...]
    tags: tuple[str, ...]
    confidence: str = "high"
    needs: tuple[str, ...] = ()
    path: str = ""

    @classmethod
    def from_dict(cls, data: Any, path: str, *, validate: bool = True) -> Rule:
        """Validate `data` against the rule schema (unless known valid) and build the rule."""
        if validate:
            import jsonschema

            validator = jsonschema.Draft202012Validator(RULE_SCHEMA)
            errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
            if errors:
                first = errors[0]
                pointer = "/" + "/".join(str(p) for p in first.absolute_path)
                raise RuleSchemaError(f"{path}: {pointer}: {first.message}")
        return cls(
            id=data["id"],
            name=data["name"],
            title=data["title"],
            description=data["description"].strip(),
            severity=Severity(data["severity"]),
            category=data["category"],
            applies_to=tuple(data["applies_to"]),
            engine=data["engine"],
            check=data["check"],
            remediation=data["remediation"].strip(),
            references=tuple(data["references"]),
            tags=tuple(data["tags"]),
            confidence=data.get("confidence", "high"),
            needs=tuple(data.get("needs", ())),
            path=path,
        )


class RuleCatalog:
    """All rules by id."""

    def __init__(self, rules: list[Rule]) -> None:
        self._rules = {rule.id: rule for rule in sorted(rules, key=lambda r: r.id)}

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def get(self, rule_id: str) -> Rule:
        """Return a rule by id (KeyError when unknown)."""
        return self._rules[rule_id]

    def infos(
        self, *, enabled: Collection[str], overrides: Mapping[str, Severity]
    ) -> tuple[RuleInfo, ...]:
        """Return every rule's metadata as configured: severity overrides, enabled or not."""

        def severity(rule: Rule) -> Severity:
            return overrides.get(rule.id) or overrides.get(rule.name.upper()) or rule.severity

        return tuple(
            RuleInfo(
                id=rule.id,
                name=rule.name,
                title=rule.title,
                description=rule.description,
                severity=severity(rule),
                category=rule.category,
                remediation=rule.remediation,
                references=rule.references,
                tags=rule.tags,
                confidence=rule.confidence,
                enabled=rule.id in enabled,
            )
            for rule in self
        )

    def find(self, id_or_name: str) -> Rule | None:
        """Return a rule by id or by name."""
        key = id_or_name.strip()
        if key.upper() in self._rules:
            return self._rules[key.upper()]
        return next((r for r in self._rules.values() if r.name == key.lower()), None)


def load_rule_file(path: Path, *, text: str | None = None, validate: bool = True) -> Rule:
    """Load and validate one rule file; its name must match its id and name."""
    match = _FILE_NAME.match(path.name)
    if match is None:
        raise RuleSchemaError(f"{path}: file name must be <CODE>-<name>.yaml (AUD201-name.yaml)")
    try:
        data = safe_load(path.read_text(encoding="utf-8") if text is None else text)
    except yaml.YAMLError as exc:
        raise RuleSchemaError(f"{path}: invalid YAML: {exc}") from exc
    rule = Rule.from_dict(data, str(path), validate=validate)
    if (rule.id, rule.name) != (match.group(1), match.group(2)):
        raise RuleSchemaError(
            f"{path}: /id: file name says {match.group(1)}-{match.group(2)}, "
            f"file says {rule.id}-{rule.name}"
        )
    return rule


def load_rules(folder: Path | None = None, *, validated_dir: Path | None = None) -> RuleCatalog:
    """Load every rule in `folder` (default: the packaged catalogue).

    All problems are gathered and raised together as an ExceptionGroup of RuleErrors. With
    `validated_dir`, a marker named after the digest of every rule file's bytes records that
    exactly these files passed the schema, so later runs (the pre-commit path) skip the slow
    schema validation; any edit changes the digest and validates again.
    """
    folder = folder or rules_dir()
    paths = sorted(folder.glob("AUD*.y*ml"))
    texts = {path: path.read_text(encoding="utf-8") for path in paths}
    digest = hashlib.sha256(
        "\x1e".join(f"{p.name}\x1f{t}" for p, t in texts.items()).encode("utf-8")
    ).hexdigest()
    marker = validated_dir / f"rules-valid-{digest[:32]}" if validated_dir else None
    validate = marker is None or not marker.exists()
    rules: list[Rule] = []
    problems: list[Exception] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            rule = load_rule_file(path, text=texts[path], validate=validate)
        except RuleSchemaError as exc:
            problems.append(exc)
            continue
        if rule.id in seen:
            problems.append(
                DuplicateRuleId(f"{path}: /id: {rule.id} is also used by {seen[rule.id]}")
            )
            continue
        seen[rule.id] = str(path)
        rules.append(rule)
    if problems:
        raise ExceptionGroup(f"{len(problems)} invalid rule file(s) in {folder}", problems)
    if marker is not None and validate:
        with contextlib.suppress(OSError):  # a read-only cache only costs speed
            atomic_write_text(marker, digest + "\n")
    return RuleCatalog(rules)


__all__ = ["CATEGORIES", "RULE_SCHEMA", "Rule", "RuleCatalog", "load_rule_file", "load_rules"]
