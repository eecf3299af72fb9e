"""pip's option syntax inside requirements files: which options there are, and splitting a line.

A requirements line is split at its first space-separated token starting with ``-`` (as pip
does): what comes before is the requirement, what follows its options (``--hash``, ``-C``...).
A line of options alone (``-r other.txt``, ``-i URL``, ``--pre``) configures pip.
"""

from __future__ import annotations

import shlex

__all__ = ["FLAG_OPTIONS", "VALUE_OPTIONS", "option_tokens", "parse_options", "split_args_options"]

# Options that take a value, in requirements files (pip's own table, plus per-requirement ones).
VALUE_OPTIONS = frozenset(
    {
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--no-binary",
        "--only-binary",
        "--trusted-host",
        "--use-feature",
        "--global-option",
        "--install-option",
        "-C",
        "--config-settings",
        "--hash",
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
    }
)
FLAG_OPTIONS = frozenset({"--no-index", "--pre", "--prefer-binary", "--require-hashes"})


def split_args_options(content: str) -> tuple[str, str]:
    """Split a line at the first space-separated token that starts with ``-`` (as pip does)."""
    tokens = content.split(" ")
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:index]).strip(), " ".join(tokens[index:]).strip()
    return content.strip(), ""


def option_tokens(options: str) -> list[str]:
    """Split the options part of a line like a shell would (plain split if quotes are bad)."""
    try:
        return shlex.split(options, posix=True)
    except ValueError:
        return options.split()


def parse_options(tokens: list[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Return ([(option, value)], [unknown options]) from option tokens."""
    found: list[tuple[str, str | None]] = []
    unknown: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if not token.startswith("-"):
            continue  # stray text after options: pip ignores it too
        name, eq, value = token.partition("=")
        if name in VALUE_OPTIONS:
            if eq:
                found.append((name, value))
            elif i < len(tokens):
                found.append((name, tokens[i]))
                i += 1
            else:
                found.append((name, None))
        elif name in FLAG_OPTIONS:
            found.append((name, None))
        elif not name.startswith("--") and len(name) > 2 and name[:2] in VALUE_OPTIONS:
            found.append((name[:2], token[2:]))  # -rfile.txt, -ihttps://...
        else:
            unknown.append(token)
    return found, unknown
