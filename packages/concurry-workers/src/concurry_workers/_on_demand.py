"""The on-demand transport: every call runs on a worker started for it alone.

It sits under a ``Link`` like any transport, so the link's cap
(``max_workers``) bounds how many one-shot workers are alive at once and calls
beyond it wait client-side; the submitting thread never waits for a start-up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from time import monotonic
from typing import TYPE_CHECKING, Any

from ._link import ERROR, OK

if TYPE_CHECKING:
    from ._link import CallFuture, Link

__all__ = ["OnDemandTransport", "make_on_demand_transport"]


def make_on_demand_transport(
    worker_cls: type, spec: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> OnDemandTransport:
    """The transport of an on-demand pool: one worker of ``spec`` per call.

    Args:
        worker_cls: The user's worker class.
        spec: The resolved spec of one worker (``max_workers=1``, not on demand).
        args: ``__init__`` positional arguments.
        kwargs: ``__init__`` keyword arguments.
    """
    from ._start import start_worker

    one_shot = spec.replace(blocking=True)
    return OnDemandTransport(lambda: start_worker(worker_cls, one_shot, args, kwargs))


class OnDemandTransport:
    """Starts a one-shot worker per call on a helper thread (one thread per running call).

    Args:
        start_one: Starts one blocking worker and returns its proxy.
    """

    inline = False
    serial = False

    def __init__(self, start_one: Callable[[], Any]) -> None:
        self._start_one = start_one
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._workers: set[Any] = set()
        self._pending: list[CallFuture] = []
        self._link: Any = None

    def start(self, link: Link) -> None:
        self._link = link

    def send(self, batch: Sequence[CallFuture]) -> bool:
        with self._lock:
            self._pending.extend(batch)
        return True  # threads are started by kick(), outside the link's lock

    def kick(self) -> None:
        with self._lock:  # after stop() nothing is pending: it dropped what was
            pending, self._pending = self._pending, []
            threads = [
                threading.Thread(
                    target=self._one_shot, args=(call,), name="concurry-on-demand", daemon=True
                )
                for call in pending
            ]
            self._threads.update(threads)
        for thread in threads:
            thread.start()

    def _one_shot(self, call: CallFuture) -> None:
        link = self._link
        try:
            if not link.begin(call):
                return
            try:
                worker = self._start_one()
                with self._lock:
                    self._workers.add(worker)  # so stop() can end it in time
                try:
                    result = worker._submit((call.name, call.args, call.kwargs))
                finally:
                    with self._lock:
                        self._workers.discard(worker)
                    worker.stop()
            except BaseException as exc:
                link.deliver(call, ERROR, exc)
            else:
                link.deliver(call, OK, result)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def stop(self, deadline: float) -> None:
        with self._lock:
            dropped, self._pending = self._pending, []
            threads = list(self._threads)
        for call in dropped:  # sent, but their threads never started
            self._link.drop(call)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - monotonic()))
        with self._lock:
            stuck = list(self._workers)
        for worker in stuck:  # still busy at the deadline: end it now
            worker.stop(0)

    def close_when_idle(self) -> None:
        pass  # every thread ends with its call
