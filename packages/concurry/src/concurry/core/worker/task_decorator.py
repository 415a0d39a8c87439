"""Alias of the original ``concurry.core.worker.task_decorator``; lazy."""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_workers import task as task

__all__, __getattr__, __dir__ = lazy_module(__name__, ["task"])
