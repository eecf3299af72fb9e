"""The rule engine: the rule schema and the loader of the top-level rules/ catalogue."""

from auditor.rules.catalog import Rule, RuleCatalog, load_rules

__all__ = ["Rule", "RuleCatalog", "load_rules"]
