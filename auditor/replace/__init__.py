"""Replace risky small dependencies: catalogue, slicer, LLM agent, sandboxed verifier, patch.

The flow (`auditor.replace.proposal.propose`): a known standard-library replacement from the
catalogue when one fits; else the slicer's deterministic draft of the used symbols; with an LLM
configured, the agent drafts a minimal reimplementation from that slice, the verifier checks
each draft in a sandbox against the original on the project's use, and the failures go back to
the model. The result is a patch a person applies; nothing here writes into the scanned tree.
"""
