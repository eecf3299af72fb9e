"""Replacement proposals for small risky dependencies."""
