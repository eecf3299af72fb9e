"""Helpers for the reputation unit tests: a check context over a temporary repository."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

from auditor.checks.base import CheckContext
from auditor.config import Config, load_config
from auditor.index.model import LookupState, ProjectInfo, ProjectLookup, Release
from auditor.model import normalize_name
from auditor.pipeline import enabled_rule_ids, scan_inputs
from auditor.rules.catalog import load_rules


def make_ctx(root: Path, files: Mapping[str, str], **overrides: object) -> CheckContext:
    """Write `files` under `root` and return the check context a scan of it would get."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    config: Config = load_config(root).with_overrides(**overrides)
    scan = scan_inputs(config)
    rules = load_rules()
    return CheckContext(
        config=config,
        root=root.resolve(),
        inputs=scan.inputs,
        graph=scan.graph,
        rules=rules,
        discovery=scan.discovery,
        enabled_rules=enabled_rule_ids(config, rules),
    )


def info(name: str, releases: Mapping[str, str]) -> ProjectInfo:
    """Build index metadata from ``{version: ISO date}``."""
    items = tuple(
        Release(version=v, upload_time=dt.datetime.fromisoformat(t).replace(tzinfo=dt.UTC))
        for v, t in releases.items()
    )
    latest = list(releases)[-1] if releases else None
    return ProjectInfo(name=normalize_name(name), display_name=name, latest_version=latest,
                       releases=items)  # fmt: skip


class FakeLookup:
    """An injected `index_lookups`: FOUND for known names, MISSING or UNKNOWN for the rest."""

    def __init__(
        self,
        projects: Mapping[str, ProjectInfo] = (),  # type: ignore[assignment]  # (): immutable empty, dict(()) == {}
        *,
        unknown: Iterable[str] = (),
        missing_is_unknown: bool = False,
    ) -> None:
        self.projects = dict(projects)
        self.unknown = {normalize_name(n) for n in unknown}
        self.missing_is_unknown = missing_is_unknown
        self.asked: list[str] = []

    def __call__(self, names: Iterable[str]) -> dict[str, ProjectLookup]:
        found: dict[str, ProjectLookup] = {}
        for raw in names:
            name = normalize_name(raw)
            self.asked.append(name)
            if name in self.unknown or (self.missing_is_unknown and name not in self.projects):
                found[name] = ProjectLookup(name=name, state=LookupState.UNKNOWN, reason="offline")
            elif name in self.projects:
                found[name] = ProjectLookup(
                    name=name, state=LookupState.FOUND, info=self.projects[name]
                )
            else:
                found[name] = ProjectLookup(name=name, state=LookupState.MISSING)
        return found
