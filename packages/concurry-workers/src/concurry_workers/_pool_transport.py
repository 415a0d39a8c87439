"""``PoolTransport``: the workers of a persistent pool under one link.

A pool is one ``Link`` (one client-side queue for the whole pool, one table
of calls in flight, future arguments, cancels and stop, all as for a single
worker) over this transport, which owns a *slot* per worker. A slot runs one
worker transport (a thread, a process, an actor) that sees the pool's link
through a ``SlotLink``: it reports outcomes straight to the pool's link, so a
call has one future and is settled once, whichever worker ran it.

Balancing sees the queues. A slot takes at most ``max_queued_tasks`` calls at
once and the link's capacity is the sum over the slots, so a call is admitted
only when some worker has room for it: calls beyond every worker's room wait
in the pool's one queue (their futures returned at once) and go to whichever
worker frees a place first. The algorithm picks among the slots with room:

- ``round_robin``: the next slot in turn that has room;
- ``least_active``: the fewest calls given and not finished (an idle worker first);
- ``least_total``: the fewest calls given so far;
- ``random``: a slot drawn with the ``random`` module, the next one with room.

Deaths. A worker transport that dies (its process was killed, say) reports
it to its ``SlotLink``; only the calls given to that slot fail. A replacement
starts on a helper thread, never in the submitting thread. Calls given to the
slot meanwhile wait in the slot's buffer: they are sent once the replacement
is up, or fail with its start-up error if it cannot start (the next call given
to the slot tries again). ``stop()`` lets no replacement survive it.

Every field of a slot is guarded by the link's lock (``Link.lock``).
``send`` runs with that lock held and sends on to the worker transports under
it, which keeps each worker's calls in admission order.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from time import monotonic
from typing import TYPE_CHECKING, Any

from ._enums import LoadBalancingAlgorithm
from ._link import CANCELLED, ERROR, STOP_SLACK

if TYPE_CHECKING:
    from ._backends._base import Transport
    from ._link import CallFuture, Link

__all__ = ["PoolTransport", "SlotLink"]

# slot states
READY, STARTING, FAILED, DOWN = "ready", "starting", "failed", "down"


class Slot:
    """One worker of the pool: its transport and the calls given to it."""

    __slots__ = ("adapter", "buffer", "calls", "index", "state", "total", "transport")

    def __init__(self, index: int) -> None:
        self.index = index
        self.transport: Transport | None = None
        self.adapter: SlotLink | None = None
        self.state = STARTING
        #: call id -> call, for calls given to this slot and not finished
        self.calls: dict[int, CallFuture] = {}
        #: calls given while the worker is (re)starting, in order
        self.buffer: list[CallFuture] = []
        self.total = 0


class SlotLink:
    """What one worker transport of a pool sees as its link.

    Outcomes go straight to the pool's link; a death is reported to the pool,
    which fails only this worker's calls and starts a replacement.
    """

    def __init__(self, pool: PoolTransport, slot: Slot) -> None:
        link = pool.link
        assert link is not None
        self.begin = link.begin
        self.deliver = link.deliver
        self.deliver_many = link.deliver_many
        self.drop = link.drop
        self.describe = link.describe
        self._pool = pool
        self._slot = slot

    @property
    def eager_release(self) -> bool:
        """True when the pool admits or routes calls by the ones finishing (see
        ``Link.eager_release``): a cap per worker, or ``least_active`` balancing."""
        pool = self._pool
        link = pool.link
        return (link is not None and link.eager_release) or (
            pool._algorithm is LoadBalancingAlgorithm.LeastActiveLoad
        )

    def died(self, error: BaseException) -> None:
        """The worker transport is gone (reported once)."""
        self._pool._slot_died(self._slot, self, error)


class PoolTransport:
    """Routes each call to one of ``size`` workers (see the module doc).

    Args:
        start_one: Builds and starts the transport of the worker at an index,
            given the ``SlotLink`` it reports to; raises its start-up error.
        size: Number of workers.
        capacity: Calls one worker takes at once (``max_queued_tasks``); None: no cap.
        algorithm: The load-balancing algorithm.
        parallel_start: Start the workers at once, on helper threads (workers that
            run in other processes; a thread worker's ``__init__`` runs in order).
        backend: The workers' backend class, whose ``future_class`` and
            ``adopt_futures`` hooks the pool's link uses (see ``Link``).
    """

    inline = False
    serial = False

    def __init__(
        self,
        start_one: Callable[[int, SlotLink], Transport],
        size: int,
        capacity: int | None,
        algorithm: LoadBalancingAlgorithm,
        parallel_start: bool = False,
        backend: type | None = None,
    ) -> None:
        for hook in ("future_class", "adopt_futures"):
            if hasattr(backend, hook):
                setattr(self, hook, getattr(backend, hook))
        self._start_one = start_one
        self._parallel_start = parallel_start
        self._slots = [Slot(i) for i in range(size)]
        self._capacity = capacity
        self._algorithm = algorithm
        self._next = 0  # round-robin position / scan start
        self._stopping = False
        self._closing = False
        self._kicks: list[Slot] = []
        self._restarts: list[Slot] = []
        self._replacing: set[threading.Thread] = set()
        self.link: Link | None = None

    # -- start-up ---------------------------------------------------------------------
    def start(self, link: Link) -> None:
        """Start every worker; on a failure stop those started and raise the first error.

        Workers that run elsewhere (``parallel_start``: processes, actors) start
        at once, each on a helper thread, so a pool of 8 waits for the slowest
        start-up rather than for the sum; the others start in order, in this thread.
        """
        self.link = link
        link.on_release = self._release
        errors: list[BaseException] = []

        def start_slot(slot: Slot) -> None:
            try:
                adapter = SlotLink(self, slot)
                transport = self._start_one(slot.index, adapter)
            except BaseException as exc:
                errors.append(exc)
                return
            with link.lock:
                slot.transport, slot.adapter, slot.state = transport, adapter, READY

        if self._parallel_start and len(self._slots) > 1:
            starters = [
                threading.Thread(target=start_slot, args=(slot,), name="concurry-pool-start")
                for slot in self._slots
            ]
            for thread in starters:
                thread.start()
            for thread in starters:
                thread.join()  # each start-up is bounded by its own transport
        else:
            for slot in self._slots:
                start_slot(slot)
                if errors:
                    break
        if errors:
            self.stop(monotonic())  # the workers started, and any replacement of theirs
            raise errors[0]

    # -- routing (the link's lock is held) --------------------------------------------
    def send(self, batch: Sequence[CallFuture]) -> bool:
        kick = False
        if len(batch) == 1:
            call = batch[0]
            slot = self._give(call)
            if slot.state is READY:
                assert slot.transport is not None
                if slot.transport.send(batch):
                    self._kicks.append(slot)
                    kick = True
            else:
                kick = self._hold(slot, call)
            return kick
        groups: dict[Slot, list[CallFuture]] = {}
        for call in batch:
            slot = self._give(call)
            if slot.state is READY:
                groups.setdefault(slot, []).append(call)
            elif self._hold(slot, call):
                kick = True
        for slot, calls in groups.items():
            assert slot.transport is not None
            if slot.transport.send(calls):
                self._kicks.append(slot)
                kick = True
        return kick

    def _give(self, call: CallFuture) -> Slot:
        slot = self._pick()
        call._slot = slot
        slot.calls[call._id] = call
        slot.total += 1
        return slot

    def _hold(self, slot: Slot, call: CallFuture) -> bool:
        """Keep ``call`` until the slot's worker is up; True if a restart must be kicked."""
        slot.buffer.append(call)
        if slot.state is FAILED and not self._stopping:
            slot.state = STARTING
            self._restarts.append(slot)
            return True
        return False

    def _pick(self) -> Slot:
        slots, cap, n = self._slots, self._capacity, len(self._slots)
        algorithm = self._algorithm
        rotate = algorithm is LoadBalancingAlgorithm.RoundRobin
        if rotate or algorithm is LoadBalancingAlgorithm.Random:
            first = self._next if rotate else random.randrange(n)
            for k in range(n):
                slot = slots[(first + k) % n]
                if cap is None or len(slot.calls) < cap:
                    if rotate:
                        self._next = (first + k + 1) % n
                    return slot
        else:
            by_total = algorithm is LoadBalancingAlgorithm.LeastTotalLoad
            # scan from a rotating start, so that ties (all idle) do not always pick slot 0
            first = self._next
            self._next = (first + 1) % n
            best: Slot | None = None
            best_load = 0
            for k in range(n):
                slot = slots[(first + k) % n]
                active = len(slot.calls)
                if cap is not None and active >= cap:
                    continue
                load = slot.total if by_total else active
                if best is None or load < best_load:
                    best, best_load = slot, load
                    if load == 0:
                        break  # nothing can beat an idle slot
            if best is not None:
                return best
        # Unreachable while the link's capacity is the sum of the slots' (a call is
        # admitted only when some slot has room); kept as a safe fallback.
        return min(slots, key=lambda s: len(s.calls))

    def _release(self, call: CallFuture) -> None:
        slot = call._slot
        if slot is not None:
            slot.calls.pop(call._id, None)

    def kick(self) -> None:
        link = self.link
        assert link is not None
        with link.lock:
            kicks, self._kicks = self._kicks, []
            restarts, self._restarts = self._restarts, []
        for slot in dict.fromkeys(kicks):
            transport = slot.transport
            if transport is not None:
                transport.kick()
        for slot in restarts:
            self._start_replacement(slot)

    # -- deaths and replacements ------------------------------------------------------
    def _slot_died(self, slot: Slot, adapter: SlotLink, error: BaseException) -> None:
        link = self.link
        assert link is not None
        with link.lock:
            if slot.adapter is not adapter:
                return  # a transport this slot no longer runs
            slot.adapter = None
            slot.transport = None
            stopping = self._stopping
            slot.state = DOWN if stopping else STARTING
            victims = sorted(slot.calls)
        if stopping and victims:
            # stop() ended the worker: only its oldest call had started, the rest never ran
            outcomes: list[tuple[int, int, Any]] = [(victims[0], ERROR, error)]
            outcomes += [(call_id, CANCELLED, None) for call_id in victims[1:]]
        else:
            outcomes = [(call_id, ERROR, error) for call_id in victims]
        if outcomes:
            link.deliver_many(outcomes)
        if not stopping:
            self._start_replacement(slot)

    def _start_replacement(self, slot: Slot) -> None:
        link = self.link
        assert link is not None
        thread = threading.Thread(
            target=self._replace, args=(slot,), name="concurry-pool-replace", daemon=True
        )
        with link.lock:
            if self._stopping:
                return
            self._replacing.add(thread)
        thread.start()

    def _replace(self, slot: Slot) -> None:
        link = self.link
        assert link is not None
        adapter = SlotLink(self, slot)
        transport: Transport | None = None
        error: BaseException | None = None
        with link.lock:
            # stop() joins only replacements already running; one it did not see
            # (not started yet) must not start a worker after it
            late = self._stopping
        if not late:
            try:
                transport = self._start_one(slot.index, adapter)
            except BaseException as exc:  # fails the calls given to this slot meanwhile
                error = exc
        kick = False
        with link.lock:
            self._replacing.discard(threading.current_thread())
            held, slot.buffer = slot.buffer, []
            stopping, closing = self._stopping, self._closing
            if transport is not None and not stopping:
                slot.transport, slot.adapter, slot.state = transport, adapter, READY
                if held:
                    kick = bool(transport.send(held))
            else:
                slot.state = DOWN if stopping else FAILED
        if transport is not None and stopping:
            transport.stop(monotonic())  # stop() came first: this worker must not outlive it
        if transport is None or stopping:
            kind, value = (CANCELLED, None) if stopping else (ERROR, error)
            if held:
                link.deliver_many([(call._id, kind, value) for call in held])
            return
        if kick:
            transport.kick()
        if closing:
            transport.close_when_idle()

    # -- shutdown ---------------------------------------------------------------------
    def stop(self, deadline: float) -> None:
        link = self.link
        assert link is not None
        with link.lock:
            self._stopping = True
            replacing = list(self._replacing)
            transports = [s.transport for s in self._slots if s.transport is not None]
            held = [call for s in self._slots for call in s.buffer]
            for slot in self._slots:
                slot.buffer = []
        if held:
            link.deliver_many([(call._id, CANCELLED, None) for call in held])
        self._stop_transports(transports, deadline)
        for thread in replacing:
            # a thread not started yet finds _stopping set and starts nothing
            if thread.ident is not None and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - monotonic()) + STOP_SLACK)

    def _stop_transports(self, transports: list[Any], deadline: float) -> None:
        if len(transports) == 1:
            transports[0].stop(deadline)
            return
        # in parallel, so that each worker's running call gets the whole timeout
        stoppers = [
            threading.Thread(
                target=t.stop, args=(deadline,), name="concurry-pool-stop", daemon=True
            )
            for t in transports
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join(max(0.0, deadline - monotonic()) + STOP_SLACK)

    def close_when_idle(self) -> None:
        link = self.link
        assert link is not None
        with link.lock:
            self._closing = True
            transports = [s.transport for s in self._slots if s.transport is not None]
        for transport in transports:
            transport.close_when_idle()

    # -- introspection ----------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Per-worker counts: ``active_calls``, ``queued_calls``, ``total_calls``."""
        link = self.link
        assert link is not None
        with link.lock:
            slots = self._slots
            active = [len(s.calls) for s in slots]
            queued = [_waiting(s) for s in slots]
            total = [s.total for s in slots]
            states = [s.state for s in slots]
        return {
            "active_calls": active,
            "queued_calls": queued,
            "total_calls": total,
            "worker_states": states,
        }


def _waiting(slot: Slot) -> int:
    """Calls given to ``slot``'s worker that are not running yet.

    A begun call has been handed to the worker; a serial worker (thread,
    process) runs one at a time, the rest of its begun calls wait in its own
    queue (a process's pipe). (``running()`` takes only the future's lock.)
    """
    begun = sum(1 for call in slot.calls.values() if call.running())
    if slot.transport is not None and not getattr(slot.transport, "serial", True):
        return len(slot.calls) - begun
    return len(slot.calls) - min(begun, 1)
