"""The sync transport: calls run in the caller's thread, one at a time."""

from __future__ import annotations

import threading
from time import monotonic
from typing import TYPE_CHECKING, Any

from .._errors import WorkerStoppedError
from .._invoke import Call, Invoker
from ._base import Transport

if TYPE_CHECKING:
    from .._link import Link

__all__ = ["SyncBackend"]


class SyncBackend(Transport):
    """Runs each call in-line; a lock keeps calls from several threads one at a time."""

    inline = True

    def __init__(self, runtime: Any, options: dict[str, Any]) -> None:
        super().__init__(runtime, options)
        self._invoker: Invoker | None = None
        self._lock = threading.RLock()

    def start(self, link: Link) -> None:
        self._invoker = self.runtime.build()

    def run_inline(self, call: Call) -> Any:
        invoker = self._invoker
        if invoker is None:
            raise WorkerStoppedError()
        with self._lock:
            return invoker.call(*call)

    def stop(self, deadline: float) -> None:
        # Another thread may be inside a call: wait for it until the deadline.
        locked = self._lock.acquire(timeout=max(0.0, deadline - monotonic()))
        invoker, self._invoker = self._invoker, None
        if not locked:
            return  # that call still runs; its private loop is left to the collector
        try:
            if invoker is not None:
                invoker.close()
        finally:
            self._lock.release()

    def close_when_idle(self) -> None:
        self.stop(monotonic())
