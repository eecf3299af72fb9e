"""Checks: one module per concern, each exposing CHECK."""
