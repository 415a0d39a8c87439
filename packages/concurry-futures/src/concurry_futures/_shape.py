"""Turn the ``fs, *futs`` arguments of wait/gather into leaves and rebuild results.

Collections are lists, tuples, sets, dicts (their values), other sequences,
sets and mappings, dict views and iterators (generators, ``map`` ...);
strings, bytes, futures and everything else are single items.
With ``recurse=True`` nested collections are walked and `rebuild` mirrors the
input: lists stay lists, tuples tuples, dicts keep their keys, and sets become
lists (results need not be hashable).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MappingView, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import Future
from typing import Any

from ._asyncio import AsyncioFuture
from ._concurrent import ConcurrentFuture
from ._sync import SyncFuture

__all__ = ["Shape", "is_collection", "parse"]

_EXACT: dict[type, str] = {
    list: "list",
    tuple: "tuple",
    set: "list",
    frozenset: "list",
    dict: "dict",
}
# Common leaves, rejected before the slower abstract-class checks.
_LEAVES = frozenset(
    (Future, ConcurrentFuture, SyncFuture, AsyncioFuture, int, float, str, bytes, type(None))
)
_ATOMS = (str, bytes, bytearray, memoryview)


def _kind(obj: object) -> str | None:
    """``"list"``, ``"tuple"`` or ``"dict"`` for containers, None for single items."""
    t = type(obj)
    kind = _EXACT.get(t)
    if kind is not None or t in _LEAVES or isinstance(obj, _ATOMS):
        return kind
    if isinstance(obj, Mapping):
        return "dict"
    if isinstance(obj, tuple):
        return "tuple"
    if isinstance(obj, Sequence | AbstractSet | MappingView | Iterator):
        return "list"
    return None


def is_collection(obj: object) -> bool:
    """True for the containers wait/gather look into."""
    return _kind(obj) is not None


class _Leaf:
    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


class Shape:
    """Where every leaf came from, so results can be put back in place.

    Attributes:
        leaves: The items to wait for, in input order (depth first when nested).
        keys: The key of each leaf: its index, its dict key, or (nested) a path tuple.
        kind: ``"list"``, ``"dict"`` or ``"single"``: the top level, as gather returns it.
        template: The nested structure with `_Leaf` markers (``recurse=True`` only).
    """

    __slots__ = ("keys", "kind", "leaves", "template")

    def __init__(self, leaves: list[Any], keys: list[Any], kind: str, template: Any = None):
        self.leaves = leaves
        self.keys = keys
        self.kind = kind
        self.template = template

    def rebuild(self, values: list[Any]) -> Any:
        """The gather result: values arranged like the input."""
        if self.template is not None:
            return _fill(self.template, values)
        if self.kind == "dict":
            return dict(zip(self.keys, values))
        return values


def parse(fs: Any, futs: tuple[Any, ...], recurse: bool) -> Shape:
    """Split the user's arguments into leaves.

    Raises:
        ValueError: Extra positional futures given after a collection.
    """
    if futs:
        if is_collection(fs):
            raise ValueError(
                "Cannot provide both a structure and extra positional futures: pass either "
                f"one collection or several futures, got a {type(fs).__name__} and "
                f"{len(futs)} more argument(s)"
            )
        top: Any = [fs, *futs]
        kind = "list"
    else:
        top = fs
        kind = _kind(top) or "single"
        if kind == "single":
            top = [top]
    if recurse:
        leaves: list[Any] = []
        keys: list[Any] = []
        template = _walk(top, (), leaves, keys)
        return Shape(leaves, keys, "dict" if kind == "dict" else "list", template)
    if kind == "dict":
        return Shape(list(top.values()), list(top.keys()), kind)
    items = top if type(top) is list else list(top)
    return Shape(items, list(range(len(items))), "list" if kind == "tuple" else kind)


def _walk(obj: Any, path: tuple[Any, ...], leaves: list[Any], keys: list[Any]) -> Any:
    kind = _kind(obj)
    if kind == "dict":
        return {k: _walk(v, (*path, k), leaves, keys) for k, v in obj.items()}
    if kind == "tuple":
        return tuple(_walk(v, (*path, i), leaves, keys) for i, v in enumerate(obj))
    if kind == "list":
        return [_walk(v, (*path, i), leaves, keys) for i, v in enumerate(obj)]
    leaves.append(obj)
    keys.append(path)
    return _Leaf(len(leaves) - 1)


def _fill(template: Any, values: list[Any]) -> Any:
    if isinstance(template, _Leaf):
        return values[template.index]
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, tuple):
        return tuple(_fill(v, values) for v in template)
    return [_fill(v, values) for v in template]
