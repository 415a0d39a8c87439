"""The process backend: one child process per worker, fed in batches.

Calls go to a local queue; a feeder thread resolves future arguments, pickles
(cloudpickle) whatever has accumulated and sends it as one message. A reader
thread completes futures from the child's result batches and watches the
process sentinel, so a child that dies fails every pending call at once.
"""

from __future__ import annotations

import atexit
import itertools
import os
import signal
import sys
import threading
import weakref
from concurrent.futures import Future
from typing import Any

from .._errors import SerializationError, WorkerDiedError, WorkerStoppedError
from .._invoke import Call
from .._unwrap import call_has_futures, collect_futures, unwrap_call
from ._base import Backend, cancel_unrun

__all__ = ["ProcessBackend"]

_GRACE = 2.0  # seconds between terminate() and kill()

# Imported once by the fork server, so each forked worker starts with them loaded.
_PRELOAD = ["concurry_workers._backends._child", "concurry_limits", "concurry_retry"]


# Live backends, so that interpreter exit can end their children (see _end_children).
_live: weakref.WeakSet[ProcessBackend] = weakref.WeakSet()
_exit_hook = [False]


class ProcessBackend(Backend):
    """Runs the instance in a child process (``mp_context``: fork, spawn or forkserver)."""

    def __init__(self, runtime: Any, options: dict[str, Any]) -> None:
        super().__init__(runtime, options)
        self._cond = threading.Condition(threading.Lock())
        self._outbox: list[tuple[Future[Any], Call]] = []
        self._control: bytes | None = None
        self._closed = False
        self._stopping = False
        self._pending: dict[int, tuple[Future[Any], Call]] = {}
        self._pending_lock = threading.Lock()
        self._ids = itertools.count()
        self._death: WorkerDiedError | None = None
        self._stop_timeout: float | None = None
        self._terminated = False
        self._proc: Any = None
        self._conn: Any = None
        self._wake: threading.Event | None = None

    # -- start-up -------------------------------------------------------------------
    def start(self) -> None:
        import multiprocessing
        from multiprocessing.connection import wait

        import cloudpickle

        from . import _wire as wire
        from ._child import child_main

        try:
            payload = cloudpickle.dumps(self.runtime)
        except Exception as exc:
            raise SerializationError(
                f"worker class or init arguments could not be pickled: {exc}"
            ) from exc
        method = self.options.get("mp_context") or "spawn"
        ctx: Any = multiprocessing.get_context(method)
        if method == "forkserver":
            _add_forkserver_preload(ctx)
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        name = f"concurry-process-{self.runtime.worker_cls.__name__}"
        proc = ctx.Process(target=child_main, args=(child_conn, payload), name=name, daemon=True)
        proc.start()
        child_conn.close()
        self._proc, self._conn = proc, parent_conn
        message = None
        if parent_conn in wait([parent_conn, proc.sentinel]):
            try:
                message = parent_conn.recv_bytes()
            except (EOFError, OSError):
                message = None
        if message == wire.INIT_OK:
            self._owner = os.getpid()
            _live.add(self)
            if not _exit_hook[0]:
                # registered after multiprocessing's own exit hook, so it runs first
                _exit_hook[0] = True
                atexit.register(_end_children)
            threading.Thread(target=self._feed, name=name + "-feeder", daemon=True).start()
            self._reader = threading.Thread(target=self._read, name=name + "-reader", daemon=True)
            self._reader.start()
            return
        self._closed = True
        proc.join(_GRACE)
        _kill(proc)
        parent_conn.close()
        if message is not None and message[:1] == wire.INIT_ERROR:
            raise wire.unpack_exception(cloudpickle.loads(message[1:]))
        hint = ""
        if ctx.get_start_method() != "fork" and getattr(sys.modules["__main__"], "__file__", None):
            # spawn/forkserver children import the main script first: without a
            # __main__ guard it starts workers again from inside the child
            hint = (
                "; if the main script starts workers at its top level, put that code "
                "under `if __name__ == '__main__':`"
            )
        raise WorkerDiedError(
            f"worker process exited during start-up with {_describe_exit(proc.exitcode)}{hint}",
            proc.exitcode,
        )

    # -- parent -> child --------------------------------------------------------------
    def submit(self, future: Future[Any], call: Call) -> None:
        with self._cond:
            if self._closed:
                if self._death is not None and not self._stopping:
                    if future.set_running_or_notify_cancel():
                        future.set_exception(self._death)
                    return
                raise WorkerStoppedError()
            self._outbox.append((future, call))
            if len(self._outbox) == 1:
                self._cond.notify()

    def _feed(self) -> None:
        unwrap = self.runtime.unwrap_futures
        while True:
            with self._cond:
                while not self._outbox and self._control is None and self._death is None:
                    self._cond.wait()
                if self._death is not None:
                    return
                items, self._outbox = self._outbox, []
                control = self._control
            batch: list[tuple[int, Call]] = []
            for future, call in items:
                if self._stopping:
                    future.cancel()
                    continue
                if unwrap and call_has_futures(call[1], call[2]):
                    # the awaited futures may depend on calls in this very batch
                    if batch and not self._send_batch(batch):
                        return
                    batch = []
                    if not self._wait_for_arguments(call):
                        future.cancel()  # stop() came first; the call never ran
                        continue
                    try:
                        args, kwargs = unwrap_call(call[1], call[2])
                    except BaseException as exc:
                        if future.set_running_or_notify_cancel():
                            future.set_exception(exc)
                        continue
                    call = (call[0], args, kwargs)
                if not future.set_running_or_notify_cancel():
                    continue
                call_id = next(self._ids)
                with self._pending_lock:
                    self._pending[call_id] = (future, call)
                batch.append((call_id, call))
            if batch and not self._send_batch(batch):
                return
            if control is not None:
                self._send(control)
                return

    def _wait_for_arguments(self, call: Call) -> bool:
        """Wait until the call's future arguments are done; False if stop() came first."""
        pending = [f for f in collect_futures([call[1], call[2]]) if not f.done()]
        if not pending:
            return True
        wake = threading.Event()
        self._wake = wake
        for f in pending:
            f.add_done_callback(lambda _: wake.set())
        try:
            while True:
                wake.clear()
                if all(f.done() for f in pending):
                    return True
                if self._stopping or self._death is not None:
                    return False
                wake.wait()
        finally:
            self._wake = None

    def _send_batch(self, batch: list[tuple[int, Call]]) -> bool:
        from . import _wire as wire

        message, failed = wire.encode_batch(wire.CALLS, batch)
        for call_id, err in failed:
            with self._pending_lock:
                future, call = self._pending.pop(call_id)
            future.set_exception(
                SerializationError(
                    f"arguments of {call[0] or 'the task'} could not be pickled: {err}"
                )
            )
        return self._send(message)

    def _send(self, message: bytes) -> bool:
        try:
            self._conn.send_bytes(message)
            return True
        except (OSError, ValueError):
            return False  # the child is gone; the reader fails what is pending

    # -- child -> parent --------------------------------------------------------------
    def _read(self) -> None:
        from multiprocessing.connection import wait

        from . import _wire as wire

        conn, proc = self._conn, self._proc
        try:
            while True:
                if conn not in wait([conn, proc.sentinel]) and not conn.poll(0):
                    break
                try:
                    message = conn.recv_bytes()
                except (EOFError, OSError):
                    break
                self._complete(wire.decode_batch(message))
        finally:
            self._on_exit()

    def _complete(self, items: list[tuple[Any, bool, Any]]) -> None:
        from . import _wire as wire

        for (call_id, kind), ok, value in items:
            with self._pending_lock:
                future, call = self._pending.pop(call_id)
            if not ok:
                future.set_exception(
                    SerializationError(
                        f"result of {call[0] or 'the task'} could not be unpickled: {value}"
                    )
                )
            elif kind == wire.OK:
                future.set_result(value)
            elif kind == wire.ERROR:
                future.set_exception(wire.unpack_exception(value))
            else:  # the child dropped it on stop(): it never ran
                cancel_unrun(future)

    def _on_exit(self) -> None:
        proc = self._proc
        proc.join(_GRACE)
        _kill(proc)
        code = proc.exitcode
        if self._terminated:
            reason = f"worker process was terminated by stop(timeout={self._stop_timeout})"
        else:
            reason = f"worker process died with {_describe_exit(code)}"
        death = WorkerDiedError(reason, code)
        never_ran: list[Future[Any]] = []
        with self._cond:
            self._closed = True
            self._death = death
            items, self._outbox = self._outbox, []
            self._cond.notify_all()
            if self._wake is not None:
                self._wake.set()
        with self._pending_lock:
            pending, self._pending = self._pending, {}
        if self._stopping:
            # Calls run in id order: only the oldest pending one can have started;
            # stop() cancels the rest, which were still queued in the child.
            for call_id in sorted(pending)[1:]:
                never_ran.append(pending.pop(call_id)[0])
            never_ran.extend(future for future, _ in items)
            items = []
        for future, _ in items:
            if future.set_running_or_notify_cancel():
                future.set_exception(death)
        for future, _ in pending.values():
            future.set_exception(death)
        for future in never_ran:
            cancel_unrun(future)
        self._conn.close()

    # -- shutdown ---------------------------------------------------------------------
    def _request(self, control: bytes, cancel_queued: bool) -> list[tuple[Future[Any], Call]]:
        with self._cond:
            if self._control is not None or self._death is not None:
                return []
            self._closed = True
            self._stopping = self._stopping or cancel_queued
            self._control = control
            if self._wake is not None:
                self._wake.set()
            items: list[tuple[Future[Any], Call]] = []
            if cancel_queued:
                items, self._outbox = self._outbox, []
            self._cond.notify()
        return items

    def stop(self, timeout: float | None) -> None:
        """Stop the child; every wait here is bounded (``None`` counts as 0).

        The running call gets ``timeout`` seconds; a child still busy then is
        terminated (SIGTERM), and killed if it ignores that for ``_GRACE`` s.
        """
        from . import _wire as wire

        reader = getattr(self, "_reader", None)
        if self._proc is None or reader is None:
            return
        self._stop_timeout = timeout
        for future, _ in self._request(wire.STOP, cancel_queued=True):
            future.cancel()
        if reader is threading.current_thread():
            return  # stop() from a done-callback run by the reader: it is exiting anyway
        reader.join(timeout or 0)
        if reader.is_alive():
            self._terminated = True
            self._proc.terminate()
            reader.join(_GRACE)
        if reader.is_alive():
            self._proc.kill()
            reader.join(_GRACE)

    def close_when_idle(self) -> None:
        from . import _wire as wire

        if self._proc is not None:
            self._request(wire.CLOSE, cancel_queued=False)

    @property
    def is_alive(self) -> bool:
        return not self._closed and self._proc is not None and self._proc.is_alive()


def _end_children() -> None:
    """At interpreter exit: end every child still running, SIGKILL if SIGTERM is ignored.

    multiprocessing terminates daemonic children at exit but then joins them
    without a timeout, so one that ignores SIGTERM would keep the interpreter
    from exiting.
    """
    from time import monotonic

    me = os.getpid()
    procs = [
        b._proc
        for b in list(_live)
        if getattr(b, "_owner", None) == me and b._proc is not None and b._proc.is_alive()
    ]
    for proc in procs:
        proc.terminate()
    deadline = monotonic() + _GRACE
    for proc in procs:
        proc.join(max(0.0, deadline - monotonic()))
    for proc in procs:
        if proc.is_alive():
            proc.kill()
            proc.join(_GRACE)


def _add_forkserver_preload(ctx: Any) -> None:
    # keep what the application asked the fork server to preload; add ours
    from multiprocessing import forkserver

    current = getattr(forkserver._forkserver, "_preload_modules", None) or ["__main__"]
    wanted = list(dict.fromkeys([*current, *_PRELOAD]))
    if wanted != current:
        ctx.set_forkserver_preload(wanted)


def _kill(proc: Any) -> None:
    if proc.is_alive():
        proc.terminate()
        proc.join(_GRACE)
    if proc.is_alive():
        proc.kill()
        proc.join()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "an unknown exit code"
    if code < 0:
        try:
            return f"exit code {code} ({signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"exit code {code}"
