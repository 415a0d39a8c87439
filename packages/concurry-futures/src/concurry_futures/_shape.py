"""Turn the ``fs, *futs`` arguments of wait/gather into leaves and rebuild results.

Collections are lists, tuples, sets, frozensets, dicts (their values) and
one-shot iterators (generators, ``map`` ...); anything else is a single item.
With ``recurse=True`` nested collections are walked and `rebuild` mirrors the
input: lists stay lists, tuples tuples, dicts keep their keys, and sets become
lists (results need not be hashable).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["Shape", "is_collection", "parse"]

_SEQUENCES = (list, tuple, set, frozenset)


def is_collection(obj: object) -> bool:
    """True for the containers wait/gather look into."""
    return isinstance(obj, (*_SEQUENCES, dict, Iterator))


class _Leaf:
    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


class Shape:
    """Where every leaf came from, so results can be put back in place.

    Attributes:
        leaves: The items to wait for, in input order (depth first when nested).
        keys: The key of each leaf: its index, its dict key, or (nested) a path tuple.
        kind: ``"list"``, ``"dict"`` or ``"single"`` for the top level.
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
                "pass either one collection or several futures, not both: "
                f"got a {type(fs).__name__} and {len(futs)} more argument(s)"
            )
        top: Any = [fs, *futs]
    elif isinstance(fs, Iterator):
        top = list(fs)
    else:
        top = fs
    if isinstance(top, dict):
        kind = "dict"
    elif isinstance(top, _SEQUENCES):
        kind = "list"
    else:
        kind = "single"
        top = [top]
    if recurse:
        leaves: list[Any] = []
        keys: list[Any] = []
        template = _walk(top, (), leaves, keys)
        return Shape(leaves, keys, kind, template)
    if kind == "dict":
        return Shape(list(top.values()), list(top.keys()), kind)
    items = top if type(top) is list else list(top)
    return Shape(items, list(range(len(items))), kind)


def _walk(obj: Any, path: tuple[Any, ...], leaves: list[Any], keys: list[Any]) -> Any:
    if isinstance(obj, dict):
        return {k: _walk(v, (*path, k), leaves, keys) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return tuple(_walk(v, (*path, i), leaves, keys) for i, v in enumerate(obj))
    if isinstance(obj, (_SEQUENCES, Iterator)):
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
