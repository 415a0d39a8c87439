"""Alias of the original ``concurry.core.worker.base_worker``; lazy.

``WorkerProxy`` is the class of every single-worker proxy (whatever the mode);
pools are ``concurry.core.worker.worker_pool.WorkerProxyPool``.
"""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_workers import Worker as Worker
    from concurry_workers import WorkerBuilder as WorkerBuilder
    from concurry_workers import WorkerProxy as WorkerProxy
    from concurry_workers import worker as worker

__all__, __getattr__, __dir__ = lazy_module(
    __name__, ["Worker", "WorkerBuilder", "WorkerProxy", "worker"]
)
