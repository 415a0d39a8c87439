"""The thread backend: one dedicated thread per worker, calls run in order."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from .._invoke import Call
from ._base import Backend
from ._serial import SerialRunner

__all__ = ["ThreadBackend"]


class ThreadBackend(Backend):
    """Runs the instance on its own thread; async methods run to completion there."""

    def __init__(self, runtime: Any, options: dict[str, Any]) -> None:
        super().__init__(runtime, options)
        name = f"concurry-thread-{runtime.worker_cls.__name__}"
        self._runner = SerialRunner(name, runtime.build)

    def start(self) -> None:
        self._runner.start()

    def submit(self, future: Future[Any], call: Call) -> None:
        self._runner.submit(future, call)

    def stop(self, timeout: float | None) -> None:
        self._runner.stop(timeout)

    def close_when_idle(self) -> None:
        self._runner.close_when_idle()

    @property
    def is_alive(self) -> bool:
        return self._runner.is_alive
