"""Typosquat matching: is a name a likely mistyping or imitation of a popular project's name?

The matcher indexes the popular targets once (exact skeletons, homoglyph skeletons, affix-free
forms and a one-deletion neighbourhood, so a lookup touches a handful of candidates instead of
15,000 names) and then explains a match by the technique that produces it:

- ``separator``: the same letters with separators added or dropped (``python-dateutil`` vs
  ``pythondateutil``; PEP 503 already equates ``-``, ``_`` and ``.``);
- ``homoglyph``: characters that look alike (``0``/``o``, ``1``/``l``/``i``, ``rn``/``m``,
  ``vv``/``w``);
- ``affix``: a popular name with ``python-``, ``-py``, ``-lib``, ``2`` ... added or removed;
- one typing mistake: ``swap`` (adjacent transposition), ``double`` (a doubled letter),
  ``omit`` (a letter left out), ``keyboard`` (a neighbouring key struck instead, or inserted);
- ``two-typos``: two such mistakes, for long names only.

Arbitrary one-letter substitutions are not counted on purpose: among the 5,000 most popular
projects they match other legitimate projects far more often than they catch squats (see
benchmarks/eval_typosquat.py). Thresholds, affixes, homoglyphs and the keyboard layout come from
``rules/policy/reputation.toml``; legitimate look-alike pairs from
``rules/policy/typosquat-allowlist.yaml``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.model import normalize_name
from auditor.reputation.popular import PopularList, PopularPackage
from auditor.yamlio import load_mapping

# Techniques in the order a match is explained (earlier = more specific).
TECHNIQUES = ("separator", "homoglyph", "affix", "swap", "double", "omit", "keyboard",
              "two-typos")  # fmt: skip


def policy_count(table: Mapping[str, Any], key: str, where: str) -> int:
    """Read a non-negative integer from a policy table (raises ConfigError naming the key)."""
    value = table.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}.{key}: expected a non-negative integer")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class TyposquatPolicy:
    """Thresholds and vocabularies of the matcher (``[typosquat]`` in reputation.toml)."""

    protect_top: int
    target_top: int
    min_length: int
    long_name_length: int
    min_download_ratio: float
    min_affix_base: int
    techniques: tuple[str, ...]
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    homoglyphs: tuple[tuple[str, str], ...]
    keyboard: tuple[str, ...]

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any], where: str) -> TyposquatPolicy:
        """Validate the ``[typosquat]`` policy table.

        Raises:
            ConfigError: naming the key that is missing or of the wrong type.
        """

        def integer(key: str) -> int:
            return policy_count(table, key, where)

        def strings(key: str) -> tuple[str, ...]:
            value = table.get(key)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}.{key}: expected a list of strings")
            return tuple(value)

        ratio = table.get("min_download_ratio")
        if not isinstance(ratio, int | float) or isinstance(ratio, bool) or ratio < 0:
            raise ConfigError(f"{where}.min_download_ratio: expected a non-negative number")
        pairs = table.get("homoglyphs")
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) and x for x in p)
            for p in pairs
        ):
            raise ConfigError(f"{where}.homoglyphs: expected a list of [look-alike, letter] pairs")
        techniques = strings("techniques")
        unknown = sorted(set(techniques) - set(TECHNIQUES))
        if unknown:
            raise ConfigError(f"{where}.techniques: unknown {unknown} (known: {list(TECHNIQUES)})")
        return cls(
            protect_top=integer("protect_top"),
            target_top=integer("target_top"),
            min_length=integer("min_length"),
            long_name_length=integer("long_name_length"),
            min_download_ratio=float(ratio),
            min_affix_base=integer("min_affix_base"),
            techniques=techniques,
            prefixes=tuple(normalize_name(p) for p in strings("prefixes")),
            suffixes=tuple(normalize_name(s) for s in strings("suffixes")),
            homoglyphs=tuple((a.lower(), b.lower()) for a, b in pairs),
            keyboard=tuple(row.lower() for row in strings("keyboard")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowList:
    """Legitimate look-alikes: groups of names never matched against each other."""

    groups: tuple[frozenset[str], ...] = ()
    names: frozenset[str] = frozenset()

    def allows(self, name: str, target: str) -> bool:
        """Whether `name` looking like `target` is known to be legitimate."""
        if name in self.names:
            return True
        return any(name in group and target in group for group in self.groups)


def load_allowlist(path: Path) -> AllowList:
    """Read ``typosquat-allowlist.yaml``: ``groups: [{names: [...], reason: ...}]``, ``names``.

    Raises:
        ConfigError: naming the file and entry that is malformed.
    """
    data = load_mapping(path)
    groups: list[frozenset[str]] = []
    for index, entry in enumerate(data.get("groups") or []):
        names = entry.get("names") if isinstance(entry, dict) else None
        if (
            not isinstance(names, list)
            or len(names) < 2
            or not all(isinstance(n, str) for n in names)
        ):
            raise ConfigError(f"{path}: /groups/{index}/names: expected two or more names")
        if not isinstance(entry.get("reason"), str) or not entry["reason"].strip():
            raise ConfigError(f"{path}: /groups/{index}/reason: say why the names are legitimate")
        groups.append(frozenset(normalize_name(n) for n in names))
    single = data.get("names") or []
    if not isinstance(single, list) or not all(isinstance(n, str) for n in single):
        raise ConfigError(f"{path}: /names: expected a list of names")
    return AllowList(groups=tuple(groups), names=frozenset(normalize_name(n) for n in single))


@dataclass(frozen=True, slots=True, kw_only=True)
class TyposquatMatch:
    """`name` looks like the popular project `target`, by `technique` (with a short detail)."""

    name: str
    target: str
    target_display: str
    target_rank: int
    target_downloads: int
    technique: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        """Return the evidence form used in findings."""
        return {
            "target": self.target_display,
            "target_rank": self.target_rank,
            "target_downloads": self.target_downloads,
            "technique": self.technique,
            "detail": self.detail,
        }


def _skeleton(name: str) -> str:
    return name.replace("-", "")


def _deletions(text: str) -> set[str]:
    return {text[:i] + text[i + 1 :] for i in range(len(text))}


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment (restricted Damerau-Levenshtein) distance, capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, before[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[len(b)]


@dataclass(frozen=True, slots=True)
class _Indexes:
    """Popular targets by separator-free skeleton, homoglyph skeleton and one-deletion keys."""

    by_skeleton: dict[str, list[PopularPackage]]
    by_glyph: dict[str, list[PopularPackage]]
    by_deletion: dict[str, list[PopularPackage]]

    @classmethod
    def build(
        cls,
        targets: Iterable[PopularPackage],
        policy: TyposquatPolicy,
        glyph: Callable[[str], str],
    ) -> _Indexes:
        """Index `targets` (one deletion for names of `min_length` or more)."""
        by_skeleton: dict[str, list[PopularPackage]] = defaultdict(list)
        by_glyph: dict[str, list[PopularPackage]] = defaultdict(list)
        by_deletion: dict[str, list[PopularPackage]] = defaultdict(list)
        for target in targets:
            skeleton = _skeleton(target.name)
            by_skeleton[skeleton].append(target)
            by_glyph[glyph(skeleton)].append(target)
            if len(skeleton) >= policy.min_length:
                for key in {skeleton} | _deletions(skeleton):
                    by_deletion[key].append(target)
        return cls(by_skeleton, by_glyph, by_deletion)


def _two_deletion_index(
    targets: Iterable[PopularPackage], long_name_length: int
) -> dict[str, list[PopularPackage]]:
    """Long targets by every form with up to two letters deleted (the "two-typos" lookup)."""
    index: dict[str, list[PopularPackage]] = defaultdict(list)
    for target in targets:
        skeleton = _skeleton(target.name)
        if len(skeleton) >= long_name_length:
            once = _deletions(skeleton)
            for key in once.union(*(_deletions(d) for d in once)):
                index[key].append(target)
    return index


class TyposquatMatcher:
    """Matches names against the popular targets of a `PopularList` under a policy."""

    def __init__(
        self, popular: PopularList, policy: TyposquatPolicy, allow: AllowList | None = None
    ) -> None:
        self.popular = popular
        self.policy = policy
        self.allow = allow or AllowList()
        self._neighbours = self._keyboard_neighbours(policy.keyboard)
        self._char_glyphs = {
            frozenset(pair) for pair in policy.homoglyphs if len(pair[0]) == len(pair[1]) == 1
        }
        self._targets = popular.top(policy.target_top)
        self._target_names = {target.name: target for target in self._targets}
        self._indexes: _Indexes | None = None
        self._deletion2: dict[str, list[PopularPackage]] | None = None

    def _index(self) -> _Indexes:
        """The targets' lookup tables, built on the first lookup that needs them.

        Most names never reach them (a popular or allow-listed name is answered before).
        """
        if self._indexes is None:
            self._indexes = _Indexes.build(self._targets, self.policy, self._glyph)
        return self._indexes

    def _by_deletion2(self) -> dict[str, list[PopularPackage]]:
        """The two-deletion table, built on the first long name looked up.

        It is most of the matcher's building cost (about ten times the other tables).
        """
        if self._deletion2 is None:
            self._deletion2 = _two_deletion_index(self._targets, self.policy.long_name_length)
        return self._deletion2

    @staticmethod
    def _keyboard_neighbours(rows: Sequence[str]) -> dict[str, frozenset[str]]:
        position = {ch: (r, c) for r, row in enumerate(rows) for c, ch in enumerate(row)}
        return {
            ch: frozenset(
                other
                for other, (r2, c2) in position.items()
                if other != ch and abs(r - r2) <= 1 and abs(c - c2) <= 1
            )
            for ch, (r, c) in position.items()
        }

    def _glyph(self, text: str) -> str:
        for look_alike, letter in self.policy.homoglyphs:
            text = text.replace(look_alike, letter)
        return text

    # -- one typing mistake -------------------------------------------------------------------

    def classify(self, typed: str, meant: str) -> str | None:
        """Name the single typing mistake that turns `meant` into `typed`, if there is one.

        Both are skeletons (no separators). Differences that legitimate projects make on
        purpose are not counted: digits changed, added or dropped (``cu11``/``cu12``,
        ``psycopg``/``psycopg2``) and a first letter left out (``requests`` is not a mistyping
        of ``grequests``).
        """
        if len(typed) == len(meant):
            diff = [i for i in range(len(typed)) if typed[i] != meant[i]]
            if len(diff) == 2 and diff[1] == diff[0] + 1:
                i = diff[0]
                if typed[i] == meant[i + 1] and typed[i + 1] == meant[i]:
                    return "swap"
                return None
            if len(diff) != 1:
                return None
            got, want = typed[diff[0]], meant[diff[0]]
            if got.isdigit() and want.isdigit():
                return None
            if frozenset((got, want)) in self._char_glyphs:
                return "homoglyph"
            if got in self._neighbours.get(want, ()):
                return "keyboard"
            return None
        if len(typed) == len(meant) + 1:
            for i in range(len(typed)):
                if typed[:i] + typed[i + 1 :] == meant:
                    extra = typed[i]
                    if extra.isdigit():
                        return None
                    around = typed[i - 1 : i] + typed[i + 1 : i + 2]
                    if extra in around:
                        return "double"
                    if any(extra in self._neighbours.get(ch, ()) for ch in around):
                        return "keyboard"
            return None
        if len(typed) + 1 == len(meant):
            for i in range(1, len(meant)):
                if meant[:i] + meant[i + 1 :] == typed:
                    return None if meant[i].isdigit() else "omit"
        return None

    def _two_typos(self, typed: str, meant: str) -> bool:
        if osa_distance(typed, meant, 2) != 2:
            return False
        for middle in self._one_typo_sources(typed):
            if middle != meant and self.classify(middle, meant) is not None:
                return True
        return False

    def _one_typo_sources(self, typed: str) -> set[str]:
        """Every string from which one counted mistake produces `typed`."""
        found: set[str] = set()
        for i in range(len(typed) - 1):
            found.add(typed[:i] + typed[i + 1] + typed[i] + typed[i + 2 :])
        found |= _deletions(typed)
        letters = set(self._neighbours) | {ch for pair in self._char_glyphs for ch in pair}
        for i in range(1, len(typed) + 1):
            for ch in letters:
                found.add(typed[:i] + ch + typed[i:])
        for i, ch in enumerate(typed):
            for other in self._neighbours.get(ch, ()):
                found.add(typed[:i] + other + typed[i + 1 :])
        return {f for f in found if f and self.classify(typed, f) is not None}

    # -- matching -----------------------------------------------------------------------------

    def _affix_forms(self, name: str) -> list[tuple[str, str]]:
        forms = [
            (_skeleton(name[len(prefix) :]), f"prefix {prefix!r} added")
            for prefix in self.policy.prefixes
            if name.startswith(prefix) and len(name) > len(prefix)
        ]
        forms.extend(
            (_skeleton(name[: -len(suffix)]), f"suffix {suffix!r} added")
            for suffix in self.policy.suffixes
            if name.endswith(suffix) and len(name) > len(suffix)
        )
        return forms

    def _candidates(self, name: str) -> Iterable[tuple[PopularPackage, str, str]]:
        techniques = self.policy.techniques
        skeleton = _skeleton(name)
        index = self._index()
        if "separator" in techniques:
            for target in index.by_skeleton.get(skeleton, ()):
                yield target, "separator", "separators added or removed"
        if "homoglyph" in techniques:
            for target in index.by_glyph.get(self._glyph(skeleton), ()):
                if _skeleton(target.name) != skeleton:
                    yield target, "homoglyph", "look-alike characters"
        if "affix" in techniques:
            for base, detail in self._affix_forms(name):
                if len(base) >= self.policy.min_affix_base:
                    for target in index.by_skeleton.get(base, ()):
                        yield target, "affix", detail
            yield from self._reverse_affix(name, skeleton)
        if len(skeleton) >= self.policy.min_length:
            seen: set[str] = set()
            for key in {skeleton} | _deletions(skeleton):
                for target in index.by_deletion.get(key, ()):
                    if target.name in seen:
                        continue
                    seen.add(target.name)
                    technique = self.classify(skeleton, _skeleton(target.name))
                    if technique is not None and technique in techniques:
                        yield target, technique, f"one mistake: {technique}"
        if "two-typos" in techniques and len(skeleton) >= self.policy.long_name_length:
            seen2: set[str] = set()
            once = _deletions(skeleton)
            by_deletion2 = self._by_deletion2()
            for key in {skeleton} | once | set().union(*(_deletions(d) for d in once)):
                for target in by_deletion2.get(key, ()):
                    if target.name in seen2:
                        continue
                    seen2.add(target.name)
                    if self._two_typos(skeleton, _skeleton(target.name)):
                        yield target, "two-typos", "two mistakes"

    def _reverse_affix(self, name: str, skeleton: str) -> Iterable[tuple[PopularPackage, str, str]]:
        """A popular ``python-X`` imitated by plain ``X`` (the affix dropped).

        Only the literal affixed spelling counts (``py-arrow``, not ``pyarrow``): a prefix
        glued to a word makes a different word too often (``pyarrow`` vs ``arrow``).
        """
        if len(skeleton) < self.policy.min_affix_base:
            return
        for prefix in self.policy.prefixes:
            for target in self._by_name_list(prefix + name):
                yield target, "affix", f"prefix {prefix!r} dropped"
        for suffix in self.policy.suffixes:
            for target in self._by_name_list(name + suffix):
                yield target, "affix", f"suffix {suffix!r} dropped"

    def _by_name_list(self, name: str) -> list[PopularPackage]:
        target = self._target_names.get(name)
        return [target] if target is not None else []

    def matches(self, name: str, *, as_unknown: bool = False) -> list[TyposquatMatch]:
        """Return every popular target `name` imitates, most specific technique first.

        A name among the `protect_top` most popular is never a typosquat; a less popular listed
        name matches only targets with `min_download_ratio` times its downloads. With
        `as_unknown` the name's own popularity is ignored (the evaluation uses this).
        """
        key = normalize_name(name)
        own = None if as_unknown else self.popular.get(key)
        if own is not None and own.rank <= self.policy.protect_top:
            return []
        if key in self.allow.names:
            return []
        found: dict[str, TyposquatMatch] = {}
        for target, technique, detail in self._candidates(key):
            if target.name == key or target.name in found:
                continue
            if self.allow.allows(key, target.name):
                continue
            if (
                own is not None
                and target.downloads < own.downloads * self.policy.min_download_ratio
            ):
                continue
            found[target.name] = TyposquatMatch(
                name=key,
                target=target.name,
                target_display=target.display_name,
                target_rank=target.rank,
                target_downloads=target.downloads,
                technique=technique,
                detail=detail,
            )
        order = {t: i for i, t in enumerate(TECHNIQUES)}
        return sorted(found.values(), key=lambda m: (order[m.technique], m.target_rank))

    def match(self, name: str, *, as_unknown: bool = False) -> TyposquatMatch | None:
        """Return the best match of `name`, or None."""
        found = self.matches(name, as_unknown=as_unknown)
        return found[0] if found else None

    def suggest(self, name: str, limit: int = 3, max_distance: int = 2) -> list[str]:
        """Return up to `limit` listed names close to `name` ("did you mean"), best first.

        Unlike `matches` this searches the whole list, with plain edit distance on the
        separator-free forms plus affix-free forms, ranked by distance then popularity; it is
        called only for names the index does not know, so it may be slow.

        Invented names are often a real project with words added (``pandas-profiling-lite``,
        ``flask-jwt-simple-auth``): when edit distance finds too few, the name's leading words
        are tried too, longest first: a listed project named by them (or one letter from it),
        then listed projects extending a prefix of two or more words (``flask-jwt`` ->
        ``flask-jwt-extended``).
        """
        key = normalize_name(name)
        skeleton = _skeleton(key)
        bases = {skeleton} | {base for base, _ in self._affix_forms(key) if base}
        scored: list[tuple[int, int, int, str]] = []
        for package in self.popular:
            other = _skeleton(package.name)
            best = min(osa_distance(base, other, max_distance) for base in bases)
            if best <= max_distance and package.name != key:
                scored.append((0, best, package.rank, package.display_name))
        scored.sort()
        found = [display for *_, display in scored[:limit]]
        if len(found) < limit:
            for display in self._prefix_suggestions(key):
                if display not in found:
                    found.append(display)
                if len(found) >= limit:
                    break
        return found

    def _prefix_suggestions(self, key: str) -> list[str]:
        """Listed projects named by (or extending) the leading words of `key`, best first."""
        words = key.split("-")
        found: list[str] = []
        for count in range(len(words) - 1, 0, -1):
            prefix = "-".join(words[:count])
            near: list[tuple[int, int, str]] = []
            longer: list[tuple[int, str]] = []
            squeezed = _skeleton(prefix)
            for package in self.popular:
                if package.name == prefix:
                    near.append((0, package.rank, package.display_name))
                elif count >= 2 and len(squeezed) >= 6:
                    if osa_distance(squeezed, _skeleton(package.name), 1) <= 1:
                        near.append((1, package.rank, package.display_name))
                    elif package.name.startswith(prefix) and (
                        package.name[len(prefix) :][:1] in ("-", *"0123456789")
                    ):
                        longer.append((package.rank, package.display_name))
            found += [d for *_, d in sorted(near)] + [d for _, d in sorted(longer)]
        return list(dict.fromkeys(found))


__all__ = [
    "TECHNIQUES",
    "AllowList",
    "TyposquatMatch",
    "TyposquatMatcher",
    "TyposquatPolicy",
    "load_allowlist",
    "osa_distance",
    "policy_count",
]
