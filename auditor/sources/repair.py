"""Repair requirement lines whose intent is clear but whose version syntax is wrong.

AI assistants and people used to other ecosystems write ``requests=2.31`` (conda/npm),
``rich => 13.0``, ``tqdm>==4.0``, ``django>=3.0.*``, ``httpx^2.0`` / ``pydantic~1.10`` (Poetry
or npm), ``sqlalchemy>2.0<3.0`` (missing comma) or ``flask==latest``. pip rejects every one of
them. `repair_requirement` returns the PEP 508 text the author meant plus a short explanation,
or None when the line is not recognisably one requirement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508

from auditor.sources.poetry_constraint import UnsupportedConstraint, poetry_to_pep440

__all__ = ["Repair", "repair_requirement"]

_NAME = re.compile(r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\s*\[[^\]]*\])?)")
_NOT_A_VERSION = frozenset({"latest", "newest", "stable", "current", "any", "last", "*", "x"})
_OPERATOR = re.compile(r"(===|>==|<==|==|!=|<=|>=|~=|=>|=<|<|>|=|\^|~)")
_SWAPPED = {"=>": ">=", "=<": "<=", ">==": ">=", "<==": "<="}


@dataclass(frozen=True, slots=True)
class Repair:
    """The corrected requirement text and why the original was not valid."""

    text: str
    why: str


def repair_requirement(line: str) -> Repair | None:
    """Return the requirement `line` was meant to be, or None when the intent is unclear."""
    body, sep, marker = line.partition(";")
    match = _NAME.match(body)
    if match is None:
        return None
    name = re.sub(r"\s+", "", match.group("name"))
    spec = re.sub(r"\s*([,<>=!~^]+)\s*", r"\1", body[match.end() :].strip())
    if not spec or re.search(r"\s", spec) or not _OPERATOR.match(spec):
        return None
    fixed, why = _repair_spec(spec)
    if fixed is None:
        return None
    text = name + fixed + (f"; {marker.strip()}" if sep and marker.strip() else "")
    try:
        Pep508(text)
    except InvalidRequirement:
        return None
    return Repair(text=text, why=why)


def _repair_spec(spec: str) -> tuple[str | None, str]:
    # A missing comma between two clauses: ">2.0<3.0" -> ">2.0,<3.0".
    glued = re.sub(r"(?<=[0-9a-zA-Z*])(?=(?:===|==|!=|<=|>=|~=|<|>)\d)", ",", spec)
    parts = [p for p in glued.split(",") if p]
    out: list[str] = []
    reasons: list[str] = []
    if glued != spec:
        reasons.append("clauses must be separated by commas")
    for part in parts:
        op_match = _OPERATOR.match(part)
        if op_match is None:
            return None, ""
        op, version = op_match.group(1), part[op_match.end() :]
        if version.lower() in _NOT_A_VERSION:
            if op in ("==", "=", "==="):
                reasons.append(
                    f"{version!r} is not a version (a bare name already installs the newest "
                    "release; pin the version you tested)"
                )
                continue
            return None, ""
        if op in _SWAPPED:
            reasons.append(f"{op!r} is not an operator (did you mean {_SWAPPED[op]!r}?)")
            op = _SWAPPED[op]
        elif op == "=":
            reasons.append("a single '=' is not an operator (pip uses '==')")
            op = "=="
        elif op in ("^", "~"):
            try:
                converted = poetry_to_pep440(op + version)
            except UnsupportedConstraint:
                return None, ""
            reasons.append(f"{op!r} is Poetry/npm syntax; pip needs a range")
            out.append(converted)
            continue
        if version.endswith(".*") and op not in ("==", "!="):
            reasons.append(f"'.*' only works with '==' and '!=', not {op!r}")
            version = version[:-2]
        out.append(op + version)
    if not reasons:
        return None, ""
    return ",".join(out), "; ".join(reasons)
