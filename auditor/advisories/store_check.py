"""Is an offline advisory store one this code can read? Its tables, columns, schema version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1
REPAIR = "rebuild it with `auditor db update` or `auditor db import FILE`"

# The columns each table must have (PRAGMA table_info order) for this code to read it.
_TABLES = {
    "meta": ("key", "value"),
    "sources": ("name", "kind", "origin", "imported_at", "records", "withdrawn",
                "newest_modified"),
    "records": ("source", "id", "modified", "data"),
    "affected": ("name", "source", "id"),
}  # fmt: skip


def schema_problem(conn: sqlite3.Connection) -> str | None:
    """Return why an open store is not one this code reads (schema version, tables, columns).

    Raises:
        sqlite3.DatabaseError: when SQLite cannot read the file at all.
    """
    for table, columns in _TABLES.items():
        found = tuple(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
        if found != columns:
            return f"another schema: table {table!r} " + ("missing" if not found else "differs")
    row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    if row is None or row[0] != str(SCHEMA_VERSION):
        return f"schema version {row[0] if row else 'missing'}, expected {SCHEMA_VERSION}"
    return None


def damaged_message(path: Path, problem: str) -> str:
    """Return the report text for a damaged store: what, why, and the repairing command."""
    return f"offline advisory store {path} is damaged ({problem}); {REPAIR}"


__all__ = ["REPAIR", "SCHEMA_VERSION", "damaged_message", "schema_problem"]
