"""Load YAML safely, with libyaml's C loader when PyYAML has it (several times faster)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# CSafeLoader is the C implementation of SafeLoader: same safe constructors, no arbitrary objects.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """Parse one YAML document with the safe loader (never constructs Python objects)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - the loader is SafeLoader or CSafeLoader


def load_mapping(path: Path) -> dict[str, Any]:
    """Read a rules data file: a YAML mapping with ``schema: 1``.

    Raises:
        ConfigError: the file cannot be read, is not YAML, or is not such a mapping (named).
    """
    from auditor.errors import ConfigError

    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != 1:
        raise ConfigError(f"{path}: expected a mapping with schema: 1")
    return data


def load_listing(path: Path, key: str) -> list[Any]:
    """Read a rules data file: a mapping with ``schema: 1`` holding a list under `key`.

    Raises:
        ConfigError: the file cannot be read, is not YAML, or has another shape (named).
    """
    from auditor.errors import ConfigError

    entries = load_mapping(path).get(key)
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: /{key}: expected a list")
    return entries


__all__ = ["load_listing", "load_mapping", "safe_load"]
