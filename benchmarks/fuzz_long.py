"""Run every parser fuzz target for many inputs and count the crashes.

    TMPDIR=/dev/shm PYTHONPATH=. nice -n 19 python benchmarks/fuzz_long.py \
        [--examples 100000] [--jobs 2] [--engine random|hypothesis] [--only NAME ...] \
        [--until HH:MM] [--crash-dir DIR]

The targets (what each parser is fed, what it may raise) live in ``tests/fuzz/fuzz_targets.py``;
a crash is any exception outside the target's documented errors. Work goes in rounds of
``--chunk`` inputs per parser so that every parser advances evenly; a progress line per chunk
and every crash (place, seed, input) are printed at once, each crashing input is also written
to ``--crash-dir``. Exit status 1 when any target crashed.

Engines: ``hypothesis`` draws from the targets' own strategies (about 10 ms an input: the
engine's bookkeeping dominates); ``random`` (default; 800-16,000 inputs a second, 15-150x
faster) draws the same shapes from the same vocabulary (``KEYS``, ``WORDS``) with
``random.Random(seed)``, and a third of its inputs are sample documents of each format (test
fixtures, or small samples written here) with a few random edits. Run it with
``TMPDIR=/dev/shm``: the file-based parsers write each input to a temporary folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
from fuzz_targets import KEYS, TARGETS, WORDS, Target  # noqa: E402

_BY_NAME = {t.name: t for t in TARGETS}
_CHARS = "\"'[]{}=#:,.\\/@<>;*~^!-_ \t\r\n\x00\x0b\ufeff\u2028\U0001f600"


def _where(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/auditor/" in f.filename]
    last = frames[-1] if frames else traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__} at {last.filename.rpartition('/auditor/')[2]}:{last.lineno}"


class Junk:
    """Random inputs shaped like the hypothesis strategies of ``fuzz_targets``."""

    def __init__(self, rng: random.Random, samples: list[str]) -> None:
        self.r = rng
        self.samples = samples

    def text(self, max_size: int) -> str:
        r = self.r
        out = []
        for _ in range(r.randint(0, max_size)):
            kind = r.random()
            if kind < 0.55:
                out.append(chr(r.randint(32, 126)))
            elif kind < 0.8:
                out.append(r.choice(_CHARS))
            elif kind < 0.95:
                out.append(chr(r.randint(0, 0xD7FF)))
            else:
                out.append(chr(r.randint(0xE000, 0x10FFFF)))
        return "".join(out)

    def scalar(self, none: bool) -> Any:
        r = self.r
        kind = r.randrange(6 if none else 5)
        if kind == 0:
            return r.choice(WORDS)
        if kind == 1:
            return self.text(30)
        if kind == 2:
            return r.choice((0, -1, 1, 2**63, -(2**64), r.randint(-1000, 10**6)))
        if kind == 3:
            return r.random() < 0.5
        if kind == 4:
            return r.choice((0.0, -0.0, 1e308, float("inf"), float("-inf"), r.uniform(-1e6, 1e6)))
        return None

    def key(self) -> str:
        return self.r.choice(KEYS) if self.r.random() < 0.75 else self.text(10) or "k"

    def junk(self, none: bool, leaves: int = 30) -> Any:
        budget = [leaves]

        def grow(depth: int) -> Any:
            if budget[0] <= 0 or depth > 6 or self.r.random() < 0.45:
                budget[0] -= 1
                return self.scalar(none)
            if self.r.random() < 0.4:
                return [grow(depth + 1) for _ in range(self.r.randint(0, 5))]
            return {self.key(): grow(depth + 1) for _ in range(self.r.randint(0, 6))}

        return grow(0)

    def lines(self) -> str:
        r = self.r
        return "\n".join(
            r.choice(WORDS) if r.random() < 0.5 else self.text(40) for _ in range(r.randint(0, 12))
        )

    def toml_doc(self) -> str:
        data = {self.key(): self.junk(False) for _ in range(self.r.randint(0, 6))}
        return _toml(data) if self.r.random() < 0.9 else json.dumps(data, default=str)

    def json_doc(self) -> str:
        return json.dumps(self.junk(True))

    def mutate(self) -> str:
        """A sample document of the format with a few random edits."""
        r = self.r
        text = r.choice(self.samples)
        for _ in range(r.randint(1, 6)):
            at = r.randint(0, len(text))
            end = min(len(text), at + r.randint(0, 40))
            op = r.randrange(5)
            if op == 0:
                text = text[:at] + text[end:]
            elif op == 1:
                text = text[:at] + r.choice(WORDS) + text[at:]
            elif op == 2:
                text = text[:at] + self.text(8) + text[at:]
            elif op == 3:
                text = text[:at] + text[at:end] * r.randint(2, 50) + text[at:]
            else:
                text = text[:at] + r.choice(_CHARS) + text[end:]
        return text

    def text_or(self, structured: Callable[[], str]) -> str:
        roll = self.r.random()
        if self.samples and roll < 0.3:
            return self.mutate()
        if roll < 0.75:
            return structured()
        return self.lines() if roll < 0.88 else self.text(300)


def _toml_key(key: str) -> str:
    if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key):
        return key
    return json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {float("inf"): "inf", float("-inf"): "-inf"}.get(value, repr(value))
    if isinstance(value, int | str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    items = (f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
    return "{" + ", ".join(items) + "}"


def _toml(data: dict[str, Any]) -> str:
    """TOML text: scalars first, then tables and arrays of tables (one level), inline below."""
    head, tail = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tail.append(f"[{_toml_key(key)}]")
            tail += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for table in value:
                tail.append(f"[[{_toml_key(key)}]]")
                tail += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
        else:
            head.append(f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(head + tail) + "\n"


_SAMPLES: dict[str, list[str]] = {
    "setup.cfg": ["[metadata]\nname = x\n[options]\ninstall_requires =\n    requests>=2\n"
                  "    rich==13.7.0 ; python_version >= '3.8'\n[options.extras_require]\n"
                  "dev = pytest\n"],
    "setup.py": ["from setuptools import setup\nsetup(name='x', install_requires=['requests>=2',"
                 " 'rich'], extras_require={'dev': ['pytest']})\n"],
    "Pipfile": ['[[source]]\nurl = "https://127.0.0.1/simple"\nname = "local"\n[packages]\n'
                'requests = "*"\nrich = {version = "==13.7.0", index = "local"}\n'
                'b = {git = "https://github.com/a/b", ref = "v1"}\n[dev-packages]\npytest = "*"\n'],
    "Pipfile.lock": ['{"_meta": {"hash": {"sha256": "00"}, "sources": []}, "default": '
                     '{"requests": {"version": "==2.31.0", "hashes": ["sha256:00"], '
                     '"markers": "python_version >= \'3.8\'"}}, "develop": {"pytest": '
                     '{"version": "==8.0.0"}}}'],
    "pdm.lock": ['[metadata]\nlock_version = "4.4"\ncontent_hash = "sha256:00"\n[[package]]\n'
                 'name = "requests"\nversion = "2.31.0"\nrequires_python = ">=3.7"\n'
                 'dependencies = ["idna>=2.5"]\nfiles = [{file = "r.whl", hash = "sha256:00"}]\n'],
    "pylock.toml": ['lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "requests"\n'
                    'version = "2.31.0"\nmarker = "python_version >= \'3.8\'"\n'
                    '[[packages.wheels]]\nurl = "https://127.0.0.1/r.whl"\n'
                    'hashes = {sha256 = "00"}\n[[packages]]\nname = "b"\n'
                    '[packages.vcs]\ntype = "git"\nurl = "https://github.com/a/b"\n'
                    'commit-id = "0"\n'],
    "environment.yml": ["name: x\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n"
                        "  - numpy>=1.26\n  - pip:\n    - requests==2.31.0\n    - -e .\n"],
}  # fmt: skip
_FIXTURE_NAMES = {
    "requirements": "requirements.txt", "pyproject": "pyproject.toml", "poetry.lock": "poetry.lock",
    "uv.lock": "uv.lock", "notebook": "*.ipynb",
}  # fmt: skip


def _samples(name: str) -> list[str]:
    found = list(_SAMPLES.get(name, []))
    pattern = _FIXTURE_NAMES.get(name)
    if pattern:
        paths = sorted((ROOT / "tests" / "fixtures").rglob(pattern))[:20]
        found.extend(p.read_text(encoding="utf-8", errors="replace") for p in paths)
    return found


def _generator(name: str, junk: Junk) -> Callable[[], Any]:
    """The random counterpart of target `name`'s hypothesis strategy."""
    toml_like = ("pyproject", "Pipfile", "poetry.lock", "uv.lock", "pdm.lock", "pylock.toml")
    if name == "requirements":
        return lambda: junk.text_or(junk.lines)
    if name in toml_like:
        return lambda: junk.text_or(junk.toml_doc)
    if name in ("Pipfile.lock", "environment.yml"):
        return lambda: junk.text_or(junk.json_doc)
    if name == "setup.cfg":
        return lambda: junk.text_or(
            lambda: "[options]\ninstall_requires =\n  " + junk.lines().replace("\n", "\n  ")
        )
    if name == "setup.py":
        return lambda: junk.text_or(
            lambda: f"from setuptools import setup\nsetup(install_requires={junk.junk(True)!r})\n"
        )
    if name == "notebook":
        return lambda: junk.text_or(junk.json_doc).encode("utf-8", "surrogatepass")
    if name == "index-html":
        return lambda: junk.mutate() if junk.r.random() < 0.5 else junk.text(300)
    return lambda: junk.junk(True)  # osv, index-json, index-simple


def _html_samples() -> list[str]:
    return ['<html><head><meta name="pypi:project-status" content="quarantined">'
            '<meta name="pypi:project-status-reason" content="x &amp; y"></head><body>'
            '<a href="x-1.0.tar.gz#sha256=00" data-yanked="">x-1.0.tar.gz</a>'
            "</body></html>"]  # fmt: skip


def _timed(
    name: str, chunk_seed: int, count: int, engine: str
) -> tuple[int, dict[str, str], float]:
    """Run one chunk in a worker; return (tried, crashes, seconds)."""
    began = time.perf_counter()
    work = run_random if engine == "random" else run_hypothesis
    tried, crashes = work(name, chunk_seed, count)
    return tried, crashes, time.perf_counter() - began


def run_random(name: str, chunk_seed: int, count: int) -> tuple[int, dict[str, str]]:
    """Feed target `name` `count` random inputs from `chunk_seed`; return (tried, crashes)."""
    target = _BY_NAME[name]
    samples = _html_samples() if name == "index-html" else _samples(name)
    junk = Junk(random.Random(chunk_seed), samples)
    make = _generator(name, junk)
    crashes: dict[str, str] = {}
    for _ in range(count):
        value = make()
        try:
            target.run(value)
        except target.allowed:
            pass
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - a crash: record, go on
            crashes.setdefault(_where(exc), repr(value)[:4000])
    return count, crashes


def run_hypothesis(name: str, chunk_seed: int, count: int) -> tuple[int, dict[str, str]]:
    """Run target `name`'s own strategy for `count` inputs (a fresh engine per chunk)."""
    target: Target = _BY_NAME[name]
    tried = 0
    crashes: dict[str, str] = {}

    @seed(chunk_seed)
    @settings(
        max_examples=count, deadline=None, database=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(target.strategy)
    def check(value: Any) -> None:
        nonlocal tried
        tried += 1
        try:
            target.run(value)
        except target.allowed:
            pass
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - a crash: record, go on
            crashes.setdefault(_where(exc), repr(value)[:4000])

    check()
    return tried, crashes


def _deadline(until: str | None) -> float:
    if not until:
        return float("inf")
    now = datetime.now(UTC)
    hour, minute = (int(p) for p in until.split(":"))
    end = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return time.time() + max(0.0, (end - now).total_seconds())


def main() -> int:
    """Run the targets in rounds, print progress, crashes and the per-parser figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000, help="inputs per parser")
    parser.add_argument("--chunk", type=int, default=5_000, help="inputs per parser per round")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--engine", choices=("random", "hypothesis"), default="random")
    parser.add_argument("--only", nargs="*", default=None, help="target names to run")
    parser.add_argument("--until", default=None, help="stop starting chunks at HH:MM UTC")
    parser.add_argument("--seed", type=int, default=0, help="base seed")
    parser.add_argument("--crash-dir", type=Path, default=Path("/tmp/fuzz_crashes"))  # noqa: S108
    args = parser.parse_args()
    names = [t.name for t in TARGETS if not args.only or t.name in args.only]
    stop = _deadline(args.until)
    done = dict.fromkeys(names, 0)
    seconds = dict.fromkeys(names, 0.0)
    crashes: dict[str, dict[str, str]] = {n: {} for n in names}
    args.crash_dir.mkdir(parents=True, exist_ok=True)
    start = time.time()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        round_no = 0
        while time.time() < stop and any(done[n] < args.examples for n in names):
            todo = [n for n in names if done[n] < args.examples]
            jobs = {}
            for n in todo:
                chunk_seed = args.seed * 1_000_003 + round_no * 101 + names.index(n)
                size = min(args.chunk, args.examples - done[n])
                jobs[n] = (chunk_seed, pool.submit(_timed, n, chunk_seed, size, args.engine))
            for n, (chunk_seed, future) in jobs.items():
                try:
                    tried, found, took = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker died: that is a crash too
                    tried, found, took = 0, {f"worker died: {exc!r}": f"seed {chunk_seed}"}, 0.0
                done[n] += tried
                seconds[n] += took
                for where, example in found.items():
                    if where not in crashes[n]:
                        crashes[n][where] = example
                        digest = hashlib.sha256(example.encode()).hexdigest()[:12]
                        (args.crash_dir / f"{n}-{digest}.txt").write_text(
                            f"{where}\nseed {chunk_seed}\n{example}\n", encoding="utf-8"
                        )
                        print(f"CRASH {n}: {where} (seed {chunk_seed})\n    {example}", flush=True)
                print(f"{time.strftime('%H:%M:%S')} {n:<16} {done[n]:>8} inputs "
                      f"{len(crashes[n])} crashes", flush=True)  # fmt: skip
            round_no += 1
    print(f"\nengine {args.engine}, {time.time() - start:.0f} s wall, {args.jobs} job(s)")
    print(f"{'parser':<16} {'inputs':>8} {'crashes':>8} {'inputs/s':>9}")
    for n in names:
        rate = done[n] / seconds[n] if seconds[n] else 0.0
        print(f"{n:<16} {done[n]:>8} {len(crashes[n]):>8} {rate:>9.0f}")
        for where, example in sorted(crashes[n].items()):
            print(f"    {where}\n        e.g. {example[:300]}")
    return 1 if any(crashes.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
