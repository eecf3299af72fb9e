"""The catalogue of deprecated, renamed and placeholder distributions (rules/deprecated.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.config import rules_dir
from auditor.errors import ConfigError
from auditor.model import Severity, normalize_name
from auditor.yamlio import load_listing

KINDS = ("renamed", "unmaintained", "placeholder", "stdlib", "removed")


@dataclass(frozen=True, slots=True, kw_only=True)
class DeprecatedPackage:
    """One entry: the distribution, what replaces it, why, and how bad declaring it is."""

    name: str
    display_name: str
    successor: str
    kind: str
    reason: str
    severity: Severity | None = None
    references: tuple[str, ...] = ()


def load_deprecated(path: Path | None = None) -> Mapping[str, DeprecatedPackage]:
    """Read the catalogue into ``{normalized name: entry}``.

    Raises:
        ConfigError: naming the file and the entry that is malformed.
    """
    path = path or rules_dir() / "deprecated.yaml"
    entries = load_listing(path, "packages")
    found: dict[str, DeprecatedPackage] = {}
    for index, entry in enumerate(entries):
        where = f"{path}: /packages/{index}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping")
        for key in ("name", "successor", "kind", "reason"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ConfigError(f"{where}/{key}: expected text")
        if entry["kind"] not in KINDS:
            raise ConfigError(f"{where}/kind: expected one of {', '.join(KINDS)}")
        severity = None
        if "severity" in entry:
            try:
                severity = Severity.parse(str(entry["severity"]))
            except ValueError:
                raise ConfigError(f"{where}/severity: unknown severity") from None
        references = entry.get("references", [])
        if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
            raise ConfigError(f"{where}/references: expected a list of links")
        name = normalize_name(entry["name"])
        if name in found:
            raise ConfigError(f"{where}/name: {entry['name']} is listed twice")
        found[name] = DeprecatedPackage(
            name=name,
            display_name=entry["name"].strip(),
            successor=entry["successor"].strip(),
            kind=entry["kind"],
            reason=" ".join(entry["reason"].split()),
            severity=severity,
            references=tuple(references),
        )
    return found


def describe_successor(successor: str) -> str:
    """Return the successor for a message (``stdlib:unittest.mock`` -> the standard module)."""
    if successor.startswith("stdlib:"):
        return f"the standard library's {successor.removeprefix('stdlib:')}"
    return successor


__all__ = ["KINDS", "DeprecatedPackage", "describe_successor", "load_deprecated"]
