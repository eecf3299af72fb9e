"""Auditor: a supply-chain and dependency auditor for Python repositories."""

__version__ = "0.1.0"

__all__ = ["__version__"]
