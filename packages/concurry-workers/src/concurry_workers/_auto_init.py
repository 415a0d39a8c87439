"""Auto-init: calling a worker class that has options starts a worker.

A class that gets options from ``@worker(...)`` or class keywords
(``class W(Worker, mode="thread")``) is *auto-init*: ``W(*args)`` returns
``W.options().init(*args)``, a running worker's proxy, as in the original
concurry. ``auto_init=False`` (decorator argument or class keyword) keeps the
plain class; a class without options or ``auto_init`` inherits its parent's
setting.

Only "calling the class" changes. Everything that builds a real instance
keeps doing so: the worker runtime (``plain_new``), ``copy`` and ``pickle``
of instances, a pydantic model's validation and copies. Two mechanisms, one
per kind of class, each covering what the other cannot:

* a class whose metaclass is ``type`` gets an ``__new__`` that returns the
  proxy (Python then skips ``__init__``), and a ``__reduce_ex__`` so that
  copies and unpickled instances are made without it (``type`` itself cannot
  be swapped for a subclass on an existing class);
* a class with its own metaclass (pydantic, morphic, ``ABCMeta``) has that
  metaclass swapped for a subclass whose ``__call__`` starts the worker
  (pydantic calls ``cls.__new__(cls)`` to validate and copy, so ``__new__``
  is not ours to change there). These metaclasses are importable from this
  module by name, so such classes still pickle by value (cloudpickle).
"""

from __future__ import annotations

import copyreg
import importlib
import threading
from typing import Any

__all__ = ["auto_init_enabled", "enable_auto_init", "plain_new", "set_starter"]

#: Class attribute holding an explicit auto-init setting (looked up along the MRO).
FLAG = "__concurry_auto_init__"
#: Where a class's own ``__new__`` is kept when ``_auto_new`` replaces it.
_SAVED_NEW = "__concurry_plain_new__"
_PREFIX = "AutoInit:"


def auto_init_enabled(cls: type) -> bool:
    """True when calling ``cls`` starts a worker (the nearest setting in its MRO)."""
    for klass in cls.__mro__:
        if FLAG in vars(klass):
            return bool(vars(klass)[FLAG])
    return False


#: ``start(cls, args, kwargs)``: builds and starts a worker of ``cls``. Set by
#: ``_builder`` when it is imported (it imports, indirectly, this module).
_starter: Any = None


def set_starter(start: Any) -> None:
    """Register the function that starts a worker when an auto-init class is called."""
    global _starter
    _starter = start


def _start(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return _starter(cls, args, kwargs)


# -- classes whose metaclass is ``type``: ``__new__`` ------------------------------------
def _auto_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    if auto_init_enabled(cls):
        return _start(cls, args, kwargs)
    return plain_new(cls, args, kwargs)


def plain_new(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A new, not yet initialised instance of ``cls``; never starts a worker.

    Calls the first ``__new__`` along the MRO that is not auto-init's own
    (``object.__new__`` without the arguments, as ``type.__call__`` does).
    """
    new: Any = None
    for klass in cls.__mro__:
        own = vars(klass)
        new = own.get("__new__")
        if new is not None and getattr(new, "__func__", new) is not _auto_new:
            break
        if _SAVED_NEW in own:
            new = own[_SAVED_NEW]
            break
    else:  # pragma: no cover - object is always in the MRO
        new = object.__new__
    new = getattr(new, "__func__", new)
    if new is object.__new__:
        return object.__new__(cls)
    return new(cls, *args, **kwargs)


def _newobj(cls: type, *args: Any) -> Any:
    return plain_new(cls, args, {})


def _newobj_ex(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return plain_new(cls, args, kwargs)


def _reduce_ex(self: Any, protocol: Any) -> Any:
    # object's own reduction (it honours __reduce__, __getstate__, ...), rebuilt
    # with plain_new instead of cls.__new__
    reduced = object.__reduce_ex__(self, protocol)
    if isinstance(reduced, tuple) and reduced:
        if reduced[0] is copyreg.__newobj__:  # type: ignore[attr-defined]
            return (_newobj, *reduced[1:])
        if reduced[0] is copyreg.__newobj_ex__:  # type: ignore[attr-defined]
            return (_newobj_ex, *reduced[1:])
    return reduced


def _install_new(cls: type) -> None:
    own_new = vars(cls).get("__new__")
    if own_new is not None and getattr(own_new, "__func__", own_new) is not _auto_new:
        setattr(cls, _SAVED_NEW, own_new)
    cls.__new__ = staticmethod(_auto_new)  # type: ignore[assignment]
    if getattr(cls, "__reduce_ex__", None) is object.__reduce_ex__:
        cls.__reduce_ex__ = _reduce_ex  # type: ignore[assignment,method-assign]


# -- classes with their own metaclass: a metaclass subclass ------------------------------
_metas: dict[type, type] = {}
_metas_lock = threading.Lock()


def _meta_call(cls: Any, *args: Any, **kwargs: Any) -> Any:
    if auto_init_enabled(cls):
        return _start(cls, args, kwargs)
    ours: Any = _auto_meta_of(type(cls))
    return super(ours, cls).__call__(*args, **kwargs)


def _auto_meta_of(meta: Any) -> type | None:
    """The auto-init metaclass in ``meta``'s MRO (``meta`` may be a user's subclass of it)."""
    for klass in meta.__mro__:
        if klass.__dict__.get("__concurry_auto_meta__"):
            return klass  # type: ignore[no-any-return]
    return None


def auto_meta(base: type) -> type:
    """The auto-init subclass of the metaclass ``base`` (one per ``base``, cached)."""
    with _metas_lock:
        meta = _metas.get(base)
        if meta is None:
            name = f"{_PREFIX}{base.__module__}:{base.__qualname__}".replace(".", "/")
            meta = type(base)(
                f"AutoInit{base.__name__}",
                (base,),
                {
                    "__call__": _meta_call,
                    "__concurry_auto_meta__": True,
                    "__module__": __name__,
                    "__qualname__": name,
                    "__doc__": f"{base.__name__} whose classes start a worker when called.",
                },
            )
            _metas[base] = meta
    return meta


def __getattr__(name: str) -> Any:
    # pickle finds an auto-init metaclass by its qualified name (see auto_meta)
    if name.startswith(_PREFIX):
        module, _, qualname = name[len(_PREFIX) :].replace("/", ".").partition(":")
        base: Any = importlib.import_module(module)
        for part in qualname.split("."):
            base = getattr(base, part)
        return auto_meta(base)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- entry point ----------------------------------------------------------------------
def enable_auto_init(cls: type) -> None:
    """Make calling ``cls`` (and its subclasses) consult its auto-init setting.

    Called for every worker class whose setting (own or inherited) is on.

    Raises:
        TypeError: ``cls`` has a metaclass that cannot be replaced by a subclass.
    """
    meta: Any = type(cls)
    if meta is type:
        if getattr(cls.__new__, "__func__", cls.__new__) is not _auto_new:
            _install_new(cls)
        return
    if _auto_meta_of(meta) is not None:
        return  # inherited from an auto-init class
    try:
        cls.__class__ = auto_meta(meta)
    except TypeError as exc:
        raise TypeError(
            f"auto_init needs to replace the metaclass of {cls.__qualname__} "
            f"({meta.__qualname__}) and cannot: {exc}; pass auto_init=False and start "
            f"workers with .options(...).init(...)"
        ) from None
