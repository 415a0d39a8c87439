"""The wire format between a parent and a worker process.

A message is one kind byte followed by a body. Calls and results travel in
batches: every item is pickled separately into one stream (one pickler per
batch, memo cleared between items) and the body records where each item ends,
so one item that cannot be pickled or unpickled fails alone.

Everything sent is pickled with ``_pickling.Pickler`` (cloudpickle that ships
``validate_call``-decorated functions defined in ``__main__`` or in a function
so that the child can rebuild them); everything received is read with plain
``pickle``.
"""

from __future__ import annotations

import io
import pickle
import traceback
from collections.abc import Iterable
from typing import Any

from .._errors import RemoteTraceback, SerializationError
from ._pickling import Pickler, Shipped, dumps, dumps_runtime

__all__ = [
    "CALLS",
    "CLOSE",
    "INIT_ERROR",
    "INIT_OK",
    "RESULTS",
    "STOP",
    "decode_batch",
    "dumps",
    "dumps_runtime",
    "encode_batch",
    "pack_exception",
    "unpack_exception",
]

CALLS, STOP, CLOSE = b"C", b"S", b"Q"  # parent -> child
RESULTS, INIT_OK, INIT_ERROR = b"R", b"I", b"E"  # child -> parent

#: Result item kinds.
OK, ERROR, CANCELLED = 0, 1, 2


def encode_batch(
    kind: bytes, items: Iterable[tuple[Any, Any]], shipped: Shipped | None = None
) -> tuple[bytes, list[tuple[Any, BaseException]]]:
    """Pickle ``(tag, value)`` items into one message.

    Args:
        kind: The message kind.
        items: ``(tag, value)`` pairs.
        shipped: What the receiving child already has of ``__main__`` (calls only).

    Returns:
        The message and the ``(tag, error)`` pairs of the items whose value could
        not be pickled (left out of the message).
    """
    buf = io.BytesIO()
    pickler = Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL, shipped=shipped)
    tags: list[Any] = []
    ends: list[int] = []
    failed: list[tuple[Any, BaseException]] = []
    for tag, value in items:
        start = buf.tell()
        try:
            pickler.dump(value)
        except BaseException as exc:
            buf.seek(start)
            buf.truncate()
            failed.append((tag, exc))
            if shipped is not None:
                shipped.rollback()
        else:
            tags.append(tag)
            ends.append(buf.tell())
            if shipped is not None:
                shipped.commit()
        pickler.clear_memo()
    body = pickle.dumps((tags, ends, buf.getvalue()), protocol=pickle.HIGHEST_PROTOCOL)
    return kind + body, failed


def decode_batch(message: bytes) -> list[tuple[Any, bool, Any]]:
    """Unpickle a batch into ``(tag, ok, value_or_error)`` triples, item by item."""
    tags, ends, blob = pickle.loads(memoryview(message)[1:])
    view = memoryview(blob)
    out: list[tuple[Any, bool, Any]] = []
    start = 0
    for tag, end in zip(tags, ends):
        try:
            out.append((tag, True, pickle.loads(view[start:end])))
        except BaseException as exc:
            out.append((tag, False, exc))
        start = end
    return out


def pack_exception(exc: BaseException) -> tuple[BaseException, str]:
    """A picklable stand-in for ``exc`` plus its formatted traceback.

    The exception is round-tripped through pickle here, so one whose class
    cannot be rebuilt is replaced by a ``SerializationError`` naming it.
    """
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        pickle.loads(dumps(exc))
    except BaseException as err:
        exc = SerializationError(
            f"{type(exc).__module__}.{type(exc).__qualname__}: {exc} "
            f"(the exception could not be pickled: {err})"
        )
    exc.__traceback__ = None
    exc.__cause__ = exc.__context__ = None
    return exc, tb


def unpack_exception(packed: tuple[BaseException, str]) -> BaseException:
    """Rebuild an exception from ``pack_exception`` with the remote traceback as cause."""
    exc, tb = packed
    exc.__cause__ = RemoteTraceback(tb)
    return exc
