"""Advisories: OSV API client, offline OSV store, version-range matching."""
