"""The Source protocol and the registry mapping each input kind to its parser."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol

from auditor.model import InputKind, ParsedInput

# kind -> "module:Class"; parsers are imported only when a file of their kind is found.
_REGISTRY: dict[InputKind, str] = {
    InputKind.REQUIREMENTS: "auditor.sources.requirements:RequirementsSource",
    InputKind.PYPROJECT: "auditor.sources.pyproject:PyprojectSource",
    InputKind.SETUP_CFG: "auditor.sources.setupcfg:SetupCfgSource",
    InputKind.SETUP_PY: "auditor.sources.setuppy:SetupPySource",
    InputKind.PIPFILE: "auditor.sources.pipfile:PipfileSource",
    InputKind.PIPFILE_LOCK: "auditor.sources.pipfile_lock:PipfileLockSource",
    InputKind.POETRY_LOCK: "auditor.sources.poetry_lock:PoetryLockSource",
    InputKind.UV_LOCK: "auditor.sources.uv_lock:UvLockSource",
    InputKind.PDM_LOCK: "auditor.sources.pdm_lock:PdmLockSource",
    InputKind.PYLOCK: "auditor.sources.pylock:PylockSource",
    InputKind.CONDA: "auditor.sources.conda:CondaSource",
    InputKind.NOTEBOOK: "auditor.sources.notebook:NotebookSource",
    InputKind.ENVIRONMENT: "auditor.sources.environment:EnvironmentSource",
}


class Source(Protocol):
    """A parser for one kind of input.

    `parse` reads `root / relpath` and returns what it declares or locks, every item carrying
    its repo-relative path and 1-based line. A file that cannot be parsed at all raises
    `auditor.errors.ParseError` naming file and line; a bad line that the rest of the file
    survives becomes an `InputIssue` and parsing goes on.
    """

    kind: InputKind

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse one input file (for the environment source, `relpath` is a label)."""
        ...


def source_for(kind: InputKind) -> Source:
    """Return the parser registered for `kind`."""
    module_name, _, class_name = _REGISTRY[kind].partition(":")
    module = importlib.import_module(module_name)
    source: Source = getattr(module, class_name)()
    return source


__all__ = ["Source", "source_for"]
