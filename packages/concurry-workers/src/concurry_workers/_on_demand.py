"""On-demand transports: every call runs on a fresh worker instance of its own.

An on-demand pool is a ``Link`` over one of these transports, so the link's
capacity (the pool's ``max_workers``) bounds how many calls run at once, calls
beyond it wait in the link's queue (no thread per waiting call), and the
submitting thread never waits for a worker to start.

- threads (``OnDemandThreads``): a few runner threads, at most one per running
  call, each building a fresh instance per call with the runtime's invoker and
  discarding it afterwards; an idle runner lingers briefly for the next call;
- processes (``_backends._one_shot.OneShotProcesses``): a fresh process per
  call, forked ahead of need from concurry's fork server;
- any other mode (``OnDemandTransport``): a whole one-shot worker (transport,
  link and proxy) per call, started on a helper thread.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from time import monotonic
from typing import TYPE_CHECKING, Any

from ._enums import ExecutionMode
from ._link import ERROR, OK

if TYPE_CHECKING:
    from ._link import CallFuture, Link

__all__ = ["OnDemandThreads", "OnDemandTransport", "make_on_demand_transport"]

#: Seconds an idle runner thread waits for another call before it ends.
IDLE_SECONDS = 2.0


def make_on_demand_transport(
    worker_cls: type, spec: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The transport of an on-demand pool: a fresh worker of ``spec`` per call.

    Args:
        worker_cls: The user's worker class.
        spec: The resolved spec of one worker (``max_workers=1``, not on demand).
        args: ``__init__`` positional arguments.
        kwargs: ``__init__`` keyword arguments.
    """
    if spec.mode is ExecutionMode.Threads or spec.mode is ExecutionMode.Processes:
        from ._limits import limits_for_worker
        from ._retry import build_retry_plan
        from ._runtime import Runtime

        runtime = Runtime(
            worker_cls=worker_cls,
            args=args,
            kwargs=kwargs,
            unwrap_futures=False,  # the pool's link resolves future arguments, by callbacks
            retry=build_retry_plan(spec.retry, worker_cls.__name__),
            limits=limits_for_worker(spec.limits, spec.mode),
        )
        if spec.mode is ExecutionMode.Threads:
            return OnDemandThreads(runtime)
        from ._backends._one_shot import OneShotProcesses

        return OneShotProcesses(runtime, spec.backend_options)
    from ._start import start_worker

    one_shot = spec.replace(blocking=True)
    return OnDemandTransport(lambda: start_worker(worker_cls, one_shot, args, kwargs))


class OnDemandThreads:
    """Runs each call on a fresh instance, on up to one runner thread per running call.

    Lock rules: ``_cond`` guards the queue and the thread counts; it is never
    held while calling the link or running user code.

    Args:
        runtime: Builds a fresh instance (and its invoker) per call.
    """

    inline = False
    serial = False

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self._name = f"concurry-on-demand-{runtime.worker_cls.__name__}"
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[CallFuture] = deque()
        self._threads: set[threading.Thread] = set()
        self._ready = 0  # runner threads that will take a queued call without being started
        self._ending = False  # stop() or close_when_idle(): runners exit once idle
        self._link: Any = None

    def start(self, link: Link) -> None:
        """Remember the link; threads start with the first calls."""
        self._link = link

    def send(self, batch: Sequence[CallFuture]) -> bool:
        with self._cond:
            self._queue.extend(batch)
            self._cond.notify(len(batch))
            return len(self._queue) > self._ready  # kick() starts the missing runners

    def kick(self) -> None:
        with self._cond:
            if self._ending:
                return
            fresh = []
            while len(self._queue) > self._ready:
                thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._threads.add(thread)
                self._ready += 1
                fresh.append(thread)
        for thread in fresh:
            thread.start()

    def _run(self) -> None:
        link, build, cond, queue = self._link, self.runtime.build, self._cond, self._queue
        try:
            while True:
                with cond:
                    while not queue:
                        if self._ending or (not cond.wait(IDLE_SECONDS) and not queue):
                            return
                    call = queue.popleft()
                    self._ready -= 1
                try:
                    if link.begin(call):
                        _run_fresh(build, call, link)
                finally:
                    del call
                    with cond:
                        self._ready += 1
        finally:
            with cond:
                self._ready -= 1
                self._threads.discard(threading.current_thread())

    def stop(self, deadline: float) -> None:
        """Drop calls not started; wait for running ones until ``deadline``, then abandon them."""
        with self._cond:
            self._ending = True
            dropped = list(self._queue)
            self._queue.clear()
            threads = list(self._threads)
            self._cond.notify_all()
        for call in dropped:
            self._link.drop(call)
        me = threading.current_thread()
        for thread in threads:
            # one kick() made but has not started yet finds the queue empty and ends
            if thread is not me and thread.ident is not None:
                thread.join(max(0.0, deadline - monotonic()))

    def close_when_idle(self) -> None:
        """Let the idle runner threads end now."""
        with self._cond:
            self._ending = True
            self._cond.notify_all()


def _run_fresh(build: Callable[[], Any], call: CallFuture, link: Link) -> None:
    """Build a fresh instance, run ``call`` on it and deliver the outcome."""
    try:
        invoker = build()
    except BaseException as exc:  # __init__ failed: this call fails with its error
        link.deliver(call, ERROR, exc)
        return
    try:
        result = invoker.call(call.name, call.args, call.kwargs)
    except BaseException as exc:
        invoker.close()
        link.deliver(call, ERROR, exc)
    else:
        invoker.close()
        link.deliver(call, OK, result)


class OnDemandTransport:
    """Starts a whole one-shot worker per call on a helper thread (one per running call).

    Used for modes without a cheaper path (Ray, plugin backends).

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
        self._stopped = False
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
            with self._lock:
                stopped = self._stopped
            if stopped:  # stop() came before this thread started
                link.drop(call)
                return
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
            self._stopped = True
            dropped, self._pending = self._pending, []
            threads = list(self._threads)
        for call in dropped:  # sent, but their threads never started
            self._link.drop(call)
        for thread in threads:
            # one kick() made but has not started yet drops its call and ends
            if thread is not threading.current_thread() and thread.ident is not None:
                thread.join(max(0.0, deadline - monotonic()))
        with self._lock:
            stuck = list(self._workers)
        for worker in stuck:  # still busy at the deadline: end it now
            worker.stop(0)

    def close_when_idle(self) -> None:
        pass  # every thread ends with its call
