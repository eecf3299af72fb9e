"""The category of an SPDX expression (``rules/policy/licenses-categories.yaml``).

An id takes its listed category, else the category of the ScanCode license database that
license-expression ships (mapped by the same file), else unknown. For ``A OR B`` the licensee
may choose, so the least restrictive known option counts; for ``A AND B`` both apply, so the
most restrictive; ``A WITH exc`` is capped by the exception's category.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.config import rules_dir
from auditor.errors import ConfigError
from auditor.licenses.model import Category, Normalized
from auditor.yamlio import safe_load

CATEGORIES_FILE = "licenses-categories.yaml"


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryData:
    """Category of each id, exception caps and copyleft compatibility tables."""

    by_id: dict[str, Category]
    scancode: dict[str, Category]
    exceptions: dict[str, Category]
    accepted_by: dict[str, frozenset[str]]
    incompatible_pairs: dict[str, frozenset[str]]


def _category(value: Any, where: str) -> Category:
    try:
        return Category(str(value))
    except ValueError:
        raise ConfigError(f"{where}: unknown category {value!r}") from None


def parse_categories(data: Any, path: str) -> CategoryData:
    """Validate the category data (`path` names the file in errors)."""
    if not isinstance(data, dict) or data.get("schema") != 1:
        raise ConfigError(f"{path}: expected a mapping with schema: 1")
    by_id: dict[str, Category] = {}
    for name, ids in (data.get("categories") or {}).items():
        category = _category(name, f"{path}: /categories/{name}")
        if not isinstance(ids, list):
            raise ConfigError(f"{path}: /categories/{name}: expected a list of SPDX ids")
        for spdx_id in ids:
            by_id[str(spdx_id).lower()] = category

    def table(key: str) -> dict[str, Category]:
        raw = data.get(key) or {}
        return {str(k).lower(): _category(v, f"{path}: /{key}/{k}") for k, v in raw.items()}

    def pairs(key: str) -> dict[str, frozenset[str]]:
        raw = data.get(key) or {}
        return {str(k).lower(): frozenset(str(v).lower() for v in vs) for k, vs in raw.items()}

    return CategoryData(
        by_id=by_id,
        scancode=table("scancode"),
        exceptions=table("exceptions"),
        accepted_by=pairs("copyleft_accepted_by"),
        incompatible_pairs=pairs("incompatible_pairs"),
    )


@functools.cache
def load_categories(folder: Path | None = None) -> CategoryData:
    """Load ``licenses-categories.yaml`` from the policy folder (cached per process)."""
    path = (folder or rules_dir() / "policy") / CATEGORIES_FILE
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    return parse_categories(data, str(path))


@functools.cache
def _scancode_categories() -> dict[str, str]:
    """SPDX id (lower case) -> ScanCode category, from license-expression's bundled index."""
    import license_expression

    index = Path(license_expression.__file__).parent / "data" / "scancode-licensedb-index.json"
    try:
        entries = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict) or entry.get("is_exception"):
            continue
        category = entry.get("category")
        for key in [entry.get("spdx_license_key"), *(entry.get("other_spdx_license_keys") or [])]:
            if isinstance(key, str) and isinstance(category, str) and not key.startswith("Lic"):
                out.setdefault(key.lower(), category)
    return out


def id_category(spdx_id: str, data: CategoryData | None = None) -> Category:
    """Return the category of one SPDX license id."""
    data = data or load_categories()
    key = spdx_id.lower()
    if key in data.by_id:
        return data.by_id[key]
    scancode = _scancode_categories().get(key)
    if scancode is not None:
        return data.scancode.get(scancode.lower(), Category.UNKNOWN)
    return Category.UNKNOWN


def expression_category(expression: str, data: CategoryData | None = None) -> Category:
    """Return the category of an SPDX expression (OR: least restrictive; AND: most)."""
    from auditor.licenses.tree import Leaf, parse_tree

    data = data or load_categories()

    def walk(node: Any) -> Category:
        if isinstance(node, Leaf):
            category = id_category(node.license, data)
            if node.exception is not None:
                cap = data.exceptions.get(node.exception.lower())
                if cap is not None and category is not Category.UNKNOWN:
                    category = min(category, cap, key=lambda c: c.rank)
            return category
        children = [walk(child) for child in node.children]
        if node.operator == "OR":
            known = [c for c in children if c is not Category.UNKNOWN]
            return min(known, key=lambda c: c.rank) if known else Category.UNKNOWN
        return max(children, key=lambda c: c.rank)

    tree = parse_tree(expression)
    return Category.UNKNOWN if tree is None else walk(tree)


def category_of(item: Normalized | None, data: CategoryData | None = None) -> Category:
    """Return the category of a normalized license (a family's own category when no id)."""
    if item is None:
        return Category.UNKNOWN
    if item.expression is not None:
        return expression_category(item.expression, data)
    return item.family_category or Category.UNKNOWN


__all__ = [
    "CategoryData",
    "category_of",
    "expression_category",
    "id_category",
    "load_categories",
    "parse_categories",
]
