"""``Link``: the one owner of every call in flight for one worker.

A worker is three layers: the proxy (user-facing methods, options, blocking),
one ``Link`` per worker, and a transport per mode (``_backends``). The link
admits calls from the client-side queue, resolves their future arguments,
keeps the table of calls handed over and not yet finished, and makes the one
transition out of ``ALIVE``. A transport holds no call state of its own: it
runs what it is sent, reports each outcome with ``deliver`` and its own death
with ``died``, so a death is handled here and only here.

Data flow::

    caller threads          Link (one lock)                              transport
    --------------          ---------------                              ---------
    submit(name, a, kw) --> queue --admit--> table + unsent --flush--> send(batch)
      returns a CallFuture  (no slot)   (slot)    |   ^                  |  begin(f)
                                                  |   | future args      |  runs it
                                                  |   +- resolved by     v
                                                  |      done-callbacks deliver(f, outcome)
                                  slot freed <----+<--------------------- died(error)
                                  next admitted                           (fails every
                                                                           call, once)

Phases of a call, moved only forward and only under the lock::

    QUEUED (waiting client-side, holds no slot) -> UNSENT (admitted: holds a
    slot; future arguments may still be resolving) -> SENT (handed to the
    transport) -> DONE (its outcome is decided)

States of the link: ``ALIVE`` -> ``BROKEN`` (the transport died) or
``DRAINING`` (the proxy was dropped: finish, then close) or ``CLOSED``
(``stop()``); ``BROKEN`` and ``DRAINING`` may still become ``CLOSED``.

Lock rules (``Link._lock``, a plain non-reentrant lock):

1. Every field of the link and the ``_phase`` / ``_remaining`` fields of its
   ``CallFuture`` objects are written only with the lock held.
2. Whoever moves a call to ``DONE`` owns settling its future, exactly once.
   Futures are settled, callbacks run and user code runs (``BaseFuture``
   ``result`` / ``add_done_callback`` of future arguments) only after the
   lock is released.
3. With the lock held the link calls out to exactly one thing:
   ``transport.send(batch)``, which must neither block nor call back into the
   link. Sending under the lock is what keeps calls in admission order when
   several threads admit at once. A transport that has to do something slow
   first (start its thread) asks for it by returning True from ``send``; the
   link then calls ``transport.kick()`` once the lock is released.
4. A user's ``cancel()`` is seen through the future's completion hook, which
   takes the lock: a cancel and an admission are therefore ordered by the
   lock, so a cancelled call never holds a slot and the number of calls in
   ``table`` is exactly the number admitted and not finished.
5. A phase read without the lock is only ever used as a shortcut for
   ``DONE`` (a terminal value, never rewritten); any other value is
   re-checked under the lock. Nothing here relies on the GIL.
"""

from __future__ import annotations

import threading
from _thread import RLock as _RLock
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, InvalidStateError
from concurrent.futures import _base as _futures_base
from time import monotonic
from typing import Any

from ._errors import WorkerStoppedError, stopped_message
from ._unwrap import call_has_futures, collect_futures, unwrap_call

__all__ = ["CANCELLED", "ERROR", "OK", "CallFuture", "Link", "cancel_unrun"]

# call phases
QUEUED, UNSENT, SENT, DONE = "queued", "unsent", "sent", "done"
# link states
ALIVE, BROKEN, DRAINING, CLOSED = "alive", "broken", "draining", "closed"
# ``_remaining`` while the resolved values are being read (outside the lock)
_RESOLVING = -2
_PENDING, _RUNNING = _futures_base.PENDING, _futures_base.RUNNING
_FINISHED = _futures_base.FINISHED
_SETTLED = frozenset(
    {_futures_base.CANCELLED, _futures_base.CANCELLED_AND_NOTIFIED, _futures_base.FINISHED}
)
# outcome kinds a transport delivers
OK, ERROR, CANCELLED = 0, 1, 2


class CallFuture(Future):  # type: ignore[type-arg]
    """The ``concurrent.futures.Future`` of one call, carrying the call itself.

    Attributes:
        name: Method name (``None`` for a task call).
        args: Positional arguments (future arguments replaced once resolved).
        kwargs: Keyword arguments (likewise).
    """

    #: The pool slot a call was given to (pools only; see ``_pool_transport``).
    _slot: Any = None
    # Defaults as class attributes (one store less per call each):
    _id = 0
    # future arguments still unresolved (-1: not yet watched; -2: being read)
    _remaining = 0
    _needs_args = False
    _result: Any = None
    _exception: BaseException | None = None

    def __init__(
        self, link: Link, name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        # ``Future.__init__`` without its ``Condition``: most calls are settled and
        # read without anyone blocking on them, so the condition is made on first use
        # (``_condition``) around this lock, which guards the state either way.
        self._mutex = _RLock()
        self._state = _PENDING
        self._waiters: list[Any] = []
        self._done_callbacks: list[Any] = []
        self._link = link
        self._phase = QUEUED
        self.name = name
        self.args = args
        self.kwargs = kwargs

    @property
    def _condition(self) -> threading.Condition:  # type: ignore[override]
        """The ``Condition`` that ``Future``'s own methods wait on (made once, on first use)."""
        made = self.__dict__.get("_cond")
        if made is None:
            # setdefault: two threads asking at once get the same condition
            made = self.__dict__.setdefault("_cond", threading.Condition(self._mutex))
        return made  # type: ignore[no-any-return]

    def set_result(self, result: Any) -> None:
        """As ``Future.set_result``; a condition is notified only if a waiter made one."""
        self._settle(result, None)

    def set_exception(self, exception: BaseException | None) -> None:
        """As ``Future.set_exception`` (see `set_result`)."""
        self._settle(None, exception)

    def _settle(self, result: Any, exception: BaseException | None) -> None:
        with self._mutex:
            if self._state in _SETTLED:
                raise InvalidStateError(f"{self._state}: {self!r}")
            self._result = result
            self._exception = exception
            self._state = _FINISHED
            if exception is None:
                for waiter in self._waiters:
                    waiter.add_result(self)
            else:
                for waiter in self._waiters:
                    waiter.add_exception(self)
            cond = self.__dict__.get("_cond")
            if cond is not None:
                cond.notify_all()
        self._invoke_callbacks()

    def _invoke_callbacks(self) -> None:
        # Runs once, when the future settles. The link settles only futures it
        # has already marked DONE, so anything else is a user's cancel().
        if self._phase is not DONE:
            self._link._settled_elsewhere(self)
        super()._invoke_callbacks()  # type: ignore[misc]


class Link:
    """Owns the calls in flight between one proxy and one transport (see module doc).

    Args:
        transport: The started transport (``_backends._base.Transport``).
        capacity: At most this many calls admitted at once (``max_queued_tasks``);
            None for no cap.
        unwrap: Resolve ``BaseFuture`` arguments here before sending.
    """

    def __init__(self, transport: Any, capacity: int | None, unwrap: bool) -> None:
        self.transport = transport
        self.capacity = capacity
        self._unwrap = unwrap
        self._serial = bool(getattr(transport, "serial", True))
        # A transport may bring its own future class (a Ray future that fetches its value
        # only when asked) and take some future arguments natively (see ``submit``).
        self._future_cls: type[CallFuture] = getattr(transport, "future_class", CallFuture)
        self._adopt: Callable[[CallFuture], bool] | None = getattr(transport, "adopt_futures", None)
        self._lock = threading.Lock()
        #: Called with the lock held when a sent call is finished (DONE); pools use it
        #: to keep per-worker counts. Must be quick and must not call back into the link.
        self.on_release: Callable[[CallFuture], None] | None = None
        self._state = ALIVE
        self._death: BaseException | None = None
        self._table: dict[int, CallFuture] = {}
        self._queue: deque[CallFuture] = deque()
        self._queued = 0
        self._unsent: deque[CallFuture] = deque()
        self._next_id = 0
        self._sent = 0  # calls handed to the transport so far
        self._transport_closed = False
        self._kick_due = False
        self._stopping = False
        # held by the first stop() until it returns; a second stop() waits on it
        self._stop_lock = threading.Lock()
        #: A weak reference to the proxy's handle; its callback is ``owner_dropped``.
        self.owner: Any = None
        #: How a call refused after ``stop()`` names its target (set by the proxy):
        #: ("Worker" or "Worker pool", the worker class's name).
        self.stopped_names = ("Worker", "worker")

    # -- introspection ------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        """True while the link accepts calls and its transport has not died."""
        return self._state is ALIVE

    @property
    def lock(self) -> threading.Lock:
        """The link's lock: transports that keep routing state of their own (a pool
        picking a worker per call) guard it with this lock, so that it changes
        together with the calls' phases (lock rules 1 and 3)."""
        return self._lock

    @property
    def eager_release(self) -> bool:
        """True when admission waits on calls finishing (a ``capacity``): the transport
        must report each outcome as soon as it exists. Otherwise it may notice the
        outcomes of calls nobody waits for a little later, in batches (Ray does)."""
        return self.capacity is not None

    @property
    def closed(self) -> bool:
        """True once ``stop()`` was called."""
        return self._state is CLOSED

    @property
    def inflight(self) -> int:
        """Calls admitted and not finished (resolving, sent or running)."""
        with self._lock:
            return len(self._table)

    @property
    def sent(self) -> int:
        """Calls handed to the transport so far (a pool: dispatched to its workers)."""
        with self._lock:
            return self._sent

    @property
    def waiting(self) -> int:
        """Calls held client-side, waiting for a slot."""
        with self._lock:
            return self._queued

    def describe(self, call_id: int) -> str:
        """How an error message names the call ``call_id`` ("echo", "the task", "a call")."""
        with self._lock:
            future = self._table.get(call_id)
        if future is None:
            return "a call"
        return future.name or "the task"

    # -- submission ---------------------------------------------------------------------
    def submit(
        self, name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Future[Any]:
        """Queue one call and return its future at once (never blocks on the worker).

        Raises:
            WorkerStoppedError: ``stop()`` was called (or the proxy was dropped).
        """
        future = self._future_cls(self, name, args, kwargs)
        needs = self._unwrap and bool(args or kwargs) and call_has_futures(args, kwargs)
        if needs and self._adopt is not None:
            # the transport passes the futures it can on to the worker itself (Ray
            # object references), so they are not resolved here; True: some remain
            needs = self._adopt(future)
        future._needs_args = needs
        death: BaseException | None = None
        with self._lock:
            if self._state is not ALIVE:
                death = self._death
                if self._state is not BROKEN or death is None:
                    raise WorkerStoppedError(stopped_message(*self.stopped_names, name))
                future._phase = DONE
                kick = False
            else:
                self._next_id += 1
                future._id = self._next_id
                capacity = self.capacity
                if self._queued or (capacity is not None and len(self._table) >= capacity):
                    self._queue.append(future)
                    self._queued += 1
                    return future
                self._table[future._id] = future
                if not needs and not self._unsent:
                    future._phase = SENT  # the common case: straight to the transport
                    self._sent += 1
                    kick = self.transport.send((future,))
                else:
                    future._phase = UNSENT
                    future._remaining = -1 if needs else 0
                    self._unsent.append(future)
                    self._flush()
                    kick = self._take_kick()
        if kick:
            self.transport.kick()
        if death is not None:  # the worker had died: fail at once, as every other call
            _settle(future, ERROR, death)
        elif needs:
            self._watch(future)
        return future

    def run_inline(self, name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run a call in the caller's thread (inline transports) and return its result."""
        if self._state is not ALIVE:
            raise WorkerStoppedError(stopped_message(*self.stopped_names, name))
        return self.transport.run_inline((name, args, kwargs))

    # -- called with the lock held ------------------------------------------------------
    def _admit(self) -> list[CallFuture]:
        """Move queued calls into free slots; returns those whose arguments need watching."""
        watch: list[CallFuture] = []
        queue, table, capacity = self._queue, self._table, self.capacity
        while self._queued and (capacity is None or len(table) < capacity):
            future = queue.popleft()
            if future._phase is DONE:  # cancelled while queued (already uncounted)
                continue
            self._queued -= 1
            table[future._id] = future
            future._phase = UNSENT
            self._unsent.append(future)
            if future._needs_args:
                future._remaining = -1
                watch.append(future)
        if not self._queued:
            queue.clear()  # drop cancelled leftovers
        return watch

    def _flush(self) -> None:
        """Send every ready call at the head of ``unsent``, in admission order."""
        unsent = self._unsent
        batch: list[CallFuture] = []
        while unsent:
            head = unsent[0]
            if head._phase is not UNSENT:
                unsent.popleft()
                continue
            if head._remaining:
                break  # its future arguments are not resolved yet: later calls wait behind it
            unsent.popleft()
            head._phase = SENT
            batch.append(head)
        if batch:
            self._sent += len(batch)
            if self.transport.send(batch):
                self._kick_due = True

    def _take_kick(self) -> bool:
        due, self._kick_due = self._kick_due, False
        return due

    def _finish(self, future: CallFuture) -> list[CallFuture]:
        """Mark one admitted call DONE, free its slot, admit and send what can go now."""
        if future._phase is SENT and self.on_release is not None:
            self.on_release(future)
        future._phase = DONE
        self._table.pop(future._id, None)
        watch = self._admit() if self._queued else []
        if self._unsent:
            self._flush()
        return watch

    def _idle_close_due(self) -> bool:
        due = self._state is DRAINING and not self._table and not self._queued
        if due and not self._transport_closed:
            self._transport_closed = True
            return True
        return False

    # -- future arguments ---------------------------------------------------------------
    def _watch(self, future: CallFuture) -> None:
        """Resolve ``future``'s future arguments by done-callbacks, never by blocking."""
        found = collect_futures([future.args, future.kwargs])
        with self._lock:
            if future._phase is not UNSENT:
                return
            future._remaining = len(found) + 1  # +1: a guard released below

        def on_done(_: Any, future: CallFuture = future) -> None:
            self._argument_done(future)

        for arg in found:
            arg.add_done_callback(on_done)
        self._argument_done(future)

    def _argument_done(self, future: CallFuture) -> None:
        with self._lock:
            if future._phase is not UNSENT:
                return
            future._remaining -= 1
            if future._remaining:
                return
            future._remaining = _RESOLVING  # not sendable until the values are in place
        error: BaseException | None = None
        try:
            args, kwargs = unwrap_call(future.args, future.kwargs)
        except BaseException as exc:  # a future argument failed: so does the call
            error = exc
        watch: list[CallFuture] = []
        close = False
        with self._lock:
            if future._phase is not UNSENT:
                return
            if error is None:
                future.args, future.kwargs = args, kwargs
                future._remaining = 0
                self._flush()
            else:
                watch = self._finish(future)
                close = self._idle_close_due()
            kick = self._take_kick()
        if error is not None:
            _settle(future, ERROR, error)
        self._after(watch, close, kick)

    def _after(self, watch: list[CallFuture], close: bool, kick: bool = False) -> None:
        if kick:
            self.transport.kick()
        for future in watch:
            self._watch(future)
        if close:
            self.transport.close_when_idle()

    # -- called by the transport --------------------------------------------------------
    def begin(self, future: CallFuture) -> bool:
        """Mark a sent call running just before it runs; False: skip it (cancelled or failed)."""
        if future._phase is DONE:
            return False
        # Checked and changed under the future's own lock (its condition's), as
        # ``set_running_or_notify_cancel`` does (inlined: this runs once per call),
        # but quietly refusing a future a death or a cancel settled meanwhile.
        with future._mutex:
            state = future._state  # type: ignore[attr-defined]
            if state == _PENDING:
                future._state = _RUNNING  # type: ignore[attr-defined]
                return True
            if state == _futures_base.CANCELLED:
                future._state = _futures_base.CANCELLED_AND_NOTIFIED  # type: ignore[attr-defined]
                for waiter in future._waiters:  # type: ignore[attr-defined]
                    waiter.add_cancelled(future)
            return False

    def deliver(self, future: CallFuture, kind: int, value: Any) -> None:
        """Record the outcome of one sent call (``OK`` / ``ERROR`` / ``CANCELLED``: never ran)."""
        with self._lock:
            if future._phase is not SENT:
                return  # a death or a stop decided it first
            future._phase = DONE
            del self._table[future._id]
            if self.on_release is not None:
                self.on_release(future)
            watch = self._admit() if self._queued else []
            if self._unsent:
                self._flush()
            close = self._idle_close_due() if self._state is DRAINING else False
            kick = self._kick_due and self._take_kick()
        _settle(future, kind, value)
        if watch or close or kick:
            self._after(watch, close, kick)

    def deliver_many(self, items: Iterable[tuple[int, int, Any]]) -> None:
        """``deliver`` for a batch of ``(call id, kind, value)`` (transports that use ids)."""
        done: list[tuple[CallFuture, int, Any]] = []
        with self._lock:
            table, release = self._table, self.on_release
            for call_id, kind, value in items:
                future = table.get(call_id)
                if future is None or future._phase is not SENT:
                    continue
                del table[call_id]
                future._phase = DONE
                if release is not None:
                    release(future)
                done.append((future, kind, value))
            watch = self._admit() if self._queued else []
            if self._unsent:
                self._flush()
            close = self._idle_close_due()
            kick = self._take_kick()
        for future, kind, value in done:
            _settle(future, kind, value)
        self._after(watch, close, kick)

    def drop(self, future: CallFuture) -> None:
        """A sent call the transport discards without running it: it ends cancelled."""
        self.deliver(future, CANCELLED, None)

    def died(self, error: BaseException) -> None:
        """The transport is gone: fail every call not finished with ``error``, exactly once.

        While ``stop()`` runs on a serial transport only the oldest call can
        have started; the others never ran and end cancelled.
        """
        with self._lock:
            if self._death is not None:
                return
            self._death = error
            stopping = self._state is CLOSED
            if self._state is ALIVE:
                self._state = BROKEN
            victims = sorted(self._table.values(), key=_call_id)
            victims.extend(f for f in self._queue if f._phase is not DONE)
            release = self.on_release
            for future in victims:
                if release is not None and future._phase is SENT:
                    release(future)
                future._phase = DONE
            self._table.clear()
            self._queue.clear()
            self._unsent.clear()
            self._queued = 0
            close = self._idle_close_due()
        if stopping and self._serial:
            head, rest = victims[:1], victims[1:]
            for future in head:
                _settle(future, ERROR, error)
            for future in rest:
                _settle(future, CANCELLED, None)
        else:
            for future in victims:
                _settle(future, ERROR, error)
        if close:
            self.transport.close_when_idle()

    # -- the user's cancel() ------------------------------------------------------------
    def _settled_elsewhere(self, future: CallFuture) -> None:
        with self._lock:
            phase = future._phase
            if phase is DONE:
                return
            if phase is QUEUED:
                future._phase = DONE
                self._queued -= 1
                watch: list[CallFuture] = []
            else:
                watch = self._finish(future)
            close = self._idle_close_due()
            kick = self._take_kick()
        # It will never be begun: tell concurrent.futures.wait() it is over now
        # (CANCELLED -> CANCELLED_AND_NOTIFIED), as an executor does for a work item.
        with future._condition:  # type: ignore[attr-defined]
            if future._state == _futures_base.CANCELLED:  # type: ignore[attr-defined]
                future.set_running_or_notify_cancel()
        self._after(watch, close, kick)

    # -- shutdown -----------------------------------------------------------------------
    def stop(self, timeout: float) -> None:
        """Refuse new calls, cancel those not yet sent, stop the transport within ``timeout``.

        The call running on the transport gets until the deadline to finish; the
        transport then ends it (processes) or abandons it (threads). A second
        ``stop()`` waits for the first.
        """
        deadline = monotonic() + timeout
        with self._lock:
            first = not self._stopping
            self._stopping = True
            dropped: list[CallFuture] = []
            if first:
                self._stop_lock.acquire()
                self._state = CLOSED
                if self._queue or self._unsent:
                    dropped = [f for f in (*self._queue, *self._unsent) if f._phase is not DONE]
                    for future in dropped:
                        future._phase = DONE
                        self._table.pop(future._id, None)
                    self._queue.clear()
                    self._unsent.clear()
                    self._queued = 0
        if not first:
            if self._stop_lock.acquire(timeout=max(0.0, deadline - monotonic()) + STOP_SLACK):
                self._stop_lock.release()
            return
        try:
            for future in dropped:
                _settle(future, CANCELLED, None)
            self.transport.stop(deadline)
        finally:
            self._stop_lock.release()

    def owner_dropped(self, _ref: Any = None) -> None:
        """The proxy (and every remote method taken from it) is gone: close when idle."""
        self.owner = None
        self.close_when_idle()

    def close_when_idle(self) -> None:
        """The proxy was dropped: run what was submitted, then let the transport go."""
        with self._lock:
            if self._state is ALIVE or self._state is BROKEN:
                self._state = DRAINING
            else:
                return
            close = self._idle_close_due()
        if close:
            self.transport.close_when_idle()


#: Seconds ``stop(timeout)`` may take beyond ``timeout`` (a terminate's grace period).
STOP_SLACK = 5.0


def _call_id(future: CallFuture) -> int:
    return future._id


def _settle(future: Future[Any], kind: int, value: Any) -> None:
    """Complete ``future``; a future the user cancelled meanwhile stays cancelled."""
    try:
        if kind == OK:
            future.set_result(value)
        elif kind == ERROR:
            future.set_exception(value)
        else:
            cancel_unrun(future)
    except InvalidStateError:
        pass


def cancel_unrun(future: Future[Any]) -> None:
    """Cancel ``future`` even though it was already marked running.

    For a call that was handed over but never ran, or whose run was abandoned
    by ``stop()``: it ends ``cancelled()`` and ``result()`` raises
    ``CancelledError``, exactly like a call cancelled while queued.
    ``Future.cancel()`` refuses running futures, hence the state change by
    hand, under the future's own condition, notifying waiters and callbacks
    as ``cancel()`` plus ``set_running_or_notify_cancel()`` would.
    """
    if future.cancel():
        # never begun and never will be: notified now, so that
        # concurrent.futures.wait() and as_completed() count it as done
        with future._condition:  # type: ignore[attr-defined]
            if future._state == _futures_base.CANCELLED:  # type: ignore[attr-defined]
                future.set_running_or_notify_cancel()
        return
    with future._condition:  # type: ignore[attr-defined]
        if future._state != _futures_base.RUNNING:  # type: ignore[attr-defined]
            return  # finished or cancelled already
        future._state = _futures_base.CANCELLED_AND_NOTIFIED  # type: ignore[attr-defined]
        for waiter in future._waiters:  # type: ignore[attr-defined]
            waiter.add_cancelled(future)
        future._condition.notify_all()  # type: ignore[attr-defined]
    future._invoke_callbacks()  # type: ignore[attr-defined]
