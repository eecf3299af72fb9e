"""The values of the license stage: raw metadata, normalized licenses, facts and verdicts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Category(enum.StrEnum):
    """License categories, least restrictive first (`rank` orders them)."""

    PUBLIC_DOMAIN = "public-domain"
    PERMISSIVE = "permissive"
    WEAK_COPYLEFT = "weak-copyleft"
    STRONG_COPYLEFT = "strong-copyleft"
    NETWORK_COPYLEFT = "network-copyleft"
    NON_COMMERCIAL = "non-commercial"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Position from least (0) to most restrictive; unknown is last."""
        return list(Category).index(self)


class Verdict(enum.StrEnum):
    """What the policy says about a package's license."""

    ALLOWED = "allowed"
    EXCEPTED = "excepted"
    DENIED = "denied"
    INCOMPATIBLE = "incompatible"
    UNKNOWN = "unknown"
    NOT_CHECKED = "not-checked"


class Source(enum.StrEnum):
    """Where a license fact came from, most trustworthy first."""

    ENVIRONMENT = "environment"
    INDEX_VERSION_JSON = "index-json-version"
    INDEX_METADATA = "index-metadata"
    INDEX_PROJECT_JSON = "index-json-project"
    NOT_ON_INDEX = "not-on-index"
    NOT_CHECKED = "not-checked"


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseMetadata:
    """The license fields of one distribution's metadata, as written (hostile text)."""

    expression: str | None = None
    license: str | None = None
    classifiers: tuple[str, ...] = ()
    license_files: tuple[str, ...] = ()
    # The texts of the license files, where they could be read (installed distributions only:
    # an archive is never downloaded); not cached.
    license_texts: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether no license field is present at all."""
        return not (self.expression or self.license or self.classifiers or self.license_files)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready form (the cache stores this)."""
        return {
            "expression": self.expression,
            "license": self.license,
            "classifiers": list(self.classifiers),
            "license_files": list(self.license_files),
        }

    @classmethod
    def from_json(cls, data: Any) -> LicenseMetadata | None:
        """Rebuild from `to_json` output; None when malformed."""
        if not isinstance(data, dict):
            return None

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        def texts(key: str) -> tuple[str, ...]:
            value = data.get(key)
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

        return cls(
            expression=text("expression"),
            license=text("license"),
            classifiers=texts("classifiers"),
            license_files=texts("license_files"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Normalized:
    """A license as SPDX (`expression`), or unknown with why; `raw` keeps the text read.

    `field` names the metadata field the answer came from (``License-Expression``,
    ``License``, ``classifiers``, ``License (text)``); `family` is set when the text names a
    license family but not which member (BSD, GPL without a version).
    """

    expression: str | None
    raw: str
    field: str = ""
    family: str | None = None
    family_category: Category | None = None
    note: str = ""

    @property
    def known(self) -> bool:
        """Whether an SPDX expression was found."""
        return self.expression is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseFact:
    """One package version's license and where it came from.

    `source` is a `Source` value; `detail` says more (which index, cache, file). `metadata`
    is None when no metadata could be read (then `reason` says why).
    """

    name: str
    display_name: str
    version: str | None
    source: Source
    detail: str = ""
    metadata: LicenseMetadata | None = None
    normalized: Normalized | None = None
    from_cache: bool = False
    reason: str = ""
    newest_version: str | None = None
    newest: Normalized | None = None

    @property
    def expression(self) -> str | None:
        """The SPDX expression, or None when unknown."""
        return self.normalized.expression if self.normalized is not None else None


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseFacts:
    """Every license fact of a run, keyed by (normalized name, version or None)."""

    facts: tuple[LicenseFact, ...] = ()
    project_license: Normalized | None = None
    project_license_source: str = ""
    by_key: dict[tuple[str, str | None], LicenseFact] = field(default_factory=dict)

    def get(self, name: str, version: str | None) -> LicenseFact | None:
        """Return the fact of one package version."""
        return self.by_key.get((name, version))


__all__ = [
    "Category",
    "LicenseFact",
    "LicenseFacts",
    "LicenseMetadata",
    "Normalized",
    "Source",
    "Verdict",
]
