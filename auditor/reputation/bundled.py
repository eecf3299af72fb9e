"""The popular-package list that ships with Auditor, used when none was imported.

``rules/policy/top-pypi-packages.txt.gz`` (in the wheel under ``auditor/_rules``) holds the 5,000
most downloaded projects in rank order, one ``name<TAB>downloads`` a line, after ``#`` header
lines naming its source and date. It is derived from Hugo van Kemenade's top-pypi-packages
(``top-pypi-packages-30-days.json``: 30-day download counts; cite "Hugo van Kemenade,
top-pypi-packages"), with the counts rounded to three significant figures so the file stays
small. Regenerate it from a newer copy of that JSON with::

    python -m auditor.reputation.bundled top-pypi-packages.json

A list imported into the store (``auditor db update`` / ``auditor db import``) takes precedence.
"""

from __future__ import annotations

import gzip
import json
import math
import sys
import zlib
from pathlib import Path

from auditor.model import normalize_name
from auditor.reputation.popular_list import PopularList, PopularPackage, parse_popular

BUNDLED_FILE = "top-pypi-packages.txt.gz"
BUNDLED_COUNT = 5000
ORIGIN = "hugovk/top-pypi-packages, 30-day downloads"


def bundled_path() -> Path:
    """Return where the shipped list lives (``<rules>/policy/top-pypi-packages.txt.gz``)."""
    from auditor.config import rules_dir

    return rules_dir() / "policy" / BUNDLED_FILE


def _round(count: int) -> int:
    """Round a download count to three significant figures."""
    if count < 1000:
        return count
    return round(count, 2 - int(math.log10(count)))


def render_bundled(popular: PopularList, count: int = BUNDLED_COUNT) -> bytes:
    """Return the gzip bytes of the shipped-list file for the `count` first projects.

    The output depends only on the list (gzip's timestamp is zero), so regenerating from the
    same data gives the same bytes.
    """
    lines = [
        "# Auditor's bundled popular-package list: the most downloaded projects, in rank order.",
        f"# source: {ORIGIN} (top-pypi-packages-30-days.json);",
        '# cite "Hugo van Kemenade, top-pypi-packages"; counts rounded to 3 significant figures.',
        f"# last_update: {popular.last_update or 'unknown'}",
        f"# count: {min(count, len(popular))}",
    ]
    lines += [f"{p.display_name}\t{_round(p.downloads)}" for p in popular.top(count)]
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)


def parse_bundled(text: str, where: str) -> PopularList | None:
    """Read the shipped-list text; None when it holds no valid rows."""
    last_update: str | None = None
    packages: list[PopularPackage] = []
    seen: set[str] = set()
    for line in text.splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            if key.strip() == "last_update" and value.strip() != "unknown":
                last_update = value.strip()
            continue
        display, _, count = line.partition("\t")
        if not display.strip() or not count.strip().isdigit():
            continue
        name = normalize_name(display.strip())
        if name in seen:
            continue
        seen.add(name)
        packages.append(PopularPackage(name=name, display_name=display.strip(),
                                       rank=len(packages) + 1, downloads=int(count)))  # fmt: skip
    if not packages:
        return None
    return PopularList(
        packages=tuple(packages),
        source=f"bundled: {ORIGIN}, {where}",
        last_update=last_update,
        bundled=True,
    )


def load_bundled(path: Path | None = None) -> PopularList | None:
    """Return the shipped list, or None when the file is missing or unreadable."""
    path = path or bundled_path()
    try:
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError):
        return None
    return parse_bundled(text, path.name)


def main(argv: list[str]) -> int:
    """Write the shipped list from a top-packages JSON file (``SOURCE [OUT] [--count N]``)."""
    args = list(argv)
    count = BUNDLED_COUNT
    if "--count" in args:
        at = args.index("--count")
        count = int(args[at + 1])
        del args[at : at + 2]
    if not args:
        sys.stderr.write("usage: python -m auditor.reputation.bundled SOURCE [OUT] [--count N]\n")
        return 2
    source = Path(args[0])
    out = Path(args[1]) if len(args) > 1 else bundled_path()
    popular = parse_popular(json.loads(source.read_text(encoding="utf-8")), str(source))
    out.write_bytes(render_bundled(popular, count))
    sys.stdout.write(f"wrote {min(count, len(popular))} names to {out}\n")
    return 0


__all__ = [
    "BUNDLED_COUNT",
    "BUNDLED_FILE",
    "bundled_path",
    "load_bundled",
    "parse_bundled",
    "render_bundled",
]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
