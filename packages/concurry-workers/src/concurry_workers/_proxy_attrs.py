"""Read-only configuration attributes of proxies and pools.

The original concurry's proxies were validated models whose fields users read
(``worker.blocking``, ``worker.mode``, ``pool.max_workers``, ...). Ours keep
the resolved options in a ``WorkerSpec``; these properties show them under
the same names. A worker method with one of these names still wins: the
proxy routes it to the worker (see ``_proxy.proxy_class_for``).
"""

from __future__ import annotations

from typing import Any

from ._enums import ExecutionMode, LoadBalancingAlgorithm
from ._options import WorkerSpec

__all__ = ["MODE_ONLY", "PoolAttributes", "ProxyAttributes", "mode_only_error"]

#: Attributes that exist for one mode only: name -> that mode.
MODE_ONLY = {"mp_context": ExecutionMode.Processes, "actor_options": ExecutionMode.Ray}


def mode_only_error(name: str, mode: ExecutionMode) -> AttributeError:
    """The error for reading a mode-only attribute (``mp_context``) on another mode."""
    only = MODE_ONLY[name]
    return AttributeError(
        f"{name} is only set for mode={only.value!r} workers; this one runs mode={mode.value!r}"
    )


class ProxyAttributes:
    """Read-only options of a single-worker proxy (and, through inheritance, a pool)."""

    _spec: WorkerSpec
    _worker_cls: type
    _init_args: tuple[tuple[Any, ...], dict[str, Any]]

    @property
    def mode(self) -> ExecutionMode:
        """The execution mode."""
        return self._spec.mode

    @property
    def blocking(self) -> bool:
        """True when calls return results directly instead of futures."""
        return self._spec.blocking

    @property
    def worker_cls(self) -> type:
        """The user's worker class (the original concurry's name)."""
        return self._worker_cls

    @property
    def worker_class(self) -> type:
        """The user's worker class."""
        return self._worker_cls

    @property
    def max_queued_tasks(self) -> int | None:
        """The cap on calls in flight per worker; None when the mode or options bypass it."""
        return self._spec.max_queued_tasks

    @property
    def unwrap_futures(self) -> bool:
        """True when future arguments are resolved before a call."""
        return self._spec.unwrap_futures

    @property
    def stop_timeout(self) -> float:
        """Seconds ``stop()`` waits when given no timeout."""
        return self._spec.stop_timeout

    @property
    def init_args(self) -> tuple[Any, ...]:
        """The positional arguments given to ``.init()``."""
        return self._init_args[0]

    @property
    def init_kwargs(self) -> dict[str, Any]:
        """The keyword arguments given to ``.init()`` (a copy)."""
        return dict(self._init_args[1])

    @property
    def mp_context(self) -> str:
        """The process start method (``fork``, ``spawn`` or ``forkserver``); process mode only.

        Raises:
            AttributeError: The worker does not run in process mode.
        """
        if self._spec.mode is not ExecutionMode.Processes:
            raise mode_only_error("mp_context", self._spec.mode)
        return str(self._spec.backend_options["mp_context"])

    @property
    def actor_options(self) -> dict[str, Any]:
        """The Ray actor options (``actor_options=`` merged with ``num_cpus=``, ...); ray only.

        Raises:
            AttributeError: The worker does not run in ray mode.
        """
        if self._spec.mode is not ExecutionMode.Ray:
            raise mode_only_error("actor_options", self._spec.mode)
        options = self._spec.backend_options
        merged = dict(options.get("actor_options") or {})
        merged.update({k: v for k, v in options.items() if k != "actor_options"})
        return merged


class PoolAttributes(ProxyAttributes):
    """Read-only options that only a pool has."""

    @property
    def max_workers(self) -> int:
        """The pool size (for an on-demand pool: its concurrency cap, 0 = default)."""
        return self._spec.max_workers

    @property
    def load_balancing(self) -> LoadBalancingAlgorithm:
        """The algorithm that picks the worker of each call."""
        return self._spec.load_balancing

    @property
    def on_demand(self) -> bool:
        """True when the pool starts a worker per call."""
        return self._spec.on_demand
