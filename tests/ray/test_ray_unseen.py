"""Calls nobody watches yet (``max_queued_tasks=None``, so no cap waits on them).

Such a call has no Ray notification registered: whoever asks for it reads it
(``result``, ``done``, a done-callback, ``wait`` / ``gather`` with ``ray.wait``),
and otherwise the driver's reading thread looks at it now and then. These tests
check each way of asking, on a serial actor, a pool of actors, an async actor
and Ray tasks, and that what nobody asks for is still delivered.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import signal
import threading
import time
from concurrent.futures import CancelledError
from pathlib import Path

import pytest
from ray_helpers import settled_within

from concurry_futures import ReturnWhen, gather, wait
from concurry_workers import TaskWorker, Worker, WorkerDiedError

T = 60
BIG = 2_000_000  # past Ray's inline limit: the value stays in the object store


class Echo(Worker):
    def echo(self, x: int) -> int:
        return x

    def boom(self, message: str) -> None:
        raise KeyError(message)

    def make(self, n: int) -> bytes:
        return b"x" * n

    def wait_for(self, path: str, value: int) -> int:
        deadline = time.monotonic() + T
        while not os.path.exists(path):  # polled with a deadline: the test's gate
            if time.monotonic() > deadline:
                raise TimeoutError(path)
            time.sleep(0.005)
        return value

    def pid(self) -> int:
        return os.getpid()


class AsyncEcho(Worker):
    async def echo(self, x: int) -> int:
        await asyncio.sleep(0)
        return x

    async def boom(self, message: str) -> None:
        raise KeyError(message)

    async def make(self, n: int) -> bytes:
        return b"x" * n

    async def wait_for(self, path: str, value: int) -> int:
        deadline = time.monotonic() + T
        while not os.path.exists(path):  # polled with a deadline: the test's gate
            if time.monotonic() > deadline:
                raise TimeoutError(path)
            await asyncio.sleep(0.005)
        return value


def _boom(message: str) -> None:
    raise KeyError(message)


def _wait_for(path: str, value: int) -> int:
    return Echo.wait_for(None, path, value)  # type: ignore[arg-type]


class Calls:
    """One kind of ray-mode worker, called the same way whatever it is."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        if kind == "tasks":
            self.worker = TaskWorker.options(mode="ray", max_queued_tasks=None).init()
        elif kind == "async":
            self.worker = AsyncEcho.options(mode="ray", max_queued_tasks=None).init()
        elif kind == "pool":
            self.worker = Echo.options(
                mode="ray", max_workers=3, max_queued_tasks=None, load_balancing="round_robin"
            ).init()
        else:
            self.worker = Echo.options(mode="ray", max_queued_tasks=None).init()

    def echo(self, x: int):
        if self.kind == "tasks":
            return self.worker.submit(_identity, x)
        return self.worker.echo(x)

    def boom(self, message: str):
        if self.kind == "tasks":
            return self.worker.submit(_boom, message)
        return self.worker.boom(message)

    def make(self, n: int):
        if self.kind == "tasks":
            return self.worker.submit(_make, n)
        return self.worker.make(n)

    def wait_for(self, path: Path, value: int):
        if self.kind == "tasks":
            return self.worker.submit(_wait_for, str(path), value)
        return self.worker.wait_for(str(path), value)


def _identity(x: int) -> int:
    return x


def _make(n: int) -> bytes:
    return b"x" * n


KINDS = ["actor", "pool", "async", "tasks"]


@pytest.fixture(scope="module")
def _shared(ray_session):
    """One worker of each kind for the module's tests (each settles its calls):
    starting Ray actors is most of these tests' time."""
    made: dict[str, Calls] = {}
    yield made
    for each in made.values():
        each.worker.stop()


@pytest.fixture(params=KINDS, ids=KINDS)
def calls(request, _shared):
    if request.param not in _shared:
        _shared[request.param] = Calls(request.param)
    return _shared[request.param]


@pytest.fixture(params=KINDS, ids=KINDS)
def own_calls(request, ray_session):
    """A worker of each kind for one test alone (one that stops it)."""
    made = Calls(request.param)
    yield made
    made.worker.stop()


def _by_callbacks(futures: list) -> list:
    """The values of ``futures``, as their done-callbacks see them (all within T)."""
    got: list = []
    lock = threading.Lock()
    all_in = threading.Event()

    def note(future) -> None:
        with lock:
            got.append(future.result())
            if len(got) == len(futures):
                all_in.set()

    for future in futures:
        future.add_done_callback(note)
    assert all_in.wait(T)
    return got


def test_gather_and_wait_read_calls_nobody_watched(calls) -> None:
    futures = [calls.echo(i) for i in range(300)]
    assert gather(futures, timeout=T) == list(range(300))
    more = [calls.echo(i) for i in range(100)]
    done, not_done = wait(more, timeout=T, return_when=ReturnWhen.ALL_COMPLETED)
    assert len(done) == 100 and not not_done
    assert [f.result(timeout=0) for f in more] == list(range(100))
    first = [calls.echo(i) for i in range(50)]
    done, _ = wait(first, timeout=T, return_when=ReturnWhen.FIRST_COMPLETED)
    assert done
    assert gather(first, timeout=T) == list(range(50))


def test_results_read_one_by_one(calls) -> None:
    futures = [calls.echo(i) for i in range(200)]
    assert [f.result(timeout=T) for f in futures] == list(range(200))
    futures = [calls.echo(i) for i in range(50)]
    assert [f.exception(timeout=T) for f in futures] == [None] * 50


def test_a_failure_ends_gather_before_the_calls_still_running(calls, tmp_path) -> None:
    gate = tmp_path / "gate"
    failing = calls.boom("early")
    held = [calls.wait_for(gate, i) for i in range(3)]
    try:
        with pytest.raises(KeyError, match="early"):
            gather([failing, *held], timeout=T)
        assert not any(f.done() for f in held)  # gather did not wait for them
    finally:
        gate.touch()
    assert gather(held, timeout=T) == [0, 1, 2]


def test_a_timed_out_gather_leaves_the_calls_to_the_next_reader(calls, tmp_path) -> None:
    gate = tmp_path / "gate"
    held = [calls.wait_for(gate, i) for i in range(4)]
    quick = [calls.echo(i) for i in range(20)]
    with pytest.raises(TimeoutError, match="of 24 futures completed"):
        gather([*held, *quick], timeout=0.3)
    gate.touch()
    assert sorted(_by_callbacks(held)) == [0, 1, 2, 3]
    assert gather(quick, timeout=T) == list(range(20))


def test_a_gather_over_watched_and_unseen_calls_reads_the_unseen_itself(calls, monkeypatch) -> None:
    """Some calls watched (a done-callback), the others nobody watches: one gather
    reads the unseen ones with ``ray.wait`` and registers no notification for them."""
    from concurry_ray import _completions
    from concurry_ray._backend import RayBackend

    monkeypatch.setattr(_completions, "ARM_AFTER_SECONDS", 10 * T)  # no arming by age
    armed: list = []
    real_watch = RayBackend._watch

    def watch(self, call) -> None:
        armed.append(call)
        real_watch(self, call)

    monkeypatch.setattr(RayBackend, "_watch", watch)
    watched = [calls.echo(i) for i in range(20)]
    seen: list = []
    for future in watched:
        future.add_done_callback(seen.append)
    unseen = [calls.echo(i) for i in range(20, 60)]
    assert gather([*watched, *unseen], timeout=T) == list(range(60))
    assert settled_within(lambda: len(seen) == 20, T)
    assert not {id(f.future) for f in unseen} & {id(c) for c in armed}


def test_a_failure_among_watched_calls_ends_a_gather_over_unseen_ones(calls, tmp_path) -> None:
    gate = tmp_path / "gate"
    failing = calls.boom("watched")
    failing.add_done_callback(lambda _: None)
    held = [calls.wait_for(gate, i) for i in range(3)]
    try:
        with pytest.raises(KeyError, match="watched"):
            gather([failing, *held], timeout=T)
        assert not any(f.done() for f in held)
    finally:
        gate.touch()
    assert gather(held, timeout=T) == [0, 1, 2]


def test_done_callbacks_and_done_polling(calls) -> None:
    futures = [calls.echo(i) for i in range(100)]
    assert sorted(_by_callbacks(futures)) == list(range(100))
    polled = calls.echo(7)
    assert settled_within(polled.done, T)
    assert polled.result(timeout=0) == 7


def test_calls_nobody_asks_for_are_still_delivered(calls) -> None:
    futures = [calls.echo(i) for i in range(100)] + [calls.make(BIG) for _ in range(2)]
    link = calls.worker._link
    # delivered by the reading thread's looks: the link frees every slot
    assert settled_within(lambda: link.inflight == 0, T), link.inflight
    assert all(f.future._state == "FINISHED" for f in futures)
    for future in futures[-2:]:  # the big values stayed in Ray until asked for
        assert type(future.future._result).__name__ == "StoredValue"
        assert len(future.result(timeout=T)) == BIG


def test_gather_of_big_values_reads_them_from_the_store(calls) -> None:
    futures = [calls.make(BIG) for _ in range(3)] + [calls.echo(1)]
    values = gather(futures, timeout=T)
    assert [len(v) for v in values[:3]] == [BIG] * 3 and values[3] == 1


def test_stop_settles_calls_nobody_watched(own_calls, tmp_path) -> None:
    calls = own_calls
    gate = tmp_path / "gate"
    quick = [calls.echo(i) for i in range(10)]
    # read before the gated calls are sent: Ray may start tasks of another function
    # first, and two gated tasks would hold both CPUs until their own deadline
    assert gather(quick, timeout=T) == list(range(10))
    held = [calls.wait_for(gate, i) for i in range(3)]
    started = time.monotonic()
    calls.worker.stop(timeout=0.5)
    assert time.monotonic() - started < T
    for future in held:  # ended by stop(): died at the deadline, or never started
        assert future.done()
        with pytest.raises((WorkerDiedError, CancelledError)):
            future.result(timeout=0)


@pytest.mark.parametrize("waiting", ["gather", "result"])
def test_a_killed_actor_fails_the_calls_a_reader_waits_for(ray_session, waiting) -> None:
    worker = Echo.options(mode="ray", max_queued_tasks=None).init()
    try:
        pid = worker.pid().result(timeout=T)
        futures = [worker.wait_for("/nonexistent/gate", i) for i in range(5)]
        failed: list[BaseException] = []

        def read() -> None:
            try:
                if waiting == "gather":
                    gather(futures, timeout=T)
                else:
                    futures[-1].result(timeout=T)
            except BaseException as exc:
                failed.append(exc)

        reader = threading.Thread(target=read)
        reader.start()
        os.kill(pid, signal.SIGKILL)
        reader.join(T)
        assert not reader.is_alive()
        assert len(failed) == 1 and isinstance(failed[0], WorkerDiedError), failed
        assert "Ray actor died" in str(failed[0])
    finally:
        worker.stop()


def test_a_forgotten_worker_with_calls_nobody_watched_ends_its_actor(ray_session) -> None:
    worker = Echo.options(mode="ray", max_queued_tasks=None).init()
    pid = worker.pid().result(timeout=T)
    futures = [worker.echo(i) for i in range(50)]
    del worker
    gc.collect()

    def actor_gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    assert settled_within(actor_gone, T)
    assert [f.result(timeout=0) for f in futures] == list(range(50))


@pytest.mark.parametrize("seed", range(3))
def test_readers_of_every_kind_racing_over_the_same_calls(ray_session, seed: int) -> None:
    """Gathers that time out, results, done-callbacks and done() polls, from several
    threads at once over the same calls: each call settles once, with its value."""
    rng = random.Random(seed)
    pool = Echo.options(
        mode="ray", max_workers=3, max_queued_tasks=None, load_balancing="round_robin"
    ).init()
    try:
        futures = [pool.echo(i) for i in range(600)]
        callbacks = [0] * len(futures)
        lock = threading.Lock()
        errors: list[BaseException] = []

        def count(i: int):
            def note(_future) -> None:
                with lock:
                    callbacks[i] += 1

            return note

        def gatherer() -> None:
            try:
                for _ in range(20):
                    picked = rng.sample(futures, 50)
                    try:
                        gather(picked, timeout=rng.choice([0, 0.001, 0.01]))
                    except TimeoutError:
                        pass
            except BaseException as exc:
                errors.append(exc)

        def reader() -> None:
            try:
                for i in rng.sample(range(len(futures)), 100):
                    assert futures[i].result(timeout=T) == i
            except BaseException as exc:
                errors.append(exc)

        def watcher() -> None:
            try:
                for i in range(len(futures)):
                    futures[i].add_done_callback(count(i))
                    futures[rng.randrange(len(futures))].done()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=f) for f in (gatherer, gatherer, reader, watcher)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(T)
        assert not any(t.is_alive() for t in threads)
        assert not errors, errors
        assert gather(futures, timeout=T) == list(range(600))
        assert settled_within(lambda: all(c == 1 for c in callbacks), T), callbacks
    finally:
        pool.stop()


@pytest.mark.parametrize("point", [0, 1, 5, 50, 150])
def test_stop_racing_a_gather_over_calls_nobody_watched(ray_session, point: int) -> None:
    """stop() at many moments of a burst that another thread gathers: the gather ends,
    and every future is settled once stop() returns."""
    pool = Echo.options(
        mode="ray", max_workers=2, max_queued_tasks=None, load_balancing="round_robin"
    ).init()
    futures = [pool.echo(i) for i in range(200)]
    outcome: list[object] = []
    started = threading.Event()

    def gatherer() -> None:
        started.set()
        try:
            outcome.append(gather(futures, timeout=T))
        except BaseException as exc:  # the outcome under test, whatever it is
            outcome.append(exc)

    thread = threading.Thread(target=gatherer)
    thread.start()
    started.wait(T)
    if point:
        futures[point - 1].result(timeout=T)  # stop once this much of the burst is read
    pool.stop(timeout=5)
    assert all(f.done() for f in futures)
    thread.join(T)
    assert not thread.is_alive()
    (result,) = outcome
    if isinstance(result, list):
        assert result == list(range(200))
    else:
        assert isinstance(result, (WorkerDiedError, CancelledError)), result
    for i, future in enumerate(futures):
        if not future.cancelled() and future.exception(timeout=0) is None:
            assert future.result(timeout=0) == i
