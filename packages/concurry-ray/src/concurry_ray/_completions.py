"""Ray-mode call completions, read in batches on one thread per driver process.

Ray reports that a call's result exists on its own callback thread
(``ObjectRef._on_ready``). Reading the value there, one ``ray.get`` per call,
holds the GIL for the whole read while the thread submitting the next calls
waits for it, and a ``ray.get`` of one object costs about twice its share of a
batched one. So the callback only queues the call (`Completions.ready`), and
one thread takes everything queued meanwhile, reads the values with a single
``ray.get`` and hands them to their transports. While more calls are in flight
it lets reports gather for ``COALESCE_SECONDS`` first; a call alone in flight
is read as soon as it is reported.

The same thread looks at the calls nobody has asked for yet (a transport's
*unseen* calls, see ``_backend``) every ``SWEEP_SECONDS`` while there are any:
it delivers those that finished (so a call nobody waits for frees its slot and
lets its value go soon after it ends), and registers Ray's notification for one
still running after ``ARM_AFTER_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from typing import Any

__all__ = ["COMPLETIONS", "Completions", "read_batch", "read_finished", "read_values"]

#: How long the reading thread lets reports gather before it reads, when more calls
#: of the transport reported first are still in flight than are queued: one read of
#: several values costs little more than a read of one (a fraction of Ray's own
#: per-call latency, and a caller reading a lone call fetches it itself).
COALESCE_SECONDS = 0.0005
#: How often the reading thread looks at the unseen calls of the transports, while
#: there are any (see the module doc).
SWEEP_SECONDS = 0.01
#: How long a call may stay unseen while it runs before Ray's notification is
#: registered for it (the looks stop probing it then).
ARM_AFTER_SECONDS = 1.0


class Completions:
    """The queue of reported calls and the thread that reads them (see the module doc).

    Each item is ``(transport, call, error)``: ``transport`` is the ``RayBackend``
    that sent ``call``, ``error`` what Ray passed to the readiness callback.
    """

    def __init__(self) -> None:
        self._items: deque[tuple[Any, Any, Any]] = deque()
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._pid = -1  # the process the thread runs in (none after a fork)
        self._dirty: list[Any] = []  # transports with unseen calls, for the next look
        self._dirty_lock = threading.Lock()

    def start(self) -> None:
        """Start the reading thread in this process, once."""
        if self._pid == os.getpid():
            return
        with self._start_lock:
            if self._pid != os.getpid():
                threading.Thread(
                    target=self._run, name="concurry-ray-completions", daemon=True
                ).start()
                self._pid = os.getpid()

    def ready(self, transport: Any, call: Any, error: Any) -> None:
        """Ray's readiness callback for ``call``: queue it for the reading thread."""
        if call._ray_reader:
            return  # a reader is fetching it itself (``await_call``): no need to wake
        self._items.append((transport, call, error))
        # Set only when clear: the reader clears before it drains, so an item queued
        # while the flag is still set is drained by that same pass.
        if not self._wake.is_set():
            self._wake.set()

    def defer(self, transport: Any) -> None:
        """``transport`` has unseen calls: have the next looks take them in."""
        if transport._look_due:
            return
        with self._dirty_lock:
            if transport._look_due:
                return
            transport._look_due = True
            first = not self._dirty
            self._dirty.append(transport)
        if first:
            self._wake.set()

    def _look(self) -> None:
        with self._dirty_lock:
            transports, self._dirty = self._dirty, []
            for transport in transports:
                transport._look_due = False
        arm_before = time.monotonic() - ARM_AFTER_SECONDS
        for transport in transports:
            try:
                left = transport.look(arm_before=arm_before)
            except BaseException:  # a bug: keep serving the other transports
                logging.getLogger("concurry").exception("looking at Ray calls failed")
                continue
            if left:
                self.defer(transport)

    def _run(self) -> None:
        items, wake = self._items, self._wake
        next_look: float | None = None
        while True:
            if next_look is None:
                wake.wait()
            else:
                wake.wait(max(0.0, next_look - time.monotonic()))
            if items and items[0][0]._inflight > len(items):
                time.sleep(COALESCE_SECONDS)
            wake.clear()
            if next_look is None:
                if self._dirty:
                    next_look = time.monotonic() + SWEEP_SECONDS
            elif time.monotonic() >= next_look:
                self._look()
                next_look = time.monotonic() + SWEEP_SECONDS if self._dirty else None
            while items:
                batch = []
                try:
                    while True:
                        batch.append(items.popleft())
                except IndexError:
                    pass
                try:
                    read_batch(batch)
                except BaseException:  # a bug: keep serving the other calls
                    logging.getLogger("concurry").exception("reading Ray results failed")


def read_batch(batch: list[tuple[Any, Any, Any]]) -> None:
    """Read and deliver the values of a batch of reported calls with one ``ray.get``."""
    read_finished(
        [
            item
            for item in batch
            # a reader is fetching it (``await_call``), or took it already
            if not (item[1]._ray_reader or item[1]._ray_done)
        ]
    )


def read_finished(batch: list[tuple[Any, Any, Any]]) -> None:
    """Deliver finished calls ``(transport, call, error)``: the values Ray returned
    inline (or an error) read with one ``ray.get``, the others left in the object
    store, to be read on demand."""
    fetch: list[tuple[Any, Any]] = []
    for transport, call, error in batch:
        if error is None and not transport._in_memory(call._ray_ref, memory_store_only=True):
            transport.stored(call)
        else:
            fetch.append((transport, call))
    if fetch:
        read_values(fetch)


def read_values(fetch: list[tuple[Any, Any]]) -> None:
    """Read the values of finished ``(transport, call)`` pairs with one ``ray.get``; deliver."""
    import ray

    refs = [call._ray_ref for _, call in fetch]
    try:
        # Values Ray returned inline are in this process already: a zero timeout
        # never waits for Ray's threads.
        values = ray.get(refs, timeout=0)
    except Exception:  # a Ray error (or an unreadable value) among them: one by one
        for transport, call in fetch:
            transport.read_one(call)
        return
    groups: dict[Any, list[tuple[Any, Any]]] = {}
    for (transport, call), value in zip(fetch, values):
        groups.setdefault(transport, []).append((call, value))
    for transport, done in groups.items():
        transport.completed_many(done)


#: The one queue of this process.
COMPLETIONS = Completions()
