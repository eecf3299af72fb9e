"""The value objects that flow between stages: requirements, packages, findings, results."""

from __future__ import annotations

import enum
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NewType

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from auditor.specs import pinned_version

RuleId = NewType("RuleId", str)
AdvisoryId = NewType("AdvisoryId", str)

SCHEMA_VERSION = 1

_NORMALIZE = re.compile(r"[-_.]+")


@functools.lru_cache(maxsize=65536)
def normalize_name(name: str) -> str:
    """Return the PEP 503 normalized form of a project name (memoised: called per edge)."""
    return _NORMALIZE.sub("-", name).lower().strip()


def canonical_name(name: str) -> NormalizedName:
    """Return `normalize_name(name)` typed as packaging's `NormalizedName` (`Requirement.name`)."""
    return NormalizedName(_NORMALIZE.sub("-", name).lower().strip())


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeFileError:
    """A code file the import scan could not read fully (syntax error, encoding, NUL bytes).

    `recovered` counts the import sites the line-based fallback still read from a file with a
    syntax error (they are in the scan result, flagged approximate); the message says so too.
    The import scanner calls it ``ScanError``; the report lists it under ``import_errors``.
    """

    path: str
    line: int | None
    message: str
    recovered: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used in the report's ``import_errors`` section."""
        data: dict[str, Any] = {"path": self.path, "line": self.line, "message": self.message}
        if self.recovered:
            data["recovered_imports"] = self.recovered
        return data


class Severity(enum.StrEnum):
    """How bad a finding is; ordered from most to least severe by `rank`."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Return 4 for critical down to 0 for info."""
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a severity name case-insensitively (raises ValueError when unknown)."""
        return cls(text.strip().lower())


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class InputKind(enum.StrEnum):
    """The kinds of input files Auditor reads."""

    REQUIREMENTS = "requirements"
    PYPROJECT = "pyproject"
    SETUP_CFG = "setup.cfg"
    SETUP_PY = "setup.py"
    PIPFILE = "pipfile"
    PIPFILE_LOCK = "pipfile.lock"
    POETRY_LOCK = "poetry.lock"
    UV_LOCK = "uv.lock"
    PDM_LOCK = "pdm.lock"
    PYLOCK = "pylock"
    CONDA = "conda"
    NOTEBOOK = "notebook"  # a notebook's own %pip install lines
    ENVIRONMENT = "environment"
    RESOLVED = "resolved"  # what a resolver says an install of a manifest would bring

    @property
    def is_lockfile(self) -> bool:
        """Whether this kind pins a full resolution (not a hand-written manifest)."""
        return self in _LOCK_KINDS


_LOCK_KINDS = frozenset(
    {
        InputKind.PIPFILE_LOCK,
        InputKind.POETRY_LOCK,
        InputKind.UV_LOCK,
        InputKind.PDM_LOCK,
        InputKind.PYLOCK,
        InputKind.ENVIRONMENT,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Location:
    """A place in a file: repo-relative POSIX path and 1-based line (None = whole file)."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used by every machine-readable report."""
        return {"path": self.path, "line": self.line}


MAIN_GROUP = "main"

# Rule categories by the rule id's first digit: AUD1xx pins ... AUD6xx replacement.
RULE_CATEGORIES = ("pins", "vulnerabilities", "licenses", "reputation", "imports", "replacement")


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirement:
    """One declared dependency as written in a manifest, parsed once by the source that read it.

    `specifier` is the PEP 440 specifier (empty when unconstrained; ``str()`` of it is the text
    reports show); `marker` the environment marker and `marker_text` the marker as reports show
    it (as written when packaging rejects it, then `marker` is None); `url` is a direct reference
    (``name @ url``, a VCS link or a local path); `group` is ``main``, ``dev``,
    ``optional:<extra>`` or the name of a dependency group.

    `pinned` is computed here, once: the single exact version the specifier admits (see
    `auditor.specs.pinned_version`). `version_span` is where that version's text sits on the
    physical line `location.line` (0-based columns, end exclusive), when the source knows it;
    it is dropped when nothing is pinned.
    """

    name: NormalizedName
    raw_name: str
    specifier: SpecifierSet = field(default_factory=SpecifierSet)
    extras: tuple[str, ...] = ()
    marker: Marker | None = None
    marker_text: str | None = None
    url: str | None = None
    editable: bool = False
    hashes: tuple[str, ...] = ()
    group: str = MAIN_GROUP
    constraint: bool = False
    location: Location
    kind: InputKind
    line_text: str = ""
    version_span: tuple[int, int] | None = None
    pinned: Version | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        pinned = pinned_version(self.specifier)
        object.__setattr__(self, "pinned", pinned)
        if pinned is None and self.version_span is not None:
            object.__setattr__(self, "version_span", None)
        if self.marker is not None and self.marker_text is None:
            object.__setattr__(self, "marker_text", str(self.marker))

    @property
    def is_local_path(self) -> bool:
        """Whether the requirement points at a local directory or archive."""
        if self.url is None:
            return False
        url = self.url.lower()
        return url.startswith(("file:", ".", "/", "~")) or (
            "://" not in url and not url.startswith(("git+", "hg+", "svn+", "bzr+"))
        )

    @property
    def is_vcs(self) -> bool:
        """Whether the requirement is a VCS link (git+, hg+, svn+, bzr+)."""
        return self.url is not None and self.url.lower().startswith(("git+", "hg+", "svn+", "bzr+"))


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedDependency:
    """An edge recorded in a lockfile: the locked package depends on `name`."""

    name: str
    specifier: str = ""
    marker: str | None = None
    extras: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedPackage:
    """One resolved package from a lockfile or the installed environment."""

    name: str
    raw_name: str
    version: str | None
    location: Location
    kind: InputKind
    dependencies: tuple[LockedDependency, ...] = ()
    groups: tuple[str, ...] = (MAIN_GROUP,)
    hashes: tuple[str, ...] = ()
    source_url: str | None = None
    source_commit: str | None = None
    is_root: bool = False
    markers: tuple[str, ...] = ()  # environments it is locked for (uv resolution-markers): any


@dataclass(frozen=True, slots=True, kw_only=True)
class InputIssue:
    """A line-level problem found while parsing an input that did not stop the parse.

    Checks turn these into findings (for example a prose line in a requirements file).
    `code` names the problem (``not-a-requirement``, ``pip-install-command``, ``dynamic-value``
    ...); `suggestion` is the line the author most likely meant, if clear.
    """

    code: str
    message: str
    location: Location
    line_text: str = ""
    suggestion: str | None = None


class InputStatus(enum.StrEnum):
    """Whether an input parsed."""

    OK = "ok"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedInput:
    """The result of parsing one input file (or the installed environment)."""

    path: str
    kind: InputKind
    status: InputStatus = InputStatus.OK
    error: str | None = None
    requirements: tuple[Requirement, ...] = ()
    packages: tuple[LockedPackage, ...] = ()
    issues: tuple[InputIssue, ...] = ()
    includes: tuple[str, ...] = ()
    project_name: str | None = None
    notes: tuple[str, ...] = ()  # facts about the input worth telling people (not problems)
    # Repo-relative requirements files this manifest reads its declared dependencies from
    # (setup.py helpers, [tool.setuptools.dynamic], hatch-requirements-txt): their requirements
    # are the library's metadata, not an application's.
    metadata_files: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of the ``inputs`` array of the report."""
        return {
            "path": self.path,
            "kind": str(self.kind),
            "status": str(self.status),
            "error": self.error,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageSummary:
    """One package in the report: name as first written, version if known, where it came from."""

    name: str
    display_name: str
    version: str | None
    direct: bool
    groups: tuple[str, ...]
    locations: tuple[Location, ...]
    resolved: bool = False  # brought by `--resolve` (resolved, not locked)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of the ``packages`` array of the report."""
        return {
            "name": self.display_name,
            "version": self.version,
            "direct": self.direct,
            "groups": list(self.groups),
            "locations": [loc.to_json() for loc in self.locations],
            **({"resolved": True} if self.resolved else {}),
        }


def compute_fingerprint(
    rule_id: str, path: str, package: str | None, version: str | None, key: str = ""
) -> str:
    """Return a stable fingerprint: rule + manifest path + package + version + key.

    The line number is left out on purpose so that moving a line keeps the fingerprint.
    """
    text = "\x1f".join([rule_id, path, normalize_name(package or ""), version or "", key])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem found by a check.

    `key` distinguishes several findings of one rule on one package (an advisory id, an import
    name); it feeds the fingerprint.
    """

    rule_id: str
    rule_name: str
    severity: Severity
    message: str
    package: str | None = None
    version: str | None = None
    locations: tuple[Location, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    fix: str | None = None
    key: str = ""
    path_from_root: tuple[str, ...] = ()
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if not self.fingerprint:
            path = self.locations[0].path if self.locations else ""
            object.__setattr__(
                self,
                "fingerprint",
                compute_fingerprint(self.rule_id, path, self.package, self.version, self.key),
            )

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of the ``findings`` array of the report."""
        return {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "severity": str(self.severity),
            "package": self.package,
            "version": self.version,
            "message": self.message,
            "locations": [loc.to_json() for loc in self.locations],
            "evidence": dict(self.evidence),
            "fix": self.fix,
            "fingerprint": self.fingerprint,
            "path_from_root": list(self.path_from_root),
        }

    def sort_key(self) -> tuple[int, str, str, str, str]:
        """Order findings: most severe first, then rule, package, place."""
        first = str(self.locations[0]) if self.locations else ""
        return (-self.severity.rank, self.rule_id, self.package or "", first, self.fingerprint)


@dataclass(frozen=True, slots=True, kw_only=True)
class Incomplete:
    """A part of the audit that could not be done (a source unreachable, an input unreadable)."""

    source: str
    reason: str
    packages: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of the ``incomplete`` array of the report."""
        return {"source": self.source, "reason": self.reason, "packages": list(self.packages)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Suppressed:
    """A finding hidden by an ignore, with the reason given."""

    finding: Finding
    reason: str
    by: str

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of the ``suppressed`` array of the report."""
        return {"finding": self.finding.to_json(), "reason": self.reason, "by": self.by}


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSource:
    """A data source the audit used, and how fresh its data was (for the report)."""

    name: str
    detail: str
    updated: str | None = None
    stale: bool = False  # older than the policy allows (an offline store not updated)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of the ``data_sources`` array of the report."""
        return {
            "name": self.name,
            "detail": self.detail,
            "updated": self.updated,
            "stale": self.stale,
        }


__all__ = [
    "MAIN_GROUP",
    "RULE_CATEGORIES",
    "SCHEMA_VERSION",
    "AdvisoryId",
    "CodeFileError",
    "DataSource",
    "Finding",
    "Incomplete",
    "InputIssue",
    "InputKind",
    "InputStatus",
    "Location",
    "LockedDependency",
    "LockedPackage",
    "PackageSummary",
    "ParsedInput",
    "Requirement",
    "RuleId",
    "Severity",
    "Suppressed",
    "compute_fingerprint",
    "normalize_name",
]
