"""The scan stage: discover every input, parse each one, build the graph (no network)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from auditor.config import Config
from auditor.discover import Discovery, classify, discover, in_fixture_dir
from auditor.errors import ConfigError, SourceError
from auditor.events import NullProgress, ProgressSink
from auditor.graph.build import DependencyGraph, build_graph
from auditor.model import Incomplete, InputKind, InputStatus, ParsedInput
from auditor.sources.base import source_for
from auditor.sources.notebook import has_install_lines
from auditor.sources.urls import drop_bad_urls

ENVIRONMENT_LABEL = "<environment>"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scan:
    """The inputs side of a run: what was found, parsed and built, before any check ran."""

    root: Path
    discovery: Discovery
    inputs: tuple[ParsedInput, ...]
    graph: DependencyGraph
    incomplete: tuple[Incomplete, ...]
    notes: tuple[str, ...]


def parse_input(root: Path, relpath: str, kind: InputKind) -> ParsedInput:
    """Parse one input, turning a parse failure into an error entry (never raising)."""
    try:
        return drop_bad_urls(source_for(kind).parse(root, relpath))
    except SourceError as exc:
        return ParsedInput(path=relpath, kind=kind, status=InputStatus.ERROR, error=str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        return ParsedInput(
            path=relpath,
            kind=kind,
            status=InputStatus.ERROR,
            error=f"{relpath}: cannot read: {exc}",
        )


def _drop_included(inputs: list[ParsedInput]) -> list[ParsedInput]:
    """Drop requirements files that another requirements file already pulled in with -r/-c."""
    included = {inc for item in inputs for inc in item.includes}
    return [
        item
        for item in inputs
        if not (item.kind is InputKind.REQUIREMENTS and item.path in included)
    ]


def scan_inputs(config: Config, progress: ProgressSink | None = None) -> Scan:
    """Discover and parse every input under the configured root and build the graph."""
    progress = progress or NullProgress()
    root = config.root.resolve()
    fixture_dirs = fixture_dir_patterns(config)
    if config.only_files:
        found = _only(root, config.only_files)
    else:
        found = discover(
            root,
            exclude=config.exclude,
            max_file_bytes=config.max_file_bytes,
            fixture_dirs=fixture_dirs,
        )
    progress.start("parse", len(found.inputs))
    parsed: list[ParsedInput] = []
    for relpath, kind in found.inputs:
        parsed.append(parse_input(root, relpath, kind))
        progress.advance("parse")
    progress.finish("parse")
    parsed.extend(
        parse_input(root, rel, InputKind.NOTEBOOK)
        for rel in found.notebooks
        if _installs_packages(root / rel)
    )
    if config.environment:
        parsed.append(parse_input(root, ENVIRONMENT_LABEL, InputKind.ENVIRONMENT))
    parsed = _drop_included(parsed)
    for rel, reason in found.skipped_inputs:
        parsed.append(
            ParsedInput(
                path=rel,
                kind=classify(rel) or InputKind.REQUIREMENTS,
                status=InputStatus.SKIPPED,
                error=f"{rel}: skipped: {reason}",
            )
        )
    parsed.sort(key=lambda item: item.path)
    # An input that could not be read, or was skipped, was not audited: never a silent pass.
    incomplete = tuple(
        Incomplete(source=f"input:{item.path}", reason=item.error or "unreadable")
        for item in parsed
        if item.status in (InputStatus.ERROR, InputStatus.SKIPPED)
    )
    notes: list[str] = []
    if config.only_files:
        notes.append(
            f"audited {', '.join(config.only_files)} only: the code's imports (AUD5xx) were "
            "not checked"
        )
    if not found.inputs and not config.environment:
        notes.append(f"no Python dependency inputs found under {root}")
    if found.fixture_inputs:
        folders = sorted({_fixture_root(p, fixture_dirs) for p in found.fixture_inputs})
        more = len(folders) - 3
        shown = ", ".join(folders[:3]) + (f" and {more} more" if more > 0 else "")
        notes.append(
            f"skipped {len(found.fixture_inputs)} manifest(s)/lockfile(s) in test-fixture or "
            f"template folders ({shown}); they are not this project's dependencies "
            "(set [tool.auditor.policy.discovery] fixture_dirs = [] to scan them)"
        )
    notes.extend(item.error for item in parsed if item.status is InputStatus.SKIPPED and item.error)
    inputs_skipped = {rel for rel, _ in found.skipped_inputs}
    notes.extend(
        f"{rel}: skipped: {reason}" for rel, reason in found.skipped if rel not in inputs_skipped
    )
    if found.skipped_dirs:
        shown = ", ".join(f"{rel}/ ({why})" for rel, why in found.skipped_dirs[:5])
        more = len(found.skipped_dirs) - 5
        notes.append(
            f"skipped {len(found.skipped_dirs)} folder(s) holding Python files: {shown}"
            + (f" and {more} more" if more > 0 else "")
        )
    notes.extend(f"{item.path}: {note}" for item in parsed for note in item.notes)
    resolved: tuple[ParsedInput, ...] = ()
    if config.resolve:
        from auditor.resolve.manifests import resolve_scan

        resolved, more_incomplete, more_notes = resolve_scan(config, parsed)
        incomplete, notes = (*incomplete, *more_incomplete), [*notes, *more_notes]
    return Scan(
        root=root,
        discovery=found,
        inputs=tuple(parsed),
        graph=build_graph([*parsed, *resolved]),
        incomplete=incomplete,
        notes=tuple(notes),
    )


_KIND_BY_SUFFIX = {".txt": InputKind.REQUIREMENTS, ".in": InputKind.REQUIREMENTS,
                   ".pip": InputKind.REQUIREMENTS, ".toml": InputKind.PYPROJECT}  # fmt: skip


def _only(root: Path, names: tuple[str, ...]) -> Discovery:
    """The discovery of named files alone: each one's kind by its name, else by its suffix."""
    found = Discovery(root=root)
    for name in names:
        kind = classify(name) or _KIND_BY_SUFFIX.get(Path(name).suffix.lower())
        if kind is None:
            raise ConfigError(
                f"{root / name}: not a file Auditor reads (a requirements file, pyproject.toml, "
                "setup.cfg, setup.py, Pipfile(.lock), poetry.lock, uv.lock, pdm.lock, "
                "pylock.toml or environment.yml)"
            )
        found.inputs.append((name, kind))
    return found


def _installs_packages(path: Path) -> bool:
    """Whether a notebook has ``pip install`` lines (read as its declared dependencies)."""
    try:
        return has_install_lines(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return False


def fixture_dir_patterns(config: Config) -> tuple[str, ...]:
    """Return the ``discovery.fixture_dirs`` policy: folders whose manifests are not inputs."""
    value = config.policy_section("discovery").get("fixture_dirs", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError("policy.discovery.fixture_dirs: expected a list of folder-name globs")
    return tuple(v for v in value if v.strip())


def _fixture_root(relpath: str, patterns: tuple[str, ...]) -> str:
    """Return the outermost folder of `relpath` that counts as a fixture folder."""
    parts = posixpath.dirname(relpath).split("/")
    for end in range(1, len(parts) + 1):
        folder = "/".join(parts[:end])
        if in_fixture_dir(folder, patterns):
            return folder
    return posixpath.dirname(relpath)


__all__ = [
    "ENVIRONMENT_LABEL",
    "Scan",
    "fixture_dir_patterns",
    "parse_input",
    "scan_inputs",
]
