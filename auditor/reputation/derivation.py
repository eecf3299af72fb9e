"""Name derivation: is a name built from a popular project's name by composition?

Assistants invent names by gluing common words to a famous name, and squatters register those
names later (slopsquatting). This module explains how a name was built, when it was:

- ``affix``: a popular name plus common words (``torch-utils-pro``, ``requestsx``,
  ``pydantic-lite``);
- ``compound``: a popular name plus other listed project names, possibly with common words
  (``flask-jwt-simple-auth``, ``pandas-numpy``);
- ``extension``: a popular name with an arbitrary ending glued on (``pandasprox``,
  ``urllib3loader``);
- ``portmanteau``: the start of a popular name plus a common word (``numcore`` from numpy,
  ``reqkit`` from requests), or a popular name clipped by its last letter plus any ending
  (``pandalyze`` from pandas).

Typing mistakes are the typosquat matcher's business (`auditor.reputation.typosquat`). A name on
the popular list, or on the allow-list, is never derived: established projects are not
suspects, and the AUD411 check only asks about young projects anyway (the age gate is what
keeps long-tail projects with composed names quiet). Thresholds and the vocabulary of common
words come from ``[young_derived]`` in ``rules/policy/reputation.toml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.errors import ConfigError
from auditor.model import normalize_name
from auditor.reputation.popular import PopularList, PopularPackage
from auditor.reputation.typosquat import AllowList, policy_count

# Techniques in order of preference when several explain a name (earlier = more specific).
TECHNIQUES = ("affix", "compound", "extension", "portmanteau")


@dataclass(frozen=True, slots=True, kw_only=True)
class DerivationPolicy:
    """Thresholds and vocabulary of the derivation matcher (``[young_derived]``)."""

    target_top: int
    portmanteau_top: int
    min_stem: int
    min_extended: int
    min_word_stem: int
    min_head: int
    min_clipped: int
    max_free_tail: int
    min_filler: int
    affixes: tuple[str, ...]

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any], where: str) -> DerivationPolicy:
        """Validate the derivation keys of a policy table.

        Raises:
            ConfigError: naming the key that is missing or of the wrong type.
        """

        def integer(key: str) -> int:
            return policy_count(table, key, where)

        affixes = table.get("affixes")
        if not isinstance(affixes, list) or not all(
            isinstance(a, str) and a.strip("-_. ") for a in affixes
        ):
            raise ConfigError(f"{where}.affixes: expected a list of words")
        return cls(
            target_top=integer("target_top"),
            portmanteau_top=integer("portmanteau_top") if "portmanteau_top" in table else 100,
            min_stem=integer("min_stem"),
            min_extended=integer("min_extended"),
            min_word_stem=integer("min_word_stem"),
            min_head=max(1, integer("min_head")),
            min_clipped=max(2, integer("min_clipped")),
            max_free_tail=integer("max_free_tail"),
            min_filler=integer("min_filler"),
            affixes=tuple(dict.fromkeys(_skeleton(normalize_name(a)) for a in affixes)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Derivation:
    """`name` is built from the popular project `target` by `technique` (with a detail)."""

    name: str
    target: str
    target_display: str
    target_rank: int
    technique: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        """Return the evidence form used in findings."""
        return {
            "target": self.target_display,
            "target_rank": self.target_rank,
            "technique": self.technique,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class _Core:
    """The part of a name that comes from a popular project, and how."""

    target: PopularPackage
    technique: str  # "word" (the whole token) or a TECHNIQUES entry
    detail: str


def _skeleton(name: str) -> str:
    return name.replace("-", "")


def _quote(parts: Sequence[str]) -> str:
    return " + ".join(f"'{p}'" for p in parts)


class DerivationMatcher:
    """Explains names composed from the popular targets of a `PopularList` under a policy."""

    def __init__(
        self, popular: PopularList, policy: DerivationPolicy, allow: AllowList | None = None
    ) -> None:
        self.popular = popular
        self.policy = policy
        self.allow = allow or AllowList()
        self._affixes = frozenset(policy.affixes)
        self._longest_first = sorted(self._affixes, key=lambda a: (-len(a), a))
        self._by_skeleton: dict[str, PopularPackage] = {}
        self._heads: dict[str, PopularPackage] = {}
        self._clipped: dict[str, PopularPackage] = {}
        for target in popular.top(policy.target_top):
            skeleton = _skeleton(target.name)
            self._by_skeleton.setdefault(skeleton, target)
            if len(skeleton) < policy.min_stem:
                continue
            # Targets come best first: the first one to claim a head or a clipped form keeps it.
            # A head one letter short of the name is its clipped form, which min_clipped governs
            # (else "type" + "safe" would come from typer); a compound name (types-requests)
            # lends no heads: its start is a word of its own.
            if "-" not in target.name and target.rank <= policy.portmanteau_top:
                for end in range(policy.min_head, len(skeleton) - 1):
                    self._heads.setdefault(skeleton[:end], target)
            if len(skeleton) - 1 >= policy.min_clipped:
                self._clipped.setdefault(skeleton[:-1], target)

    def derive(self, name: str) -> Derivation | None:
        """Return how `name` was composed from a popular name, or None.

        Listed names (any rank) and allow-listed names are never derived. Every part of the
        name that is not the popular name must be a common word of the vocabulary or another
        listed project's name; among several explanations the most specific technique wins,
        then the most popular target.
        """
        key = normalize_name(name)
        if key in self.popular or key in self.allow.names:
            return None
        tokens = key.split("-")
        found: list[tuple[int, int, Derivation]] = []
        order = {t: i for i, t in enumerate(TECHNIQUES)}
        for start in range(len(tokens)):
            for end in range(start + 1, len(tokens) + 1):
                rest = tokens[:start] + tokens[end:]
                core = self._core(tokens[start:end], whole=not rest)
                if core is None or self.allow.allows(key, core.target.name):
                    continue
                fillers = [self._filler(t) for t in rest]
                if not all(fillers):
                    continue
                technique = core.technique
                if technique == "word":
                    technique = "compound" if "listed" in fillers else "affix"
                detail = core.detail
                if rest:
                    detail += (" and " if core.technique != "word" else " with ") + _quote(rest)
                    detail += " added"
                derivation = Derivation(
                    name=key,
                    target=core.target.name,
                    target_display=core.target.display_name,
                    target_rank=core.target.rank,
                    technique=technique,
                    detail=detail,
                )
                found.append((order[technique], core.target.rank, derivation))
        return min(found, key=lambda item: item[:2])[2] if found else None

    def _filler(self, token: str) -> str:
        """Say what a token beside the popular name is: "word", "listed" or "" (neither)."""
        if token in self._affixes:
            return "word"
        if len(token) >= self.policy.min_filler and token in self.popular:
            return "listed"
        return ""

    def _core(self, tokens: Sequence[str], *, whole: bool) -> _Core | None:
        """Explain `tokens` (joined) as coming from a popular name; `whole`: nothing else."""
        joined = "".join(tokens)
        target = self._by_skeleton.get(joined)
        if target is not None:
            # The whole name is the target with separators moved: the typosquat check's case.
            if whole or len(joined) < self.policy.min_word_stem:
                return None
            return _Core(target, "word", f"'{target.display_name}'")
        if len(tokens) != 1:
            return None
        return self._glued(joined)

    def _glued(self, token: str) -> _Core | None:
        """Explain one separator-free token built on a popular name."""
        policy = self.policy
        for affix in self._longest_first:
            if len(token) <= len(affix):
                continue
            splits = []
            if token.endswith(affix):
                splits.append(token[: -len(affix)])
            if token.startswith(affix):
                splits.append(token[len(affix) :])
            for base in splits:
                target = self._by_skeleton.get(base)
                if target is not None and len(base) >= policy.min_stem:
                    return _Core(
                        target, "affix", f"'{target.display_name}' with '{affix}' glued on"
                    )
        for size in range(2, policy.max_free_tail + 1):
            base, tail = token[:-size], token[-size:]
            target = self._by_skeleton.get(base)
            if target is not None and len(base) >= policy.min_extended and not tail.isdigit():
                return _Core(target, "extension", f"'{target.display_name}' with '{tail}' glued on")
        for affix in self._longest_first:
            head = token[: -len(affix)]
            if len(affix) < 2 or not token.endswith(affix) or len(head) < policy.min_head:
                continue
            target = self._heads.get(head)
            if target is not None:
                return _Core(
                    target,
                    "portmanteau",
                    f"the start of '{target.display_name}' ('{head}') + '{affix}'",
                )
        for size in range(2, policy.max_free_tail + 1):
            head, tail = token[:-size], token[-size:]
            target = self._clipped.get(head)
            # Most of the name must come from the popular one (not "pytes" + "seract").
            if target is not None and _skeleton(target.name)[-1] != tail[0] and size < len(head):
                return _Core(
                    target,
                    "portmanteau",
                    f"'{target.display_name}' clipped to '{head}' + '{tail}'",
                )
        return None


__all__ = ["TECHNIQUES", "Derivation", "DerivationMatcher", "DerivationPolicy"]
