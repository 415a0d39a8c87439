"""``WorkerPool``: several workers (or one per call, on demand) behind one proxy API.

A pool is one ``Link`` like a single worker's, over a transport that spreads
the calls: ``PoolTransport`` (``_pool_transport.py``) for a persistent pool,
picking a worker with room per call and replacing dead workers, or
``OnDemandTransport`` (``_on_demand.py``) starting a worker per call, at most
``max_workers`` at once. Either way the pool's link holds the one client-side
queue, so calls beyond what the workers take wait there and the submitting
thread never blocks.
"""

from __future__ import annotations

import os
from typing import Any

from ._backends import get_backend
from ._enums import ExecutionMode
from ._limits import all_limit_sets, limits_for_worker
from ._link import Link
from ._on_demand import make_on_demand_transport
from ._options import WorkerSpec
from ._pool_transport import PoolTransport, SlotLink
from ._proxy import _ProxyBase, proxy_class_for
from ._proxy_attrs import PoolAttributes
from ._retry import build_retry_plan
from ._start import make_transport

__all__ = ["WorkerPool", "start_pool"]


class WorkerPool(PoolAttributes, _ProxyBase):
    """A pool proxy: ``pool.method(...)`` runs on one of its workers.

    Created by ``.init()`` when ``max_workers > 1`` or ``on_demand=True``.
    Besides a proxy's read-only options it has ``max_workers``,
    ``load_balancing`` and ``on_demand``.
    """

    _kind = "Worker pool"

    def __init__(
        self, worker_cls: type, spec: WorkerSpec, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        limits = spec.limits
        if isinstance(limits, tuple) and limits and not all_limit_sets(limits):
            # a list of Limits: one set shared by every worker of the pool
            limits = limits_for_worker(limits, spec.mode, shared=True)
        single = spec.replace(max_workers=1, on_demand=False, limits=limits)
        transport: Any
        if spec.on_demand:
            cap = spec.max_workers or _default_on_demand_cap(spec.mode)
            transport = make_on_demand_transport(worker_cls, single, args, kwargs)
            link = Link(transport, cap or None, unwrap=spec.unwrap_futures)
        else:
            plan = build_retry_plan(single.retry, worker_cls.__name__)
            backend = get_backend(spec.mode)
            backend.prepare()  # in this thread: workers start on helpers

            def start_one(index: int, slot_link: SlotLink) -> Any:
                one = make_transport(worker_cls, single, args, kwargs, index, plan)
                one.start(slot_link)  # type: ignore[arg-type]
                return one

            queue = spec.max_queued_tasks
            transport = PoolTransport(
                start_one,
                spec.max_workers,
                queue,
                spec.load_balancing,
                parallel_start=spec.mode not in _IN_PROCESS_MODES,
                backend=backend,
            )
            capacity = None if queue is None else queue * spec.max_workers
            link = Link(transport, capacity, unwrap=spec.unwrap_futures)
        transport.start(link)
        super().__init__(worker_cls, spec, link)
        self._init_args = (args, kwargs)

    # -- info -------------------------------------------------------------------------
    def get_pool_stats(self) -> dict[str, Any]:
        """Sizes, settings and per-worker load of the pool.

        Returns:
            A dict with ``total_workers``, ``max_workers``, ``on_demand``,
            ``load_balancing`` (the algorithm's name), ``max_queued_tasks``,
            per-worker lists ``active_calls`` (given to the worker and not
            finished), ``queued_calls`` (of those, not started yet) and
            ``total_calls`` (given to it so far), ``pool_queued`` (calls waiting
            in the pool's queue for a worker with room), ``on_demand_active``
            (on-demand calls admitted and not finished), ``worker_states``
            (per worker: "ready", "starting" while a replacement starts, "failed"
            when it could not start, "down" once stopped), ``load_balancer``
            (``algorithm``, ``total_dispatched``: calls handed to workers so
            far, on-demand ones included) and ``stopped``.
        """
        spec, link = self._spec, self._link
        transport = link.transport
        if isinstance(transport, PoolTransport):
            per_worker = transport.stats()
            on_demand_active = 0
        else:
            per_worker = {
                "active_calls": [],
                "queued_calls": [],
                "total_calls": [],
                "worker_states": [],
            }
            on_demand_active = link.inflight
        total = per_worker["total_calls"]
        return {
            "total_workers": len(total) if not spec.on_demand else on_demand_active,
            "max_workers": spec.max_workers,
            "on_demand": spec.on_demand,
            "load_balancing": spec.load_balancing.value,
            "max_queued_tasks": spec.max_queued_tasks,
            "active_calls": per_worker["active_calls"],
            "queued_calls": per_worker["queued_calls"],
            "total_calls": total,
            "worker_states": per_worker["worker_states"],
            "pool_queued": link.waiting,
            "on_demand_active": on_demand_active,
            "load_balancer": {
                "algorithm": spec.load_balancing.value,
                "total_dispatched": link.sent,
            },
            "stopped": link.closed,
        }

    def __repr__(self) -> str:
        kind = "on-demand " if self._spec.on_demand else ""
        return (
            f"<{self._worker_cls.__name__} {kind}pool mode={self._spec.mode.value!r} "
            f"max_workers={self._spec.max_workers}>"
        )


#: Modes whose workers' ``__init__`` runs in this process (started one after another).
_IN_PROCESS_MODES = (ExecutionMode.Sync, ExecutionMode.Threads, ExecutionMode.Asyncio)


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
