"""Inputs for differential testing: call-site literals, doctests, and hypothesis-drawn values.

Strategies come from the parameters' type hints where they are plain (``str``, ``int``,
``list[str]``, ``X | None`` ...), else from the types of the literals the project passes at its
call sites. Examples are drawn deterministically (``derandomize``) in Auditor's own process: the
sandbox only receives the values (pickled by Auditor), never hypothesis.
"""

from __future__ import annotations

import ast
import doctest
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.replace.callsites import CallSite
from auditor.replace.slicer import Param, SymbolInfo


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One call to try on both sides: the exported name, arguments, and where they came from."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    source: str = "hypothesis"
    value: bool = False
    module: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The form pickled into the sandbox."""
        return {
            "name": self.name,
            "args": list(self.args),
            "kwargs": dict(self.kwargs),
            "value": self.value,
            "module": self.module,
        }


def _texts() -> Any:
    """Text inputs: any Unicode, printable ASCII, and word-like names (``a.b-c_1``).

    Unicode alone mostly exercises the first validation a string library makes; ASCII and
    word-like strings reach the branches behind it.
    """
    from hypothesis import strategies as st

    ascii_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
    words = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,15}", fullmatch=True)
    return st.one_of(st.text(max_size=30), ascii_text, words)


def _strategy_for_annotation(text: str) -> Any:
    from hypothesis import strategies as st

    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    return _from_node(node, st)


def _from_node(node: ast.expr, st: Any) -> Any:
    simple = {
        "str": _texts(),
        "bytearray": st.binary(max_size=30).map(bytearray),
        "int": st.integers(-1000, 1000),
        "float": st.floats(-1e6, 1e6, allow_nan=False),
        "bool": st.booleans(),
        "bytes": st.binary(max_size=30),
        "None": st.none(),
    }
    if isinstance(node, ast.Constant) and node.value is None:
        return st.none()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return _from_node(ast.parse(node.value, mode="eval").body, st)
        except SyntaxError:
            return None
    if isinstance(node, ast.Name | ast.Attribute):
        name = node.id if isinstance(node, ast.Name) else node.attr
        return simple.get(name)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _from_node(node.left, st), _from_node(node.right, st)
        return st.one_of(left, right) if left is not None and right is not None else None
    if isinstance(node, ast.Subscript):
        outer = (
            node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "")
        )
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        parts = [_from_node(n, st) for n in inner]
        if any(p is None for p in parts):
            return None
        if outer in ("list", "List", "Sequence", "Iterable"):
            return st.lists(parts[0], max_size=8)
        if outer in ("set", "Set", "frozenset", "FrozenSet"):
            return st.frozensets(parts[0], max_size=8)
        if outer in ("dict", "Dict", "Mapping") and len(parts) == 2:
            return st.dictionaries(parts[0], parts[1], max_size=6)
        if outer in ("tuple", "Tuple"):
            return st.tuples(*parts)
        if outer == "Optional":
            return st.one_of(st.none(), parts[0])
        if outer == "Union":
            return st.one_of(*parts)
    return None


def _strategy_like(value: Any) -> Any:
    """A strategy for values of the same shape as `value` (a call-site literal)."""
    from hypothesis import strategies as st

    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(-1000, 1000)
    if isinstance(value, float):
        return st.floats(-1e6, 1e6, allow_nan=False)
    if isinstance(value, str):
        return _texts()
    if isinstance(value, bytes):
        return st.binary(max_size=30)
    if isinstance(value, list | tuple) and value:
        inner = _strategy_like(value[0])
        if inner is None:
            return None
        lists = st.lists(inner, max_size=8)
        return lists if isinstance(value, list) else lists.map(tuple)
    if value is None:
        return st.none()
    return None


_TEXT_NAMES = (
    "s",
    "string",
    "text",
    "word",
    "name",
    "prefix",
    "suffix",
    "sep",
    "expression",
    "expr",
    "pattern",
    "path",
    "file",
    "filename",
    "url",
    "key",
    "query",
    "line",
)
_INT_NAMES = ("n", "i", "k", "count", "size", "width", "num", "number", "index", "length")
_SEQ_NAMES = ("seq", "seqs", "items", "iterable", "xs", "lst", "values", "coll")
_DATA_NAMES = ("data", "obj", "value", "item", "x", "doc", "document", "payload", "d")


def _fallback(param: Param) -> Any:
    """A strategy from the parameter's name alone (untyped, no literal at any call site)."""
    from hypothesis import strategies as st

    name = param.name.lower()
    if name in _TEXT_NAMES or name.endswith(("_str", "_text", "_name")):
        # Untyped: mostly text, sometimes bytes, None or a number (type checks are behaviour).
        return st.one_of(
            _texts(), _texts(), _texts(), st.binary(max_size=12), st.none(), st.integers(-5, 5)
        )
    if name in _INT_NAMES or name.startswith(("n_", "num_")):
        return st.integers(-5, 50)
    if name in _SEQ_NAMES or name.endswith("s"):
        return st.lists(st.integers(-50, 50), max_size=8)
    if name in _DATA_NAMES:
        scalars = st.none() | st.booleans() | st.integers(-100, 100) | st.text(max_size=10)
        return st.recursive(
            scalars,
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=6), inner, max_size=4)
            ),
            max_leaves=10,
        )
    return None


def _param_strategy(param: Param, position: int, sites: Sequence[CallSite]) -> Any:
    if param.annotation:
        found = _strategy_for_annotation(param.annotation)
        if found is not None:
            return found
    for site in sites:
        if site.args is not None and position < len(site.args):
            found = _strategy_like(site.args[position])
            if found is not None:
                return found
        if site.kwargs and param.name in site.kwargs:
            found = _strategy_like(site.kwargs[param.name])
            if found is not None:
                return found
    return _fallback(param)


def hypothesis_cases(info: SymbolInfo, sites: Sequence[CallSite], examples: int) -> list[Case]:
    """Draw `examples` argument tuples for a function (none when a required one has no strategy)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    if info.kind != "function" or examples <= 0:
        return []
    positional: list[Any] = []
    for position, param in enumerate(info.params):
        if param.kind in ("var_positional", "var_keyword", "keyword"):
            continue
        strategy = _param_strategy(param, position, sites)
        if strategy is None:
            if param.default is None:
                return []
            break
        positional.append(strategy)
    if not positional:
        required = [
            p
            for p in info.params
            if p.default is None and p.kind in ("positional", "either", "keyword")
        ]
        return [] if required else [Case(name=info.name, source="defaults")]
    drawn: list[tuple[Any, ...]] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.tuples(*positional))
    def collect(values: tuple[Any, ...]) -> None:
        drawn.append(values)

    collect()
    unique: dict[str, tuple[Any, ...]] = {repr(v): v for v in drawn}
    return [Case(name=info.name, args=v, source="hypothesis") for v in unique.values()]


def literal_cases(info: SymbolInfo, sites: Iterable[CallSite]) -> list[Case]:
    """The project's own literal calls of the symbol."""
    return [
        Case(name=info.name, args=site.args, kwargs=dict(site.kwargs or {}), source="call-site")
        for site in sites
        if site.args is not None and site.symbol == info.qualified
    ]


def doctest_cases(info: SymbolInfo) -> list[Case]:
    """Calls of the symbol with literal arguments in its docstring's examples."""
    if not info.doc:
        return []
    try:
        examples = doctest.DocTestParser().get_examples(info.doc)
    except ValueError:
        return []
    cases: list[Case] = []
    for example in examples:
        try:
            node = ast.parse(example.source.strip(), mode="eval").body
        except SyntaxError:
            continue
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id != info.name or any(isinstance(a, ast.Starred) for a in node.args):
            continue
        try:
            args = tuple(ast.literal_eval(a) for a in node.args)
            kwargs = {str(k.arg): ast.literal_eval(k.value) for k in node.keywords if k.arg}
        except (ValueError, TypeError, SyntaxError, RecursionError):
            continue
        cases.append(Case(name=info.name, args=args, kwargs=kwargs, source="doctest"))
    return cases


def build_cases(
    symbols: Iterable[SymbolInfo], sites: Sequence[CallSite], *, examples: int
) -> list[Case]:
    """Every case for every used symbol: call sites and doctests first, then hypothesis."""
    cases: list[Case] = []
    for info in symbols:
        mine = [s for s in sites if s.symbol == info.qualified]
        if info.kind == "value":
            cases.append(Case(name=info.name, source="value", value=True))
            continue
        cases += literal_cases(info, mine)
        cases += doctest_cases(info)
        cases += hypothesis_cases(info, mine, examples)
    return cases


__all__ = ["Case", "build_cases", "doctest_cases", "hypothesis_cases", "literal_cases"]
