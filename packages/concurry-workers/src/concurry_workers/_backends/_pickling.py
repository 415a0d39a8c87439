"""Pickling for what crosses to a worker process: cloudpickle plus validated functions.

A class defined in ``__main__`` (a script or a notebook) or inside a function
cannot be imported by the child, so cloudpickle ships it by value, methods
included. A method decorated with ``pydantic.validate_call`` (or
``morphic.validate``, which is ``validate_call`` with a preset config) is a
pydantic closure around a ``ValidateCallWrapper`` whose state holds pydantic
internals: a ``ConfigWrapper`` (``__slots__`` plus a ``__getattr__`` that reads
a slot, so unpickling it recurses until ``RecursionError``), the namespace the
annotations were resolved in, and compiled validators.

``Pickler`` therefore ships such a function as its raw function, the
decorator's configuration and the objects its string annotations name, and the
receiving side decorates the raw function again. A validated function that the
child can import (defined at the top level of an importable module) still
travels by reference, exactly as with plain cloudpickle.
"""

from __future__ import annotations

import ast
import io
import itertools
import pickle
import sys
import types
import typing
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import cloudpickle

from .._errors import SerializationError

__all__ = ["Pickler", "Shipped", "dumps", "dumps_runtime", "rebuild_validated"]

#: Attributes ``functools.wraps`` and pydantic set on the wrapper; rebuilt, not shipped.
_WRAPPER_ATTRS = frozenset({"__wrapped__", "raw_function"})
_MISSING = object()


class Pickler(cloudpickle.Pickler):
    """A cloudpickle ``Pickler`` that re-creates ``validate_call`` wrappers on load.

    Args:
        file: Where to write.
        protocol: Pickle protocol.
        shipped: The ``Shipped`` record of one child: functions and classes of
            ``__main__`` it already has travel as a token instead of by value.
    """

    def __init__(self, file: Any, protocol: int | None = None, shipped: Shipped | None = None):
        super().__init__(file, protocol=protocol)
        self._shipped = shipped

    def reducer_override(self, obj: Any) -> Any:
        """Reduce a by-value validated function to ``rebuild_validated``; else defer."""
        shipped = self._shipped
        if shipped is not None and _main_level(obj):
            return shipped.reduce(obj)
        if type(obj) is types.FunctionType and "raw_function" in obj.__dict__:
            reduced = _reduce_validated(obj)
            if reduced is not None:
                return reduced
        return super().reducer_override(obj)


class Shipped:
    """Functions and classes of ``__main__`` already sent, by value, to one child process.

    A script's top-level function passed with every call (``map(fn, items)``)
    would otherwise be pickled by value each time: code, globals and all, tens
    of microseconds per call. The first time it travels as ``(token, bytes)``
    and the child keeps it (``_keep``); later only the token (``_kept``).
    A token is used from the next item on only once the item that carried the
    bytes was pickled whole (``commit``); ``rollback`` forgets it otherwise.
    Only top-level objects of ``__main__`` qualify: a bounded set, unlike
    lambdas and closures, which still travel by value every time.
    """

    def __init__(self) -> None:
        self._tokens: dict[int, tuple[int, weakref.ref[Any]]] = {}
        self._pending: list[int] = []

    def reduce(self, obj: Any) -> tuple[Any, ...]:
        """The reduction of ``obj``: its token, or its pickled bytes under a new token."""
        known = self._tokens.get(id(obj))
        if known is not None and known[1]() is obj:
            return _kept, (known[0],)
        token = next(_tokens)
        self._tokens[id(obj)] = (token, weakref.ref(obj))
        self._pending.append(id(obj))
        return _keep, (token, dumps(obj))

    def commit(self) -> None:
        """The item being pickled was written whole: its new tokens are the child's."""
        self._pending.clear()

    def rollback(self) -> None:
        """The item failed to pickle: the child never got the bytes."""
        for key in self._pending:
            self._tokens.pop(key, None)
        self._pending.clear()


_tokens = itertools.count(1)
#: In a worker process: the objects ``Shipped`` sent once, by token.
_kept_objects: dict[int, Any] = {}


def _keep(token: int, data: bytes) -> Any:
    obj = pickle.loads(data)
    _kept_objects[token] = obj
    return obj


def _kept(token: int) -> Any:
    try:
        return _kept_objects[token]
    except KeyError:
        raise pickle.UnpicklingError(
            f"object #{token} of __main__ was never received by this worker process"
        ) from None


def _main_level(obj: Any) -> bool:
    """True for a function or class defined at the top level of ``__main__``."""
    kind = type(obj)
    if kind is not types.FunctionType and not isinstance(obj, type):
        return False
    if getattr(obj, "__module__", None) != "__main__":
        return False
    name = getattr(obj, "__qualname__", "")
    return "." not in name and getattr(sys.modules["__main__"], name, None) is obj


def dumps(obj: Any, protocol: int | None = None) -> bytes:
    """Pickle ``obj`` like ``cloudpickle.dumps``, shipping validated functions rebuildable.

    Args:
        obj: Anything cloudpickle can pickle.
        protocol: Pickle protocol; the highest one by default.

    Returns:
        Bytes that plain ``pickle.loads`` (or ``cloudpickle.loads``) reads back.
    """
    buf = io.BytesIO()
    Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL if protocol is None else protocol).dump(obj)
    return buf.getvalue()


def dumps_runtime(runtime: Any) -> bytes:
    """Pickle a ``WorkerRuntime`` for a worker process (read back with ``cloudpickle.loads``).

    Raises:
        SerializationError: the worker class or an init argument cannot be pickled.
    """
    try:
        return dumps(runtime)
    except Exception as exc:
        raise SerializationError(
            f"worker class or init arguments could not be pickled: {exc}"
        ) from exc


def rebuild_validated(
    raw: Any,
    config: Mapping[str, Any] | None,
    validate_return: bool,
    namespace: dict[str, Any],
    attrs: dict[str, Any],
) -> Callable[..., Any]:
    """Apply ``pydantic.validate_call`` to ``raw`` again (the receiving side of ``Pickler``).

    Args:
        raw: The undecorated function.
        config: The decorator's ``config`` (None when it had none).
        validate_return: The decorator's ``validate_return``.
        namespace: Objects the string annotations of ``raw`` name, for resolving them
            where the defining scope (a function's locals, a notebook) is not at hand.
        attrs: Attributes the original wrapper carried besides those ``functools.wraps``
            copies from ``raw`` (set by other decorators or by the user).

    Returns:
        A validating function equivalent to the one that was pickled.
    """
    # pydantic's public decorator takes the annotation namespace from its caller's
    # frame; its own wrapper class takes it as an argument, so use that directly.
    from pydantic import ConfigDict
    from pydantic._internal._validate_call import ValidateCallWrapper, update_wrapper_attributes

    config_dict = typing.cast(ConfigDict, dict(config)) if config else None
    wrapper = ValidateCallWrapper(raw, config_dict, validate_return, namespace)
    fn = update_wrapper_attributes(raw, wrapper.__call__)
    fn.__dict__.update(attrs)
    return fn  # type: ignore[no-any-return]


def _reduce_validated(fn: types.FunctionType) -> tuple[Any, ...] | None:
    if _importable(fn):
        return None
    inner = _validate_call_wrapper(fn)
    if inner is None:
        return None  # not pydantic's wrapper after all: let cloudpickle try
    raw = fn.__dict__["raw_function"]
    config_wrapper = getattr(inner, "config_wrapper", None)
    config = getattr(config_wrapper, "config_dict", None)
    attrs = {
        key: value
        for key, value in fn.__dict__.items()
        if key not in _WRAPPER_ATTRS
        and getattr(raw, "__dict__", {}).get(key, _MISSING) is not value
    }
    args = (
        raw,
        config,
        bool(getattr(inner, "validate_return", False)),
        _namespace(raw, inner),
        attrs,
    )
    return rebuild_validated, args


def _importable(fn: types.FunctionType) -> bool:
    """True when the child can import ``fn`` by name, so cloudpickle ships a reference."""
    module_name = getattr(fn, "__module__", None)
    if not module_name or module_name == "__main__":
        return False
    module = sys.modules.get(module_name)
    if module is None or _registered_by_value(module_name):
        return False
    obj: Any = module
    for part in fn.__qualname__.split("."):
        obj = getattr(obj, part, _MISSING)
        if obj is _MISSING:
            return False
    return obj is fn


def _registered_by_value(module_name: str) -> bool:
    """``cloudpickle.register_pickle_by_value`` covers the module or a package above it."""
    registered = cloudpickle.list_registry_pickle_by_value()
    parts = module_name.split(".")
    return any(".".join(parts[:i]) in registered for i in range(1, len(parts) + 1))


def _validate_call_wrapper(fn: types.FunctionType) -> Any:
    """The ``ValidateCallWrapper`` a pydantic-made wrapper function closes over, or None."""
    for cell in fn.__closure__ or ():
        try:
            content = cell.cell_contents
        except ValueError:
            continue  # an empty cell
        inner = getattr(content, "__self__", None)
        if type(inner).__name__ == "ValidateCallWrapper" and type(inner).__module__.startswith(
            "pydantic."
        ):
            return inner
    return None


def _namespace(raw: Any, inner: Any) -> dict[str, Any]:
    """The objects the string annotations of ``raw`` name, looked up where pydantic did."""
    names = set(_annotation_names(getattr(_unwrap_callable(raw), "__annotations__", None) or {}))
    if not names:
        return {}
    scopes: list[Mapping[str, Any]] = []
    ns_tuple = getattr(getattr(inner, "ns_resolver", None), "types_namespace", None)
    if ns_tuple is not None:
        scopes.extend(scope for scope in ns_tuple if scope is not None)
    func_globals = getattr(_unwrap_callable(raw), "__globals__", None)
    if func_globals is not None:
        scopes.append(func_globals)
    found: dict[str, Any] = {}
    for name in sorted(names):
        for scope in scopes:
            try:
                found[name] = scope[name]
            except KeyError:
                continue
            break
    return found


def _unwrap_callable(raw: Any) -> Any:
    """The plain function inside a partial, staticmethod or classmethod."""
    while True:
        inner = getattr(raw, "func", None) or getattr(raw, "__func__", None)
        if inner is None:
            return raw
        raw = inner


def _annotation_names(annotations: Mapping[str, Any]) -> Iterator[str]:
    for annotation in annotations.values():
        yield from _names_in(annotation)


def _names_in(annotation: Any) -> Iterator[str]:
    """Top-level names in string annotations, including strings nested in ``list['X']``."""
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        try:
            tree = ast.parse(annotation, mode="eval")
        except SyntaxError:
            return
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                yield node.id
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield from _names_in(node.value)
        return
    for arg in typing.get_args(annotation):
        yield from _names_in(arg)
