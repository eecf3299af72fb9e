"""The command line: parse, wire stages together, map errors to exit codes."""
