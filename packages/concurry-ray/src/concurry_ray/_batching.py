"""Short calls to a busy serial actor travel together, as one Ray task.

Ray's own cost of an actor call (submitting the task, scheduling it, the
reply) is a few hundred microseconds on a small machine, far more than a
short method takes. So while a serial actor already has ``HOLD_AT`` calls
handed to Ray and unfinished, the transport holds the next calls back
(``_backend``), and sends them as one task that runs them in order
(`run_batch`) and returns one Ray object per call (``num_returns``): each call
keeps its own ObjectRef, so waiting, ``ray.wait``, passing a future to
another worker and values left in the object store work as for a lone call.

Held calls are sent when enough are held (`BatchSizer.cap`), when Ray has
fewer than ``HOLD_AT`` left, when someone asks for one of them (``result``,
``wait`` / ``gather``, passing its future on), or at the reading thread's
next look (every 10 ms). A batch is sized to about ``BATCH_SECONDS`` of the
actor's measured time per call, so it delays no result by much more than
that: calls that take long are sent one by one, as before. Only calls whose
arguments are plain values (`plain`) join a batch: nothing in them can fail to
unpickle in the actor, or be an ObjectRef that Ray should resolve, so one
call never fails another. A result that Ray could not pickle fails its own
call in the actor (`checked_result`), not the whole batch.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from ._failure import Failure, first_line

__all__ = [
    "BATCH_SECONDS",
    "HOLD_AT",
    "MAX_BATCH",
    "NOT_RUN",
    "RESCUE_AFTER",
    "Batch",
    "BatchSizer",
    "NotRun",
    "checked_result",
    "finished_so_far",
    "halt",
    "plain",
    "run_batch",
]

#: Calls held back while at least this many calls of the actor are in Ray, unfinished.
HOLD_AT = 2
#: The most calls in one batch.
MAX_BATCH = 32
#: About how long a batch may run in the actor (the delay it may add to its first call).
BATCH_SECONDS = 0.01
#: The batch size tried while the actor's time per call is unknown.
PROBE = 2
#: A batch still running after this many seconds is asked for the outcomes it has
#: (`finished_so_far`), so that a long call cannot hold back the results of the
#: short ones sent before it in the same batch.
RESCUE_AFTER = 0.2
#: After this many held calls sent alone (their calls take long), a batch of ``PROBE``
#: measures again.
REPROBE = 256

_SCALARS = frozenset((int, float, str, bytes, bool, type(None)))


def plain(value: Any, depth: int = 2) -> bool:
    """True for a value that surely pickles and unpickles anywhere: a scalar, or a
    short list, tuple or str-keyed dict of such values (nested at most ``depth``)."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if depth == 0:
        return False
    if kind is list or kind is tuple:
        return len(value) <= 64 and all(plain(v, depth - 1) for v in value)
    if kind is dict:
        return len(value) <= 64 and all(
            type(k) is str and plain(v, depth - 1) for k, v in value.items()
        )
    return False


class Batch:
    """Calls sent together as one Ray task (driver side).

    Attributes:
        id: The batch's number on its actor.
        calls: The calls, in the order the actor runs them.
        timing: The ObjectRef of the batch's run time in the actor.
        sent: When it was sent (monotonic).
        since: When it was sent, or last asked for what it has finished.
        asked: The ObjectRef of a pending `finished_so_far` request, or None.
        timed: True once its run time was read.
    """

    __slots__ = ("asked", "calls", "id", "sent", "since", "timed", "timing")

    def __init__(self, batch_id: int, calls: list[Any], timing: Any, sent: float) -> None:
        self.id = batch_id
        self.calls = calls
        self.timing = timing
        self.sent = self.since = sent
        self.asked: Any = None
        self.timed = False


class BatchSizer:
    """How many held calls one batch takes, from the actor's measured time per call."""

    def __init__(self) -> None:
        self.per_call: float | None = None  # seconds, a moving average over batches
        self._alone = 0

    def cap(self) -> int:
        """The most calls the next batch may take (1: send them one by one)."""
        per_call = self.per_call
        if per_call is None:
            return PROBE
        cap = int(BATCH_SECONDS / per_call) if per_call > 0 else MAX_BATCH
        if cap > 1:
            return min(cap, MAX_BATCH)
        self._alone += 1
        if self._alone >= REPROBE:  # the calls may have become short
            self._alone = 0
            return PROBE
        return 1

    def measured(self, seconds: float, size: int) -> None:
        """A batch of ``size`` calls ran for ``seconds`` in the actor."""
        sample = seconds / size
        previous = self.per_call
        self.per_call = sample if previous is None else (previous + sample) / 2


class NotRun:
    """The outcome of a batched call that ``stop()`` kept from starting (it ends cancelled)."""

    __slots__ = ()

    def __reduce__(self) -> str:
        return "NOT_RUN"


NOT_RUN = NotRun()


def run_batch(holder: Any, batch_id: int, calls: list[Any]) -> list[Any]:
    """Run ``calls`` (``(name, args, kwargs)`` each) in order in the actor.

    Each outcome is kept in ``holder._batches[batch_id]`` as soon as it exists,
    for `finished_so_far`; once ``holder._halt`` is set (`halt`) the calls not
    started yet are passed over (``NOT_RUN``).

    Returns:
        Each call's value, ``Failure`` or ``NOT_RUN``, then the seconds the batch took.
    """
    invoker = holder._invoker
    started = perf_counter()
    out: list[Any] = []
    holder._batches[batch_id] = out
    try:
        for name, args, kwargs in calls:
            if holder._halt:
                out.append(NOT_RUN)
                continue
            try:
                value = invoker.call(name, args, kwargs)
            except BaseException as exc:
                value = Failure.of(exc)
            else:
                if not plain(value):
                    value = checked_result(name, value)
            out.append(value)
    finally:
        holder._batches.pop(batch_id, None)
    return [*out, perf_counter() - started]


def finished_so_far(holder: Any, batch_id: int) -> list[Any]:
    """The outcomes of batch ``batch_id``'s calls that have finished (none once it ended)."""
    return list(holder._batches.get(batch_id, ()))


def halt(holder: Any) -> None:
    """Keep the running batch from starting its next calls (``stop()``)."""
    holder._halt = True


def checked_result(name: str, value: Any) -> Any:
    """``value``, or a ``Failure`` when Ray cannot pickle it (which would fail the batch)."""
    import ray
    from concurry_workers import SerializationError

    try:
        ray._private.worker.global_worker.get_serialization_context().serialize(value)
    except Exception as exc:
        return Failure.of(
            SerializationError(f"result of {name} could not be pickled: {first_line(exc)}")
        )
    return value
