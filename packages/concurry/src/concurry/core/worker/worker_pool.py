"""Alias of the original ``concurry.core.worker.worker_pool``; lazy.

``WorkerProxyPool`` (the original's name) is ``concurry_workers.WorkerPool``,
the class of every pool proxy (``max_workers > 1`` or ``on_demand=True``).
"""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_workers import WorkerPool as WorkerPool

    WorkerProxyPool = WorkerPool

__all__, __getattr__, __dir__ = lazy_module(
    __name__, ["WorkerPool"], extra={"WorkerProxyPool": "concurry_workers:WorkerPool"}
)
