"""Backends by name: the built-in ones, those added with :func:`register_backend`, and plugins.

A name is looked up in the registry first, then as an entry point in the group
``concurry.limit_backends`` (how concurry-ray publishes ``"ray"``). This module
imports the backends; they import only ``_base``, never this module.
"""

from __future__ import annotations

from collections.abc import Callable

from concurry_limits._backends._base import Backend
from concurry_limits._errors import LimitValidationError, PluginNotFoundError
from concurry_limits.plugins import load_plugin

__all__ = ["PLUGIN_GROUP", "register_backend", "resolve_backend"]

PLUGIN_GROUP = "concurry.limit_backends"
_INSTALL_HINTS = {"ray": "pip install concurry[ray]"}


def _norm(text: str) -> str:
    return text.lower().replace("_", "").replace("-", "").replace(" ", "")


_REGISTRY: dict[str, Callable[[], Backend]] = {}


def register_backend(name: str, factory: Callable[[], Backend], *aliases: str) -> None:
    """Make ``LimitSet(backend=name)`` (and ``mode=name``) build ``factory()``.

    A registered name takes precedence over an entry point of the same name.

    Args:
        name: The backend's name (matched case-insensitively, ignoring ``_ - ``).
        factory: Called with no argument to build the backend.
        *aliases: More names for the same backend.
    """
    for n in (name, *aliases):
        _REGISTRY[_norm(n)] = factory


# The built-in backends are imported on first use: the multiprocess one pulls in
# mmap and fcntl, which ``import concurry_limits`` must not.


def _inprocess() -> Backend:
    from concurry_limits._backends._inprocess import InProcessBackend

    return InProcessBackend()


def _multiprocess() -> Backend:
    from concurry_limits._backends._multiprocess import MultiprocessBackend

    return MultiprocessBackend()


def _redis() -> Backend:
    from concurry_limits._backends._redis import RedisBackend

    return RedisBackend()


register_backend("inprocess", _inprocess, "in_process", "local", "memory", "thread", "threads")
register_backend("multiprocess", _multiprocess, "process", "processes", "shared_memory", "shm")
register_backend("redis", _redis)


def _plugin(value: str) -> Callable[[], Backend]:
    """The factory an entry point publishes under ``value``, or the validation error."""
    name = _norm(value)
    hint = _INSTALL_HINTS.get(name)
    try:
        factory: Callable[[], Backend] = load_plugin(PLUGIN_GROUP, name, hint or "")
    except PluginNotFoundError as exc:
        if hint is not None:
            raise LimitValidationError(f"backend {value!r} is not registered; {exc}") from None
        choices = ", ".join(sorted(_REGISTRY))
        raise LimitValidationError(f"unknown backend {value!r}; valid choices: {choices}") from None
    return factory


def resolve_backend(value: Backend | str) -> Backend:
    """A backend from an instance, a registered name or an installed plugin's name.

    Raises:
        LimitValidationError: the name is neither registered nor installed as a
            plugin (for ``"ray"`` the message says to ``pip install concurry[ray]``),
            or the plugin does not build a :class:`Backend`.
    """
    if isinstance(value, Backend):
        return value
    if isinstance(value, str):
        factory = _REGISTRY.get(_norm(value))
        if factory is None:
            factory = _plugin(value)
        backend = factory()
        if not isinstance(backend, Backend):
            raise LimitValidationError(
                f"backend {value!r} must build a Backend, got {backend!r} from {factory!r}"
            )
        return backend
    raise LimitValidationError(f"backend must be a Backend or a name, got {value!r}")
