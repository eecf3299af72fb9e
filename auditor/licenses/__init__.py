"""Licenses: metadata to SPDX expressions and policy."""
