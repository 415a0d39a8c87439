"""Worker lifecycle (issue 8): dropped proxies, bounded stop(timeout), admission vs cancel.

- A proxy whose last reference is dropped stops its worker promptly, without a
  cyclic garbage collection (``gc`` is disabled in those tests), after
  finishing the work submitted before the drop.
- ``stop(timeout=t)`` returns within ``t`` plus a small fixed slack on every
  mode while a call is stuck (blocking, awaiting, or blocking an event loop).
- With ``max_queued_tasks=1``, a queued call cancelled around the moment the
  slot frees never keeps the slot: the next call still runs.

Every wait is bounded and fails saying what stayed pending; workers are
stopped (children killed) in ``finally`` blocks.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import sys
import threading
import time
import weakref
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import pytest

from concurry_workers import Worker, WorkerDiedError

sys.path.insert(0, str(Path(__file__).parent))
from workers_helpers import (
    is_alive,
    is_child_alive,
    kill_if_ours,
    quiet_stop,
    run_bounded,
    settle,
)

T = 15  # seconds any single bounded wait may take
START = 60  # seconds a worker may take to start
SLACK = 3.0  # stop(timeout=t) must return within t + SLACK
ENDS = 10  # seconds a dropped proxy's worker may take to end


# -- gates: a one-shot signal that works inside this process and across processes --------
# In-process modes get a threading.Event; a process or ray worker gets a file path (it
# cannot share an Event with another process; Ray runs on this machine), and the worker
# polls for the file.


def _signal(token: Any) -> None:
    if token is None:
        return
    if isinstance(token, str):
        Path(token).touch()
    else:
        token.set()


def _is_set(token: Any) -> bool:
    return os.path.exists(token) if isinstance(token, str) else token.is_set()


def _block_on(token: Any, timeout: float) -> bool:
    """Block the calling thread until ``token`` is set (False after ``timeout``)."""
    if not isinstance(token, str):
        return bool(token.wait(timeout))
    deadline = time.monotonic() + timeout
    while not os.path.exists(token):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)  # polling the gate file (in the worker)
    return True


class Gate:
    """Test side of a gate: ``token`` goes to the worker; ``set()`` / ``wait()`` here."""

    def __init__(self, mode: str, directory: Path, name: str) -> None:
        remote = mode in ("process", "ray")
        self.token: Any = str(directory / name) if remote else threading.Event()

    def set(self) -> None:
        _signal(self.token)

    def wait(self, timeout: float) -> bool:
        return _block_on(self.token, timeout)


class Life(Worker):
    def where(self) -> tuple[int, int]:
        return os.getpid(), threading.get_ident()

    async def awhere(self) -> tuple[int, int]:
        return os.getpid(), threading.get_ident()

    def echo(self, value: Any) -> Any:
        return value

    def slow(self, value: Any, seconds: float) -> Any:
        time.sleep(seconds)
        return value

    async def aslow(self, value: Any, seconds: float) -> Any:
        await asyncio.sleep(seconds)
        return value

    def hold(self, started: Any, gate: Any) -> str:
        """Stuck in a blocking wait until the test opens ``gate``."""
        _signal(started)
        if not _block_on(gate, 30):
            raise TimeoutError("gate never opened")
        return "released"

    async def ahold(self, started: Any, gate: Any) -> str:
        """Stuck in ``await asyncio.sleep`` until the test opens ``gate``."""
        _signal(started)
        deadline = time.monotonic() + 30
        while not _is_set(gate):
            if time.monotonic() > deadline:
                raise TimeoutError("gate never opened")
            await asyncio.sleep(0.005)
        return "released"

    async def ahold_blocking(self, started: Any, gate: Any) -> str:
        """An async method that blocks its event loop (like ``time.sleep``) until ``gate``."""
        _signal(started)
        if not _block_on(gate, 30):
            raise TimeoutError("gate never opened")
        return "released"


# -- helpers -----------------------------------------------------------------------------
def worker_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    """The concurry threads started since ``before`` was taken."""
    return [
        t
        for t in threading.enumerate()
        if t not in before and t.name.startswith("concurry") and t.is_alive()
    ]


# -- a proxy that goes out of scope ------------------------------------------------------
def options_for(mode: str, queued: str) -> dict[str, Any]:
    options: dict[str, Any] = {"mode": mode}
    if queued == "cap1":
        options["max_queued_tasks"] = 1
    return options


def worker_alive(mode: str, pid: int) -> bool:
    """True while the worker process ``pid`` runs: our child, or a Ray worker process."""
    return is_alive(pid) if mode == "ray" else is_child_alive(pid)


def assert_worker_ends(
    mode: str, threads: list[threading.Thread], pid: int | None, ref: Any, what: str
) -> None:
    """The dropped proxy's worker ends (threads, process) within ENDS seconds, gc disabled."""
    deadline = time.monotonic() + ENDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    while pid is not None and worker_alive(mode, pid) and time.monotonic() < deadline:
        time.sleep(0.01)  # polling the process's state in /proc
    if mode == "sync":  # no thread or process: the proxy itself must be freed
        while ref() is not None and time.monotonic() < deadline:
            time.sleep(0.01)  # polling a weak reference
    alive = [t.name for t in threads if t.is_alive()]
    process = pid is not None and worker_alive(mode, pid)
    freed = ref() is None
    problems = []
    if alive:
        problems.append(f"threads still running: {alive}")
    if process:
        problems.append(f"worker process {pid} still running")
    if mode == "sync" and not freed:
        problems.append("the proxy was not freed")
    if problems:
        hint = "" if freed else " (the proxy is still alive: a reference cycle needs gc?)"
        pytest.fail(f"{what}: {ENDS} s after the only reference was dropped, {problems}{hint}")


def identify(proxy: Any, mode: str, before: set[threading.Thread]) -> tuple[list, int | None]:
    """Call the worker (caching remote methods on the proxy) and find its threads / process."""
    pid, _ = proxy.where().result(timeout=START)
    if mode == "asyncio":
        proxy.awhere().result(timeout=T)  # the loop thread as well as the sync lane
    threads = worker_threads(before)
    if mode not in ("sync", "ray"):  # a ray worker is an actor: Ray's threads, not ours
        assert threads, f"no concurry thread found for the {mode} worker"
    if mode in ("process", "ray"):
        assert pid != os.getpid() and worker_alive(mode, pid)
        return threads, pid
    assert pid == os.getpid()
    return threads, None


def _clean_up_after_drop(gc_was_enabled: bool, ref: Any, pid: int | None) -> None:
    """Re-enable gc; after a failed run, stop a proxy still alive (in a cycle) and its child."""
    if gc_was_enabled:
        gc.enable()
    gc.collect()  # a proxy kept alive by a cycle is finalized now
    leftover = ref()
    if leftover is not None:
        quiet_stop(leftover)
    del leftover
    kill_if_ours(pid)


@pytest.mark.parametrize("queued", ["default", "cap1"])
def test_dropped_proxy_stops_its_worker(worker_mode, queued, no_leaks):
    what = f"dropped idle {worker_mode} proxy ({queued})"
    enabled = gc.isenabled()
    gc.disable()  # the worker must stop at refcount zero, not at the next cyclic collection
    before = set(threading.enumerate())
    pid = None
    ref: Any = lambda: None  # noqa: E731
    try:
        w = Life.options(**options_for(worker_mode, queued)).init()
        ref = weakref.ref(w)
        threads, pid = identify(w, worker_mode, before)
        del w
        assert_worker_ends(worker_mode, threads, pid, ref, what)
    finally:
        _clean_up_after_drop(enabled, ref, pid)


@pytest.mark.parametrize("queued", ["default", "cap1"])
def test_work_submitted_before_the_drop_completes(worker_mode, queued, no_leaks):
    what = f"dropped busy {worker_mode} proxy ({queued})"
    enabled = gc.isenabled()
    gc.disable()
    before = set(threading.enumerate())
    pid = None
    ref: Any = lambda: None  # noqa: E731
    try:
        w = Life.options(**options_for(worker_mode, queued)).init()
        ref = weakref.ref(w)
        threads, pid = identify(w, worker_mode, before)
        futures = [w.slow(i, 0.02) for i in range(6)]
        futures += [w.echo([i, i]) for i in range(6, 9)]
        expected: list[Any] = [*range(6), *([i, i] for i in range(6, 9))]
        if worker_mode == "asyncio":
            futures += [w.aslow(i, 0.02) for i in range(9, 12)]
            expected += list(range(9, 12))
        del w  # with calls still running and (cap1) still queued client-side
        settle(futures, T, f"{what}: work submitted before the drop")
        got = []
        for future in futures:
            try:
                got.append(future.result(timeout=0))
            except BaseException as exc:
                got.append(f"{type(exc).__name__}: {exc}")
        assert got == expected, f"{what}: results of the calls made before the drop"
        assert_worker_ends(worker_mode, threads, pid, ref, what)
    finally:
        _clean_up_after_drop(enabled, ref, pid)


# -- stop(timeout) is bounded -------------------------------------------------------------
STUCK = {"blocking": "hold", "await": "ahold", "async-blocking": "ahold_blocking"}


@pytest.mark.parametrize("timeout", [0.2, 1.0])
@pytest.mark.parametrize("kind", list(STUCK))
def test_stop_timeout_is_bounded_while_a_call_is_stuck(
    worker_mode, kind, timeout, tmp_path, no_leaks
):
    what = f"stop(timeout={timeout}) on {worker_mode} with a {kind} call stuck"
    started = Gate(worker_mode, tmp_path, "started")
    gate = Gate(worker_mode, tmp_path, "gate")
    w = runner = None
    pid = None
    box: dict[str, Any] = {}
    try:
        w = Life.options(mode=worker_mode).init()
        if worker_mode == "process":
            pid = w.where().result(timeout=START)[0]
        method = getattr(w, STUCK[kind])
        stuck = None
        if worker_mode == "sync":  # the call runs in the caller's thread: call from another
            runner = threading.Thread(
                target=lambda: box.setdefault("result", method(started.token, gate.token)),
                name="test-sync-caller",
                daemon=True,
            )
            runner.start()
        else:
            stuck = method(started.token, gate.token)
        assert started.wait(T), f"{what}: the stuck call never started"
        # a call queued behind the stuck one (where calls run one at a time)
        serial = worker_mode in ("thread", "process") or (
            worker_mode == "asyncio" and kind == "blocking"
        )
        queued = w.echo("queued") if serial else None
        elapsed = run_bounded(lambda: w.stop(timeout=timeout), timeout + 30, what)
        assert elapsed <= timeout + SLACK, (
            f"{what}: stop returned after {elapsed:.2f} s (allowed: {timeout} + {SLACK} s)"
        )
        gate.set()
        if stuck is not None:
            settle([stuck], T, f"{what}: the stuck call after the gate opened")
            try:
                assert stuck.result(timeout=0) == "released"
            except (CancelledError, WorkerDiedError):
                pass  # abandoned or terminated by stop: both end the call
        if queued is not None:
            settle([queued], T, f"{what}: the call queued behind the stuck one")
            assert queued.cancelled(), f"{what}: the queued call ran after stop()"
        if runner is not None:
            runner.join(T)
            assert not runner.is_alive(), f"{what}: the sync call never returned"
            assert box["result"].result(timeout=0) == "released"
        with pytest.raises(RuntimeError, match="stopped"):
            w.echo("after stop")
    finally:
        gate.set()
        quiet_stop(w)
        if runner is not None:
            runner.join(T)
        kill_if_ours(pid)


# -- admission and cancellation ----------------------------------------------------------
ITERATIONS = {"thread": 300, "asyncio": 300, "process": 150, "ray": 150}


def _cancel_all(victims: list[Any], outcome: dict[int, bool]) -> None:
    for victim in victims:
        outcome[id(victim)] = victim.cancel()


def _race(barrier: threading.Barrier, fn: Any, *args: Any) -> None:
    barrier.wait()  # both racers leave the barrier together
    fn(*args)


@pytest.mark.parametrize("kind", ["sync-method", "async-method"])
def test_cancelled_queued_call_never_keeps_the_slot(queuing_mode, kind, tmp_path, no_leaks):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    gates: list[Gate] = []
    w = None
    try:
        w = Life.options(mode=queuing_mode, max_queued_tasks=1).init()
        blocker = w.hold if kind == "sync-method" else w.ahold
        for it in range(ITERATIONS[queuing_mode]):
            gate = Gate(queuing_mode, tmp_path, f"gate-{it}")
            gates.append(gate)
            first = blocker(None, gate.token)  # takes the only slot
            queued = [w.echo((it, j)) for j in range(rng.randint(1, 4))]  # wait client-side
            victims = rng.sample(queued, rng.randint(1, len(queued)))
            order = rng.choice(["cancel-then-release", "release-then-cancel", "together"])
            jitter = rng.choice([0.0, 0.0, rng.uniform(0, 0.003)])
            what = (
                f"iteration {it} (seed {seed}, {order}, jitter {jitter * 1000:.1f} ms, "
                f"{len(victims)} of {len(queued)} queued calls cancelled)"
            )
            outcome: dict[int, bool] = {}
            if order == "cancel-then-release":
                _cancel_all(victims, outcome)
                time.sleep(jitter)  # varies the interleaving; nothing waits on it
                gate.set()
            elif order == "release-then-cancel":
                gate.set()
                time.sleep(jitter)  # varies the interleaving; nothing waits on it
                _cancel_all(victims, outcome)
            else:
                barrier = threading.Barrier(2, timeout=T)
                racers = [
                    threading.Thread(target=_race, args=(barrier, fn, *fn_args), daemon=True)
                    for fn, fn_args in ((_cancel_all, (victims, outcome)), (gate.set, ()))
                ]
                for racer in racers:
                    racer.start()
                for racer in racers:
                    racer.join(T)
                assert not any(r.is_alive() for r in racers), f"{what}: racers hung"
            third = w.echo(("third", it))
            try:
                assert third.result(timeout=T) == ("third", it)
            except TimeoutError:
                pytest.fail(
                    f"{what}: the next call stayed pending {T} s; a cancelled call kept "
                    "the only slot"
                )
            settle([first, *queued], T, what)
            assert first.result(timeout=0) == "released", what
            for j, future in enumerate(queued):
                if outcome.get(id(future)):
                    assert future.cancelled(), f"{what}: cancel() said True but #{j} ran"
                elif not future.cancelled():
                    assert future.result(timeout=0) == (it, j), what
                else:
                    pytest.fail(f"{what}: #{j} ended cancelled though nobody cancelled it")
        run_bounded(w.stop, T, f"stop() after the admission loop on {queuing_mode}")
    finally:
        for gate in gates:
            gate.set()
        quiet_stop(w)
