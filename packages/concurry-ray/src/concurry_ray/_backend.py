"""The Ray transport: one actor per worker, holding the user's instance.

The user's class is never made a Ray actor class itself: a generic holder
actor (``_Holder``, or ``_AsyncHolder`` for a class with ``async def``
methods, so they run concurrently on the actor's loop) unpickles the worker
runtime and builds the instance, so plain classes, dataclasses, ``Typed`` and
``BaseModel`` workers and validated methods all work. A call's outcome comes
back as its value, or as a ``Failure`` (the exception packed with its remote
traceback), so it is raised with its original type. A ``TaskWorker`` starts no
actor: its calls are plain Ray tasks (``_tasks``).

Calls are handed to Ray outside the link's lock (``send`` only queues them;
``kick`` submits them in order under the transport's own lock). Completion is
Ray's own notification (``ObjectRef._on_ready``, which does not fetch the
value; see ``_values``): no thread per call.

A call nobody waits for yet is *unseen*: no notification is registered for it
(Ray runs each one as Python code on its I/O thread: about 40 us of the
driver's time per call here, against 250 to 400 us for a whole bare actor
call). Whoever asks for it takes it instead: ``result`` reads it with ``ray.get`` in the reader's thread, ``wait`` /
``gather`` over such calls with ``ray.wait`` (``_waiting``), as bare Ray code
would; a done-callback registers the notification. Otherwise the reading
thread (``_completions``) looks at the unseen calls every ``SWEEP_SECONDS``,
delivering those that finished, and registers the notification of one still
running after ``ARM_AFTER_SECONDS``. A link whose admission waits on calls
finishing (``eager_release``: a ``max_queued_tasks`` cap, or a
``least_active`` pool) has every call watched from the start.

While a serial actor is busy, short calls with plain arguments are held back
and sent together as one Ray task (``_batching``); each keeps its own
ObjectRef, so everything above applies to them unchanged.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Sequence
from functools import partial
from time import monotonic
from typing import Any

from concurry_workers import SerializationError, TaskWorker, WorkerDiedError
from concurry_workers.plugin import (
    ERROR,
    OK,
    TASK,
    CallFuture,
    Link,
    WorkerBackend,
    dumps_runtime,
    unpack_exception,
)

from ._batching import (
    HOLD_AT,
    NOT_RUN,
    RESCUE_AFTER,
    Batch,
    BatchSizer,
    finished_so_far,
    halt,
    plain,
    run_batch,
)
from ._completions import COMPLETIONS, read_values
from ._failure import call_error, first_line
from ._session import ensure_ray
from ._tasks import TASK_OPTION_KEYS, FunctionTasks
from ._values import Failure, RayCallFuture, StoredValue, adopt_futures, failed_argument

__all__ = ["RayBackend"]

_ACTOR_OPTION_KEYS = ("num_cpus", "num_gpus", "resources")
#: How many unfinished unseen calls a look at a transport whose calls may finish
#: out of order (tasks, an async actor) passes before it stops.
LOOK_AHEAD = 8
#: Seconds an actor may take to be placed and to build the worker.
START_TIMEOUT = 120.0


class _Holder:
    """The body of the generic actor: builds the worker and runs its calls in order.

    Each worker method ``m`` gets an actor method ``w_m`` (see ``_actor_class``),
    so its arguments travel as Ray arguments (small ones inlined, no tuple to
    pickle); ``call`` serves any other name (a class with ``__getattr__``).
    """

    def __init__(self, payload: bytes) -> None:
        import pickle

        self._init_error: Any = None
        self._invoker: Any = None
        self._batches: dict[int, list[Any]] = {}  # outcomes of the running batch (_batching)
        self._halt = False
        try:
            # plain pickle reads what cloudpickle wrote (it imports cloudpickle's helpers)
            self._invoker = pickle.loads(payload).build()
        except BaseException as exc:  # reported by ready(), with its original type
            self._init_error = Failure.of(exc).packed

    def ready(self) -> tuple[int, Any]:
        if self._init_error is not None:
            return ERROR, self._init_error
        return OK, None

    def call(self, name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            return self._invoker.call(name, args, kwargs)
        except BaseException as exc:
            return Failure.of(exc)

    def w__batch(self, batch_id: int, calls: list[Any]) -> list[Any]:
        """Several short calls sent as one Ray task (``_batching``)."""
        return run_batch(self, batch_id, calls)

    def checked(self, name: str | None, kw_names: tuple[str, ...], *flat: Any) -> Any:
        """A call whose arguments include other calls' results (``_values.adopt_futures``).

        Ray resolved them; one that failed is this call's outcome too.
        """
        failure = failed_argument(flat)
        if failure is not None:
            return failure
        args, kwargs = _split(flat, kw_names)
        try:
            return self._invoker.call(name, args, kwargs)
        except BaseException as exc:
            return Failure.of(exc)


class _AsyncHolder(_Holder):
    """The generic actor for classes with ``async def`` methods (an async Ray actor).

    Ray runs an async actor's calls in the order they arrive, which need not be
    the order they were sent. Each call carries its sequence number ``seq``
    (counted by the driver), and starts only once every earlier call has started,
    as on a local asyncio worker: sync methods run one by one in submission
    order, coroutines start in that order and then interleave. A call that Ray
    fails before it reaches the actor (an argument whose actor died) is passed
    over with ``skip``, sent by the driver when it sees that failure.
    """

    def __init__(self, payload: bytes) -> None:
        super().__init__(payload)
        self._next_seq = 0
        self._waiting: dict[int, Any] = {}  # seq -> asyncio future of a call waiting its turn
        self._skipped: set[int] = set()

    async def _turn(self, seq: int) -> None:
        if seq != self._next_seq:
            import asyncio

            turn = asyncio.get_running_loop().create_future()
            self._waiting[seq] = turn
            await turn
        self._advance(seq + 1)

    def _advance(self, seq: int) -> None:
        while seq in self._skipped:
            self._skipped.discard(seq)
            seq += 1
        self._next_seq = seq
        turn = self._waiting.pop(seq, None)
        if turn is not None:
            turn.set_result(None)

    async def skip(self, seq: int) -> None:
        """Pass over call ``seq``: Ray failed it before it reached this actor."""
        if seq == self._next_seq:
            self._advance(seq + 1)
        elif seq > self._next_seq:
            self._skipped.add(seq)

    async def call(  # type: ignore[override]
        self, seq: int, name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        await self._turn(seq)
        try:
            return await self._invoker.acall(name, args, kwargs)
        except BaseException as exc:
            return Failure.of(exc)

    async def checked(  # type: ignore[override]
        self, seq: int, name: str | None, kw_names: tuple[str, ...], *flat: Any
    ) -> Any:
        await self._turn(seq)
        failure = failed_argument(flat)
        if failure is not None:
            return failure
        args, kwargs = _split(flat, kw_names)
        try:
            return await self._invoker.acall(name, args, kwargs)
        except BaseException as exc:
            return Failure.of(exc)


def _split(flat: tuple[Any, ...], kw_names: tuple[str, ...]) -> tuple[Any, dict[str, Any]]:
    """Positional and keyword arguments back from ``flat`` (keyword values last)."""
    if not kw_names:
        return flat, {}
    cut = len(flat) - len(kw_names)
    return flat[:cut], dict(zip(kw_names, flat[cut:]))


def _sync_method(name: str | None) -> Any:
    def method(self: _Holder, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._invoker.call(name, args, kwargs)
        except BaseException as exc:
            return Failure.of(exc)

    return method


def _async_method(name: str | None) -> Any:
    async def method(self: _AsyncHolder, seq: int, *args: Any, **kwargs: Any) -> Any:
        await self._turn(seq)
        try:
            return await self._invoker.acall(name, args, kwargs)
        except BaseException as exc:
            return Failure.of(exc)

    return method


#: The concurrency group of a serial actor's batch controls (``w__partial``, ``w__halt``).
_CONTROL = "concurry_control"
#: Actor method serving task calls (``TaskWorker``: the method name is ``TASK``).
_TASK_METHOD = "w__task"
_actor_classes: weakref.WeakKeyDictionary[type, dict[bool, Any]] = weakref.WeakKeyDictionary()


def _actor_method(name: str | None) -> str:
    return _TASK_METHOD if name is TASK else f"w_{name}"


def _actor_class(worker_cls: type, is_async: bool) -> Any:
    """The Ray actor class for ``worker_cls``: the holder plus a ``w_<name>`` per method."""
    try:
        return _actor_classes[worker_cls][is_async]
    except KeyError:
        pass
    ray = ensure_ray()
    make = _async_method if is_async else _sync_method
    names = [
        n
        for n in dir(worker_cls)
        if not n.startswith("_") and callable(getattr(worker_cls, n, None))
    ]
    namespace: dict[str, Any] = {_actor_method(n): make(n) for n in names}
    namespace[_TASK_METHOD] = make(TASK)
    base = _AsyncHolder if is_async else _Holder
    groups: dict[str, int] = {}
    if not is_async:
        # served by a thread of their own while a batch runs (``_batching``)
        control = ray.method(concurrency_group=_CONTROL)
        namespace["w__partial"] = control(finished_so_far)
        namespace["w__halt"] = control(halt)
        groups[_CONTROL] = 1
    holder = type(f"Concurry{worker_cls.__name__}Actor", (base,), namespace)
    cls = ray.remote(concurrency_groups=groups)(holder) if groups else ray.remote(holder)
    _actor_classes.setdefault(worker_cls, {})[is_async] = cls
    return cls


def _has_async_methods(cls: type) -> bool:
    from inspect import iscoroutinefunction

    return any(
        iscoroutinefunction(getattr(cls, name, None))
        for name in dir(cls)
        if not name.startswith("__")
    )


class RayBackend(WorkerBackend):
    """Runs the worker instance in a Ray actor (see the module doc).

    A ``TaskWorker`` starts no actor: its calls run as plain Ray tasks (``_tasks``).
    """

    future_class = RayCallFuture
    adopt_futures = staticmethod(adopt_futures)

    def __init__(self, runtime: Any, options: dict[str, Any]) -> None:
        super().__init__(runtime, options)
        # Orders the submissions and guards _stopping, _dead and _actor. Re-entrant:
        # Ray may run a completion callback at once, in the submitting thread.
        self._lock = threading.RLock()
        self._outbox: deque[CallFuture] = deque()
        # Guards _inflight, _running and each call's _ray_done. Separate from _lock, so
        # that Ray's callback thread never waits for a kick() busy submitting calls.
        # Order: _lock, then _count.
        self._count = threading.Lock()
        self._inflight = 0
        self._idle = threading.Condition(self._count)
        self._stopping = False
        self._dead = False
        self._actor: Any = None
        # the actor's bound remote methods by call name (guarded by _lock, as _actor)
        self._methods: dict[str | None, Any] = {}
        self._link: Any = None
        self._tasks = issubclass(runtime.worker_cls, TaskWorker)
        # calls handed to Ray and not finished, oldest first (stop() needs them)
        self._running: dict[int, CallFuture] = {}
        self._seq = 0  # the next call's sequence number on an async actor (_AsyncHolder)
        # unseen calls (see the module doc), oldest first; appended under _lock and taken
        # by look() with popleft (atomic: each call is taken by one look only)
        self._unseen: deque[CallFuture] = deque()
        self._look_due = False  # queued for the reading thread's next look (_completions)
        self._eager = True
        self.serial = not self._tasks and not _has_async_methods(runtime.worker_cls)
        # calls held back while the actor is busy, to be sent together (``_batching``);
        # under _lock, in submission order
        self._batching = False  # set by start(): serial actors, when Ray reports lazily
        self._held: deque[CallFuture] = deque()
        self._sizer = BatchSizer()
        self._batch_methods: dict[int, Any] = {}  # batch size -> the bound batch method
        self._batch_seq = 0

    @classmethod
    def prepare(cls) -> None:
        """Start the embedded Ray session from the creating thread (Ray wants the main one)."""
        ensure_ray()

    def start(self, link: Link) -> None:
        ray = ensure_ray()
        options = dict(self.options.get("actor_options") or {})
        for key in _ACTOR_OPTION_KEYS:
            if key in self.options:
                options[key] = self.options[key]
        self._init_completion(ray)
        self._eager = bool(getattr(link, "eager_release", True))
        if self._tasks:
            options = {k: v for k, v in options.items() if k in TASK_OPTION_KEYS}
            self._task = FunctionTasks(ray, dumps_runtime(self.runtime), options)
            self._actor, self._link = _TASKS, link
            return
        if self.serial:
            options.setdefault("max_concurrency", 1)
            # batches rely on the actor running calls one by one, in order
            self._batching = self._batching and options["max_concurrency"] == 1
        holder = _actor_class(self.runtime.worker_cls, not self.serial)
        actor = holder.options(**options).remote(dumps_runtime(self.runtime))
        try:
            kind, value = ray.get(actor.ready.remote(), timeout=START_TIMEOUT)
        except BaseException as exc:
            ray.kill(actor, no_restart=True)
            if isinstance(exc, ray.exceptions.GetTimeoutError):
                raise WorkerDiedError(
                    f"Ray actor did not start within {START_TIMEOUT:g} s; the cluster may "
                    f"lack the resources it asks for ({options or 'none'})"
                ) from None
            raise WorkerDiedError(f"Ray actor could not start: {exc}") from exc
        if kind == ERROR:
            ray.kill(actor, no_restart=True)
            raise unpack_exception(value)
        self._actor_id = actor._actor_id.hex()
        self._actor, self._link = actor, link

    def _init_completion(self, ray: Any) -> None:
        # resolved once here, not per call on the completion path
        self._ray_error = ray.exceptions.RayError
        self._actor_error = ray.exceptions.RayActorError
        # a task that ended without running to its end: its process died, the node it
        # ran on was lost, or it was cancelled (by stop())
        self._task_ended = (
            ray.exceptions.WorkerCrashedError,
            ray.exceptions.NodeDiedError,
            ray.exceptions.LocalRayletDiedError,
            ray.exceptions.TaskCancelledError,
        )
        self._get_timeout = ray.exceptions.GetTimeoutError
        self._get = ray.get
        self._actor_id = None
        self._in_memory = _memory_store_probe(ray)
        self._lazy: bool = self._in_memory is not None
        if self._lazy:
            COMPLETIONS.start()
        self._batching = self.serial and self._lazy

    # -- calls --------------------------------------------------------------------------
    def send(self, batch: Sequence[CallFuture]) -> bool:
        self._outbox.extend(batch)  # deque.extend: safe without our lock (see kick)
        return True

    def kick(self) -> None:
        self._kick(False)

    def flush(self) -> None:
        """Send the held calls now (someone asks for one of them; see ``_batching``)."""
        if self._held:
            self._kick(True)

    def _flush_if_free(self) -> None:
        """`flush`, unless a kick holds the lock (it sends them, or a later look does)."""
        if self._held and self._lock.acquire(blocking=False):
            try:
                self._kick(True)
            finally:
                self._lock.release()

    def _kick(self, force: bool) -> None:
        link = self._link
        dropped: list[CallFuture] = []
        failed: list[tuple[CallFuture, BaseException]] = []
        sent: list[tuple[CallFuture, Any]] = []
        with self._lock:
            actor = self._actor
            outbox = self._outbox
            if self._stopping or self._dead or actor is None:
                while outbox:
                    dropped.append(outbox.popleft())  # stop() or a death came first
                dropped.extend(self._held)
                self._held.clear()
            elif self._batching:
                held = self._held
                while outbox:
                    call = outbox.popleft()
                    if type(call) is RayCallFuture:
                        # a reader of a held call sends it (``flush``)
                        call._ray_transport = self  # type: ignore[attr-defined]
                        call._ray_held = True  # type: ignore[attr-defined]
                    held.append(call)
                if held:
                    cap = self._sizer.cap()
                    if force or len(held) >= cap or self._inflight < HOLD_AT:
                        self._send_held(actor, cap, sent, failed)
                    else:
                        COMPLETIONS.defer(self)  # the next look sends them
            else:
                while outbox:
                    call = outbox.popleft()
                    if not link.begin(call):
                        continue
                    try:
                        sent.append((call, self._submit(actor, call)))
                    except Exception as exc:  # an argument Ray cannot pickle: it fails alone
                        failed.append((call, _submit_error(call, exc)))
            if sent:
                self._track(sent)
        for call in dropped:
            link.drop(call)
        for call, error in failed:
            link.deliver(call, ERROR, error)

    def _send_held(
        self,
        actor: Any,
        cap: int,
        sent: list[tuple[CallFuture, Any]],
        failed: list[tuple[CallFuture, BaseException]],
    ) -> None:
        """Send every held call, in order: runs of plain calls in batches of up to ``cap``."""
        held, begin = self._held, self._link.begin
        while held:
            call = held.popleft()
            call._ray_held = False  # type: ignore[attr-defined]
            if not begin(call):
                continue
            group = [call]
            if cap > 1 and _batchable(call):
                while held and len(group) < cap and _batchable(held[0]):
                    nxt = held.popleft()
                    nxt._ray_held = False  # type: ignore[attr-defined]
                    if begin(nxt):
                        group.append(nxt)
            try:
                if len(group) == 1:
                    sent.append((call, self._submit(actor, call)))
                    continue
                refs = self._submit_batch(actor, group)
            except Exception as exc:  # an argument Ray cannot pickle: it fails alone
                failed.extend((c, _submit_error(c, exc)) for c in group)
                continue
            self._batch_seq += 1
            batch = Batch(self._batch_seq, group, refs[-1], monotonic())
            for c, ref in zip(group, refs):
                c._ray_batch = batch  # type: ignore[attr-defined]
                sent.append((c, ref))

    def _submit_batch(self, actor: Any, group: list[CallFuture]) -> Any:
        """Hand ``group`` to Ray as one task (with ``_lock`` held); its calls' ObjectRefs
        and, last, that of the batch's run time."""
        size = len(group)
        method = self._batch_methods.get(size)
        if method is None:
            method = self._batch_methods[size] = actor.w__batch.options(num_returns=size + 1)
        return method.remote(self._batch_seq + 1, [(c.name, c.args, c.kwargs) for c in group])

    def _track(self, sent: list[tuple[CallFuture, Any]]) -> None:
        """Record calls just handed to Ray (with ``_lock`` held), and how they are watched."""
        lazy, eager = self._lazy, self._eager
        now = 0.0 if eager else monotonic()
        unseen = 0
        with self._count:
            self._inflight += len(sent)
            running = self._running
            for call, _ in sent:
                running[call._id] = call
        for call, ref in sent:
            # held by the call: Ray drops the readiness callback of a dropped ref
            call._ray_ref = ref  # type: ignore[attr-defined]
            if lazy and type(call) is RayCallFuture:
                call._ray_transport = self  # type: ignore[attr-defined]
                if eager:
                    self._watch(call)
                else:
                    call._ray_unseen = True  # type: ignore[attr-defined]
                    call._ray_sent = now  # type: ignore[attr-defined]
                    self._unseen.append(call)
                    unseen += 1
            else:
                ref._on_completed(lambda outcome, call=call: self._completed(call, outcome))
        if unseen or getattr(sent[-1][0], "_ray_batch", None) is not None:
            COMPLETIONS.defer(self)  # the looks also rescue a long batch's results

    def _submit(self, actor: Any, call: CallFuture) -> Any:
        """Hand ``call`` to Ray (with ``_lock`` held); its ObjectRef."""
        if actor is _TASKS:
            return self._task.submit(call.args, call.kwargs)
        lead: tuple[Any, ...] = () if self.serial else (self._seq,)  # see _AsyncHolder
        if getattr(call, "_adopted", False):
            kw_names = tuple(call.kwargs)
            ref = actor.checked.remote(
                *lead, call.name, kw_names, *call.args, *call.kwargs.values()
            )
        else:
            method = self._methods.get(call.name)
            if method is None:
                # Ray builds a new bound method on each attribute access: kept per name
                method = getattr(actor, _actor_method(call.name), None)
                if method is not None:
                    self._methods[call.name] = method
            if method is None:  # a name only the class's __getattr__ knows
                ref = actor.call.remote(*lead, call.name, call.args, call.kwargs)
            else:
                ref = method.remote(*lead, *call.args, **call.kwargs)
        if lead:
            call._ray_seq = self._seq  # type: ignore[attr-defined]
            self._seq += 1
        return ref

    def stored(self, call: CallFuture) -> None:
        """``call`` is done and its value is in the object store: read on demand."""
        self._completed(call, StoredValue(call._ray_ref, call.name))  # type: ignore[attr-defined]

    def read_one(self, call: CallFuture) -> None:
        """Read and deliver one reported call's outcome (``_completions`` does batches)."""
        ref = call._ray_ref  # type: ignore[attr-defined]
        try:
            outcome = self._get(ref, timeout=0)
        except self._get_timeout:  # not readable after all: let Ray call back with it
            ref._on_completed(lambda outcome: self._completed(call, outcome))
            return
        except self._ray_error as error:
            outcome = error
        self._completed(call, outcome)

    def await_call(self, call: CallFuture, timeout: float | None) -> None:
        """Help a reader of ``call``'s outcome (``RayCallFuture.result`` / ``exception``).

        An unseen call (after a `look` at the finished ones), or a call alone in
        flight (a round trip), is fetched in the reader's thread with one
        ``ray.get``, as bare Ray does, and taken here without waiting for Ray's
        callback thread to hand it over. A watched call among many is left to its
        notification, which is on its way: the reader waits for the future.
        """
        if call._ray_ref is None:  # type: ignore[attr-defined]  # held, or being sent
            self._kick(True)
            if call._ray_ref is None:  # type: ignore[attr-defined]
                return  # dropped, or refused by Ray: settled by the kick
        if call._ray_unseen:  # type: ignore[attr-defined]
            self.look()  # the finished calls first, with one ray.get
            if not call._ray_unseen:  # type: ignore[attr-defined]
                return  # read by the look, or watched by someone else
        elif self._inflight > 1 and not call._ray_reader:  # type: ignore[attr-defined]
            return  # its notification is on its way (another reader's read is not)
        ref = call._ray_ref  # type: ignore[attr-defined]
        # The readiness callback leaves the call to this reader meanwhile (one read,
        # not two competing for the GIL), and is armed again if the read is cut short.
        call._ray_reader = True  # type: ignore[attr-defined]
        call._ray_unseen = False  # type: ignore[attr-defined]  # this reader watches it
        if call._ray_batch is not None:  # type: ignore[attr-defined]
            # a batch returns its values together: a long call sent after this one with
            # it holds it back until the looks rescue it (``_batching``)
            timeout = RESCUE_AFTER if timeout is None else min(timeout, RESCUE_AFTER)
        try:
            outcome = self._get(ref, timeout=timeout)
        except self._ray_error as exc:
            if isinstance(exc, self._get_timeout):
                self._rearm(call)
                return  # the reader's own wait reports the timeout
            outcome = exc
        except BaseException:  # interrupted: the callback must finish the call
            self._rearm(call)
            raise
        self._completed(call, outcome)

    def _rearm(self, call: CallFuture) -> None:
        call._ray_reader = False  # type: ignore[attr-defined]
        self._watch(call)

    def _watch(self, call: CallFuture) -> None:
        """Have Ray report ``call`` once its result exists (at once if it does already)."""
        call._ray_ref._on_ready(partial(COMPLETIONS.ready, self, call))  # type: ignore[attr-defined]

    def look(self, arm: bool = False, arm_before: float = 0.0) -> int:
        """Look at the unseen calls, oldest first (see the module doc).

        The finished ones whose values Ray returned inline are read with one
        ``ray.get`` and delivered. An unfinished one gets Ray's readiness
        notification when ``arm`` is true or it was sent before ``arm_before``
        (a monotonic time); otherwise it stays unseen, and the look ends after a
        few such (one on a serial actor: the calls behind it run after it).

        Returns:
            How many calls are left unseen.
        """
        self._flush_if_free()
        queue = self._unseen
        fetch: list[tuple[Any, CallFuture]] = []
        kept: list[CallFuture] = []
        in_memory = self._in_memory
        limit = 1 if self.serial else LOOK_AHEAD
        while True:
            try:
                call = queue.popleft()
            except IndexError:  # empty (or emptied by a look in another thread)
                break
            if not call._ray_unseen or call._ray_done:  # type: ignore[attr-defined]
                continue  # watched or taken since
            ref = call._ray_ref  # type: ignore[attr-defined]
            if in_memory(ref, memory_store_only=True):
                call._ray_unseen = False  # type: ignore[attr-defined]
                fetch.append((self, call))
            elif in_memory(ref):  # finished, its value in the object store (asks the store)
                call._ray_unseen = False  # type: ignore[attr-defined]
                self.stored(call)
            elif arm or call._ray_sent < arm_before:  # type: ignore[attr-defined]
                call._ray_unseen = False  # type: ignore[attr-defined]
                self._watch(call)
            else:
                kept.append(call)
                if len(kept) >= limit:
                    break
        if kept:
            queue.extendleft(reversed(kept))
        if fetch:
            read_values(fetch)
        batches = self._rescue() if self._batch_seq else False
        return len(queue) + len(self._held) + batches

    def _rescue(self) -> bool:
        """Deliver what the running batch has finished, once it has run ``RESCUE_AFTER``
        (a long call must not hold back the short ones sent before it with it).

        Returns:
            True while calls are in flight (the looks go on).
        """
        with self._count:
            if not self._running:
                return False
            oldest = next(iter(self._running.values()))
        batch = getattr(oldest, "_ray_batch", None)
        if batch is None:
            return True
        now = monotonic()
        asked = batch.asked
        if asked is None:
            if now - batch.since >= RESCUE_AFTER:
                with self._lock:
                    actor = self._actor
                if actor is not None and actor is not _TASKS:
                    batch.asked = actor.w__partial.remote(batch.id)
            return True
        if not self._in_memory(asked, memory_store_only=True):
            return True
        batch.asked = None
        batch.since = now
        try:
            outcomes = self._get(asked, timeout=0)
        except Exception:  # the actor died: the batch's own results report it
            return True
        done = [(c, o) for c, o in zip(batch.calls, outcomes) if not c._ray_done]  # type: ignore[attr-defined]
        if done:
            # its calls are not short: the next batches are smaller
            self._sizer.measured(now - batch.sent, len(outcomes) + 1)
            self.completed_many(done)
        return True

    def unclaim(self, calls: Sequence[CallFuture]) -> None:
        """``calls``, taken by a waiting thread (``_waiting``) and not finished, are unseen
        again; or watched, if someone added a done-callback or waits meanwhile, or
        ``stop()`` waits for them."""
        unseen = []
        for call in calls:
            call._ray_reader = False  # type: ignore[attr-defined]
            if call._done_callbacks or call._waiters or self._stopping:  # type: ignore[attr-defined]
                self._watch(call)
            else:
                call._ray_unseen = True  # type: ignore[attr-defined]
                unseen.append(call)
        if unseen:
            self._unseen.extend(unseen)
            if self._stopping:  # stop() began meanwhile, and may have looked already
                self.look(arm=True)
            COMPLETIONS.defer(self)

    def completed_many(self, done: list[tuple[CallFuture, Any]]) -> None:
        """Deliver the outcomes of several calls read together (``_completions``)."""
        taken = self._take(done)
        try:
            self._deliver_many(taken)
        finally:
            if self._batching:
                self._measure(taken)
                if self._held and self._inflight < HOLD_AT:
                    self._flush_if_free()

    def _deliver_many(self, taken: list[tuple[CallFuture, Any]]) -> None:
        plain: list[tuple[int, int, Any]] = []
        ray_error = self._ray_error
        for call, outcome in taken:
            if type(outcome) is Failure:
                plain.append((call._id, ERROR, unpack_exception(outcome.packed)))
            elif isinstance(outcome, ray_error) or outcome is NOT_RUN:
                if plain:  # in completion order
                    self._link.deliver_many(plain)
                    plain = []
                self._deliver(call, outcome)
            else:
                plain.append((call._id, OK, outcome))
        if plain:
            self._link.deliver_many(plain)

    def _completed(self, call: CallFuture, outcome: Any) -> None:
        taken = self._take(((call, outcome),))
        if taken:
            self._deliver(call, outcome)
            if self._batching:
                self._measure(taken)

    def _measure(self, taken: list[tuple[CallFuture, Any]]) -> None:
        """Read the run time of the batches ``taken`` ends, for the next batches' size."""
        batches = []
        for call, _ in taken:
            batch = getattr(call, "_ray_batch", None)
            # returned with the calls' values (in this process), unless the call was
            # rescued from a batch still running
            if (
                batch is not None
                and not batch.timed
                and self._in_memory(batch.timing, memory_store_only=True)
            ):
                batch.timed = True
                batches.append(batch)
        if not batches:
            return
        try:
            seconds = self._get([b.timing for b in batches], timeout=0)
        except Exception:  # the actor died, or the batch failed as a whole: no measure
            return
        for batch, elapsed in zip(batches, seconds):
            self._sizer.measured(elapsed, len(batch.calls))

    def _take(self, done: Sequence[tuple[CallFuture, Any]]) -> list[tuple[CallFuture, Any]]:
        """The calls of ``done`` not taken yet (by Ray's report or a waiting reader), now taken."""
        taken = []
        with self._count:
            running = self._running
            for call, outcome in done:
                if getattr(call, "_ray_done", False):
                    continue
                call._ray_done = True  # type: ignore[attr-defined]
                running.pop(call._id, None)
                taken.append((call, outcome))
            self._inflight -= len(taken)
            if taken and not self._inflight:
                self._idle.notify_all()
        return taken

    def _deliver(self, call: CallFuture, outcome: Any) -> None:
        link = self._link
        if outcome is NOT_RUN:  # a batched call stop() kept from starting
            link.drop(call)
            return
        if type(outcome) is Failure:
            link.deliver(call, ERROR, unpack_exception(outcome.packed))
            return
        if not isinstance(outcome, self._ray_error):
            link.deliver(call, OK, outcome)
            return
        tasks = self._tasks
        if tasks and isinstance(outcome, self._task_ended):
            if self._stopping:
                error = self._ended_by_stop()
            else:
                error = WorkerDiedError(
                    f"the Ray worker running the task died: {first_line(outcome)}"
                )
            link.deliver(call, ERROR, error)
            return
        if isinstance(outcome, self._actor_error) and not (tasks or self._upstream(call, outcome)):
            with self._lock:
                self._dead = True
                stopping = self._stopping
            if stopping:
                link.died(self._ended_by_stop())
            else:
                link.died(WorkerDiedError(f"Ray actor died: {first_line(outcome)}"))
            return
        seq = getattr(call, "_ray_seq", None)
        if seq is not None:  # Ray failed it, maybe before it reached the actor: see skip
            self._skip(seq)
        link.deliver(call, ERROR, call_error(call.name, outcome))

    def _skip(self, seq: int) -> None:
        with self._lock:
            actor = self._actor
        if actor is not None and actor is not _TASKS:
            actor.skip.remote(seq)

    # -- shutdown -----------------------------------------------------------------------
    def stop(self, deadline: float) -> None:
        """End the worker by ``deadline``, as every mode does (see ``Transport``).

        Calls not handed to Ray yet are dropped (cancelled). On a serial actor only
        the oldest call handed over runs; the ones queued behind it in the actor
        are cancelled too (``ray.cancel``, and the actor is killed as soon as the
        running one ends). Async actors and tasks run theirs concurrently: they
        get until ``deadline``. What is still running then is ended (the actor
        killed, the tasks cancelled) and fails with a ``WorkerDiedError`` before
        ``stop`` returns.
        """
        import ray

        with self._lock:
            self._stopping = True
            dropped = list(self._outbox) + list(self._held)
            self._outbox.clear()
            self._held.clear()
            with self._count:
                if self.serial and len(self._running) > 1:
                    running = list(self._running.values())
                    # the calls sent with the running one run with it (one Ray task)
                    batch = getattr(running[0], "_ray_batch", None)
                    queued = [
                        c
                        for c in running[1:]
                        if batch is None or getattr(c, "_ray_batch", None) is not batch
                    ]
                    for call in queued:
                        del self._running[call._id]
                        call._ray_done = True  # type: ignore[attr-defined]
                        self._inflight -= 1
                    dropped += queued
                    if batch is not None and self._actor is not None:
                        # the calls of the running batch not started yet are passed over
                        self._actor.w__halt.remote()
        for call in dropped:
            call._ray_held = False  # type: ignore[attr-defined]
            ref = getattr(call, "_ray_ref", None)
            if ref is not None:
                _cancel(ray, ref)  # so that it does not start before the kill
            self._link.drop(call)
        self.look(arm=True)  # the wait below learns of completions from Ray's notifications
        with self._count:
            while self._inflight and not self._dead:
                left = deadline - monotonic()
                if left <= 0:
                    break
                self._idle.wait(left)
            late = list(self._running.values())
            for call in late:
                call._ray_done = True  # type: ignore[attr-defined]
            self._running.clear()
            self._inflight = 0
        with self._lock:
            actor, self._actor = self._actor, None
            self._methods.clear()
            self._batch_methods.clear()
        if actor is _TASKS:
            for call in late:
                _cancel(ray, call._ray_ref, force=True)  # type: ignore[attr-defined]
        elif actor is not None:
            ray.kill(actor, no_restart=True)
        if late:  # settled here, so that nothing is pending once stop() returns
            error = self._ended_by_stop()
            if self._tasks:
                for call in late:
                    self._link.deliver(call, ERROR, error)
            else:
                self._link.died(error)

    def _ended_by_stop(self) -> WorkerDiedError:
        """The error of a call still running when ``stop()`` reached its deadline."""
        if self._tasks:
            return WorkerDiedError(
                "the Ray task was still running when stop() reached its deadline"
            )
        return WorkerDiedError("the Ray actor was killed by stop() at its deadline")

    def close_when_idle(self) -> None:
        with self._lock:
            actor, self._actor = self._actor, None
            self._methods.clear()
            self._batch_methods.clear()
        if actor is not None and actor is not _TASKS:
            # Called when the last call of a dropped worker completes, possibly on
            # Ray's own callback thread, where ray.kill would wait for that very thread.
            threading.Thread(
                target=_kill, args=(actor,), name="concurry-ray-close", daemon=True
            ).start()

    def _upstream(self, call: CallFuture, error: Any) -> bool:
        """True when ``error`` is the death of the actor of an argument, not of ours."""
        if not getattr(call, "_adopted", False):
            return False
        actor_id = getattr(error, "actor_id", None)
        return actor_id is not None and actor_id != self._actor_id


def _cancel(ray: Any, ref: Any, force: bool = False) -> None:
    try:
        ray.cancel(ref, force=force)
    except Exception:  # finished meanwhile, or an actor task Ray cannot cancel
        pass


def _kill(actor: Any) -> None:
    import ray

    try:
        ray.kill(actor, no_restart=True)
    except Exception:  # already dead, or the session ended meanwhile
        pass


def _memory_store_probe(ray: Any) -> Any:
    """``object_exists(ref, memory_store_only=True)`` of this process's Ray core worker.

    True for a result Ray returned inline (in this process already), False for one
    left in the object store. None when this Ray has no such call (or no
    ``ObjectRef._on_ready``): every result is then fetched as it completes.
    """
    try:
        probe = ray._private.worker.global_worker.core_worker.object_exists
    except AttributeError:
        return None
    return probe if hasattr(ray.ObjectRef, "_on_ready") else None


#: The "actor" of a TaskWorker's transport: it has none, its calls are Ray tasks.
_TASKS: Any = object()


def _batchable(call: CallFuture) -> bool:
    """True for a call that may join a batch: plain arguments only (``_batching``)."""
    if call.name is TASK or getattr(call, "_adopted", False):
        return False
    return plain(call.args) and (not call.kwargs or plain(call.kwargs))


def _submit_error(call: CallFuture, error: Exception) -> BaseException:
    """The error of a call Ray refused at submission (an argument it cannot pickle)."""
    if isinstance(error, TypeError) or "pickl" in str(error):
        return SerializationError(
            f"arguments of {call.name or 'the task'} could not be pickled: {first_line(error)}"
        )
    return error
