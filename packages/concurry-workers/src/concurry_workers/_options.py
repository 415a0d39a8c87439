"""Worker options: names, eager validation, precedence and the resolved ``WorkerSpec``.

Precedence, highest first: ``.options()`` arguments, ``@worker(...)``
arguments, ``class W(Worker, ...)`` keywords, ``global_config`` (the mode's
section, then ``defaults``).
"""

from __future__ import annotations

from typing import Any

from ._config import global_config
from ._enums import ExecutionMode, LoadBalancingAlgorithm
from ._limits import check_limits
from ._sentinel import _NO_ARG
from ._validate import VALIDATORS, as_float

__all__ = ["OPTION_NAMES", "WorkerSpec", "check_option_names", "resolve_spec"]

#: Options that may be a dict keyed by method name (with a required "*" default).
PER_METHOD = (
    "num_retries",
    "retry_on",
    "retry_algorithm",
    "retry_wait",
    "retry_jitter",
    "retry_until",
    "retry_max_wait",
)
_RAY_ONLY = ("actor_options", "num_cpus", "num_gpus", "resources")
_PROCESS_ONLY = ("mp_context",)
_PLAIN = (
    "mode",
    "blocking",
    "max_workers",
    "load_balancing",
    "on_demand",
    "max_queued_tasks",
    "unwrap_futures",
    "stop_timeout",
)

#: Every option name ``options()`` accepts.
OPTION_NAMES = frozenset((*_PLAIN, *PER_METHOD, *_RAY_ONLY, *_PROCESS_ONLY, "limits"))


def check_option_names(options: dict[str, Any]) -> None:
    """Raise ``TypeError`` for an unknown option name, listing the valid ones."""
    for name in options:
        if name not in OPTION_NAMES:
            raise TypeError(
                f"unknown worker option {name!r}; valid options: {', '.join(sorted(OPTION_NAMES))}"
            )


def _validate_value(name: str, value: Any) -> Any:
    if name in PER_METHOD and isinstance(value, dict):
        if "*" not in value:
            raise ValueError(
                f"{name} given per method must include '*' key (the default for other methods), "
                f"got keys {sorted(value)}"
            )
        return {key: _validate_value(f"{name}[{key!r}]", v) for key, v in value.items()}
    base = name.split("[", 1)[0]
    if base == "retry_max_wait":
        return None if value is None else as_float(name, value)
    if base in VALIDATORS:
        return VALIDATORS[base](name, value)
    if base == "limits":
        return check_limits(name, value)
    if base == "actor_options" and not isinstance(value, dict):
        raise ValueError(f"actor_options must be a dict, got {value!r}")
    return value


def validate_options(options: dict[str, Any]) -> dict[str, Any]:
    """Check names and values of explicitly given options; return normalised values."""
    check_option_names(options)
    return {k: _validate_value(k, v) for k, v in options.items() if v is not _NO_ARG}


class WorkerSpec:
    """Fully resolved options of one worker (or pool).

    Attributes:
        mode: The execution mode.
        blocking: Calls return values instead of futures.
        max_workers: Pool size (1 = a single worker).
        load_balancing: Pool dispatch algorithm.
        on_demand: Create a worker per call.
        max_queued_tasks: Cap on in-flight calls per worker (None = no cap; already
            None for modes and settings that bypass the queue).
        unwrap_futures: Resolve future arguments before calls.
        stop_timeout: Default timeout of ``stop()`` (seconds, always finite).
        limits: The ``limits=`` option as given (None when absent).
        retry: Retry options as given (values or per-method dicts).
        backend_options: Mode-specific options (``mp_context``, Ray actor options).
    """

    __slots__ = _SPEC_FIELDS = (*_PLAIN, "limits", "retry", "backend_options")

    def __init__(
        self,
        mode: ExecutionMode,
        blocking: bool,
        max_workers: int,
        load_balancing: LoadBalancingAlgorithm,
        on_demand: bool,
        max_queued_tasks: int | None,
        unwrap_futures: bool,
        stop_timeout: float,
        limits: Any = None,
        retry: dict[str, Any] | None = None,
        backend_options: dict[str, Any] | None = None,
    ) -> None:
        self.mode = mode
        self.blocking = blocking
        self.max_workers = max_workers
        self.load_balancing = load_balancing
        self.on_demand = on_demand
        self.max_queued_tasks = max_queued_tasks
        self.unwrap_futures = unwrap_futures
        self.stop_timeout = stop_timeout
        self.limits = limits
        self.retry = retry if retry is not None else {}
        self.backend_options = backend_options if backend_options is not None else {}

    def replace(self, **changes: Any) -> WorkerSpec:
        """A copy with some fields changed."""
        values = {name: getattr(self, name) for name in self._SPEC_FIELDS}
        values.update(changes)
        return WorkerSpec(**values)

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._SPEC_FIELDS)
        return f"WorkerSpec({body})"


def resolve_spec(*layers: dict[str, Any]) -> WorkerSpec:
    """Merge validated option layers (highest precedence first) with ``global_config``.

    Raises:
        ValueError: A combination of options is invalid for the mode.
    """
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged.update(layer)
    mode = ExecutionMode(merged.get("mode", global_config.defaults.mode))
    section = global_config.section(mode)

    def pick(name: str) -> Any:
        return merged[name] if name in merged else getattr(section, name)

    on_demand = bool(merged.get("on_demand", False))
    if on_demand and mode in (ExecutionMode.Sync, ExecutionMode.Asyncio):
        raise ValueError(
            f"on_demand mode is not supported for {mode.name} (mode={mode.value!r}): "
            f"it runs one worker; got on_demand=True"
        )
    max_workers = pick("max_workers")
    if mode in (ExecutionMode.Sync, ExecutionMode.Asyncio):
        if max_workers not in (None, 1):
            raise ValueError(
                f"max_workers must be 1 for {mode.name} mode (mode={mode.value!r}), "
                f"got {max_workers}"
            )
        max_workers = 1
    elif max_workers is None:
        max_workers = 1
    elif max_workers == 0 and not on_demand:
        raise ValueError(
            f"max_workers must be >= 1 for mode={mode.value!r} unless on_demand=True, got 0"
        )
    for name in _PROCESS_ONLY:
        if name in merged and mode is not ExecutionMode.Processes:
            raise ValueError(f"{name} is only valid for mode='process', got mode={mode.value!r}")
    for name in _RAY_ONLY:
        if name in merged and mode is not ExecutionMode.Ray:
            raise ValueError(f"{name} is only valid for mode='ray', got mode={mode.value!r}")
    blocking = pick("blocking")
    queued = pick("max_queued_tasks")
    if blocking or on_demand or mode in (ExecutionMode.Sync, ExecutionMode.Asyncio):
        queued = None
    balancing = LoadBalancingAlgorithm(
        merged.get("load_balancing")
        or (section.load_balancing_on_demand if on_demand else section.load_balancing)
    )
    backend_options = {k: merged[k] for k in (*_PROCESS_ONLY, *_RAY_ONLY) if k in merged}
    if mode is ExecutionMode.Processes:
        backend_options.setdefault("mp_context", section.mp_context)
    retry = {name: pick(name) for name in PER_METHOD if name != "retry_max_wait"}
    if "retry_max_wait" in merged:
        retry["retry_max_wait"] = merged["retry_max_wait"]
    return WorkerSpec(
        mode=mode,
        blocking=blocking,
        max_workers=max_workers,
        load_balancing=balancing,
        on_demand=on_demand,
        max_queued_tasks=queued,
        unwrap_futures=pick("unwrap_futures"),
        stop_timeout=pick("stop_timeout"),
        limits=merged.get("limits"),
        retry=retry,
        backend_options=backend_options,
    )
