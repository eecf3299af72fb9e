"""Learn the license of every package version of a scan, most trustworthy source first.

Sources, in order: the installed environment (`importlib.metadata`, only where the installed
version is the one used); the index's project document when the version used is its newest
release (or no version is pinned); the index's per-version JSON document, else the version's
METADATA file (`auditor.licenses.remote`). Index answers are cached per version, so a later
run (and an offline one) reads them from the cache. A package the index cannot be asked about
is "not checked" (an `Incomplete`), never silently unknown; one that comes from a path or VCS
link has only the environment to say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from auditor.index.model import LookupState, ProjectLookup
from auditor.licenses.metadata import from_info, read_installed
from auditor.licenses.model import LicenseFact, LicenseFacts, LicenseMetadata, Source
from auditor.licenses.policy import LicensePolicy, load_license_policy
from auditor.licenses.project import project_license
from auditor.licenses.remote import ReleaseFetcher, ReleaseMetadata
from auditor.licenses.spdx import decide
from auditor.model import DataSource, Incomplete, normalize_name

if TYPE_CHECKING:
    from importlib import metadata as importlib_metadata

    from auditor.context import RunContext
    from auditor.imports.mapping import CacheLike
    from auditor.scanning import Scan

SOURCE_NAME = "licenses"


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One package version whose license is wanted."""

    name: str
    display_name: str
    version: str | None
    off_index: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseAnswers:
    """The license facts of a run, what could not be checked, and the sources used."""

    facts: LicenseFacts
    incomplete: tuple[Incomplete, ...] = ()
    data_sources: tuple[DataSource, ...] = ()


def targets_of(scan: Scan) -> list[Target]:
    """Every (package, version) of the scan's graph; unversioned packages once with None."""
    from auditor.graph import query
    from auditor.index.targets import off_index_names

    skip = off_index_names(scan.inputs, scan.graph)
    return [
        Target(
            name=node.name,
            display_name=node.display_name,
            version=version,
            off_index=node.name in skip,
        )
        for node in query.packages(scan.graph)
        for version in (node.versions or (None,))
    ]


def _folder_names(dist: importlib_metadata.Distribution) -> set[str] | None:
    """Names a ``<name>-<version>.dist-info`` folder may spell (None: read the metadata).

    Old installers left hyphens in the name part, so every hyphen-split prefix is a candidate.
    """
    path = getattr(dist, "_path", None)  # PathDistribution's folder; no public accessor
    folder = getattr(path, "name", "")
    for suffix in (".dist-info", ".egg-info"):
        if isinstance(folder, str) and folder.endswith(suffix):
            parts = folder[: -len(suffix)].split("-")
            return {normalize_name("-".join(parts[:i])) for i in range(1, len(parts) + 1)}
    return None


def installed_metadata(
    wanted: Iterable[str] | None = None,
) -> dict[str, tuple[str, LicenseMetadata]]:
    """Normalized name -> (version, license fields) of the running environment (first wins).

    With `wanted`, only those distributions' metadata is parsed (the folder names say which
    is which without reading the rest).
    """
    from importlib import metadata as importlib_metadata

    names = None if wanted is None else set(wanted)
    found: dict[str, tuple[str, LicenseMetadata]] = {}
    for dist in importlib_metadata.distributions():
        guesses = _folder_names(dist)
        if names is not None and guesses is not None and not guesses & names:
            continue
        read = read_installed(dist)
        if read is None or (names is not None and normalize_name(read[0]) not in names):
            continue
        found.setdefault(normalize_name(read[0]), (read[1], read[2]))
    return found


_INSTALLED_NAMESPACE = "env-licenses:v1"


def cached_installed_metadata(
    cache: CacheLike, wanted: Iterable[str]
) -> dict[str, tuple[str, LicenseMetadata]]:
    """`installed_metadata(wanted)`, each name kept in the cache per environment fingerprint.

    The fingerprint changes whenever a distribution is installed or removed, so a warm run
    reads no metadata file at all; a name not installed is remembered as absent.
    """
    from auditor.imports.mapping import environment_fingerprint

    fingerprint = environment_fingerprint()
    keys = {name: f"{fingerprint} {name}" for name in sorted(set(wanted))}
    stored = cache.get_many(_INSTALLED_NAMESPACE, list(keys.values()))
    found: dict[str, tuple[str, LicenseMetadata]] = {}
    todo: list[str] = []
    for name, key in keys.items():
        entry = stored.get(key)
        if entry is False:
            continue  # remembered as not installed
        cached = _from_installed_entry(entry)
        if cached is None:
            todo.append(name)
        else:
            found[name] = cached
    if todo:
        read = installed_metadata(todo)
        found.update(read)
        cache.set_many(
            _INSTALLED_NAMESPACE,
            {keys[name]: _installed_entry(read.get(name)) for name in todo},
            ttl=7 * 86400.0,
        )
    return found


def _from_installed_entry(entry: Any) -> tuple[str, LicenseMetadata] | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
        return None
    meta = LicenseMetadata.from_json(entry.get("metadata"))
    texts = entry.get("texts")
    if meta is None or not isinstance(texts, list):
        return None
    kept = tuple(t for t in texts if isinstance(t, str))
    return entry["version"], replace(meta, license_texts=kept)


def _installed_entry(read: tuple[str, LicenseMetadata] | None) -> dict[str, Any] | bool:
    if read is None:
        return False  # not installed: remembered too
    version, meta = read
    return {"version": version, "metadata": meta.to_json(), "texts": list(meta.license_texts)}


def _same_version(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _fact(target: Target, answer: ReleaseMetadata) -> LicenseFact:
    normalized = decide(answer.metadata) if answer.metadata is not None else None
    return LicenseFact(
        name=target.name,
        display_name=target.display_name,
        version=target.version,
        source=answer.source,
        detail=answer.detail,
        metadata=answer.metadata,
        normalized=normalized,
        from_cache=answer.from_cache,
        reason=answer.reason,
    )


def _project_info_answer(lookup: ProjectLookup | None, *, pinned: bool) -> ReleaseMetadata | None:
    if lookup is None or lookup.state is not LookupState.FOUND or lookup.info is None:
        return None
    what = "its newest release" if pinned else "newest release; no version pinned"
    return ReleaseMetadata(
        metadata=from_info(lookup.info),
        source=Source.INDEX_PROJECT_JSON,
        detail=f"index JSON API, project document ({what} {lookup.info.latest_version})",
    )


def _newest_stands_in(lookup: ProjectLookup | None, answer: ReleaseMetadata) -> ReleaseMetadata:
    """The project document's license for a version whose own metadata is not served."""
    found = _project_info_answer(lookup, pinned=True)
    if found is None or found.metadata is None or lookup is None or lookup.info is None:
        return answer
    return ReleaseMetadata(
        metadata=found.metadata,
        source=Source.INDEX_PROJECT_JSON,
        detail=f"index JSON API, project document: the license of the newest release "
        f"{lookup.info.latest_version}, as the index serves no metadata for this version",
    )


def gather_licenses(
    scan: Scan,
    context: RunContext,
    index: Mapping[str, ProjectLookup],
    *,
    policy: LicensePolicy | None = None,
    installed: Mapping[str, tuple[str, LicenseMetadata]] | None = None,
) -> LicenseAnswers:
    """Learn the license of every package version of `scan` (see the module docstring).

    `index` holds the project lookups the run already made (names missing from it are looked
    up here); `installed` replaces the running environment's distributions (tests).
    """
    from auditor.index.client import index_lookups, redact_url

    config = context.config
    policy = policy or load_license_policy(config)
    wanted = targets_of(scan)
    if installed is None:
        names = {t.name for t in wanted}
        use = policy.use_installed
        installed = cached_installed_metadata(context.cache, names) if use else {}
    facts: dict[tuple[str, str | None], LicenseFact] = {}
    remote: list[Target] = []
    for target in wanted:
        have = installed.get(target.name)
        if have is not None and (target.version is None or _same_version(have[0], target.version)):
            answer = ReleaseMetadata(
                metadata=have[1],
                source=Source.ENVIRONMENT,
                detail=f"installed distribution {have[0]}",
            )
            facts[(target.name, target.version)] = _fact(target, answer)
        elif target.off_index:
            answer = ReleaseMetadata(
                metadata=None,
                source=Source.NOT_ON_INDEX,
                reason="a path, VCS or URL dependency: not on the index",
            )
            facts[(target.name, target.version)] = _fact(target, answer)
        else:
            remote.append(target)
    lookups = dict(index)
    missing = sorted({t.name for t in remote} - set(lookups))
    incomplete: list[Incomplete] = []
    if missing:
        answers = index_lookups(context, missing)
        lookups.update(answers.lookups)
    fetcher = ReleaseFetcher(
        session=lambda: context.session,
        offline=config.offline,
        cache=context.cache,
        json_url=config.index_json_url,
        simple_url=config.index_url,
        cache_key_base=redact_url(config.index_json_url),
        ttl=policy.cache_days * 86400.0,
    )
    per_version: list[Target] = []
    # A pinned version that is the newest release is answered by the project document; it is
    # kept under the version's own key too, so an offline run later finds it in the cache.
    newest_pinned: dict[str, ReleaseMetadata] = {}
    for target in remote:
        lookup = lookups.get(target.name)
        info = lookup.info if lookup is not None else None
        if lookup is not None and lookup.state is LookupState.MISSING:
            answer = ReleaseMetadata(
                metadata=None, source=Source.NOT_ON_INDEX, reason="the index has no such project"
            )
            facts[(target.name, target.version)] = _fact(target, answer)
        elif target.version is None or (
            info is not None and _same_version(info.latest_version, target.version)
        ):
            found = _project_info_answer(lookup, pinned=target.version is not None)
            if found is None:
                reason = (lookup.reason if lookup is not None else None) or "index not asked"
                found = ReleaseMetadata(metadata=None, source=Source.NOT_CHECKED, reason=reason)
            elif target.version is not None:
                newest_pinned[fetcher.key(target.name, target.version)] = found
            facts[(target.name, target.version)] = _fact(target, found)
        else:
            per_version.append(target)
    for target, answer in _fetch_versions(fetcher, per_version, config.max_workers):
        if answer.metadata is None and answer.source is Source.INDEX_METADATA:
            # The index serves nothing for that version (an old release, a mirror without
            # PEP 658 files): its newest release's license stands in, and the detail says so.
            answer = _newest_stands_in(lookups.get(target.name), answer)
        facts[(target.name, target.version)] = _fact(target, answer)
    if newest_pinned and not fetcher.offline:
        fetcher.store(newest_pinned)
    ordered = tuple(_with_newest(facts[(t.name, t.version)], lookups.get(t.name)) for t in wanted)
    own, own_source = project_license(scan.root, policy.project_license)
    unchecked: dict[str, list[str]] = {}
    for fact in ordered:
        if fact.source is Source.NOT_CHECKED:
            unchecked.setdefault(fact.reason or "unknown error", []).append(fact.name)
    incomplete.extend(
        Incomplete(
            source=SOURCE_NAME,
            reason=f"license not checked: {reason}",
            packages=tuple(sorted(set(names))),
        )
        for reason, names in sorted(unchecked.items())
    )
    return LicenseAnswers(
        facts=LicenseFacts(
            facts=ordered,
            project_license=own,
            project_license_source=own_source,
            by_key={(f.name, f.version): f for f in ordered},
        ),
        incomplete=tuple(incomplete),
        data_sources=(_describe(ordered, redact_url(config.index_url)),) if ordered else (),
    )


def _fetch_versions(
    fetcher: ReleaseFetcher, targets: list[Target], workers: int
) -> Iterable[tuple[Target, ReleaseMetadata]]:
    """Per-version answers: the cache first, then the index (concurrently), then stored."""
    if not targets:
        return []
    keys = {t: fetcher.key(t.name, str(t.version)) for t in targets}
    cached = fetcher.cached(list(keys.values()))
    todo = [t for t in targets if keys[t] not in cached]
    fetched: dict[Target, ReleaseMetadata] = {}
    if todo and fetcher.offline:
        fetched = {t: fetcher.fetch(t.name, str(t.version)) for t in todo}  # no network: no pool
    elif todo:
        with ThreadPoolExecutor(
            max_workers=max(1, min(workers, len(todo))), thread_name_prefix="licenses"
        ) as pool:
            results = list(pool.map(lambda t: fetcher.fetch(t.name, str(t.version)), todo))
        fetched = dict(zip(todo, results, strict=True))
        fetcher.store({keys[t]: answer for t, answer in fetched.items()})
    return [(t, cached[keys[t]] if keys[t] in cached else fetched[t]) for t in targets]


def _with_newest(fact: LicenseFact, lookup: ProjectLookup | None) -> LicenseFact:
    """Attach the newest release's license when it is another version than the one used."""
    if lookup is None or lookup.state is not LookupState.FOUND or lookup.info is None:
        return fact
    newest = lookup.info.latest_version
    if fact.version is None or newest is None or _same_version(newest, fact.version):
        return fact
    return replace(fact, newest_version=newest, newest=decide(from_info(lookup.info)))


def _describe(facts: tuple[LicenseFact, ...], index: str) -> DataSource:
    counts: dict[str, int] = {}
    for fact in facts:
        counts[str(fact.source)] = counts.get(str(fact.source), 0) + 1
    cached = sum(1 for f in facts if f.from_cache)
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return DataSource(
        name=SOURCE_NAME,
        detail=f"license metadata of {len(facts)} package versions ({parts}; {cached} from the "
        f"cache); index at {index}",
    )


__all__ = [
    "LicenseAnswers",
    "Target",
    "cached_installed_metadata",
    "gather_licenses",
    "installed_metadata",
    "targets_of",
]
