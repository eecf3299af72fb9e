"""The harness the sandbox runs (copied into the sandbox folder; never imported by Auditor).

Usage inside the sandbox: ``python -I -S -B harness.py MODULE [--trace]``. It reads
``cases.pickle`` (written by Auditor: trusted), installs an audit hook that refuses sockets,
subprocesses, ctypes and file access outside the sandbox folder and the interpreter's library,
imports MODULE from ``subject/``, calls every case with deep copies of its arguments and prints
one JSON line after a marker: canonical forms of return values, raised exception types and the
arguments after the call, plus every refused action. Only JSON leaves the sandbox.
"""

# Runs inside the sandbox with the fewest imports (os.path, not pathlib); it catches every
# exception of the code under test on purpose (the type is the result) and unpickles only the
# cases Auditor itself wrote.
# ruff: noqa: PTH100, PTH115, PTH118, PTH120, PTH123, PTH206, BLE001, S301, SIM105

from __future__ import annotations

import copy
import importlib
import itertools
import json
import os
import pickle
import re
import signal
import sys
import types
from typing import Any

MARKER = "@@AUDITOR-RESULT@@"
ROOT = os.path.dirname(os.path.abspath(__file__))
SUBJECT = os.path.join(ROOT, "subject")
# The standard library only: installed distributions (site-packages) stay out of reach, so a
# draft cannot import the very package it replaces.
_LIBRARY = (os.path.realpath(os.path.dirname(os.__file__)) + os.sep,)
_INSTALLED = ("site-packages", "dist-packages")
_BLOCKED_PREFIXES = (
    "socket.",
    "ctypes.",
    "subprocess.",
    "os.exec",
    "os.spawn",
    "os.posix_spawn",
    "pty.",
    "os.fork",
    "os.kill",
    "os.killpg",
    "winreg.",
    "webbrowser.",
    "urllib.Request",
    "http.client.",
    "ftplib.",
    "smtplib.",
    "telnetlib.",
    "poplib.",
    "imaplib.",
    "nntplib.",
)
_BLOCKED_EVENTS = {"os.system", "os.fork", "os.forkpty", "sys.addaudithook", "os.startfile"}
_BLOCKED_IMPORTS = {
    "_socket",
    "socket",
    "_posixsubprocess",
    "subprocess",
    "_ctypes",
    "ctypes",
    "multiprocessing",
    "pty",
    "_ssl",
    "ssl",
}
_PATH_EVENTS = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.symlink",
    "os.link",
    "os.truncate",
    "os.utime",
    "shutil.rmtree",
    "shutil.move",
    "shutil.copyfile",
}
_LIST_EVENTS = {"os.listdir", "os.scandir"}
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
VIOLATIONS: list[str] = []
_ARMED = [False]


def _inside(path: object, *, write: bool) -> bool:
    if isinstance(path, int):
        return True  # an already open descriptor
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str):
        return False
    real = os.path.realpath(os.path.join(ROOT, path))
    if real == ROOT or real.startswith(ROOT + os.sep):
        return True
    if write:
        return False
    if real.startswith(_LIBRARY):
        return not any(part in _INSTALLED for part in real.split(os.sep))
    return real in ("/dev/urandom", "/dev/null")


def _refuse(what: str) -> None:
    VIOLATIONS.append(what[:300])
    try:  # also on stderr: code that clears VIOLATIONS cannot hide the refusal
        os.write(2, f"\nsandbox-refused: {what[:300]}\n".encode("utf-8", "replace"))
    except OSError:
        pass
    raise PermissionError(f"sandbox: {what[:300]}")


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _ARMED[0]:
        return
    if event in _BLOCKED_EVENTS or event.startswith(_BLOCKED_PREFIXES):
        _refuse(f"{event} refused")
    elif event == "import" and args and str(args[0]).split(".")[0] in _BLOCKED_IMPORTS:
        _refuse(f"import of {args[0]} refused")
    elif event == "open":
        path, mode = args[0], args[1]
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        write = bool(mode and any(c in str(mode) for c in "wax+")) or bool(
            flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC)
        )
        if not _inside(path, write=write):
            _refuse(f"open({path!r}, {'write' if write else 'read'}) outside the sandbox")
    elif event in _LIST_EVENTS:
        if args and isinstance(args[0], str | bytes) and not _inside(args[0], write=False):
            _refuse(f"{event}({args[0]!r}) outside the sandbox")
    elif event in _PATH_EVENTS:
        for path in args[:2]:
            if isinstance(path, str | bytes) and not _inside(path, write=True):
                _refuse(f"{event}({path!r}) outside the sandbox")


def canon(value: Any, depth: int = 0) -> Any:
    """A JSON form of `value` that two equivalent implementations share."""
    if depth > 12:
        return ["deep"]
    if value is None or isinstance(value, bool | str):
        return [type(value).__name__, value]
    if isinstance(value, int):
        return [type(value).__name__, value if abs(value) < 2**53 else repr(value)]
    if isinstance(value, float | complex):
        return [type(value).__name__, repr(value)]
    if isinstance(value, bytes | bytearray):
        return [type(value).__name__, bytes(value[:4096]).hex()]
    if isinstance(value, list | tuple):
        return [type(value).__name__, [canon(v, depth + 1) for v in value[:1000]]]
    if isinstance(value, set | frozenset):
        items = sorted(json.dumps(canon(v, depth + 1)) for v in itertools.islice(value, 1000))
        return [type(value).__name__, items]
    if isinstance(value, dict):
        pairs = list(itertools.islice(value.items(), 1000))
        return [
            type(value).__name__,
            [[canon(k, depth + 1), canon(v, depth + 1)] for k, v in pairs],
        ]
    if isinstance(value, types.GeneratorType | map | filter | zip | itertools.chain):
        return ["iterator", [canon(v, depth + 1) for v in itertools.islice(value, 1000)]]
    if isinstance(value, types.FunctionType | types.BuiltinFunctionType | types.MethodType):
        return ["callable", getattr(value, "__qualname__", "?")]
    if isinstance(value, type):
        return ["type", value.__qualname__]
    state = getattr(value, "__dict__", None)
    if isinstance(state, dict):
        return [type(value).__qualname__, canon(dict(sorted(state.items())), depth + 1)]
    return [type(value).__qualname__, _ADDRESS.sub("", repr(value))[:500]]


def _timeout(_signum: int, _frame: object) -> None:
    raise TimeoutError("one call took longer than 2 s")


_MODULES: dict[str, types.ModuleType | str] = {}


def _module_for(default: types.ModuleType, name: str | None) -> types.ModuleType | str:
    """The case's own module (the package's tests), imported once; a string is its error."""
    if name is None:
        return default
    if name not in _MODULES:
        try:
            _MODULES[name] = importlib.import_module(name)
        except BaseException as exc:
            _MODULES[name] = f"{type(exc).__name__}: {exc}"[:300]
    return _MODULES[name]


def _run_case(default: types.ModuleType, case: dict[str, Any]) -> dict[str, Any]:
    module = _module_for(default, case.get("module"))
    if isinstance(module, str):
        return {"raises": "ImportError", "detail": module}
    target = getattr(module, case["name"], None)
    if target is None:
        return {"missing": case["name"]}
    if case.get("value"):
        return {"value": canon(target)}
    args = copy.deepcopy(case["args"])
    kwargs = copy.deepcopy(case["kwargs"])
    signal.alarm(2)
    try:
        result: dict[str, Any] = {"value": canon(target(*args, **kwargs))}
    except BaseException as exc:
        result = {"raises": type(exc).__name__}
    finally:
        signal.alarm(0)
    result["args_after"] = canon([args, kwargs])
    return result


def main() -> None:
    """Run every case against the subject module and print the JSON result."""
    module_name = sys.argv[1]
    trace = "--trace" in sys.argv
    with open(os.path.join(ROOT, "cases.pickle"), "rb") as handle:
        cases = pickle.load(handle)
    try:
        netns = os.readlink("/proc/self/ns/net")
    except OSError:
        netns = ""
    sys.path.insert(0, SUBJECT)
    signal.signal(signal.SIGALRM, _timeout)
    lines: set[tuple[str, int]] = set()

    def tracer(frame: types.FrameType, event: str, _arg: object) -> Any:
        filename = frame.f_code.co_filename
        if not filename.startswith(SUBJECT):
            return None
        if event == "line":
            lines.add((os.path.relpath(filename, SUBJECT), frame.f_lineno))
        return tracer

    sys.addaudithook(_hook)
    _ARMED[0] = True
    out: dict[str, Any] = {"netns": netns, "import_error": None, "results": []}
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:
        out["import_error"] = f"{type(exc).__name__}: {exc}"[:500]
        module = None
    if module is not None:
        if trace:
            sys.settrace(tracer)
        out["results"] = [_run_case(module, case) for case in cases]
        sys.settrace(None)
    out["violations"] = list(VIOLATIONS)
    out["lines"] = sorted(lines)
    sys.stdout.write("\n" + MARKER + json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
