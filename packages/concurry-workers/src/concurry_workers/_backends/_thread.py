"""The thread transport: one dedicated thread per worker, calls run in order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._base import Transport
from ._serial import SerialRunner

if TYPE_CHECKING:
    from .._link import CallFuture, Link

__all__ = ["ThreadBackend"]


class ThreadBackend(Transport):
    """Runs the instance's methods on its own thread, in order.

    ``__init__`` runs in the caller's thread (its error surfaces there, with
    no thread hand-off); every method call, async ones included (to
    completion), runs on the worker's thread, which starts with the first call.
    """

    def __init__(self, runtime: Any, options: dict[str, Any]) -> None:
        super().__init__(runtime, options)
        self._runner: SerialRunner | None = None

    def start(self, link: Link) -> None:
        invoker = self.runtime.build()
        name = f"concurry-thread-{self.runtime.worker_cls.__name__}"
        self._runner = SerialRunner(name, invoker, link)
        self.kick = self._runner.kick  # type: ignore[method-assign]
        self.send = self._runner.send  # type: ignore[method-assign]  # one hop less per call

    def send(self, batch: Sequence[CallFuture]) -> bool:
        assert self._runner is not None
        return self._runner.send(batch)

    def kick(self) -> None:
        if self._runner is not None:
            self._runner.kick()

    def stop(self, deadline: float) -> None:
        if self._runner is not None:
            self._runner.stop(deadline)

    def close_when_idle(self) -> None:
        if self._runner is not None:
            self._runner.close_when_idle()
