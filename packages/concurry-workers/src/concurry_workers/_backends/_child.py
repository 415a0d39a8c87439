"""The code that runs inside a worker process.

The main thread reads call batches and runs calls in order; a sender thread
batches results back, so a fast method is not slowed by one write per call.
Before each call the main thread drains the pipe, so a stop request is seen
before the next queued call starts.
"""

from __future__ import annotations

import threading
from collections import deque
from queue import SimpleQueue
from typing import Any

import cloudpickle

from .._errors import SerializationError
from . import _wire as wire

__all__ = ["child_main"]

_MAX_BATCH = 1024


def child_main(conn: Any, payload: bytes) -> None:
    """Entry point of the worker process: build the instance, then serve calls."""
    try:
        runtime = cloudpickle.loads(payload)
        invoker = runtime.build()
    except BaseException as exc:
        conn.send_bytes(wire.INIT_ERROR + cloudpickle.dumps(wire.pack_exception(exc)))
        conn.close()
        return
    conn.send_bytes(wire.INIT_OK)
    try:
        _serve(conn, invoker)
    finally:
        invoker.close()
        conn.close()


def _serve(conn: Any, invoker: Any) -> None:
    results: SimpleQueue[Any] = SimpleQueue()
    sender = threading.Thread(target=_send_results, args=(conn, results), daemon=True)
    sender.start()
    queued: deque[tuple[int, Any]] = deque()
    closing = False
    try:
        while True:
            if not queued or conn.poll(0):
                if closing and not queued:
                    return
                try:
                    message = conn.recv_bytes()
                except (EOFError, OSError):
                    return  # the parent is gone
                kind = message[:1]
                if kind == wire.STOP:
                    for call_id, _ in queued:
                        results.put((call_id, wire.CANCELLED, None, None))
                    return
                if kind == wire.CLOSE:
                    closing = True
                elif kind == wire.CALLS:
                    for call_id, ok, value in wire.decode_batch(message):
                        if ok:
                            queued.append((call_id, value))
                        else:
                            error = SerializationError(f"arguments could not be unpickled: {value}")
                            results.put((call_id, wire.ERROR, wire.pack_exception(error), None))
                continue
            call_id, call = queued.popleft()
            try:
                results.put((call_id, wire.OK, invoker.call(*call), call[0]))
            except BaseException as exc:
                results.put((call_id, wire.ERROR, wire.pack_exception(exc), None))
            del call
    finally:
        results.put(None)
        sender.join()


def _send_results(conn: Any, results: SimpleQueue[Any]) -> None:
    while True:
        item = results.get()
        if item is None:
            return
        batch = [item]
        while len(batch) < _MAX_BATCH and not results.empty():
            more = results.get()
            if more is None:
                _flush(conn, batch)
                return
            batch.append(more)
        _flush(conn, batch)


def _flush(conn: Any, batch: list[Any]) -> None:
    items = [((call_id, kind), value) for call_id, kind, value, _ in batch]
    message, failed = wire.encode_batch(wire.RESULTS, items)
    if failed:
        names = {call_id: name for call_id, _, _, name in batch}
        fixes = []
        for (call_id, _), err in failed:
            error = SerializationError(
                f"result of {names.get(call_id) or 'the task'} could not be pickled: {err}"
            )
            fixes.append(((call_id, wire.ERROR), wire.pack_exception(error)))
        message, _ = wire.encode_batch(wire.RESULTS, items_without(items, failed) + fixes)
    try:
        conn.send_bytes(message)
    except (OSError, ValueError):
        pass  # the parent is gone; nothing left to tell


def items_without(
    items: list[tuple[Any, Any]], failed: list[tuple[Any, BaseException]]
) -> list[tuple[Any, Any]]:
    """``items`` minus the ones whose tag is in ``failed``."""
    bad = {tag for tag, _ in failed}
    return [(tag, value) for tag, value in items if tag not in bad]
