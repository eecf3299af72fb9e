"""Find every install command in a shell line: ``;``, ``&&``, ``||``, pipes, subshells, ``-c``.

The line is split with `shlex` (POSIX rules, operators as their own tokens), into simple
commands; wrappers (``sudo``, ``env``, ``time``, ``nohup``, ``nice``, ``command``, ``exec``,
``xargs``, variable assignments) are stripped; ``bash -c '...'`` and the like are read
recursively; ``%pip`` and ``!pip`` (notebook lines) count as ``pip``. A line that cannot be
split (an open quote) but mentions an installer is reported as unreadable, never as clean.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, replace

from auditor.guard.commands import InstallCommand, parse_install

_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", "|&", ";;", "{", "}", "!"})
_REDIRECTS = re.compile(r"^\d*(>>?|<<?<?|>&|<&|&>>?)$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish"})
_WRAPPER_VALUE = {
    "sudo": frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"}),
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after"}),
    "xargs": frozenset({"-I", "-L", "-n", "-P", "-s", "-d", "-E", "-a"}),
    "time": frozenset({"-f", "-o"}),
    "nohup": frozenset(),
    "command": frozenset(),
    "exec": frozenset({"-a"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
}
_MENTIONS_INSTALLER = re.compile(
    r"\b(pip[0-9.]*|uv|uvx|poetry|pipx)\b[^\n]*\b(install|add|run|inject)\b|\buvx\b"
)
_MAX_DEPTH = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class ShellInstalls:
    """The install commands of a shell line, and the parts that could not be read."""

    commands: tuple[InstallCommand, ...] = ()
    unreadable: tuple[str, ...] = ()


def _tokens(line: str) -> list[str]:
    text = line.replace("\\\n", " ").replace("\r\n", "\n").replace("\n", " ; ")
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def _simple_commands(tokens: list[str]) -> list[list[str]]:
    commands: list[list[str]] = [[]]
    skip_next = False
    for index, token in enumerate(tokens):
        if skip_next:
            skip_next = False
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if token.isdigit() and _REDIRECTS.match(following):
            continue  # the descriptor of 2>/dev/null
        if token in _SEPARATORS:
            commands.append([])
        elif _REDIRECTS.match(token):
            skip_next = True  # the file name after > or <
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def _unwrap(argv: list[str]) -> tuple[list[str], bool]:
    """Strip assignments and wrappers; return (argv, whether xargs feeds it arguments)."""
    fed = False
    while argv:
        head = argv[0].rsplit("/", 1)[-1]
        if _ASSIGNMENT.match(argv[0]):
            argv = argv[1:]
        elif head in _WRAPPER_VALUE:
            fed = fed or head == "xargs"
            values = _WRAPPER_VALUE[head]
            argv = argv[1:]
            if head == "timeout" and argv and not argv[0].startswith("-"):
                argv = argv[1:]  # the duration
            while argv and (argv[0].startswith("-") or _ASSIGNMENT.match(argv[0])):
                option = argv.pop(0)
                if option in values and argv:
                    argv.pop(0)
        else:
            break
    return argv, fed


def _shell_script(argv: list[str]) -> str | None:
    """Return the script of ``bash -c 'SCRIPT'`` (and other shells), else None."""
    if not argv or argv[0].rsplit("/", 1)[-1] not in _SHELLS:
        return None
    for index, arg in enumerate(argv[1:], start=1):
        if arg == "-c" or (arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]):
            return argv[index + 1] if index + 1 < len(argv) else None
    return None


def find_installs(line: str, *, depth: int = 0) -> ShellInstalls:
    """Return every install command in a shell line (see the module docstring)."""
    try:
        tokens = _tokens(line)
    except ValueError:
        if _MENTIONS_INSTALLER.search(line):
            return ShellInstalls(unreadable=(line.strip(),))
        return ShellInstalls()
    found: list[InstallCommand] = []
    unreadable: list[str] = []
    directory = ""
    for argv in _simple_commands(tokens):
        argv, fed = _unwrap(argv)
        if argv[:1] == ["cd"]:
            target = argv[1] if len(argv) > 1 else "~"
            directory = posixpath.normpath(posixpath.join(directory or ".", target))
            continue
        script = _shell_script(argv)
        if script is not None and depth < _MAX_DEPTH:
            inner = find_installs(script, depth=depth + 1)
            found.extend(inner.commands)
            unreadable.extend(inner.unreadable)
            continue
        for index, token in enumerate(argv):
            # `$(pip install x)` / backticks: shlex keeps them in one word; read them too.
            if ("$(" in token or "`" in token) and depth < _MAX_DEPTH:
                inner_text = token.replace("$(", " ").replace("`", " ").replace(")", " ")
                inner = find_installs(inner_text, depth=depth + 1)
                found.extend(inner.commands)
                unreadable.extend(inner.unreadable)
                if index == 0:
                    argv = []
        command = parse_install(argv) if argv else None
        if command is None:
            continue
        if fed:
            command = _with_unknown(command, "arguments read from standard input (xargs)")
        if directory:
            command = replace(command, directory=directory)
        found.append(command)
    return ShellInstalls(commands=tuple(found), unreadable=tuple(unreadable))


def _with_unknown(command: InstallCommand, what: str) -> InstallCommand:
    return replace(command, unknown=(*command.unknown, what))


__all__ = ["ShellInstalls", "find_installs"]
