"""License facts of a scan: environment first, then the index (project, version, METADATA)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FakeIndex, Fault, LoopbackServer, serve

from auditor.config import Config, load_config
from auditor.context import RunContext
from auditor.licenses.lookup import LicenseAnswers, gather_licenses
from auditor.licenses.model import LicenseMetadata, Source
from auditor.scanning import scan_inputs

OLD = "2024-01-01T00:00:00Z"
NEW = "2024-06-01T00:00:00Z"
META = "Metadata-Version: 2.4\nName: meta-only\nVersion: 1.0\nLicense: Apache 2.0\n"
REQUIREMENTS = """\
json-lib==1.0
newest-lib==2.0
meta-only==1.0
unpinned-lib
installed-lib==3.1
gone-lib==1.0
localpkg @ file:///opt/localpkg
"""


@pytest.fixture
def index() -> Iterator[tuple[FakeIndex, LoopbackServer]]:
    fake = FakeIndex()
    fake.add(
        "json-lib",
        {"1.0": OLD, "2.0": NEW},
        license_expression="Apache-2.0",
        version_info={"1.0": {"license_expression": "MIT"}},
    )
    fake.add(
        "newest-lib",
        {"1.0": OLD, "2.0": NEW},
        classifiers=["License :: OSI Approved :: ISC License (ISCL)"],
    )
    fake.add(
        "meta-only",
        {"1.0": OLD, "2.0": NEW},
        license="GPLv3",
        version_json=False,
        metadata={"1.0": META},
    )
    fake.add("unpinned-lib", {"1.0": OLD}, license="BSD")
    fake.add("installed-lib", {"3.1": OLD}, license="GPL-3.0-only")
    with serve(fake) as server:
        yield fake, server


def _config(root: Path, url: str, **env: str) -> Config:
    (root / "requirements.txt").write_text(REQUIREMENTS)
    values = {"AUDITOR_INDEX_URL": f"{url}/simple", "AUDITOR_CACHE_DIR": str(root / ".cache")}
    return load_config(root, env={**values, **env})


def _gather(config: Config) -> LicenseAnswers:
    scan = scan_inputs(config)
    context = RunContext(config=config)
    installed = {"installed-lib": ("3.1", LicenseMetadata(license="MIT"))}
    try:
        return gather_licenses(scan, context, {}, installed=installed)
    finally:
        context.close()


def test_every_source_in_order(index: tuple[FakeIndex, LoopbackServer], tmp_path: Path) -> None:
    _fake, server = index
    answers = _gather(_config(tmp_path, server.url))
    facts = {(f.name, f.version): f for f in answers.facts.facts}
    json_lib = facts[("json-lib", "1.0")]
    assert (json_lib.source, json_lib.expression) == (Source.INDEX_VERSION_JSON, "MIT")
    assert (json_lib.newest_version, json_lib.newest.expression if json_lib.newest else None) == (
        "2.0",
        "Apache-2.0",
    )
    newest = facts[("newest-lib", "2.0")]
    assert (newest.source, newest.expression) == (Source.INDEX_PROJECT_JSON, "ISC")
    assert newest.newest is None
    meta = facts[("meta-only", "1.0")]
    assert (meta.source, meta.expression) == (Source.INDEX_METADATA, "Apache-2.0")
    unpinned = facts[("unpinned-lib", None)]
    assert unpinned.source is Source.INDEX_PROJECT_JSON
    assert unpinned.normalized is not None
    assert unpinned.normalized.family == "BSD (variant not stated)"
    installed = facts[("installed-lib", "3.1")]
    assert (installed.source, installed.expression) == (Source.ENVIRONMENT, "MIT")
    gone = facts[("gone-lib", "1.0")]
    assert (gone.source, gone.expression) == (Source.NOT_ON_INDEX, None)
    local = [f for f in answers.facts.facts if f.name == "localpkg"]
    assert [f.source for f in local] == [Source.NOT_ON_INDEX]
    assert answers.incomplete == ()
    assert "license metadata of 7 package versions" in answers.data_sources[0].detail


def test_offline_run_reads_the_cache(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = index
    first = _gather(_config(tmp_path, server.url))
    before = len(server.requests)
    second = _gather(_config(tmp_path, server.url, AUDITOR_OFFLINE="1"))
    assert len(server.requests) == before  # not one request
    by_key = {(f.name, f.version): f for f in second.facts.facts}
    for fact in first.facts.facts:
        again = by_key[(fact.name, fact.version)]
        assert (again.source, again.expression) == (fact.source, fact.expression)
    assert by_key[("meta-only", "1.0")].from_cache
    assert second.incomplete == ()


def test_unreachable_index_is_not_checked(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = index
    server.faults["/"] = Fault(status=500)
    answers = _gather(_config(tmp_path, server.url, AUDITOR_RETRIES="0"))
    facts = {(f.name, f.version): f for f in answers.facts.facts}
    assert facts[("json-lib", "1.0")].source is Source.NOT_CHECKED
    assert facts[("installed-lib", "3.1")].source is Source.ENVIRONMENT
    packages = {p for entry in answers.incomplete for p in entry.packages}
    assert {"json-lib", "meta-only", "unpinned-lib", "newest-lib", "gone-lib"} <= packages
    assert all(entry.source == "licenses" for entry in answers.incomplete)


def test_project_license_is_read(index: tuple[FakeIndex, LoopbackServer], tmp_path: Path) -> None:
    _fake, server = index
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "me"\nlicense = "MIT"\n')
    answers = _gather(_config(tmp_path, server.url))
    assert answers.facts.project_license is not None
    assert answers.facts.project_license.expression == "MIT"
    assert answers.facts.project_license_source == "pyproject.toml [project]"


def test_installed_license_file_is_read_when_fields_say_nothing(tmp_path: Path) -> None:
    from importlib import metadata

    from auditor.licenses.metadata import from_distribution
    from auditor.licenses.spdx import decide

    info = tmp_path / "quiet_pkg-1.0.dist-info"
    (info / "licenses").mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.4\nName: quiet-pkg\nVersion: 1.0\nLicense-File: LICENSE\n"
    )
    (info / "licenses" / "LICENSE").write_text(
        "Copyright 2024 Someone\n\nPermission is hereby granted, free of charge, to any person "
        "obtaining a copy of this software.\n\nThe above copyright notice and this permission "
        "notice shall be included in all copies or substantial portions of the Software.\n"
    )
    dist = next(iter(metadata.distributions(path=[str(tmp_path)])))
    meta = from_distribution(dist)
    assert meta.license_files == ("LICENSE",)
    found = decide(meta)
    assert (found.expression, found.field) == ("MIT", "License-File")


def test_offline_after_the_index_cache_expired(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = index
    _gather(_config(tmp_path, server.url))
    from auditor.cache import Cache
    from auditor.index.client import CACHE_NAMESPACE

    cache = Cache(tmp_path / ".cache")
    cache.delete_namespace(CACHE_NAMESPACE)  # the project documents are gone (6 h TTL)
    cache.close()
    answers = _gather(_config(tmp_path, server.url, AUDITOR_OFFLINE="1"))
    facts = {(f.name, f.version): f for f in answers.facts.facts}
    newest = facts[("newest-lib", "2.0")]  # answered by the project document when online
    assert (newest.expression, newest.from_cache) == ("ISC", True)
    assert facts[("json-lib", "1.0")].expression == "MIT"
    assert facts[("unpinned-lib", None)].source is Source.NOT_CHECKED  # needs the index
    # the index alone says a project does not exist or which release is the newest
    assert [e.packages for e in answers.incomplete] == [("gone-lib", "unpinned-lib")]


def test_a_version_the_index_serves_no_metadata_for_takes_the_newest_license(
    tmp_path: Path,
) -> None:
    fake = FakeIndex()
    # An old release: no per-version JSON and no METADATA file (a mirror without PEP 658).
    fake.add("old-lib", {"1.0": OLD, "2.0": NEW}, license_expression="MIT", version_json=False)
    with serve(fake) as server:
        (tmp_path / "requirements.txt").write_text("old-lib==1.0\n")
        config = load_config(
            tmp_path,
            env={
                "AUDITOR_INDEX_URL": f"{server.url}/simple",
                "AUDITOR_CACHE_DIR": str(tmp_path / ".cache"),
            },
        )
        scan = scan_inputs(config)
        context = RunContext(config=config)
        try:
            answers = gather_licenses(scan, context, {}, installed={})
        finally:
            context.close()
    (fact,) = answers.facts.facts
    assert (fact.source, fact.expression) == (Source.INDEX_PROJECT_JSON, "MIT")
    assert "the license of the newest release 2.0" in (fact.detail or "")
    assert answers.incomplete == ()
