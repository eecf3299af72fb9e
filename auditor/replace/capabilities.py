"""What a piece of code can reach (network, processes, eval, files ...), read from its AST.

A draft may not reach further than the original's used part: `excess` compares the two. The
optional static security check runs bandit (a well-kept scanner) when it is installed and says
so when it is not.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

_MODULES = {
    "network": {
        "socket",
        "ssl",
        "http",
        "urllib",
        "requests",
        "httpx",
        "aiohttp",
        "ftplib",
        "smtplib",
        "telnetlib",
        "xmlrpc",
        "asyncio",
        "websocket",
        "websockets",
        "urllib3",
    },
    "subprocess": {"subprocess", "pty", "multiprocessing", "pexpect"},
    "native": {"ctypes", "cffi", "_ctypes"},
    "serialization": {"pickle", "marshal", "shelve", "dill", "cloudpickle"},
    "filesystem": {"shutil", "tempfile", "glob"},
    "environment": set(),
    "dynamic-import": {"importlib", "imp", "runpy"},
}
_CALLS = {
    "eval": "eval",
    "exec": "eval",
    "compile": "eval",
    "__import__": "dynamic-import",
    "open": "filesystem",
    "breakpoint": "debugger",
    "input": "console-input",
}
_ATTRS = {
    "system": "subprocess",
    "popen": "subprocess",
    "spawnv": "subprocess",
    "execv": "subprocess",
    "execve": "subprocess",
    "fork": "subprocess",
    "environ": "environment",
    "getenv": "environment",
    "putenv": "environment",
    "remove": "filesystem",
    "unlink": "filesystem",
    "rmdir": "filesystem",
    "rename": "filesystem",
    "write_text": "filesystem",
    "write_bytes": "filesystem",
    "mkdir": "filesystem",
    "chmod": "filesystem",
    "urlopen": "network",
    "create_connection": "network",
}


def capabilities(code: str) -> dict[str, list[int]]:
    """Return capability -> lines where the code reaches it (unparseable code: ``syntax``)."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return {"syntax": [exc.lineno or 0]}
    found: dict[str, set[int]] = {}

    def add(kind: str, line: int) -> None:
        found.setdefault(kind, set()).add(line)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for name in names:
                top = name.split(".")[0]
                for kind, modules in _MODULES.items():
                    if top in modules:
                        add(kind, node.lineno)
            if isinstance(node, ast.ImportFrom) and node.module == "os":
                for alias in node.names:
                    if alias.name in _ATTRS:
                        add(_ATTRS[alias.name], node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in _CALLS:
                add(_CALLS[node.func.id], node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr in _ATTRS:
            add(_ATTRS[node.attr], node.lineno)
        elif isinstance(node, ast.Name) and node.id in ("globals", "__builtins__"):
            add("introspection", node.lineno)
    return {k: sorted(v) for k, v in sorted(found.items())}


def excess(draft: str, original: str) -> dict[str, list[int]]:
    """Capabilities the draft reaches that the original's used part does not."""
    mine, theirs = capabilities(draft), capabilities(original)
    return {k: v for k, v in mine.items() if k not in theirs}


def imported_distributions(code: str) -> tuple[str, ...]:
    """Top-level modules the code imports that are not in the standard library."""
    import sys

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return tuple(sorted(found - set(sys.stdlib_module_names) - {"__future__"}))


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityScan:
    """The static security check's verdict on a draft."""

    tool: str
    ran: bool
    issues: tuple[str, ...] = ()
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        """Return the JSON form used in the verification report."""
        return {
            "tool": self.tool,
            "ran": self.ran,
            "issues": list(self.issues),
            "detail": self.detail,
        }


def security_scan(code: str, *, timeout: float = 60.0) -> SecurityScan:
    """Run bandit on `code` when it is installed (it only parses the code, never runs it)."""
    import importlib.util

    # Only its presence: it runs as `python -m bandit` (importing it here costs and warns).
    if importlib.util.find_spec("bandit") is None:
        return SecurityScan(
            tool="bandit", ran=False, detail="bandit is not installed (pip install bandit)"
        )
    folder = Path(tempfile.mkdtemp(prefix="auditor-bandit-"))
    try:
        target = folder / "draft.py"
        target.write_text(code, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "bandit", "-q", "-f", "json", str(target)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SecurityScan(tool="bandit", ran=False, detail=f"bandit did not run: {exc}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    try:
        report = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        return SecurityScan(tool="bandit", ran=False, detail="bandit printed no JSON report")
    issues = tuple(
        f"line {r.get('line_number')}: {r.get('test_id')} {r.get('issue_text')} "
        f"({r.get('issue_severity')})"
        for r in report.get("results", [])
        if r.get("issue_severity") in ("MEDIUM", "HIGH")
    )
    return SecurityScan(tool="bandit", ran=True, issues=issues)


__all__ = ["SecurityScan", "capabilities", "excess", "imported_distributions", "security_scan"]
