"""Entry point: parse arguments, run the command, map errors to exit codes (the only place)."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
from typing import TextIO

from auditor import __version__

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERNAL = 4

# Each command lives in auditor/cli/<name>.py with register(subparsers) and run(args, io); a
# name listed here without its module is a bug, so the import error propagates.
COMMANDS = (
    "scan",
    "graph",
    "why",
    "rules",
    "db",
    "fix",
    "report",
    "baseline",
    "licenses",
    "vet",
    "guard",
    "fleet",
    "replace",
)


class Streams:
    """The output streams a command writes to (stdout for reports, stderr for people)."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err

    def say(self, message: str) -> None:
        """Write one message line to stderr, escaped (no control characters, no raw newline)."""
        from auditor.cli.terminal import one_line

        self.err.write(one_line(message, limit=20_000) + "\n")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]  # raise instead of exit
        raise _UsageError(f"{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available command."""
    parser = _Parser(
        prog="auditor",
        description="Audit a Python repository's dependencies: pins, vulnerabilities, "
        "reputation and imports.",
    )
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output on stderr"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"auditor.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None, *, out: TextIO | None = None,
         err: TextIO | None = None) -> int:  # fmt: skip
    """Run the CLI and return its exit code (tests call this in-process).

    An unexpected exception (a bug) exits with `EXIT_INTERNAL`: one line on stderr names the
    file holding the traceback.
    """
    streams = Streams(out or sys.stdout, err or sys.stderr)
    args_list = sys.argv[1:] if argv is None else argv
    if args_list in (["--version"], ["-V"]):
        streams.out.write(f"auditor {__version__}\n")
        return EXIT_OK
    args: argparse.Namespace | None = None
    handler: logging.Handler | None = None
    try:
        try:
            args = build_parser().parse_args(args_list)
        except _UsageError as exc:
            streams.say(str(exc))
            return EXIT_USAGE
        except SystemExit as exc:  # --help and --version exit through argparse
            return int(exc.code or 0)
        handler = _setup_logging(args, streams)
        if handler is None:
            return EXIT_USAGE
        if not getattr(args, "command", None):
            build_parser().print_help(streams.err)
            return EXIT_USAGE
        return _run(args, streams)
    except Exception as exc:  # noqa: BLE001 - a bug: one line here, the traceback in a file
        from auditor.cli.crash import report_crash

        streams.say(report_crash(exc, args_list, getattr(args, "cache_dir", None)))
        return EXIT_INTERNAL
    finally:
        if handler is not None:
            from auditor.cli.terminal import remove_log_handler

            remove_log_handler(handler)


def _setup_logging(args: argparse.Namespace, streams: Streams) -> logging.Handler | None:
    """Send log records to stderr through the safe formatter; None when the level is invalid."""
    from auditor.cli.terminal import install_log_handler

    default_level = "DEBUG" if args.verbose > 1 else "INFO" if args.verbose else "WARNING"
    level = (os.environ.get("AUDITOR_LOGLEVEL") or default_level).upper()
    if not isinstance(logging.getLevelNamesMapping().get(level), int):
        streams.say(f"auditor: configuration error: AUDITOR_LOGLEVEL: unknown level {level!r}")
        return None
    if args.verbose < 2:
        # urllib3 logs every retry; Auditor reports unreachable sources itself.
        logging.getLogger("urllib3").setLevel(logging.ERROR)
    return install_log_handler(streams.err, level)


def _run(args: argparse.Namespace, streams: Streams) -> int:
    """Run the command; map Auditor's own errors to exit codes (anything else is a bug)."""
    from auditor.errors import AuditorError, ConfigError, RuleError

    try:
        code: int = args.run(args, streams)
    except ConfigError as exc:
        streams.say(f"auditor: configuration error: {exc}")
        return EXIT_USAGE
    except ExceptionGroup as group:
        rule_errors, rest = group.split(RuleError)
        if rest is not None or rule_errors is None:
            raise
        for problem in rule_errors.exceptions:
            streams.say(f"auditor: rule error: {problem}")
        return EXIT_USAGE
    except RuleError as exc:
        streams.say(f"auditor: rule error: {exc}")
        return EXIT_USAGE
    except AuditorError as exc:
        streams.say(f"auditor: {exc}")
        return EXIT_INCOMPLETE
    except KeyboardInterrupt:
        streams.say("auditor: interrupted")
        return 130
    return code


def entry_point() -> None:
    """Console-script entry: exit with `main`'s code."""
    # A run makes many objects and few reference cycles: at the default thresholds the
    # collector walked the whole heap again and again (0.1-0.2 s of a 1,000-package audit).
    gc.set_threshold(10_000, 10, 10)
    sys.exit(main())


__all__ = [
    "EXIT_FINDINGS",
    "EXIT_INCOMPLETE",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "Streams",
    "main",
]
