"""Read an installer's command line: which packages, files and indexes it would install from.

Understood: ``pip install`` (``pip3``, ``pip3.12``, ``python -m pip``), ``uv pip install``,
``uv add``, ``uv tool install|run`` and ``uvx``, ``poetry add``, ``pipx install|run|inject``.
Options that take a value are known per installer so their values are never read as package
names; ``--opt=value`` works too. Anything else is not an install (`parse_install` -> None).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

# Options that take a value, per installer family (short and long spellings).
_PIP_VALUE = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
    "--platform", "--python-version", "--implementation", "--abi", "--src", "--upgrade-strategy",
    "--progress-bar", "--log", "--log-file", "--cache-dir", "--cert", "--client-cert",
    "--proxy", "--retries", "--timeout", "--exists-action", "--trusted-host", "--no-binary",
    "--only-binary", "-C", "--config-settings", "--global-option", "--install-option",
    "--report", "--python", "--root-user-action", "--keyring-provider", "--use-feature",
    "--use-deprecated", "--group", "--build-constraint", "-p", "--index", "--default-index",
    "--index-strategy", "--resolution", "--prerelease", "--exclude-newer", "--link-mode",
    "--overrides", "--excludes", "--python-platform", "--refresh-package", "--reinstall-package",
    "--upgrade-package", "-P", "--no-binary-package", "--only-binary-package", "--torch-backend",
    "--config-file", "--directory", "--project", "--color", "--allow-insecure-host",
})  # fmt: skip
_UV_ADD_VALUE = _PIP_VALUE | {
    "--optional", "--extra", "--package", "--tag", "--branch", "--rev", "--bounds", "-m",
    "--marker", "--script", "--group", "--dev-group", "--raw-sources", "--frozen-at",
}  # fmt: skip
_POETRY_VALUE = frozenset({
    "-G", "--group", "-E", "--extras", "--source", "--python", "--platform", "--markers",
    "-C", "--directory", "-P", "--project",
})  # fmt: skip
_PIPX_VALUE = frozenset({
    "--python", "--suffix", "--pip-args", "--index-url", "-i", "--spec", "--preinstall",
    "--global", "--fetch-missing-python", "--backend", "--with", "--from", "-w",
})  # fmt: skip
# Global options of uv/poetry/python that come before the subcommand and take a value.
_UV_GLOBAL_VALUE = frozenset({"--directory", "--project", "--cache-dir", "--config-file",
                              "--color", "--allow-insecure-host"})  # fmt: skip
_PYTHON_VALUE = frozenset({"-W", "-X", "-c", "-Q"})
_PIP_NAME = re.compile(r"^pip(\d+(\.\d+)?)?$")
_PYTHON_NAME = re.compile(r"^(python|pypy)(\d+(\.\d+)?)?(\.exe)?$|^py$")
_ARCHIVE = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".egg")


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallCommand:
    """One installer invocation: what it names and where it would take packages from.

    `requirements` are PEP 508 strings typed on the line; `files` requirements files (``-r``);
    `constraint_files` constraint files; `local` paths of the user's own code or archives;
    `remote` URLs and VCS links (their code cannot be vetted by name); `unknown` arguments that
    could not be read (``$(...)``, xargs input): an honest "not vetted".
    """

    installer: str
    argv: tuple[str, ...]
    requirements: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    constraint_files: tuple[str, ...] = ()
    local: tuple[str, ...] = ()
    remote: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    directory: str = ""  # where the shell line had changed to (``cd app && pip install -r ...``)

    @property
    def names_anything(self) -> bool:
        """Whether the command names any package, file or path to install."""
        return bool(self.requirements or self.files or self.local or self.remote or self.unknown)


@dataclass(slots=True)
class _Reading:
    requirements: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    index_url: str | None = None
    extra: list[str] = field(default_factory=list)


def _basename(token: str) -> str:
    return posixpath.basename(token.replace("\\", "/")).lower()


def _classify(arg: str, reading: _Reading, *, poetry: bool = False) -> None:
    """Put one positional argument where it belongs."""
    text = arg.strip()
    if not text:
        return
    if "$(" in text or "`" in text or text.startswith("$"):
        reading.unknown.append(text)
    elif "://" in text or text.startswith(("git+", "hg+", "svn+", "bzr+")) or " @ " in text:
        reading.remote.append(text)
    elif (
        text.startswith((".", "/", "~"))
        or text.lower().endswith(_ARCHIVE)
        or ("/" in text and not poetry)
    ):
        reading.local.append(text)
    elif poetry:
        reading.requirements.append(poetry_requirement(text))
    else:
        reading.requirements.append(text)


def poetry_requirement(text: str) -> str:
    """Turn ``name@^1.2`` / ``name@latest`` / ``name==1.2`` (poetry add) into PEP 508."""
    if "@" not in text:
        return text
    name, _, constraint = text.partition("@")
    constraint = constraint.strip()
    if constraint in ("", "latest", "*"):
        return name
    from auditor.sources.poetry_constraint import UnsupportedConstraint, poetry_to_pep440

    try:
        return f"{name}{poetry_to_pep440(constraint)}"
    except UnsupportedConstraint:
        return name


def _read_options(
    args: Sequence[str], values: frozenset[str], reading: _Reading, *, poetry: bool = False,
    first_only: bool = False, skip_first: bool = False,
) -> None:  # fmt: skip
    """Read pip-like options and positionals (`first_only`: the rest are a program's args)."""
    index = 0
    positionals = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            continue
        if arg.startswith("-") and arg != "-":
            name, eq, inline = arg.partition("=")
            if (not eq and name in values) or (not eq and _short_with_value(name, values)):
                if name in values:
                    value = args[index] if index < len(args) else ""
                    index += 1
                else:
                    name, value = name[:2], name[2:]
            elif eq:
                value = inline
            else:
                continue
            _option(name, value, reading)
            continue
        positionals += 1
        if skip_first and positionals == 1:
            continue  # pipx inject VENV: the first positional names the environment
        _classify(arg, reading, poetry=poetry)
        if first_only:
            return


def _short_with_value(token: str, values: frozenset[str]) -> bool:
    """``-rfile`` / ``-ihttp://...``: a short option glued to its value."""
    return len(token) > 2 and not token.startswith("--") and token[:2] in values


def _option(name: str, value: str, reading: _Reading) -> None:
    if name in ("-r", "--requirement", "--requirements"):
        reading.files.append(value)
    elif name in ("-c", "--constraint", "--constraints"):
        reading.constraints.append(value)
    elif name in ("-e", "--editable"):
        _classify(value, reading)
    elif name in ("-i", "--index-url", "--default-index"):
        reading.index_url = value
    elif name in ("--extra-index-url", "--index"):
        reading.extra.append(value)
    elif name in ("--with", "-w", "--from", "--spec", "--preinstall"):
        _classify(value, reading)


def _skip_globals(args: Sequence[str], values: frozenset[str]) -> list[str]:
    rest = list(args)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option in values and rest:
            rest.pop(0)
    return rest


def _pip_args(argv: Sequence[str]) -> tuple[str, list[str]] | None:
    """Return ("pip", args after the executable) for pip, pip3, python -m pip; None otherwise."""
    head = _basename(argv[0]).removesuffix(".exe")
    if _PIP_NAME.match(head):
        return "pip", list(argv[1:])
    if _PYTHON_NAME.match(head):
        index = 1
        while index < len(argv):
            arg = argv[index]
            if arg == "-m" and index + 1 < len(argv):
                module = argv[index + 1]
                return (module, list(argv[index + 2 :])) if module == "pip" else None
            if arg.startswith("-m") and len(arg) > 2:
                return ("pip", list(argv[index + 1 :])) if arg[2:] == "pip" else None
            if not arg.startswith("-"):
                return None  # python script.py
            index += 2 if arg in _PYTHON_VALUE else 1
    return None


def parse_install(argv: Sequence[str]) -> InstallCommand | None:
    """Return the install `argv` performs, or None when it is not an install command."""
    if not argv:
        return None
    first = argv[0].lstrip("%!")
    argv = [first, *argv[1:]] if first else list(argv[1:])
    if not argv:
        return None
    head = _basename(argv[0]).removesuffix(".exe")
    reading = _Reading()
    installer: str | None = None
    pip = _pip_args(argv)
    if pip is not None:
        rest = _skip_globals(pip[1], _PIP_VALUE)
        if rest[:1] == ["install"]:
            installer = "pip install"
            _read_options(rest[1:], _PIP_VALUE, reading)
    elif head == "uv":
        rest = _skip_globals(argv[1:], _UV_GLOBAL_VALUE)
        if rest[:2] == ["pip", "install"]:
            installer = "uv pip install"
            _read_options(rest[2:], _PIP_VALUE, reading)
        elif rest[:1] == ["add"]:
            installer = "uv add"
            _read_options(rest[1:], _UV_ADD_VALUE, reading)
        elif rest[:2] in (["tool", "install"], ["tool", "run"]):
            installer = f"uv tool {rest[1]}"
            _read_options(rest[2:], _PIPX_VALUE | _PIP_VALUE, reading,
                          first_only=rest[1] == "run")  # fmt: skip
    elif head == "uvx":
        installer = "uvx"
        _read_options(argv[1:], _PIPX_VALUE | _PIP_VALUE, reading, first_only=True)
    elif head == "poetry":
        rest = _skip_globals(argv[1:], _POETRY_VALUE)
        if rest[:1] == ["add"]:
            installer = "poetry add"
            _read_options(rest[1:], _POETRY_VALUE, reading, poetry=True)
    elif head == "pipx":
        rest = _skip_globals(argv[1:], _PIPX_VALUE)
        if rest[:1] in (["install"], ["run"], ["inject"]):
            installer = f"pipx {rest[0]}"
            _read_options(rest[1:], _PIPX_VALUE, reading, first_only=rest[0] == "run",
                          skip_first=rest[0] == "inject")  # fmt: skip
    if installer is None:
        return None
    return InstallCommand(
        installer=installer,
        argv=tuple(argv),
        requirements=tuple(reading.requirements),
        files=tuple(reading.files),
        constraint_files=tuple(reading.constraints),
        local=tuple(reading.local),
        remote=tuple(reading.remote),
        unknown=tuple(reading.unknown),
        index_url=reading.index_url,
        extra_index_urls=tuple(reading.extra),
    )


__all__ = ["InstallCommand", "parse_install", "poetry_requirement"]
