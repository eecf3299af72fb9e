"""Load YAML safely, with libyaml's C loader when PyYAML has it (several times faster)."""

from __future__ import annotations

from typing import Any

import yaml

# CSafeLoader is the C implementation of SafeLoader: same safe constructors, no arbitrary objects.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """Parse one YAML document with the safe loader (never constructs Python objects)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - the loader is SafeLoader or CSafeLoader


__all__ = ["safe_load"]
