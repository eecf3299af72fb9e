"""What an install would bring: a real resolver (uv, else pip), wheels only, cached.

`resolver.resolve` answers one request; `manifests.resolve_manifests` resolves a scan's unlocked
manifests into graph inputs (``auditor scan --resolve``); `auditor.guard` vets with it before
anything is installed. No sdist is ever built, so no package code runs.
"""
