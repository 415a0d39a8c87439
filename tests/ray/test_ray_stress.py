"""Unhappy timing in ray mode: an upstream actor killed while chained calls are half
sent, cancels racing admission of chained calls, stop racing calls that wait for
their arguments. Every future must settle, consistently, within a bound."""

from __future__ import annotations

import os
import random
import signal
import threading
from concurrent.futures import CancelledError

import pytest

from concurry_workers import Worker, WorkerDiedError

T = 60


class Source(Worker):
    def make(self, n: int) -> bytes:
        return b"x" * n

    def pid(self) -> int:
        return os.getpid()

    def hold(self, seconds: float) -> bytes:
        import time

        time.sleep(seconds)  # a call still running when its actor is killed
        return b""


class Sink(Worker):
    def size(self, data: bytes) -> int:
        return len(data)


@pytest.fixture(scope="module")
def sink(ray_session):
    worker = Sink.options(mode="ray", max_queued_tasks=None).init()
    yield worker
    worker.stop()


def _outcome(future) -> object:
    try:
        return future.result(timeout=T)
    except BaseException as exc:  # the outcome under test, whatever it is
        return exc


@pytest.mark.parametrize("point", [0, 3, 9, 20])
def test_killing_the_upstream_actor_while_chained_calls_are_sent(sink, point: int) -> None:
    # a pool: the killed actor is replaced, and the pool lives on
    source = Source.options(
        mode="ray", max_workers=2, max_queued_tasks=None, load_balancing="round_robin"
    ).init()
    try:
        pid = source.pid().result(timeout=T)
        pairs = []
        for i in range(24):
            if i == point:
                os.kill(pid, signal.SIGKILL)
            # every other size is past Ray's inline limit: the value stays in the store
            n = i * (150_000 if i % 2 else 1)
            upstream = source.make(n)
            pairs.append((n, upstream, sink.size(upstream)))
        for n, upstream, downstream in pairs:
            up, down = _outcome(upstream), _outcome(downstream)
            if isinstance(up, bytes):
                assert len(up) == n
                assert down == n, (n, down)
            else:
                assert isinstance(up, WorkerDiedError), repr(up)
                assert isinstance(down, WorkerDiedError), repr(down)
        assert sink.size(b"abc").result(timeout=T) == 3  # the receiving actor is unharmed
        # both workers serve again, the replacement included
        assert [f.result(timeout=T) for f in [source.make(2) for _ in range(4)]] == [b"xx"] * 4
    finally:
        source.stop()


def test_an_upstream_death_read_from_the_object_store_is_a_worker_died_error(sink) -> None:
    # A receiving call's outcome may be left in the object store and fetched on
    # first read (StoredValue); the death of its argument's actor must read there
    # as it does on delivery: a WorkerDiedError, not Ray's own error object.
    from concurry_ray._values import StoredValue

    source = Source.options(mode="ray").init()
    try:
        pid = source.pid().result(timeout=T)
        downstream = sink.size(source.hold(T))  # passed on as an ObjectRef: not done yet
        os.kill(pid, signal.SIGKILL)
        delivered = _outcome(downstream)
        assert isinstance(delivered, WorkerDiedError), repr(delivered)
        with pytest.raises(WorkerDiedError, match="computing an argument died"):
            StoredValue(downstream.future._ray_ref, "size").fetch(T)
    finally:
        source.stop()


def test_cancels_racing_the_admission_of_chained_calls(ray_session, sink) -> None:
    source = Source.options(mode="ray", max_queued_tasks=2).init()
    rng = random.Random(7)
    try:
        for _ in range(3):
            pairs = []
            for i in range(40):
                upstream = source.make(i)
                downstream = sink.size(upstream)
                if rng.random() < 0.4:
                    (downstream if rng.random() < 0.5 else upstream).cancel()
                pairs.append((i, upstream, downstream))
            for i, upstream, downstream in pairs:
                up, down = _outcome(upstream), _outcome(downstream)
                if isinstance(up, bytes):
                    assert len(up) == i
                    assert down == i or isinstance(down, CancelledError), repr(down)
                else:
                    assert isinstance(up, CancelledError), repr(up)
                    assert isinstance(down, CancelledError), repr(down)
    finally:
        source.stop()


def test_stop_while_chained_calls_wait_for_their_arguments(ray_session, tmp_path) -> None:
    gate = str(tmp_path / "never")

    class Gate(Worker):
        def hold(self, path: str, seconds: float) -> str:
            import time

            deadline = time.monotonic() + seconds
            while not os.path.exists(path) and time.monotonic() < deadline:
                time.sleep(0.01)  # the work a stop interrupts, not synchronisation
            return path

    upstream_worker = Gate.options(mode="ray").init()
    receiver = Sink.options(mode="ray", max_queued_tasks=None).init()
    try:
        held = upstream_worker.hold(gate, 30)
        chained = [receiver.size(held) for _ in range(5)]
        receiver.stop(timeout=1)  # its calls wait on an argument that is not coming
        outcomes = [_outcome(f) for f in chained]
        assert all(isinstance(o, (WorkerDiedError, CancelledError)) for o in outcomes), outcomes
    finally:
        upstream_worker.stop(timeout=1)
        receiver.stop()


class Napper(Worker):
    def nap(self, seconds: float) -> float:
        import time

        time.sleep(seconds)  # the call's own duration, which the reads race against
        return seconds


def test_reads_that_time_out_as_the_result_lands_never_lose_it(ray_session) -> None:
    # A lone call's reader fetches the result itself while the readiness callback
    # stands aside; a read timing out around the moment the result lands must hand
    # the call back to the callback, or the future stays pending for ever.
    rng = random.Random(7)
    worker = Napper.options(mode="ray").init()
    try:
        worker.nap(0).result(timeout=T)
        timed_out = 0
        for _ in range(150):
            seconds = rng.uniform(0, 0.004)
            future = worker.nap(seconds)
            try:
                future.result(
                    timeout=seconds + rng.uniform(-0.002, 0.002) if seconds > 0.002 else 0
                )
            except TimeoutError:
                timed_out += 1
                # nobody reads again: only Ray's readiness callback can finish it now
                called = threading.Event()
                future.add_done_callback(lambda _, called=called: called.set())
                assert called.wait(T), "a call whose read timed out never finished"
                assert future.result(timeout=0) == seconds
        assert timed_out  # the race was reached
    finally:
        worker.stop()


@pytest.mark.parametrize("seed", range(4))
def test_the_watch_on_a_serial_actor_moves_on_whoever_takes_the_call(
    ray_session, seed: int
) -> None:
    # Ray reports only the oldest call in flight of a serial actor. Whoever takes
    # that call (the batch reader, a caller reading a lone call itself, a read that
    # times out and hands it back) must pass the watch to the next call in flight,
    # or the calls sent behind it stay pending for ever.
    from concurry_futures import wait

    rng = random.Random(seed)
    worker = Napper.options(mode="ray").init()
    try:
        worker.nap(0).result(timeout=T)
        for _ in range(40):
            lone = worker.nap(rng.uniform(0, 0.002))
            burst = []
            count = rng.randint(0, 5)

            def send(count: int = count, burst: list = burst) -> None:
                for _ in range(count):
                    burst.append(worker.nap(0))

            sender = threading.Thread(target=send)
            sender.start()
            try:
                lone.result(timeout=rng.choice([0, 0.0005, 0.001, T]))
            except TimeoutError:
                pass
            sender.join()
            # nobody reads these: only Ray's reports can finish them
            _, pending = wait([lone, *burst], timeout=T)
            assert not pending, f"{len(pending)} of {1 + count} calls never finished"
            assert [f.result(timeout=0) for f in burst] == [0] * count
    finally:
        worker.stop()
