"""Alias of the original ``concurry.core.worker`` package; lazy."""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_workers import Executor as Executor
    from concurry_workers import TaskWorker as TaskWorker
    from concurry_workers import Worker as Worker
    from concurry_workers import WorkerBuilder as WorkerBuilder
    from concurry_workers import WorkerPool as WorkerPool
    from concurry_workers import WorkerProxy as WorkerProxy
    from concurry_workers import task as task
    from concurry_workers import worker as worker

    WorkerProxyPool = WorkerPool

__all__, __getattr__, __dir__ = lazy_module(
    __name__,
    [
        "Executor",
        "TaskWorker",
        "Worker",
        "WorkerBuilder",
        "WorkerPool",
        "WorkerProxy",
        "task",
        "worker",
    ],
    extra={"WorkerProxyPool": "concurry_workers:WorkerPool"},
)
