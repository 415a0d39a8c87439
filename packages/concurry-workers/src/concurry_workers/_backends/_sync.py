"""The sync backend: calls run in the caller's thread, one at a time."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

from .._errors import WorkerStoppedError
from .._invoke import Call, Invoker
from ._base import Backend

__all__ = ["SyncBackend"]


class SyncBackend(Backend):
    """Runs each call in-line; a lock keeps calls from several threads one at a time."""

    inline = True

    def __init__(self, runtime: Any, options: dict[str, Any]) -> None:
        super().__init__(runtime, options)
        self._invoker: Invoker | None = None
        self._lock = threading.RLock()

    def start(self) -> None:
        self._invoker = self.runtime.build()

    def run_inline(self, call: Call) -> Any:
        invoker = self._invoker
        if invoker is None:
            raise WorkerStoppedError()
        with self._lock:
            return invoker.call(*call)

    def submit(self, future: Future[Any], call: Call) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = self.run_inline(call)
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)

    def stop(self, timeout: float | None) -> None:
        # Another thread may be inside a call: wait for it at most ``timeout``.
        locked = self._lock.acquire(timeout=-1 if timeout is None else timeout)
        invoker, self._invoker = self._invoker, None
        if not locked:
            return  # that call still runs; its private loop is left to the collector
        try:
            if invoker is not None:
                invoker.close()
        finally:
            self._lock.release()

    def close_when_idle(self) -> None:
        self.stop(0)

    @property
    def is_alive(self) -> bool:
        return self._invoker is not None
