"""Run the command line with ``python -m auditor``."""

from auditor.cli.main import entry_point

entry_point()
