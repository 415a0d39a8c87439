"""The code that runs inside a one-shot worker process (on-demand process pools).

A one-shot child serves exactly one call: it is forked as a *spare* ahead of
need, loads the pickled runtime at once, then waits for its call. When the
call arrives it builds a fresh instance (so ``__init__`` runs for that call
only), runs the call, sends the one result back and exits. There is no sender
thread and no handshake: one message in, one message out.

Messages are the process transport's (``_wire``): a ``CALLS`` batch of one
item in, a ``RESULTS`` batch of one item out. End of file, or anything that
is not a call, means "not needed": the child exits without building anything.
"""

from __future__ import annotations

import pickle
import signal
import threading
from typing import Any

import cloudpickle

from .._errors import SerializationError
from . import _wire as wire
from ._child import _flush

__all__ = ["one_shot_main"]


def one_shot_main(conn: Any, payload: bytes) -> None:
    """Entry point of a one-shot child: load the runtime, wait for one call, answer it."""
    idle_sigint = _ignore_sigint()
    load_error: BaseException | None = None
    runtime: Any = None
    try:
        runtime = cloudpickle.loads(payload)
    except BaseException as exc:  # reported as the outcome of the call, if one comes
        load_error = exc
    try:
        message = conn.recv_bytes()
    except (EOFError, OSError):
        conn.close()
        return  # not needed (stop(), or the parent exited)
    if message[:1] != wire.CALLS:
        conn.close()
        return
    if idle_sigint is not None:
        signal.signal(signal.SIGINT, idle_sigint)  # the call may be interrupted like any code
    (call_id, ok, call), *_ = wire.decode_batch(message)
    del message
    if not ok:
        error = SerializationError(f"arguments could not be unpickled: {call}")
        outcome = (call_id, wire.ERROR, wire.pack_exception(error), None)
    elif load_error is not None:
        outcome = (call_id, wire.ERROR, wire.pack_exception(load_error), None)
    else:
        outcome = _run(call_id, runtime, call)
    _send(conn, outcome)
    conn.close()


def _send(conn: Any, outcome: tuple[int, int, Any, Any]) -> None:
    """Send the one result, as a ``RESULTS`` batch of one item.

    Plain ``pickle`` first: it is what ``_wire`` would produce for plain data and
    it touches far less memory than a cloudpickle pickler, and every page a
    freshly forked child touches is a copy. Whatever it cannot pickle (a class
    defined in ``__main__``, a lambda) goes through ``_child._flush``.
    """
    call_id, kind, value, _ = outcome
    try:
        blob = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        body = pickle.dumps(([(call_id, kind)], [len(blob)], blob), pickle.HIGHEST_PROTOCOL)
    except BaseException:
        _flush(conn, [outcome])
        return
    try:
        conn.send_bytes(wire.RESULTS + body)
    except (OSError, ValueError):
        pass  # the parent is gone; nothing left to tell


def _run(call_id: int, runtime: Any, call: Any) -> tuple[int, int, Any, Any]:
    try:
        invoker = runtime.build()
    except BaseException as exc:
        return (call_id, wire.ERROR, wire.pack_exception(exc), None)
    try:
        return (call_id, wire.OK, invoker.call(*call), call[0])
    except BaseException as exc:
        return (call_id, wire.ERROR, wire.pack_exception(exc), None)
    finally:
        invoker.close()


def _ignore_sigint() -> Any:
    """Ignore Ctrl-C while idle (a spare must not print a traceback); returns the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, signal.SIG_IGN)
