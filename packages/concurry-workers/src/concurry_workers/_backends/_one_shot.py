"""The on-demand process transport: a fresh process per call, forked ahead of need.

Every call of an on-demand process pool runs in a process of its own that
serves that one call and exits (``_one_shot_child.one_shot_main``). What makes
that cheap:

- the runtime (class, init arguments, retry plan, limits) is pickled once per
  pool; each child unpickles it, but does so while it is still a *spare*;
- children are forked by concurry's fork server (``_forkserver``), which has
  concurry and the worker's module loaded already (other ``mp_context`` values
  start a ``multiprocessing`` process instead);
- a spare or two are kept forked ahead of need, so a call starts as soon as it
  is written to a spare's pipe; a spare is not a running call (it holds no
  slot of the link) and runs no user code until its call arrives;
- one dispatcher thread per pool does all the parent-side work (forking,
  writing each call, reading each result, noticing deaths); a child has no
  feeder or reader thread of its own.

Data flow::

    Link --send(batch)--> outbox --dispatcher--> spare.conn (call)  -> running
                                                                     |
    Link <--deliver(call, outcome)-- dispatcher <-- result / exit ---+

Lock rules: ``_lock`` guards ``_outbox``, ``_stop_at``, ``_closing`` and the
wake flag; it is never held while calling the link or doing I/O. Everything
else (the children and the selector) belongs to the dispatcher thread alone.
"""

from __future__ import annotations

import atexit
import os
import selectors
import threading
import weakref
from collections import deque
from collections.abc import Sequence
from time import monotonic
from typing import TYPE_CHECKING, Any

from .._errors import SerializationError, WorkerDiedError
from .._link import ERROR, OK
from . import _forkserver
from . import _wire as wire
from ._process import _describe_exit, _modules_of

if TYPE_CHECKING:
    from .._link import CallFuture, Link

__all__ = ["OneShotProcesses"]

#: Spares kept forked ahead of need (never more than the pool's cap).
SPARES = 2
_GRACE = 2.0  # seconds between terminate() and kill()

_SPARE, _RUNNING, _EXITING = 0, 1, 2

_live: weakref.WeakSet[OneShotProcesses] = weakref.WeakSet()
_exit_hook = [False]


class _Child:
    """One one-shot child as the dispatcher sees it."""

    __slots__ = ("call", "conn", "proc", "state")

    def __init__(self, proc: Any, conn: Any) -> None:
        self.proc = proc
        self.conn = conn
        self.state = _SPARE
        self.call: CallFuture | None = None


class OneShotProcesses:
    """Runs each call in a fresh process of its own (the on-demand process transport).

    Args:
        runtime: The worker's runtime (pickled once, in ``start``).
        options: Backend options (``mp_context``).
    """

    inline = False
    serial = False

    def __init__(self, runtime: Any, options: dict[str, Any]) -> None:
        self.runtime = runtime
        self.options = options
        self._name = f"concurry-on-demand-{runtime.worker_cls.__name__}"
        self._method = options.get("mp_context") or "spawn"
        self._modules = _modules_of(runtime)
        self._payload = b""
        self._link: Any = None
        self._spares = 1
        self._lock = threading.Lock()
        self._outbox: deque[CallFuture] = deque()
        self._stop_at: float | None = None
        self._stop_timeout = 0.0
        self._closing = False
        self._finished = False
        self._woken = False
        self._thread: threading.Thread | None = None
        self._wake_r = self._wake_w = -1
        self._owner = os.getpid()

    # -- the Transport contract -------------------------------------------------------
    def start(self, link: Link) -> None:
        """Pickle the runtime once; no process starts before the first call."""
        self._payload = wire.dumps_runtime(self.runtime)
        self._link = link
        cap = link.capacity
        self._spares = min(SPARES, cap) if cap else SPARES

    def send(self, batch: Sequence[CallFuture]) -> bool:
        with self._lock:
            self._outbox.extend(batch)
        return True  # the dispatcher is woken (or started) by kick(), outside the link's lock

    def kick(self) -> None:
        with self._lock:
            if self._finished or self._woken:
                return
            self._woken = True
            thread = self._thread
            if thread is None:
                self._wake_r, self._wake_w = os.pipe()
                os.set_blocking(self._wake_r, False)
                os.set_blocking(self._wake_w, False)
                self._thread = thread = threading.Thread(
                    target=self._main, name=self._name, daemon=True
                )
                _register(self)
                thread.start()
                return
            if thread is threading.current_thread():
                return  # the dispatcher looks at the outbox before it waits again
            try:
                os.write(self._wake_w, b"\0")
            except BlockingIOError:
                pass  # a full pipe wakes it just as well

    def stop(self, deadline: float) -> None:
        """Drop calls not begun, end the spares; running calls get until ``deadline``."""
        with self._lock:
            if self._stop_at is None:
                self._stop_at = deadline
                self._stop_timeout = max(0.0, deadline - monotonic())
            dropped = list(self._outbox)
            self._outbox.clear()
            thread = self._thread
            if thread is None:
                self._finished = True
        for call in dropped:
            self._link.drop(call)
        if thread is None:
            return
        self._wake()
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - monotonic()) + 2 * _GRACE)

    def close_when_idle(self) -> None:
        """Everything has finished and the pool was dropped: end the spares, then the thread."""
        with self._lock:
            self._closing = True
            if self._thread is None:
                self._finished = True
                return
        self._wake()

    def _wake(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._woken = True
            try:
                os.write(self._wake_w, b"\0")
            except BlockingIOError:
                pass

    # -- the dispatcher thread --------------------------------------------------------
    def _main(self) -> None:
        run = _Dispatch(self)
        try:
            run.loop()
        except BaseException as exc:  # a bug here must not leave calls waiting forever
            self._link.died(WorkerDiedError(f"on-demand dispatcher failed: {exc!r}"))
            raise
        finally:
            run.close()
            with self._lock:
                self._finished = True
                os.close(self._wake_r)
                os.close(self._wake_w)


class _Dispatch:
    """The dispatcher thread's state and loop (see the module doc)."""

    def __init__(self, owner: OneShotProcesses) -> None:
        self.owner = owner
        self.link = owner._link
        self.selector = selectors.DefaultSelector()
        self.selector.register(owner._wake_r, selectors.EVENT_READ)
        self.spares: deque[_Child] = deque()
        self.children: set[_Child] = set()  # every child not yet reaped
        self.wanted = owner._spares
        self.terminated = False
        self.killed = False

    def loop(self) -> None:
        owner = self.owner
        while True:
            with owner._lock:
                owner._woken = False
                stop_at, closing = owner._stop_at, owner._closing
                assign = []
                if stop_at is None:
                    while owner._outbox and self.spares:
                        assign.append((owner._outbox.popleft(), self.spares.popleft()))
                waiting = bool(owner._outbox)
            for call, child in assign:
                self._begin(call, child)
            if stop_at is not None or closing:
                if self.spares:
                    self._dismiss_spares()
                if not self.children:
                    return
                timeout = self._stopping(stop_at)
            elif waiting or len(self.spares) < self.wanted:
                # after a fork (or a failed one a call waits for): look at results, go on
                timeout = 0.0 if self._fork(waiting) or waiting else None
            else:
                timeout = None
            for key, _ in self.selector.select(timeout):
                if key.data is None:
                    _drain(owner._wake_r)
                else:
                    kind, child = key.data
                    if kind == "conn":
                        self._unwatch(child.conn)
                        self._result(child)
                    else:
                        self._exited(child)

    # -- children -----------------------------------------------------------------
    def _fork(self, waiting: bool) -> bool:
        """Start one spare; False when it could not (the waiting call, if any, fails)."""
        owner = self.owner
        try:
            if owner._method == "forkserver":
                proc, conn = _forkserver.spawn(
                    owner._payload, owner._name, owner._modules, one_shot=True
                )
            else:
                proc, conn = _start_process(owner._method, owner._payload, owner._name)
        except Exception as exc:
            error = WorkerDiedError(f"worker process could not be started: {exc}")
            if waiting:
                with owner._lock:
                    call = owner._outbox.popleft() if owner._outbox else None
                if call is not None and self.link.begin(call):
                    self.link.deliver(call, ERROR, error)
            else:
                self.wanted = 0  # no spares until a call needs one
            return False
        child = _Child(proc, conn)
        self.children.add(child)
        self.spares.append(child)
        self.selector.register(proc.sentinel, selectors.EVENT_READ, ("exit", child))
        return True

    def _begin(self, call: CallFuture, child: _Child) -> None:
        self.wanted = self.owner._spares
        if not self.link.begin(call):
            self.spares.appendleft(child)  # cancelled meanwhile: the spare stays unused
            return
        message, failed = wire.encode_batch(
            wire.CALLS, [(call._id, (call.name, call.args, call.kwargs))]
        )
        if failed:
            self.spares.appendleft(child)
            error = SerializationError(
                f"arguments of {call.name or 'the task'} could not be pickled: {failed[0][1]}"
            )
            self.link.deliver(call, ERROR, error)
            return
        child.state, child.call = _RUNNING, call
        self.selector.register(child.conn, selectors.EVENT_READ, ("conn", child))
        try:
            child.conn.send_bytes(message)
        except (OSError, ValueError):
            pass  # it died: its exit is reported with its exit code

    def _unwatch(self, fileobj: Any) -> None:
        try:
            self.selector.unregister(fileobj)
        except (KeyError, ValueError, OSError):
            pass  # not watched (any more), or already closed

    def _result(self, child: _Child) -> None:
        """The running child's pipe is readable: its result, or end of file (it died)."""
        try:
            message = child.conn.recv_bytes()
        except (EOFError, OSError):
            return  # died mid-call: _exited reports it with the exit code
        child.conn.close()
        call, child.call, child.state = child.call, None, _EXITING
        assert call is not None
        items = wire.decode_batch(message)
        del message
        self._deliver(call, items)

    def _deliver(self, call: CallFuture, items: list[Any]) -> None:
        (_, kind), ok, value = items[0]
        if not ok:
            error = SerializationError(
                f"result of {call.name or 'the task'} could not be unpickled: {value}"
            )
            self.link.deliver(call, ERROR, error)
        elif kind == wire.ERROR:
            self.link.deliver(call, ERROR, wire.unpack_exception(value))
        else:
            self.link.deliver(call, OK, value)

    def _exited(self, child: _Child) -> None:
        self._unwatch(child.proc.sentinel)
        if child.call is not None:
            self._unwatch(child.conn)
            try:
                ready = child.conn.poll(0)  # a result written just before exiting
            except (EOFError, OSError, ValueError):
                ready = False
            if ready:
                self._result(child)
        child.proc.join(0)
        code = child.proc.exitcode
        _close(child)
        self.children.discard(child)
        if child.state == _SPARE:
            try:
                self.spares.remove(child)
            except ValueError:
                pass
            return
        call, child.call = child.call, None
        if call is None:
            return
        if self.terminated:
            timeout = self.owner._stop_timeout
            reason = f"worker process was terminated by stop(timeout={timeout:.3g})"
        else:
            reason = f"worker process died with {_describe_exit(code)}"
        self.link.deliver(call, ERROR, WorkerDiedError(reason, code))

    def _dismiss_spares(self) -> None:
        """End every spare: it exits on ``STOP`` (reported through its sentinel).

        An explicit message, not just closing the pipe: with ``mp_context="fork"``
        later children inherit copies of the parent's pipe ends, so a spare would
        never see end of file.
        """
        while self.spares:
            child = self.spares.popleft()
            child.state = _EXITING
            try:
                child.conn.send_bytes(wire.STOP)
            except (OSError, ValueError):
                pass  # gone already
            child.conn.close()

    def _stopping(self, stop_at: float | None) -> float | None:
        """Past ``stop_at`` terminate what still runs, ``_GRACE`` s later kill it."""
        if stop_at is None:
            return None  # closing: running calls finish on their own
        now = monotonic()
        if now < stop_at:
            return stop_at - now
        if not self.terminated:
            self.terminated = True
            for child in self.children:
                child.proc.terminate()
        if now < stop_at + _GRACE:
            return stop_at + _GRACE - now
        if not self.killed:
            self.killed = True
            for child in self.children:
                child.proc.kill()
        return 0.1  # the kill is reported through the sentinels

    def close(self) -> None:
        """The loop ended (or failed): nothing may be left running."""
        for child in list(self.children):
            child.proc.kill()
            child.proc.join(_GRACE)
            _close(child)
            call, child.call = child.call, None
            if call is not None:
                code = child.proc.exitcode
                reason = f"worker process died with {_describe_exit(code)}"
                self.link.deliver(call, ERROR, WorkerDiedError(reason, code))
        self.children.clear()
        self.selector.close()


def _start_process(method: str, payload: bytes, name: str) -> tuple[Any, Any]:
    """A one-shot child started by ``multiprocessing`` (``mp_context`` fork or spawn)."""
    import multiprocessing

    from ._one_shot_child import one_shot_main

    ctx: Any = multiprocessing.get_context(method)
    parent_conn, child_conn = ctx.Pipe(duplex=True)
    proc = ctx.Process(target=one_shot_main, args=(child_conn, payload), name=name, daemon=True)
    proc.start()
    child_conn.close()
    return proc, parent_conn


def _close(child: _Child) -> None:
    try:
        child.conn.close()
    except OSError:
        pass
    close = getattr(child.proc, "close", None)
    if close is not None:
        try:
            close()
        except ValueError:
            pass  # still running (a kill that has not landed): its finalizer closes it


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def _register(transport: OneShotProcesses) -> None:
    _live.add(transport)
    if not _exit_hook[0]:
        _exit_hook[0] = True
        atexit.register(_end_all)


def _end_all() -> None:
    """At interpreter exit: stop every on-demand process transport of this process."""
    me = os.getpid()
    live = [t for t in list(_live) if t._owner == me]
    now = monotonic()
    for transport in live:
        with transport._lock:
            if transport._stop_at is None:
                transport._stop_at = now
        transport._wake()
    for transport in live:
        thread = transport._thread
        if thread is not None:
            thread.join(max(0.0, now + 2 * _GRACE - monotonic()))
