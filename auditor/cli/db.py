"""``auditor db``: fill and inspect the offline advisory store (``update``, ``import``, ``status``).

``update`` downloads OSV's PyPI bulk export and swaps it into the store atomically (and refreshes
the popular-packages list when that module is present). ``import`` loads OSV JSON from zips or
folders, malicious-package manifests and top-packages lists. ``status`` prints what the store
holds and how old it is. Exit codes: 0 done, 2 usage, 3 something could not be fetched or read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.cli.options import add_timeout_option

if TYPE_CHECKING:
    from auditor.advisories.importer import Collected
    from auditor.cli.main import Streams
    from auditor.config import Config

BULK_SOURCE = "osv-pypi"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the db command and its actions."""
    parser = sub.add_parser("db", help="manage the offline advisory store")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--cache-dir", type=Path, default=None, help="cache folder of the store")
        p.add_argument("--config", type=Path, default=None, help="configuration file")
        p.set_defaults(run=run)

    update = actions.add_parser("update", help="download OSV's PyPI advisories (all.zip)")
    common(update)
    add_timeout_option(update)
    imp = actions.add_parser(
        "import", help="import OSV JSON (zip or folder), a malicious manifest or a top list"
    )
    imp.add_argument("paths", nargs="+", type=Path, metavar="FILE|DIR")
    imp.add_argument("--source", default=None, help="source name (default: the file's stem)")
    common(imp)
    status = actions.add_parser("status", help="show what the offline store holds")
    status.add_argument("-f", "--format", choices=("text", "json"), default="text")
    common(status)


def _config(args: argparse.Namespace) -> Config:
    from auditor.config import load_config

    config = load_config(Path.cwd(), config_file=args.config)
    timeout = getattr(args, "timeout", None)
    return config.with_overrides(cache_dir=args.cache_dir, run_timeout=timeout).started()


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Run one db action and return its exit code."""
    config = _config(args)
    if args.db_action == "update":
        return _update(config, streams)
    if args.db_action == "import":
        return _import(config, args.paths, args.source, streams)
    return _status(config, args.format, streams)


def _write_collected(config: Config, collected: list[Collected], streams: Streams) -> None:
    from auditor.advisories.store import store_path
    from auditor.advisories.store_writer import write_store

    if not collected:
        return
    with write_store(store_path(config)) as writer:
        outcomes = [writer.replace_source(c.source, c.kind, c.origin, c.records) for c in collected]
    for outcome in outcomes:
        extra = f", {outcome.withdrawn} withdrawn" if outcome.withdrawn else ""
        extra += f", {outcome.skipped} without a PyPI package skipped" if outcome.skipped else ""
        streams.out.write(
            f"imported {outcome.records} {outcome.kind} records as source {outcome.name!r}{extra}\n"
        )


def _import(config: Config, paths: list[Path], source: str | None, streams: Streams) -> int:
    import zipfile

    from auditor.advisories.importer import (
        Collected,
        JsonShape,
        classify,
        collect_dir,
        collect_zip,
        manifest_records,
    )
    from auditor.advisories.policy import advisory_policy
    from auditor.advisories.store import KIND_MALICIOUS, KIND_OSV
    from auditor.errors import AuditorError, ConfigError

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ConfigError(f"db import: no such file or directory: {', '.join(missing)}")
    if source is not None and len(paths) > 1:
        raise ConfigError("db import: --source names one source; import one path at a time")
    policy = advisory_policy(config)
    limit, total = policy.max_member_bytes, policy.max_total_bytes
    collected: list[Collected] = []
    problems: list[str] = []
    for path in paths:
        name = source or (path.resolve().name if path.is_dir() else path.stem)
        if path.is_dir():
            collected.append(collect_dir(path, name, limit, max_total_bytes=total))
        elif zipfile.is_zipfile(path):
            collected.append(collect_zip(path, name, limit, max_total_bytes=total))
        elif path.suffix.lower() == ".json":
            try:
                data = json.loads(path.read_bytes())
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                problems.append(f"{path}: invalid JSON: {exc}")
                continue
            shape = classify(data)
            if shape is JsonShape.OSV:
                records = data if isinstance(data, list) else [data]
                collected.append(Collected(name, KIND_OSV, str(path), records=records))
            elif shape is JsonShape.MANIFEST:
                records = manifest_records(data, name)
                collected.append(Collected(name, KIND_MALICIOUS, str(path), records=records))
            elif shape is JsonShape.POPULAR:
                try:
                    from auditor.reputation.popular import import_popular_file
                except ImportError:
                    problems.append(f"{path}: top-packages lists need auditor.reputation.popular")
                    continue
                try:
                    count = import_popular_file(path, config)
                except AuditorError as exc:
                    problems.append(str(exc))
                    continue
                streams.out.write(f"imported {count} popular package names from {path}\n")
            else:
                problems.append(
                    f"{path}: not OSV records, a malicious-package manifest "
                    '({name: null | [versions]}) or a top-packages list ({"rows": [...]})'
                )
        else:
            problems.append(f"{path}: unsupported file (expected a folder, .zip or .json)")
    for item in collected:
        problems.extend(item.rejected)
    _write_collected(config, [c for c in collected if c.records or not c.rejected], streams)
    for problem in problems:
        streams.say(f"auditor db import: {problem}")
    if problems:
        streams.say(f"auditor db import: {len(problems)} item(s) not imported")
        return 3
    return 0


def _download(config: Config, session: Any, streams: Streams) -> int:
    """Download the bulk export and import it; return the rejected-member count.

    Raises:
        SourceUnavailable: when the download fails or holds no OSV records.
    """
    import tempfile
    import time

    import requests

    from auditor.advisories.importer import collect_zip
    from auditor.advisories.policy import advisory_policy
    from auditor.advisories.store import KIND_OSV, store_path
    from auditor.cache import remove_stale_temp_files
    from auditor.errors import SourceUnavailable

    url = config.osv_bulk_url
    target = store_path(config)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(target.parent)  # a killed update's download (stale ones only)
    with tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=".osv-bulk.", suffix=".zip", delete=False
    ) as handle:
        tmp = Path(handle.name)
    try:
        try:
            with session.get(url, stream=True) as response, tmp.open("wb") as out:
                if response.status_code != 200:
                    raise SourceUnavailable("osv-bulk", f"{url}: HTTP {response.status_code}")
                for chunk in response.iter_content(chunk_size=1 << 20):
                    if config.run_deadline is not None and time.monotonic() > config.run_deadline:
                        raise SourceUnavailable("osv-bulk", f"{url}: time limit (--timeout) passed")
                    out.write(chunk)
        except requests.RequestException as exc:
            raise SourceUnavailable("osv-bulk", f"{url}: {exc}") from exc
        policy = advisory_policy(config)
        collected = collect_zip(
            tmp, BULK_SOURCE, policy.max_member_bytes, max_total_bytes=policy.max_total_bytes
        )
    finally:
        tmp.unlink(missing_ok=True)
    if not collected.records:
        reason = "; ".join(collected.rejected[:3]) or "no OSV records in the download"
        raise SourceUnavailable("osv-bulk", f"{url}: {reason}")
    collected.kind = KIND_OSV
    collected.origin = url
    _write_collected(config, [collected], streams)
    for problem in collected.rejected:
        streams.say(f"auditor db update: {problem}")
    return len(collected.rejected)


def _popular_update(config: Config, session: Any, streams: Streams) -> bool:
    """Refresh the popular-packages list when that module exists; False when it failed."""
    from auditor.errors import AuditorError

    try:
        from auditor.reputation.popular import download_popular
    except ImportError:
        return True
    try:
        count = download_popular(config, session)
    except (AuditorError, OSError, ValueError) as exc:
        streams.say(f"auditor db update: popular packages not updated: {exc}")
        return False
    streams.out.write(f"updated the popular-packages list: {count} names\n")
    return True


def _update(config: Config, streams: Streams) -> int:
    from auditor.errors import SourceUnavailable
    from auditor.http import make_session_for

    session = make_session_for(config)
    failure: SourceUnavailable | None = None
    rejected = 0
    try:
        try:
            rejected = _download(config, session, streams)
        except SourceUnavailable as exc:
            failure = exc
        popular_ok = _popular_update(config, session, streams)
    finally:
        session.close()
    if failure is not None:
        raise failure
    return 0 if popular_ok and not rejected else 3


def _status_data(config: Config) -> dict[str, Any]:
    from auditor.advisories.policy import advisory_policy
    from auditor.advisories.store import OsvStore, store_path

    path = store_path(config)
    stale_days = advisory_policy(config).stale_after_days
    with OsvStore(path) as store:
        sources = store.sources()
        records = store.record_count()
        damaged = store.damaged
    ages = [a for s in sources if (a := s.age_days()) is not None]
    data: dict[str, Any] = {
        "schema_version": 1,
        "store": str(path),
        "exists": path.is_file(),
        "records": records,
        "sources": [s.to_json() for s in sources],
        "age_days": round(min(ages), 2) if ages else None,
        "stale": bool(ages) and min(ages) > stale_days,
        "popular": None,
        "damaged": damaged,
    }
    try:
        from auditor.reputation.popular import bundled_status, popular_status
    except ImportError:
        return data
    # The imported list wins; else the one shipped with Auditor is in use.
    data["popular"] = popular_status(config) or bundled_status()
    return data


def _status(config: Config, fmt: str, streams: Streams) -> int:
    data = _status_data(config)
    code = 3 if data["damaged"] else 0
    if fmt == "json":
        streams.out.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return code
    out = streams.out
    out.write(f"advisory store: {data['store']}\n")
    if data["damaged"]:
        from auditor.cli.terminal import one_line

        out.write(f"  {one_line(data['damaged'], limit=2000)}\n")
    elif not data["sources"]:
        out.write("  empty: run `auditor db update` or `auditor db import FILE`\n")
    else:
        out.write(f"  {data['records']} records")
        if data["stale"]:
            out.write(" (stale: run `auditor db update`)")
        out.write("\n")
        out.write(f"  {'source':<28} {'kind':<10} {'records':>8} {'withdrawn':>9}  "
                  f"{'imported':<26} {'age (days)':>10}  newest modified\n")  # fmt: skip
        for src in data["sources"]:
            age = "?" if src["age_days"] is None else f"{src['age_days']:.1f}"
            out.write(
                f"  {src['name']:<28} {src['kind']:<10} {src['records']:>8} "
                f"{src['withdrawn']:>9}  {src['imported_at']:<26} {age:>10}  "
                f"{src['newest_modified'] or '-'}\n"
            )
    popular = data["popular"]
    if popular is None:
        out.write("popular packages: none (the bundled list is switched off or missing)\n")
    else:
        out.write(
            "popular packages: "
            + ", ".join(f"{k}={v}" for k, v in sorted(popular.items()) if v is not None)
            + "\n"
        )
    return code


__all__ = ["register", "run"]
