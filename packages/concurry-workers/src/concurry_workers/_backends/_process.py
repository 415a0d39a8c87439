"""The process transport: one child process per worker, fed in batches.

Calls sent by the link wait in an outbox; a sender thread pickles
(cloudpickle) whatever has accumulated and writes it as one message. A reader
thread hands the child's result batches to the link and watches the process
sentinel: when the child exits it reports the death to the link once, and
the link fails every call not finished.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import weakref
from collections.abc import Sequence
from time import monotonic
from typing import TYPE_CHECKING, Any

from .._errors import SerializationError, WorkerDiedError
from .._link import CANCELLED, ERROR, OK
from . import _forkserver
from . import _wire as wire
from ._base import Transport
from ._child import child_main

if TYPE_CHECKING:
    from .._link import CallFuture, Link

__all__ = ["ProcessBackend"]

_GRACE = 2.0  # seconds between terminate() and kill()

# Live transports, so that interpreter exit can end their children (see _end_children).
_live: weakref.WeakSet[ProcessBackend] = weakref.WeakSet()
_exit_hook = [False]

_KIND = {wire.OK: OK, wire.ERROR: ERROR, wire.CANCELLED: CANCELLED}


class ProcessBackend(Transport):
    """Runs the instance in a child process (``mp_context``: fork, spawn or forkserver)."""

    def __init__(self, runtime: Any, options: dict[str, Any]) -> None:
        super().__init__(runtime, options)
        self._cond = threading.Condition(threading.Lock())
        self._outbox: list[CallFuture] = []
        self._control: bytes | None = None
        self._gone = False  # the child has exited (set by the reader)
        self._terminated_by: float | None = None
        self._broken_pipe: str | None = None
        self._link: Any = None
        self._proc: Any = None
        self._conn: Any = None
        self._reader: threading.Thread | None = None
        # what the child already has of __main__ (used by the feeder thread only)
        self._shipped = wire.Shipped()

    # -- start-up -------------------------------------------------------------------
    def start(self, link: Link) -> None:
        import multiprocessing
        from multiprocessing.connection import wait

        import cloudpickle

        payload = wire.dumps_runtime(self.runtime)
        method = self.options.get("mp_context") or "spawn"
        name = f"concurry-process-{self.runtime.worker_cls.__name__}"
        if method == "forkserver":
            try:
                proc, parent_conn = _forkserver.spawn(payload, name, _modules_of(self.runtime))
            except OSError as exc:
                raise WorkerDiedError(f"worker process could not be started: {exc}") from exc
        else:
            ctx: Any = multiprocessing.get_context(method)
            parent_conn, child_conn = ctx.Pipe(duplex=True)
            proc = ctx.Process(
                target=child_main, args=(child_conn, payload), name=name, daemon=True
            )
            proc.start()
            child_conn.close()
        self._proc, self._conn, self._link = proc, parent_conn, link
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
        self._gone = True
        proc.join(_GRACE)
        _kill(proc)
        parent_conn.close()
        if message is not None and message[:1] == wire.INIT_ERROR:
            raise wire.unpack_exception(cloudpickle.loads(message[1:]))
        hint = ""
        if method == "spawn" and getattr(sys.modules["__main__"], "__file__", None):
            # spawn children import the main script first: without a __main__
            # guard it starts workers again from inside the child
            hint = (
                "; if the main script starts workers at its top level, put that code "
                "under `if __name__ == '__main__':`"
            )
        raise WorkerDiedError(
            f"worker process exited during start-up with {_describe_exit(proc.exitcode)}{hint}",
            proc.exitcode,
        )

    # -- parent -> child --------------------------------------------------------------
    def send(self, batch: Sequence[CallFuture]) -> None:
        with self._cond:
            was_empty = not self._outbox
            self._outbox.extend(batch)
            if was_empty:
                self._cond.notify()

    def _feed(self) -> None:
        link = self._link
        while True:
            with self._cond:
                while not self._outbox and self._control is None and not self._gone:
                    self._cond.wait()
                if self._gone:
                    return  # the link has failed whatever was waiting here
                items, self._outbox = self._outbox, []
                control = self._control
            if control is not None:
                for call in items:  # stop(): sent here but never run
                    link.drop(call)
                self._send(control)
                return
            batch = [
                (call._id, (call.name, call.args, call.kwargs))
                for call in items
                if link.begin(call)
            ]
            if not batch:
                continue
            message, failed = wire.encode_batch(wire.CALLS, batch, self._shipped)
            if failed:
                by_id = {call._id: call for call in items}
                for call_id, err in failed:
                    call = by_id[call_id]
                    error = SerializationError(
                        f"arguments of {call.name or 'the task'} could not be pickled: {err}"
                    )
                    link.deliver(call, ERROR, error)
            if not self._send(message):
                return  # the child is gone; the reader reports it

    def _send(self, message: bytes) -> bool:
        try:
            self._conn.send_bytes(message)
            return True
        except (OSError, ValueError) as exc:
            with self._cond:
                if self._gone:
                    return False
                self._broken_pipe = f"{type(exc).__name__}: {exc}"
            # A child that can no longer be fed must not be left waiting for calls:
            # end it, so the reader reports it and every call fails. (Only the reader
            # polls the process: two threads polling one Popen lose its exit code.)
            self._proc.kill()
            return False

    # -- child -> parent --------------------------------------------------------------
    def _read(self) -> None:
        from multiprocessing.connection import wait

        conn, proc, link = self._conn, self._proc, self._link
        try:
            while True:
                if conn not in wait([conn, proc.sentinel]) and not conn.poll(0):
                    break
                try:
                    message = conn.recv_bytes()
                except (EOFError, OSError):
                    break
                link.deliver_many(_results(wire.decode_batch(message), link))
        finally:
            self._on_exit()

    def _on_exit(self) -> None:
        with self._cond:  # first: the feeder stops, and no one signals a reaped pid
            self._gone = True
            self._outbox = []
            self._cond.notify_all()
        proc = self._proc
        proc.join(_GRACE)
        _kill(proc)
        code = proc.exitcode
        with self._cond:
            terminated_by, broken_pipe = self._terminated_by, self._broken_pipe
        if terminated_by is not None:
            reason = f"worker process was terminated by stop(timeout={terminated_by:.3g})"
        else:
            reason = f"worker process died with {_describe_exit(code)}"
            if broken_pipe is not None:
                reason += f" (writing to it failed: {broken_pipe})"
        self._conn.close()
        self._link.died(WorkerDiedError(reason, code))

    # -- shutdown ---------------------------------------------------------------------
    def _request(self, control: bytes) -> None:
        with self._cond:
            if self._control is None and not self._gone:
                self._control = control
                self._cond.notify()

    def stop(self, deadline: float) -> None:
        """Ask the child to stop; terminate it at ``deadline``, kill it ``_GRACE`` s later."""
        reader = self._reader
        if reader is None:
            return
        timeout = max(0.0, deadline - monotonic())
        self._request(wire.STOP)
        if reader is threading.current_thread():
            return  # stop() from a done-callback run by the reader: it is exiting anyway
        reader.join(timeout)
        if reader.is_alive():
            with self._cond:
                self._terminated_by = timeout
            self._proc.terminate()
            reader.join(_GRACE)
        if reader.is_alive():
            self._proc.kill()
            reader.join(_GRACE)

    def close_when_idle(self) -> None:
        if self._reader is not None:
            self._request(wire.CLOSE)


def _modules_of(runtime: Any) -> list[str]:
    """Importable modules a worker child will need: the class's and its init callables'."""
    names = []
    for obj in (runtime.worker_cls, *runtime.args, *runtime.kwargs.values()):
        if isinstance(obj, type) or callable(obj):
            module = getattr(obj, "__module__", None)
            if isinstance(module, str) and module != "__main__" and module in sys.modules:
                names.append(module)
    return list(dict.fromkeys(names))


def _results(items: list[tuple[Any, bool, Any]], link: Link) -> list[tuple[int, int, Any]]:
    out: list[tuple[int, int, Any]] = []
    for (call_id, kind), ok, value in items:
        if not ok:
            name = link.describe(call_id)
            error = SerializationError(f"result of {name} could not be unpickled: {value}")
            out.append((call_id, ERROR, error))
        elif kind == wire.ERROR:
            out.append((call_id, ERROR, wire.unpack_exception(value)))
        else:
            out.append((call_id, _KIND[kind], value))
    return out


def _end_children() -> None:
    """At interpreter exit: end every child still running, SIGKILL if SIGTERM is ignored.

    multiprocessing terminates daemonic children at exit but then joins them
    without a timeout, so one that ignores SIGTERM would keep the interpreter
    from exiting.
    """
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
