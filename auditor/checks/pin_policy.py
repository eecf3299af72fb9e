"""The ``[pins]`` policy table (rules/policy/pins.toml merged with the user's overrides)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

POLICY = "pins"
_REQUIRE_VALUES = ("exact", "upper-bound", "any", "none")


@dataclass(frozen=True, slots=True, kw_only=True)
class PinPolicy:
    """The ``[pins]`` policy table, validated."""

    require: str = "upper-bound"
    library_require: str = "any"
    dev_require: str = "any"
    application: bool | None = None
    application_markers: tuple[str, ...] = ()
    dev_groups: frozenset[str] = frozenset()
    example_dirs: frozenset[str] = frozenset()
    require_hashes: bool = False
    allow_prereleases: bool = False
    prerelease_allowed_packages: frozenset[str] = frozenset()
    lockfile_covers_manifest: bool = True
    invalid_line_codes: frozenset[str] = frozenset()
    unreadable_value_codes: frozenset[str] = frozenset()
    fold_per_file_codes: frozenset[str] = frozenset()
    incomplete_codes: frozenset[str] = frozenset()
    unpinned_exempt_codes: frozenset[str] = frozenset()
    full_sha_lengths: tuple[int, ...] = (40, 64)
    max_orphan_findings: int = 20
    frozen_min_requirements: int = 8

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> PinPolicy:
        """Build the policy from the merged ``pins`` table (bad values raise ConfigError)."""
        from auditor.errors import ConfigError

        def choice(key: str, default: str) -> str:
            value = str(table.get(key, default)).strip().lower()
            if value not in _REQUIRE_VALUES:
                raise ConfigError(
                    f"policy.pins.{key}: expected one of {', '.join(_REQUIRE_VALUES)}, "
                    f"got {value!r}"
                )
            return value

        def names(key: str) -> frozenset[str]:
            value = table.get(key, [])
            if not isinstance(value, list):
                raise ConfigError(f"policy.pins.{key}: expected a list of strings")
            return frozenset(str(v).strip().lower() for v in value)

        app = table.get("application", "auto")
        application: bool | None
        if isinstance(app, bool):
            application = app
        elif str(app).strip().lower() == "auto":
            application = None
        else:
            raise ConfigError(
                f"policy.pins.application: expected true, false or 'auto', got {app!r}"
            )
        lengths = table.get("full_sha_lengths", [40, 64])
        return cls(
            require=choice("require", "upper-bound"),
            library_require=choice("library_require", "any"),
            dev_require=choice("dev_require", "any"),
            application=application,
            application_markers=tuple(str(m) for m in table.get("application_markers", [])),
            dev_groups=names("dev_groups"),
            example_dirs=names("example_dirs"),
            require_hashes=bool(table.get("require_hashes", False)),
            allow_prereleases=bool(table.get("allow_prereleases", False)),
            prerelease_allowed_packages=frozenset(
                _normalize(n) for n in names("prerelease_allowed_packages")
            ),
            lockfile_covers_manifest=bool(table.get("lockfile_covers_manifest", True)),
            invalid_line_codes=names("invalid_line_codes"),
            unreadable_value_codes=names("unreadable_value_codes"),
            fold_per_file_codes=names("fold_per_file_codes"),
            incomplete_codes=names("incomplete_codes"),
            unpinned_exempt_codes=names("unpinned_exempt_codes"),
            full_sha_lengths=tuple(int(n) for n in lengths),
            max_orphan_findings=int(table.get("max_orphan_findings", 20)),
            frozen_min_requirements=int(table.get("frozen_min_requirements", 8)),
        )

    def is_example(self, path: str) -> bool:
        """Whether a repo-relative file lies in an example, demo, docs or tutorial folder."""
        return any(part.lower() in self.example_dirs for part in path.split("/")[:-1])

    def is_dev_group(self, group: str) -> bool:
        """Whether a requirement group is development-only (tests, lint, docs ...)."""
        key = group.strip().lower()
        return key in self.dev_groups or key.startswith("dev")


def _normalize(name: str) -> str:
    from auditor.model import normalize_name

    return normalize_name(name)


__all__ = ["POLICY", "PinPolicy"]
