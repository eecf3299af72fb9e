"""Normalize license metadata to SPDX: expressions, free text, classifiers, pasted texts.

`packaging.licenses` gives the canonical form of an SPDX expression; `license-expression`
parses what packaging rejects or keeps deprecated (``GPL-2.0+`` -> ``GPL-2.0-or-later``,
lower-case operators). Free text and classifiers go through the naming data
(``rules/policy/licenses-names.yaml``). What maps to nothing stays unknown with its raw text.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

from auditor.licenses.model import Category, LicenseMetadata, Normalized
from auditor.licenses.names import (
    NameData,
    NameTarget,
    fold,
    load_names,
    names_other_license,
    recognise_text,
)

CLASSIFIER_PREFIX = "License ::"
RAW_LIMIT = 300
_SPLIT = re.compile(r"\s+(or|and)\s+|\s+/\s+", re.IGNORECASE)
_LONG_TEXT = 200


@functools.cache
def _licensing() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


def _packaging(text: str) -> str | None:
    try:
        return str(canonicalize_license_expression(text))
    except InvalidLicenseExpression:
        return None


def normalize_expression(text: str | None) -> str | None:
    """Return the canonical SPDX expression of `text`, or None when it is not one.

    Deprecated ids are replaced by their current form (``GPL-2.0`` -> ``GPL-2.0-only``).
    """
    if not text or not text.strip() or len(text) > 2000:
        return None
    text = " ".join(text.split())
    canonical = _packaging(text)

    try:
        info = _licensing().validate(canonical or text)
    # license-expression and boolean.py raise assorted errors on hostile text
    # (ExpressionError, an assert on '( AND MIT', IndexError on '( )').
    except Exception:  # noqa: BLE001 - see above
        return canonical
    if info.errors:
        return canonical  # LicenseRef-... ids that license-expression does not know
    updated = _packaging(str(info.normalized_expression))
    if updated is not None and updated.count("LicenseRef-") > (canonical or text).count(
        "LicenseRef-"
    ):
        return canonical  # ScanCode's own keys for some deprecated ids: keep the SPDX id
    return updated or canonical


def _target(text: str, table: dict[str, NameTarget]) -> NameTarget | None:
    key = fold(text)
    hit = table.get(key)
    if hit is None and key.endswith(" license"):
        hit = table.get(key[: -len(" license")])
    return hit


_PAREN = re.compile(r"^(?P<head>.+?)\s*\((?P<tail>[^()]+)\)$")


def _short_text(text: str, names: NameData) -> Normalized | None:
    """Map one short free-text value (no compound split).

    ``Name (ABBR)`` maps when both parts map to the same license ("The MIT License (MIT)"); a
    parenthesis that says more ("GPLv2 (with FOSS exception)") leaves the text unknown.
    """
    paren = _PAREN.match(text.strip())
    if paren is not None:
        head = _short_text(paren["head"], names)
        tail = _short_text(paren["tail"], names)
        if (
            head is not None
            and tail is not None
            and head.expression
            and (head.expression == tail.expression)
        ):
            return Normalized(expression=head.expression, raw=text)
    target = _target(text, names.free_text)
    if target is not None:
        if target.expression is not None:
            return Normalized(expression=target.expression, raw=text)
        if target.family is not None:
            return Normalized(
                expression=None,
                raw=text,
                family=target.family.title,
                family_category=target.family.category,
            )
        return Normalized(expression=None, raw=text, note="placeholder text, names no license")
    expression = normalize_expression(text)
    if expression is None and fold(text).endswith(" license"):
        expression = normalize_expression(fold(text)[: -len(" license")])
    if expression is not None:
        return Normalized(expression=expression, raw=text)
    return None


def _title_line(text: str, names: NameData) -> str | None:
    """The SPDX id a license text's first line names exactly (``BSD 3-Clause License``)."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first or len(first) > 60:
        return None
    found = _short_text(first, names)
    return found.expression if found is not None else None


def normalize_text(text: str | None, names: NameData | None = None) -> Normalized | None:
    """Normalize a License field / free text; None when it is empty."""
    if text is None or not text.strip():
        return None
    names = names or load_names()
    raw = text.strip()
    if len(raw) > _LONG_TEXT or raw.count("\n") > 2:
        found = recognise_text(raw, names.markers)
        if found is not None:
            return Normalized(
                expression=found, raw=raw[:RAW_LIMIT], note="recognised from the license text"
            )
        title = None if names_other_license(raw, names) else _title_line(raw, names)
        if title is not None:
            return Normalized(
                expression=title, raw=raw[:RAW_LIMIT], note="named by the license text's title line"
            )
        return Normalized(
            expression=None, raw=raw[:RAW_LIMIT], note="a license text no marker recognises"
        )
    direct = _short_text(raw, names)
    if direct is not None:
        return direct
    parts = _SPLIT.split(raw)
    if len(parts) > 1:
        options = [p for p in parts[0::2] if p and p.strip()]
        operators = {(o or "/").lower() for o in parts[1::2]}
        mapped = [_short_text(p.strip(), names) for p in options]
        if all(m is not None and m.expression for m in mapped) and len(operators) == 1:
            op = " AND " if operators == {"and"} else " OR "
            joined = op.join(f"({m.expression})" for m in mapped if m is not None)
            expression = normalize_expression(joined)
            if expression is not None:
                return Normalized(expression=expression, raw=raw)
    return Normalized(expression=None, raw=raw[:RAW_LIMIT], note="free text maps to no license")


def normalize_classifiers(
    classifiers: tuple[str, ...] | list[str], names: NameData | None = None
) -> Normalized | None:
    """Normalize the ``License ::`` trove classifiers; None when there are none."""
    names = names or load_names()
    chosen = [c.strip() for c in classifiers if c.strip().startswith(CLASSIFIER_PREFIX)]
    if not chosen:
        return None
    raw = "; ".join(chosen)
    expressions: list[str] = []
    families: list[tuple[str, Category]] = []
    for classifier in chosen:
        tail = classifier.rsplit("::", 1)[-1].strip()
        target = names.classifiers.get(fold(tail))
        if target is None or target.placeholder:
            continue
        if target.expression is not None:
            expressions.append(target.expression)
        elif target.family is not None:
            families.append((target.family.title, target.family.category))
    expressions = list(dict.fromkeys(expressions))
    if expressions and not families:
        if len(expressions) == 1:
            return Normalized(expression=expressions[0], raw=raw, field="classifiers")
        joined = normalize_expression(" AND ".join(f"({e})" for e in expressions))
        return Normalized(
            expression=joined,
            raw=raw,
            field="classifiers",
            note="several license classifiers: read as AND, the stricter reading",
        )
    if families:
        worst = max((c for _, c in families), key=lambda c: c.rank)
        if expressions:
            from auditor.licenses.category import expression_category

            ranked = [expression_category(e) for e in expressions]
            worst = max([worst, *ranked], key=lambda c: c.rank)
        title = " + ".join(dict.fromkeys([*(t for t, _ in families), *expressions]))
        return Normalized(
            expression=None, raw=raw, field="classifiers", family=title, family_category=worst
        )
    return Normalized(
        expression=None, raw=raw, field="classifiers", note="no classifier names a license"
    )


def _with_field(item: Normalized, name: str) -> Normalized:
    from dataclasses import replace

    return replace(item, field=name)


def _from_license_files(meta: LicenseMetadata, names: NameData) -> Normalized | None:
    """The one license the license files' texts name (None when none, or they disagree)."""
    found = {
        n.expression
        for text in meta.license_texts
        if (n := normalize_text(text, names)) is not None and n.expression is not None
    }
    if len(found) != 1 or len(meta.license_texts) != len(meta.license_files):
        return None
    expression = found.pop()
    files = ", ".join(meta.license_files)
    return Normalized(
        expression=expression,
        raw=files,
        field="License-File",
        note=f"recognised from the license file text ({files})",
    )


def decide(meta: LicenseMetadata, names: NameData | None = None) -> Normalized:
    """Return the license of one distribution's metadata, most trustworthy field first.

    Order: ``License-Expression`` (PEP 639), an exact ``License`` field, the classifiers, a
    recognised license text, then a family named by the License field or the classifiers.
    """
    names = names or load_names()
    notes: list[str] = []
    if meta.expression:
        expression = normalize_expression(meta.expression)
        if expression is not None:
            return Normalized(
                expression=expression, raw=meta.expression.strip(), field="License-Expression"
            )
        notes.append(f"License-Expression is not valid SPDX: {meta.expression.strip()[:100]}")
    text = normalize_text(meta.license, names)
    classifiers = normalize_classifiers(meta.classifiers, names)
    field = "License (text)" if text is not None and text.note.startswith("recog") else "License"
    if text is not None and text.expression is not None:
        return _with_field(text, field)
    if classifiers is not None and classifiers.expression is not None:
        return classifiers
    from_files = _from_license_files(meta, names)
    if from_files is not None:
        return from_files
    for candidate, name in ((text, "License"), (classifiers, "classifiers")):
        if candidate is not None and candidate.family is not None:
            return _with_field(candidate, name)
    raws = [meta.expression or "", (meta.license or "").strip()[:RAW_LIMIT]]
    raws += [classifiers.raw] if classifiers is not None else []
    if meta.license_files:
        notes.append("license only in files: " + ", ".join(meta.license_files[:5]))
    notes.extend(c.note for c in (text, classifiers) if c is not None and c.note)
    if meta.empty:
        notes.append("no license metadata")
    raw = " | ".join(r for r in raws if r)
    return Normalized(expression=None, raw=raw, note="; ".join(dict.fromkeys(notes)))


__all__ = ["decide", "normalize_classifiers", "normalize_expression", "normalize_text"]
