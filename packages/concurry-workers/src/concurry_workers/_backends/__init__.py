"""Execution backends, loaded by mode name.

Built-in backends live in one module each; other modes (``ray``) come from the
``concurry.worker_backends`` entry point group, installed by their package.
"""

from __future__ import annotations

import importlib
from typing import Any

from .._enums import ExecutionMode
from .._errors import BackendUnavailableError
from ._base import Backend

__all__ = ["ENTRY_POINT_GROUP", "Backend", "get_backend"]

ENTRY_POINT_GROUP = "concurry.worker_backends"

_BUILTIN = {
    "sync": ("._sync", "SyncBackend"),
    "thread": ("._thread", "ThreadBackend"),
    "process": ("._process", "ProcessBackend"),
    "asyncio": ("._asyncio", "AsyncioBackend"),
}
_INSTALL_HINT = {"ray": "pip install concurry[ray]"}
_cache: dict[Any, type[Backend]] = {}


def get_backend(mode: str | ExecutionMode) -> type[Backend]:
    """Return the backend class for ``mode``, importing it on first use.

    Raises:
        BackendUnavailableError: No installed package provides the backend.
    """
    try:
        return _cache[mode]  # type: ignore[index]  # keyed by the member too: no enum call
    except (KeyError, TypeError):
        pass
    name = ExecutionMode(mode).value
    try:
        return _cache[name]
    except KeyError:
        pass
    if name in _BUILTIN:
        module, attr = _BUILTIN[name]
        backend: Any = getattr(importlib.import_module(module, __name__), attr)
    else:
        backend = _from_entry_point(name)
    _cache[name] = backend
    if isinstance(mode, ExecutionMode):
        _cache[mode] = backend  # type: ignore[index]
    return backend


def _from_entry_point(name: str) -> Any:
    # the one plugin lookup every concurry package uses (concurry-limits is a dependency)
    from concurry_limits.plugins import PluginNotFoundError, load_plugin

    hint = _INSTALL_HINT.get(name, f"install a package providing the {name!r} backend")
    try:
        return load_plugin(ENTRY_POINT_GROUP, name, hint)
    except PluginNotFoundError:
        raise BackendUnavailableError(
            f"mode={name!r} needs the {name.title()} backend: {hint}"
        ) from None
