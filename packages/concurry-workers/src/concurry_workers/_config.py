"""``global_config`` and ``temp_config``: library-wide defaults for worker options.

``global_config.defaults`` holds mode-independent defaults; ``global_config.<mode>``
(``sync``, ``thread``, ``process``, ``asyncio``, ``ray``) holds per-mode values.
A mode section field that was never set inherits from ``defaults``. Values are
validated on assignment::

    global_config.thread.max_queued_tasks = 50
    global_config.defaults.num_retries = 2
    with temp_config(global_num_retries=2, thread_max_queued_tasks=7):
        ...

``get_defaults(mode)``, ``reset_to_defaults()`` and ``model_dump()`` are the
original concurry's names for reading and resetting it; its polling keys are
accepted with a ``DeprecationWarning`` (``_config_retired``).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._config_retired import is_retired, warn_retired
from ._enums import ExecutionMode
from ._sentinel import _NO_ARG
from ._validate import VALIDATORS

__all__ = ["GlobalConfig", "global_config", "temp_config"]


def _default_mp_context() -> str:
    # fork is unsafe in a process that runs threads (ours do); forkserver is
    # safe and, after its first start, nearly as quick; spawn is the fallback.
    return "forkserver" if sys.platform.startswith("linux") else "spawn"


_DEFAULTS: dict[str, Any] = {
    "mode": ExecutionMode.Sync,
    "blocking": False,
    "max_workers": 1,
    "load_balancing": "round_robin",
    "load_balancing_on_demand": "random",
    "max_queued_tasks": None,
    "unwrap_futures": True,
    "num_retries": 0,
    "retry_on": [Exception],
    "retry_algorithm": "exponential",
    "retry_wait": 1.0,
    "retry_jitter": 0.3,
    "retry_until": None,
    "stop_timeout": 30.0,
    "task_decorator_on_demand": True,
}

_MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "sync": {"max_queued_tasks": None},
    "thread": {"max_queued_tasks": 100},
    "process": {"max_queued_tasks": 5, "mp_context": _NO_ARG},
    "asyncio": {"max_queued_tasks": None},
    "ray": {"max_queued_tasks": 2},
}

_MODE_FIELDS = tuple(f for f in _DEFAULTS if f not in ("mode", "task_decorator_on_demand"))


def _mode_values(mode: str) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(_MODE_FIELDS, _NO_ARG)
    values.update(_MODE_DEFAULTS[mode])
    return values


_version = [0]


def _bump() -> None:
    _version[0] += 1


def config_version() -> int:
    """A number that changes whenever any ``global_config`` value changes (for caches)."""
    return _version[0]


class ConfigSection:
    """One section of ``global_config``: validated attributes, inheriting from a parent.

    The original concurry's polling keys (``polling_*``, ...) are accepted as
    attributes with a ``DeprecationWarning`` and have no effect.
    """

    __slots__ = ("_name", "_parent", "_retired", "_values")

    def __init__(self, name: str, values: dict[str, Any], parent: ConfigSection | None) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_parent", parent)
        object.__setattr__(self, "_values", dict.fromkeys(values, _NO_ARG))
        object.__setattr__(self, "_retired", {})
        self.load(values)

    def load(self, values: dict[str, Any]) -> None:
        """Set every field from ``values`` (validated; ``_NO_ARG`` = inherit)."""
        self._retired.clear()
        for key, value in values.items():
            setattr(self, key, value)

    def fields(self) -> tuple[str, ...]:
        """The names of the fields of this section."""
        return tuple(self._values)

    def model_dump(self) -> dict[str, Any]:
        """The effective value of every field (inherited ones resolved), as a dict."""
        return {key: getattr(self, key) for key in self._values}

    def __getattr__(self, key: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if key not in values:
            if is_retired(key):
                warn_retired(key, stacklevel=2)
                return object.__getattribute__(self, "_retired").get(key)
            raise AttributeError(
                f"config section {self._name!r} has no field {key!r}; "
                f"valid fields: {', '.join(sorted(values))}"
            )
        value = values[key]
        if value is _NO_ARG:
            if key == "mp_context":
                return _default_mp_context()
            if self._parent is not None:
                return getattr(self._parent, key)
        return value

    def __setattr__(self, key: str, value: Any) -> None:
        if key not in self._values:
            if is_retired(key):
                warn_retired(key, stacklevel=2)
                self._retired[key] = value
                return
            raise AttributeError(
                f"config section {self._name!r} has no field {key!r}; "
                f"valid fields: {', '.join(sorted(self._values))}"
            )
        if value is _NO_ARG and self._parent is None and key != "mp_context":
            raise ValueError(f"defaults.{key} cannot be unset")
        if value is not _NO_ARG:
            value = VALIDATORS[key](f"{self._name}.{key}", value)
        self._values[key] = value
        _bump()

    def raw(self, key: str) -> Any:
        """The stored value of ``key`` without inheritance (``_NO_ARG`` if unset)."""
        return self._values[key]

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._values)
        return f"{self._name}({body})"


class GlobalConfig:
    """The library-wide option defaults: ``defaults`` plus one section per mode.

    Attributes:
        defaults: Values used by every mode unless its own section sets them.
        sync, thread, process, asyncio, ray: Per-mode sections.
    """

    defaults: ConfigSection
    sync: ConfigSection
    thread: ConfigSection
    process: ConfigSection
    asyncio: ConfigSection
    ray: ConfigSection

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.defaults = ConfigSection("defaults", dict(_DEFAULTS), None)
        for mode in _MODE_DEFAULTS:
            setattr(self, mode, ConfigSection(mode, _mode_values(mode), self.defaults))

    def get_defaults(self, mode: str | ExecutionMode) -> ConfigSection:
        """The section of ``mode`` (any alias): its values, inherited ones resolved.

        Example:
            >>> global_config.get_defaults("thread").max_queued_tasks
            100
        """
        return self.section(mode)

    def reset_to_defaults(self) -> None:
        """Restore every section to the library's defaults (what ``import`` gave)."""
        with self._lock:
            self.defaults.load(dict(_DEFAULTS))
            for mode in _MODE_DEFAULTS:
                self.section(mode).load(_mode_values(mode))
            _bump()

    def model_dump(self) -> dict[str, dict[str, Any]]:
        """Every section's effective values: ``{"defaults": {...}, "thread": {...}, ...}``."""
        return {name: getattr(self, name).model_dump() for name in ("defaults", *_MODE_DEFAULTS)}

    def section(self, name: str | ExecutionMode) -> ConfigSection:
        """The section for ``"defaults"``/``"global"`` or an execution mode (any alias)."""
        if isinstance(name, str) and name.lower() in ("defaults", "global"):
            return self.defaults
        section: ConfigSection = getattr(self, ExecutionMode(name).value)
        return section

    def get(self, mode: str | ExecutionMode, key: str) -> Any:
        """The effective value of ``key`` for ``mode``."""
        return getattr(self.section(mode), key)

    def _split(self, key: str) -> tuple[ConfigSection, str]:
        """The section and field a temp_config key names (a retired key: field "")."""
        if is_retired(key):
            return self.defaults, ""
        names = ["global", "defaults", *_MODE_DEFAULTS]
        for name in sorted(names, key=len, reverse=True):
            if key.startswith(name + "_"):
                section = self.section(name)
                field = key[len(name) + 1 :]
                if field in section.fields():
                    return section, field
                raise ValueError(
                    f"unknown config key {key!r}; valid fields for {name!r}: "
                    f"{', '.join(sorted(section.fields()))}"
                )
        raise ValueError(
            f"unknown config key {key!r}; keys are '<section>_<field>' with section one of "
            f"{', '.join(names)}"
        )

    @contextmanager
    def temp(self, **overrides: Any) -> Iterator[GlobalConfig]:
        """Override values for the duration of a ``with`` block (see ``temp_config``)."""
        with self._lock:
            saved = []
            try:
                for key, value in overrides.items():
                    section, field = self._split(key)
                    if not field:
                        warn_retired(key, stacklevel=3)  # temp <- contextlib <- the with
                        continue
                    saved.append((section, field, section.raw(field)))
                    setattr(section, field, value)
            except BaseException:
                self._restore(saved)
                raise
        try:
            yield self
        finally:
            with self._lock:
                self._restore(saved)

    @staticmethod
    def _restore(saved: list[tuple[ConfigSection, str, Any]]) -> None:
        for section, field, value in reversed(saved):
            section._values[field] = value
        _bump()

    def __repr__(self) -> str:
        sections = ["defaults", *_MODE_DEFAULTS]
        return "GlobalConfig(\n" + "\n".join(f"  {getattr(self, s)!r}" for s in sections) + "\n)"


#: The process-wide configuration object.
global_config = GlobalConfig()


def temp_config(**overrides: Any) -> Any:
    """Temporarily override ``global_config`` values inside a ``with`` block.

    Keys are ``"<section>_<field>"`` where section is ``global`` (or
    ``defaults``) or a mode name: ``temp_config(global_num_retries=2,
    thread_max_queued_tasks=7)``. Unknown keys and invalid values raise
    ``ValueError`` naming the valid ones; previous values are restored on exit.
    """
    return global_config.temp(**overrides)
