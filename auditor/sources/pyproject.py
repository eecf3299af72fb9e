"""Parse ``pyproject.toml``: PEP 621, PEP 735 dependency groups, Poetry, PDM and uv tables.

Groups: ``[project] dependencies`` -> ``main``; ``optional-dependencies.<x>`` ->
``optional:<x>``; ``[dependency-groups] <g>`` -> ``<g>`` (``{include-group = "h"}`` repeats the
requirements of ``h`` under ``<g>``; cycles become ``include-cycle`` issues, unknown groups
``include-missing``); Poetry main dependencies -> ``main`` (``optional = true`` ones ->
``optional:<extra>`` for each ``[tool.poetry.extras]`` entry naming them, else ``optional``),
``dev-dependencies`` -> ``dev``, ``group.<g>.dependencies`` -> ``<g>``; PDM
``[tool.pdm.dev-dependencies] <g>`` -> ``<g>``; uv ``[tool.uv] dev-dependencies`` -> ``dev``.
``[tool.uv.sources]`` entries set the URL of the matching requirements.

Dependencies listed in ``[project] dynamic`` are reported as a ``dynamic-value`` issue (they
are not in this file), unless a table points them at requirements files:
``[tool.setuptools.dynamic] dependencies = {file = [...]}`` (and ``optional-dependencies``) or
the hatch-requirements-txt plugin's ``[tool.hatch.metadata.hooks.requirements_txt]``
(``files``/``filename`` and ``optional-dependencies``). Those files are audited on their own;
they are recorded in ``ParsedInput.metadata_files`` and a note says where the field is read.
A Poetry constraint with alternatives (``1.0 || 2.0``) keeps the
requirement without a specifier and adds an ``unsupported-constraint`` issue.
"""

from __future__ import annotations

import dataclasses
import posixpath
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from auditor.model import (
    MAIN_GROUP,
    InputIssue,
    InputKind,
    Location,
    ParsedInput,
    Requirement,
    canonical_name,
    normalize_name,
)
from auditor.sources.declared import requirement_or_issue
from auditor.sources.lines import TomlLineIndex
from auditor.sources.poetry_constraint import UnsupportedConstraint, poetry_to_pep440
from auditor.sources.reading import load_toml, read_text
from auditor.specs import marker_of, pin_span

__all__ = ["PyprojectSource", "parse_pyproject_text"]

KIND = InputKind.PYPROJECT


class PyprojectSource:
    """Parser for ``pyproject.toml``."""

    kind = KIND

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse the dependencies declared in one pyproject.toml.

        Raises:
            ParseError: the file cannot be read or is not valid TOML.
        """
        return parse_pyproject_text(read_text(root, relpath), relpath)


class _Collector:
    def __init__(self, text: str, relpath: str) -> None:
        self.relpath = relpath
        self.index = TomlLineIndex(text)
        self.lines = text.split("\n")
        self.requirements: list[Requirement] = []
        self.issues: list[InputIssue] = []

    def loc(self, line: int | None) -> Location:
        return Location(path=self.relpath, line=line)

    def add_strings(self, values: object, path: tuple[str, ...], group: str) -> list[Requirement]:
        """Parse an array of PEP 508 strings at `path` (lines matched in text order)."""
        added: list[Requirement] = []
        if not isinstance(values, list):
            if values is not None:
                self.issue("not-a-requirement", f"{'.'.join(path)} is not an array", path)
            return added
        written = [v for v, _ in self.index.item_lines(path)]
        lines = [line for _, line in self.index.item_lines(path)]
        strings = [v for v in values if isinstance(v, str)]
        aligned = written == strings
        for position, value in enumerate(strings):
            line = lines[position] if aligned else self._line_of_value(path, value)
            item = _parse_string(value, self.loc(line), group)
            if isinstance(item, Requirement):
                item = self._with_version_span(item, value)
                self.requirements.append(item)
                added.append(item)
            else:
                self.issues.append(item)
        return added

    def _with_version_span(self, item: Requirement, value: str) -> Requirement:
        """Record where a pinned version is written, when the string sits on its line as is."""
        line = item.location.line
        span = pin_span(value) if item.pinned is not None and line is not None else None
        if span is None or line is None or not 0 < line <= len(self.lines):
            return item
        physical = self.lines[line - 1]
        for quote in ('"', "'"):
            column = physical.find(quote + value + quote)
            if column >= 0:
                start, end = column + 1 + span[0], column + 1 + span[1]
                return dataclasses.replace(item, version_span=(start, end))
        return item  # escapes or a multi-line string: the text is not the value as written

    def _line_of_value(self, path: tuple[str, ...], value: str) -> int | None:
        for written, line in self.index.item_lines(path):
            if written == value:
                return line
        entry = self.index.find(path)
        return entry.line if entry is not None else None

    def issue(self, code: str, message: str, path: tuple[str, ...], text: str = "") -> None:
        entry = self.index.find(path)
        line = entry.line if entry is not None else None
        self.issues.append(
            InputIssue(code=code, message=message, location=self.loc(line), line_text=text)
        )


def _parse_string(value: str, location: Location, group: str) -> Requirement | InputIssue:
    text = value.strip()
    editable = False
    if text.startswith("-e "):  # PDM writes editable local dependencies this way
        editable, text = True, text[3:].strip()
    item = requirement_or_issue(text, location=location, kind=KIND, group=group)
    if isinstance(item, InputIssue) and "#egg=" in text:
        _, _, egg = text.partition("#egg=")
        name = egg.split("&")[0]
        if name:
            return Requirement(
                name=canonical_name(name),
                raw_name=name,
                url=text,
                editable=editable,
                group=group,
                location=location,
                kind=KIND,
                line_text=value,
            )
    if isinstance(item, Requirement) and editable:
        return dataclasses.replace(item, editable=True, line_text=value)
    return item


def parse_pyproject_text(text: str, relpath: str) -> ParsedInput:
    """Parse pyproject.toml text (see the module docstring for what is read).

    Raises:
        ParseError: the text is not valid TOML.
    """
    data = load_toml(text, relpath)
    col = _Collector(text, relpath)
    project = _table(data.get("project"))
    tool = _table(data.get("tool"))
    poetry = _table(tool.get("poetry"))

    col.add_strings(project.get("dependencies"), ("project", "dependencies"), MAIN_GROUP)
    for extra, values in _table(project.get("optional-dependencies")).items():
        col.add_strings(values, ("project", "optional-dependencies", extra), f"optional:{extra}")
    fed = _metadata_file_tables(tool, relpath)
    notes = [
        f"[project] {field} is read from {', '.join(files)} ({table})"
        for field, (table, files) in fed.items()
    ]
    dynamic = project.get("dynamic")
    if isinstance(dynamic, list):
        for field in ("dependencies", "optional-dependencies"):
            if field in dynamic and field not in fed:
                col.issue(
                    "dynamic-value",
                    f"[project] {field} is dynamic: could not read statically "
                    "(the build backend computes it)",
                    ("project", "dynamic"),
                )

    _dependency_groups(col, _table(data.get("dependency-groups")))
    _poetry(col, poetry)

    pdm_dev = _table(_table(tool.get("pdm")).get("dev-dependencies"))
    for group, values in pdm_dev.items():
        col.add_strings(values, ("tool", "pdm", "dev-dependencies", group), group)

    uv = _table(tool.get("uv"))
    col.add_strings(uv.get("dev-dependencies"), ("tool", "uv", "dev-dependencies"), "dev")
    _apply_uv_sources(col, _table(uv.get("sources")))

    name = project.get("name") if isinstance(project.get("name"), str) else poetry.get("name")
    return ParsedInput(
        path=relpath,
        kind=KIND,
        requirements=tuple(col.requirements),
        issues=tuple(col.issues),
        project_name=name if isinstance(name, str) else None,
        notes=tuple(notes),
        metadata_files=tuple(sorted({f for _table, files in fed.values() for f in files})),
    )


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# -- requirements files that feed [project] metadata -------------------------------------------


def _file_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _metadata_file_tables(tool: dict[str, Any], relpath: str) -> dict[str, tuple[str, list[str]]]:
    """Map ``dependencies``/``optional-dependencies`` to (table, repo-relative files)."""
    folder = posixpath.dirname(relpath)

    def rel(paths: list[str]) -> list[str]:
        out = []
        for path in paths:
            joined = posixpath.normpath(posixpath.join(folder, path.strip().replace("\\", "/")))
            if joined and not joined.startswith(("../", "/")) and joined != "..":
                out.append(joined)
        return out

    fed: dict[str, tuple[str, list[str]]] = {}
    dynamic = _table(_table(tool.get("setuptools")).get("dynamic"))
    table = "[tool.setuptools.dynamic]"
    deps = rel(_file_list(_table(dynamic.get("dependencies")).get("file")))
    if deps:
        fed["dependencies"] = (table, deps)
    extras = [
        f
        for spec in _table(dynamic.get("optional-dependencies")).values()
        for f in rel(_file_list(_table(spec).get("file")))
    ]
    if extras:
        fed["optional-dependencies"] = (table, extras)

    hook = _table(
        _table(_table(_table(tool.get("hatch")).get("metadata")).get("hooks")).get(
            "requirements_txt"
        )
    )
    table = "[tool.hatch.metadata.hooks.requirements_txt]"
    deps = rel(_file_list(hook.get("files")) + _file_list(hook.get("filename")))
    if deps:
        fed.setdefault("dependencies", (table, deps))
    extras = [
        f
        for files in _table(hook.get("optional-dependencies")).values()
        for f in rel(_file_list(files))
    ]
    if extras:
        fed.setdefault("optional-dependencies", (table, extras))
    return fed


# -- PEP 735 -----------------------------------------------------------------------------


def _dependency_groups(col: _Collector, groups: dict[str, Any]) -> None:
    by_norm = {normalize_name(name): name for name in groups}
    own: dict[str, list[Requirement]] = {}
    for name, values in groups.items():
        strings = [v for v in values if isinstance(v, str)] if isinstance(values, list) else values
        own[name] = col.add_strings(strings, ("dependency-groups", name), name)

    def expand(name: str, stack: tuple[str, ...]) -> list[Requirement]:
        out: list[Requirement] = []
        values = groups.get(name)
        if not isinstance(values, list):
            return out
        for value in values:
            if not isinstance(value, dict) or "include-group" not in value:
                continue
            target = str(value["include-group"])
            where = ("dependency-groups", name, "include-group")
            real = by_norm.get(normalize_name(target))
            if real is None:
                col.issue(
                    "include-missing", f"group {name!r} includes unknown group {target!r}", where
                )
                continue
            if real in stack:
                chain = " -> ".join((*stack[stack.index(real) :], real))
                if real == stack[0]:
                    col.issue("include-cycle", f"dependency-group include cycle: {chain}", where)
                continue
            out.extend(own.get(real, []))
            out.extend(expand(real, (*stack, real)))
        return out

    for name in groups:
        for requirement in expand(name, (name,)):
            col.requirements.append(dataclasses.replace(requirement, group=name))


# -- Poetry ------------------------------------------------------------------------------


def _poetry(col: _Collector, poetry: dict[str, Any]) -> None:
    extras_of: dict[str, list[str]] = {}
    for extra, names in _table(poetry.get("extras")).items():
        if isinstance(names, list):
            for name in names:
                if isinstance(name, str):
                    extras_of.setdefault(normalize_name(name), []).append(extra)
    tables: list[tuple[tuple[str, ...], str]] = [
        (("tool", "poetry", "dependencies"), MAIN_GROUP),
        (("tool", "poetry", "dev-dependencies"), "dev"),
    ]
    tables += [
        (("tool", "poetry", "group", group, "dependencies"), group)
        for group in _table(poetry.get("group"))
    ]
    for path, group in tables:
        table: Any = poetry
        for key in path[2:]:
            table = _table(table).get(key)
        for raw_name, spec in _table(table).items():
            if raw_name.lower() == "python":
                continue
            _poetry_dependency(col, path, group, raw_name, spec, extras_of)


def _poetry_dependency(
    col: _Collector,
    path: tuple[str, ...],
    group: str,
    raw_name: str,
    spec: Any,
    extras_of: dict[str, list[str]],
) -> None:
    line = col.index.key_line(path, raw_name)
    location = col.loc(line)
    entries = spec if isinstance(spec, list) else [spec]
    for entry in entries:
        table = entry if isinstance(entry, dict) else {"version": entry}
        groups = [group]
        if table.get("optional") is True and group == MAIN_GROUP:
            groups = [f"optional:{x}" for x in extras_of.get(normalize_name(raw_name), [])]
            groups = groups or ["optional"]
        specifier = SpecifierSet()
        version = table.get("version")
        if isinstance(version, str):
            try:
                specifier = SpecifierSet(poetry_to_pep440(version))
            except UnsupportedConstraint as exc:
                col.issues.append(
                    InputIssue(
                        code="unsupported-constraint",
                        message=f"{raw_name}: {exc}",
                        location=location,
                        line_text=f"{raw_name} = {version!r}",
                    )
                )
        marker = _poetry_marker(table)
        url = _source_url(table)
        extras = table.get("extras")
        for each in groups:
            col.requirements.append(
                Requirement(
                    name=canonical_name(raw_name),
                    raw_name=raw_name,
                    specifier=specifier,
                    extras=tuple(sorted(str(x) for x in extras))
                    if isinstance(extras, list)
                    else (),
                    marker=None if marker is None else marker_of(marker),
                    marker_text=marker,
                    url=url,
                    editable=table.get("develop") is True,
                    group=each,
                    location=location,
                    kind=KIND,
                    line_text=f"{raw_name} = {entry!r}",
                )
            )


def _poetry_marker(table: dict[str, Any]) -> str | None:
    parts: list[str] = []
    markers = table.get("markers")
    if isinstance(markers, str) and markers.strip():
        parts.append(markers.strip())
    python = table.get("python")
    if isinstance(python, str) and python.strip() not in ("", "*"):
        try:
            spec = poetry_to_pep440(python)
            SpecifierSet(spec)
        except (UnsupportedConstraint, InvalidSpecifier):
            spec = ""
        parts.extend(f'python_version {s.operator} "{s.version}"' for s in SpecifierSet(spec))
    platform = table.get("platform")
    if isinstance(platform, str) and platform:
        parts.append(f'sys_platform == "{platform}"')
    if not parts:
        return None
    text = " and ".join(f"({p})" if " or " in p else p for p in parts)
    try:
        return str(Marker(text))
    except InvalidMarker:
        return text


def _source_url(table: dict[str, Any]) -> str | None:
    """Return the direct reference of a Poetry or uv source table: git (+ref), url or path."""
    git = table.get("git")
    if isinstance(git, str):
        ref = next(
            (table[k] for k in ("rev", "tag", "branch") if isinstance(table.get(k), str)), None
        )
        url = git if git.startswith("git+") else f"git+{git}"
        return f"{url}@{ref}" if ref else url
    for key in ("url", "path"):
        if isinstance(table.get(key), str):
            return str(table[key])
    return None


# -- uv ----------------------------------------------------------------------------------


def _uv_source_url(source: dict[str, Any]) -> str | None:
    url = _source_url(source)
    if url is None and source.get("workspace") is True:
        return "workspace:"
    return url


def _apply_uv_sources(col: _Collector, sources: dict[str, Any]) -> None:
    urls: dict[str, tuple[str, bool]] = {}
    for raw_name, source in sources.items():
        first = source[0] if isinstance(source, list) and source else source
        if isinstance(first, dict):
            url = _uv_source_url(first)
            if url is not None:
                urls[normalize_name(raw_name)] = (url, first.get("editable") is True)
    if not urls:
        return
    for position, requirement in enumerate(col.requirements):
        found = urls.get(requirement.name)
        if found is not None and requirement.url is None:
            col.requirements[position] = dataclasses.replace(
                requirement, url=found[0], editable=found[1]
            )
