"""Alias of the original ``concurry.core.worker.task_worker``; lazy."""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_workers import TaskWorker as TaskWorker

__all__, __getattr__, __dir__ = lazy_module(__name__, ["TaskWorker"])
