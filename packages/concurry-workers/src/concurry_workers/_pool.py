"""``WorkerPool``: several workers (or one per call, on demand) behind one proxy API.

Each worker keeps its own submission queue; the pool only picks a worker
(round_robin, least_active, least_total, random). A worker whose process died
is replaced by a fresh one when it is next picked (its pending calls have
already failed with ``WorkerDiedError``). On-demand pools start a
worker per call, at most ``max_workers`` at once, on a helper thread so the
submitting thread never waits for a start-up.
"""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any

from concurry_futures import ConcurrentFuture

from ._enums import ExecutionMode, LoadBalancingAlgorithm
from ._errors import WorkerStoppedError
from ._invoke import Call
from ._limits import all_limit_sets, limits_for_worker
from ._link import STOP_SLACK, Link
from ._on_demand import make_on_demand_transport
from ._options import WorkerSpec
from ._proxy import RemoteMethod, proxy_class_for, resolve_stop_timeout
from ._start import start_worker

__all__ = ["WorkerPool", "start_pool"]


class WorkerPool:
    """A pool proxy: ``pool.method(...)`` runs on one of its workers.

    Created by ``.init()`` when ``max_workers > 1`` or ``on_demand=True``.
    """

    def __init__(
        self, worker_cls: type, spec: WorkerSpec, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self._worker_cls = worker_cls
        self._spec = spec
        self._init_args = (args, kwargs)
        self._stopped = False
        self._lock = threading.Lock()
        self._replace_lock = threading.Lock()
        limits = spec.limits
        if isinstance(limits, tuple) and limits and not all_limit_sets(limits):
            # a list of Limits: one set shared by every worker of the pool
            limits = limits_for_worker(limits, spec.mode, shared=True)
        self._single = spec.replace(max_workers=1, on_demand=False, limits=limits)
        self._balancing = spec.load_balancing
        self._rr = itertools.count()
        self._workers: list[Any] = []
        self._active: list[int] = []
        self._total: list[int] = []
        self._on_demand: Link | None = None
        if spec.on_demand:
            cap = spec.max_workers or _default_on_demand_cap(spec.mode)
            transport = make_on_demand_transport(worker_cls, self._single, args, kwargs)
            # the one-shot worker resolves future arguments itself
            self._on_demand = Link(transport, cap or None, unwrap=False)
            transport.start(self._on_demand)
            return
        try:
            for index in range(spec.max_workers):
                self._workers.append(start_worker(worker_cls, self._single, args, kwargs, index))
                self._active.append(0)
                self._total.append(0)
        except BaseException:
            self.stop()
            raise

    # -- dispatch ---------------------------------------------------------------------
    def __getattr__(self, name: str) -> RemoteMethod:
        if name.startswith("_") or not (
            hasattr(self._worker_cls, "__getattr__") or hasattr(self._worker_cls, name)
        ):
            raise AttributeError(f"{self._worker_cls.__name__!r} worker has no method {name!r}")
        # not cached on the pool: the method holds the pool, a cache would make a cycle
        return RemoteMethod(self._submit, name, self._worker_cls.__name__)

    def _pick(self) -> int:
        n = len(self._workers)
        algo = self._balancing
        if algo is LoadBalancingAlgorithm.RoundRobin:
            return next(self._rr) % n
        if algo is LoadBalancingAlgorithm.Random:
            import random

            return random.randrange(n)
        loads = self._active if algo is LoadBalancingAlgorithm.LeastActiveLoad else self._total
        # scan from a rotating start so ties (e.g. all idle) do not always pick worker 0
        start = next(self._rr)
        return min(((start + i) % n for i in range(n)), key=loads.__getitem__)

    def _submit(self, call: Call) -> Any:
        if self._stopped:
            raise WorkerStoppedError()
        if self._spec.on_demand:
            return self._submit_on_demand(call)
        with self._lock:
            index = self._pick()
            self._active[index] += 1
            self._total[index] += 1
        worker = self._workers[index]
        if not worker._link.alive:
            worker = self._replace(index, worker)
        try:
            outcome = worker._submit(call)
        except BaseException:
            self._done(index)
            raise
        if self._spec.blocking:
            self._done(index)
        else:
            outcome.add_done_callback(lambda _: self._done(index))
        return outcome

    def _submit_future(self, call: Call) -> Any:
        """Submit ``call`` and return a ``concurrent.futures.Future``, never blocking."""
        if self._stopped:
            raise WorkerStoppedError()
        if self._spec.on_demand:
            assert self._on_demand is not None
            return self._on_demand.submit(*call)
        with self._lock:
            index = self._pick()
            self._active[index] += 1
            self._total[index] += 1
        worker = self._workers[index]
        if not worker._link.alive:
            worker = self._replace(index, worker)
        future = worker._submit_future(call)
        future.add_done_callback(lambda _: self._done(index))
        return future

    def _replace(self, index: int, dead: Any) -> Any:
        """Start a fresh worker in place of one whose process died."""
        with self._replace_lock:
            current = self._workers[index]
            if current is not dead or self._stopped:
                return current
            dead.stop(0)
            fresh = start_worker(self._worker_cls, self._single, *self._init_args, index)
            self._workers[index] = fresh
            return fresh

    def _done(self, index: int) -> None:
        with self._lock:
            self._active[index] -= 1

    # -- on demand --------------------------------------------------------------------
    def _submit_on_demand(self, call: Call) -> Any:
        assert self._on_demand is not None
        future = self._on_demand.submit(*call)
        return future.result() if self._spec.blocking else ConcurrentFuture(future)

    # -- info and lifecycle -----------------------------------------------------------
    @property
    def mode(self) -> ExecutionMode:
        """The pool's execution mode."""
        return self._spec.mode

    @property
    def blocking(self) -> bool:
        """True when calls return results directly."""
        return self._spec.blocking

    def get_pool_stats(self) -> dict[str, Any]:
        """Sizes and per-worker load counters of the pool."""
        with self._lock:
            return {
                "total_workers": len(self._workers),
                "max_workers": self._spec.max_workers,
                "on_demand": self._spec.on_demand,
                "load_balancing": self._balancing.value,
                "active_calls": list(self._active),
                "total_calls": list(self._total),
                "stopped": self._stopped,
            }

    def stop(self, timeout: float | None = None) -> None:
        """Stop every worker of the pool (see ``WorkerProxy.stop``); idempotent.

        ``timeout`` (default: the ``stop_timeout`` option) bounds the whole
        pool's stop, not each worker's.
        """
        from time import monotonic

        wait = resolve_stop_timeout(self._spec, timeout)
        deadline = monotonic() + wait
        self._stopped = True
        if self._on_demand is not None:
            self._on_demand.stop(wait)
        workers = list(self._workers)
        if len(workers) == 1:
            workers[0].stop(wait)
        elif workers:
            # in parallel, so each worker's running call gets the whole timeout
            stoppers = [
                threading.Thread(
                    target=w.stop, args=(wait,), name="concurry-pool-stop", daemon=True
                )
                for w in workers
            ]
            for thread in stoppers:
                thread.start()
            for thread in stoppers:
                thread.join(max(0.0, deadline - monotonic()) + STOP_SLACK)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        kind = "on-demand " if self._spec.on_demand else ""
        return (
            f"<{self._worker_cls.__name__} {kind}pool mode={self._spec.mode.value!r} "
            f"max_workers={self._spec.max_workers}>"
        )


def _default_on_demand_cap(mode: ExecutionMode) -> int:
    if mode is ExecutionMode.Ray:
        return 0  # unlimited
    return max(1, (os.cpu_count() or 2) - 1)


def start_pool(
    worker_cls: type, spec: WorkerSpec, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> WorkerPool:
    """Start a pool for ``worker_cls`` and return it."""
    pool_base = getattr(worker_cls, "__concurry_pool_class__", WorkerPool)
    pool_cls = proxy_class_for(worker_cls, pool_base)  # worker methods win over pool names
    return pool_cls(worker_cls, spec, args, kwargs)  # type: ignore[no-any-return]
