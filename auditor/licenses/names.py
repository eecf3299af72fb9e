"""The naming data: free text, classifiers and license texts -> SPDX or a family (YAML data).

Reads ``rules/policy/licenses-names.yaml`` once per process. Every SPDX value in the file is
checked with `packaging.licenses` when loaded, so a typo in the data fails loudly.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

from auditor.config import rules_dir
from auditor.errors import ConfigError
from auditor.licenses.model import Category
from auditor.yamlio import safe_load

NAMES_FILE = "licenses-names.yaml"
PLACEHOLDER = "placeholder"
_FOLD_PUNCT = re.compile(r"[\s,;:()\"'`]+")


def fold(text: str) -> str:
    """Fold free text for lookup: lower case, licence -> license, punctuation runs to a space."""
    folded = _FOLD_PUNCT.sub(" ", text.lower().replace("licence", "license")).strip()
    if folded.startswith("the "):
        folded = folded[4:]
    return folded.rstrip(".")


@dataclass(frozen=True, slots=True, kw_only=True)
class Family:
    """A license family named without its member: a category but no SPDX id."""

    key: str
    title: str
    category: Category


@dataclass(frozen=True, slots=True, kw_only=True)
class NameTarget:
    """What a name maps to: an SPDX expression, a family, or a placeholder (says nothing)."""

    expression: str | None = None
    family: Family | None = None
    placeholder: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TextMarker:
    """Whole sentences that identify a license text pasted into the License field."""

    license: str
    phrases: tuple[str, ...]
    unless: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NameData:
    """The loaded naming data."""

    classifiers: dict[str, NameTarget]
    free_text: dict[str, NameTarget]
    families: dict[str, Family]
    markers: tuple[TextMarker, ...]
    others: tuple[str, ...] = ()


def _spdx(value: str, where: str) -> str:
    try:
        return str(canonicalize_license_expression(value))
    except InvalidLicenseExpression as exc:
        raise ConfigError(f"{where}: not an SPDX expression: {value!r} ({exc})") from None


def _mapping(value: Any, families: dict[str, Family], where: str) -> NameTarget:
    if value == PLACEHOLDER:
        return NameTarget(placeholder=True)
    if isinstance(value, str):
        return NameTarget(expression=_spdx(value, where))
    if isinstance(value, dict) and isinstance(value.get("family"), str):
        family = families.get(value["family"])
        if family is None:
            raise ConfigError(f"{where}: unknown family {value['family']!r}")
        return NameTarget(family=family)
    raise ConfigError(f"{where}: expected an SPDX expression, placeholder or {{family: name}}")


def parse_names(data: Any, path: str) -> NameData:
    """Validate the naming data (`path` names the file in errors)."""
    if not isinstance(data, dict) or data.get("schema") != 1:
        raise ConfigError(f"{path}: expected a mapping with schema: 1")
    families: dict[str, Family] = {}
    for key, entry in (data.get("families") or {}).items():
        where = f"{path}: /families/{key}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected {{title, category}}")
        try:
            category = Category(str(entry.get("category")))
        except ValueError:
            raise ConfigError(f"{where}/category: unknown category") from None
        families[str(key)] = Family(
            key=str(key), title=str(entry.get("title", key)), category=category
        )
    classifiers = {
        fold(str(k)): _mapping(v, families, f"{path}: /classifiers/{k}")
        for k, v in (data.get("classifiers") or {}).items()
    }
    free_text = {
        fold(str(k)): _mapping(v, families, f"{path}: /free_text/{k}")
        for k, v in (data.get("free_text") or {}).items()
    }
    others = tuple(_squash(str(o)) for o in data.get("others") or ())
    markers = []
    for index, entry in enumerate(data.get("text_markers") or ()):
        where = f"{path}: /text_markers/{index}"
        if not isinstance(entry, dict) or not isinstance(entry.get("phrases"), list):
            raise ConfigError(f"{where}: expected {{license, phrases, unless}}")
        markers.append(
            TextMarker(
                license=_spdx(str(entry.get("license")), where),
                phrases=tuple(_squash(str(p)) for p in entry["phrases"]),
                unless=(*(_squash(str(p)) for p in entry.get("unless") or ()), *others),
            )
        )
    return NameData(
        classifiers=classifiers,
        free_text=free_text,
        families=families,
        markers=tuple(markers),
        others=others,
    )


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


@functools.cache
def load_names(folder: Path | None = None) -> NameData:
    """Load ``licenses-names.yaml`` from the policy folder (cached per process)."""
    path = (folder or rules_dir() / "policy") / NAMES_FILE
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    return parse_names(data, str(path))


def names_other_license(text: str, names: NameData) -> bool:
    """Whether a license text also names another license (bundled code, mixed files)."""
    body = _squash(text)
    return any(other in body for other in names.others)


def recognise_text(text: str, markers: tuple[TextMarker, ...]) -> str | None:
    """Return the SPDX id whose marker sentences all occur in `text` (exactly one), else None."""
    body = _squash(text)
    hits = {
        m.license
        for m in markers
        if all(p in body for p in m.phrases) and not any(u in body for u in m.unless)
    }
    return hits.pop() if len(hits) == 1 else None


__all__ = [
    "Family",
    "NameData",
    "NameTarget",
    "TextMarker",
    "fold",
    "load_names",
    "names_other_license",
    "parse_names",
    "recognise_text",
]
