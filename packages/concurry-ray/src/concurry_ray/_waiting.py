"""A thread waiting for many ray-mode calls reads them itself, as bare Ray code does.

``wait`` and ``gather`` over ray-mode calls that nobody watches yet (a
transport's *unseen* calls, see ``_backend``) hand them to `wait_calls`
(``RayCallFuture._wait_many``): the waiting thread takes them, waits with
``ray.wait`` over all their ObjectRefs and reads the finished ones with one
``ray.get``, so no per-call notification runs on Ray's threads. What it has
not read when it returns (a timeout, the first completion or failure, an
interrupt) is unseen again, for the next reader or the transport's looks.
"""

from __future__ import annotations

from collections.abc import Sequence
from time import monotonic
from typing import Any

from concurry_futures import ReturnWhen

from ._batching import RESCUE_AFTER
from ._completions import read_finished

__all__ = ["ROUND_SECONDS", "wait_calls"]

#: With ``FIRST_EXCEPTION`` a failure is only known once its value is read: the
#: waiting thread reads what finished at least this often.
ROUND_SECONDS = 0.05
_DONE = frozenset(("FINISHED", "CANCELLED", "CANCELLED_AND_NOTIFIED"))


def wait_calls(calls: Sequence[Any], timeout: float | None, return_when: Any) -> None:
    """Wait for ``calls`` (``RayCallFuture`` objects) until ``return_when`` holds.

    Only the unseen ones are taken: a call someone else watches or reads (a
    look of the reading thread may be delivering it right now) is settled by
    them, and the caller's own waiting (done-callbacks) covers it afterwards.

    Args:
        calls: The futures to wait for.
        timeout: Seconds at most (None: no limit).
        return_when: A ``ReturnWhen`` (or its name).
    """
    mode = ReturnWhen(return_when)
    held = {c._ray_transport for c in calls if c._ray_held}
    for transport in held:  # sent now, unseen then (see ``_batching``)
        transport.flush()
    pending = [c for c in calls if c._ray_unseen and c._state not in _DONE]
    if not pending:
        return
    # the pending calls someone else settles: the first of them to end may decide
    others = [c for c in calls if not c._ray_unseen and c._state not in _DONE]
    if others and mode is ReturnWhen.FIRST_COMPLETED:
        return
    import ray

    for call in pending:
        call._ray_unseen = False  # taken: the looks pass it over
        call._ray_reader = True  # a notification registered meanwhile leaves it to us
    deadline = None if timeout is None else monotonic() + timeout
    # a batch returns its values together: a long call in it holds back the short ones
    # before it until the transport's looks rescue them (``_batching``)
    rounds = ROUND_SECONDS if mode is ReturnWhen.FIRST_EXCEPTION else None
    if any(c._ray_batch is not None for c in pending):
        rounds = RESCUE_AFTER if rounds is None else min(rounds, RESCUE_AFTER)
    try:
        while pending:
            left = None if deadline is None else max(0.0, deadline - monotonic())
            count = 1 if mode is ReturnWhen.FIRST_COMPLETED else len(pending)
            if rounds is not None:
                left = rounds if left is None else min(left, rounds)
            refs = [c._ray_ref for c in pending]
            ready, _ = ray.wait(refs, num_returns=count, timeout=left, fetch_local=False)
            if ready:
                _take(pending, set(ready))
            ended = [c for c in pending if c._state in _DONE]  # read, or failed by a death
            if ended:
                pending = [c for c in pending if c._state not in _DONE]
            if not ready and left == 0:
                break  # the deadline passed
            if (ready or ended) and mode is ReturnWhen.FIRST_COMPLETED:
                break
            if mode is ReturnWhen.FIRST_EXCEPTION and (
                any(_failed(c) for c in ended) or any(_failed(c) for c in others)
            ):
                break
            if deadline is not None and monotonic() >= deadline:
                break
    finally:
        _release([c for c in pending if not c._ray_done])


def _take(pending: list[Any], ready: set[Any]) -> None:
    """Deliver the calls of ``pending`` whose refs are in ``ready``."""
    read_finished(
        [
            (call._ray_transport, call, None)
            for call in pending
            if call._ray_ref in ready and not call._ray_done
        ]
    )


def _failed(call: Any) -> bool:
    return call._state == "FINISHED" and call._exception is not None


def _release(calls: list[Any]) -> None:
    """Hand the calls not read back to their transports, unseen again."""
    groups: dict[Any, list[Any]] = {}
    for call in calls:
        groups.setdefault(call._ray_transport, []).append(call)
    for transport, mine in groups.items():
        transport.unclaim(mine)
