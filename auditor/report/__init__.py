"""Output formats: one module per format, each exposing REPORTER."""
