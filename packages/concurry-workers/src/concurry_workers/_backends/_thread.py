"""The thread backend: one dedicated thread per worker, calls run in order."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from .._invoke import Call
from ._base import Backend
from ._serial import SerialRunner

__all__ = ["ThreadBackend"]


class ThreadBackend(Backend):
    """Runs the instance's methods on its own thread, in order.

    ``__init__`` runs in the caller's thread (its error surfaces there, with
    no thread hand-off); every method call, async ones included (to
    completion), runs on the worker's thread.
    """

    def __init__(self, runtime: Any, options: dict[str, Any]) -> None:
        super().__init__(runtime, options)
        self._runner: SerialRunner | None = None

    def start(self) -> None:
        invoker = self.runtime.build()
        name = f"concurry-thread-{self.runtime.worker_cls.__name__}"
        self._runner = SerialRunner(name, self.runtime.build, prebuilt=invoker)
        self._runner.start()

    def submit(self, future: Future[Any], call: Call) -> None:
        self._runner.submit(future, call)  # type: ignore[union-attr]

    def stop(self, timeout: float | None) -> None:
        if self._runner is not None:
            self._runner.stop(timeout)

    def close_when_idle(self) -> None:
        if self._runner is not None:
            self._runner.close_when_idle()

    @property
    def is_alive(self) -> bool:
        return self._runner is not None and self._runner.is_alive
