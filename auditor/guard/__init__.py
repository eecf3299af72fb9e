"""Vet before install: `auditor vet`, `auditor guard -- INSTALLER ...` and the agent hook."""
