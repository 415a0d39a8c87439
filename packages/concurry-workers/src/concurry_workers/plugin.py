"""What a backend plugin (a package providing a mode, like concurry-ray) builds on.

A plugin publishes a ``WorkerBackend`` subclass in the ``concurry.worker_backends``
entry point group under its mode's name. The transport contract is in
``WorkerBackend``'s docstring: calls arrive as ``CallFuture`` objects through
``send``; outcomes go back with ``link.deliver(call, OK | ERROR, value)``, a
call discarded unrun with ``link.drop(call)`` and the transport's death with
``link.died(error)``.

Exceptions that cross a process boundary travel as ``pack_exception(exc)`` and
come back with ``unpack_exception``: the original type and message, the
remote traceback attached as the cause.
"""

from __future__ import annotations

from ._backends._base import WorkerBackend
from ._backends._wire import dumps_runtime, pack_exception, unpack_exception
from ._invoke import BOUND, TASK, Invoker
from ._link import CANCELLED, ERROR, OK, CallFuture, Link
from ._runtime import WorkerRuntime
from ._unwrap import call_has_futures

__all__ = [
    "BOUND",
    "CANCELLED",
    "ERROR",
    "OK",
    "TASK",
    "CallFuture",
    "Invoker",
    "Link",
    "WorkerBackend",
    "WorkerRuntime",
    "call_has_futures",
    "dumps_runtime",
    "pack_exception",
    "unpack_exception",
]
