"""Import scanning and module -> distribution mapping."""
