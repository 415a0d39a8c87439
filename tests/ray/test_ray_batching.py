"""Short calls to a busy serial actor travel together as one Ray task (``_batching``).

A batch returns its calls' values together, so these tests check what that
must not change: order and values, a long call sent in a batch not holding
back the short ones before it (whoever waits, and however), ``stop()``
passing over the batched calls that had not started, and failures staying
with their own call.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
import time
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import pytest
from ray_helpers import settled_within

from concurry_futures import gather, wait
from concurry_ray._batching import MAX_BATCH, PROBE, BatchSizer, plain
from concurry_workers import SerializationError, Worker, WorkerDiedError

T = 60


class Recorder(Worker):
    def __init__(self) -> None:
        self.seen: list[int] = []

    def echo(self, x: int) -> int:
        self.seen.append(x)
        return x

    def order(self) -> list[int]:
        return list(self.seen)

    def clear(self) -> None:
        self.seen.clear()

    def block(self, started: str, gate: str, value: int) -> int:
        """Mark that it runs, then wait for the test's gate (with a deadline)."""
        Path(started).touch()
        deadline = time.monotonic() + T
        while not os.path.exists(gate):
            if time.monotonic() > deadline:
                raise TimeoutError(gate)
            time.sleep(0.005)
        self.seen.append(value)
        return value

    def lock(self) -> Any:
        return threading.Lock()

    def fail(self, x: int) -> None:
        raise ValueError(f"failed {x}")


def _inner(future: Any) -> Any:
    """The ray call future behind what a worker method returned."""
    return getattr(future, "future", future)


def _batch(future: Any) -> Any:
    return _inner(future)._ray_batch


def _transport(worker: Any) -> Any:
    return worker._link.transport


def _ask(futures: list[Any]) -> None:
    """Wait for ``futures`` for no time: a reader arriving sends the held calls."""
    with pytest.raises(TimeoutError):
        wait(futures, timeout=0)


@pytest.fixture(scope="module")
def _shared(ray_session):
    worker = Recorder.options(mode="ray", max_queued_tasks=None).init()
    yield worker
    worker.stop()


@pytest.fixture
def recorder(_shared):
    """One worker for the tests that leave it usable (an actor takes seconds to start
    here); each starts with no measure, so the held calls go in batches of ``PROBE``."""
    transport = _transport(_shared)
    assert settled_within(lambda: not transport._running, T)  # the previous test's calls are over
    transport._sizer = BatchSizer()
    _shared.clear().result(timeout=T)
    return _shared


def _busy_then_held(worker: Any, tmp_path: Path, name: str) -> tuple[Any, Any, Path]:
    """Keep ``worker`` busy with two calls (the next ones are then held back): a call
    blocked on a gate, then one quick call. Returns both calls and the gate."""
    gate = tmp_path / f"{name}-gate"
    first = worker.block(str(tmp_path / f"{name}-started"), str(gate), -1)
    second = worker.echo(-2)
    return first, second, gate


def test_batched_calls_keep_their_order_and_values(recorder) -> None:
    for _ in range(3):  # later bursts use the measured (larger) batch size
        futures = [recorder.echo(i) for i in range(300)]
        assert gather(futures, timeout=T) == list(range(300))
    assert recorder.order().result(timeout=T) == list(range(300)) * 3
    batches = {id(_batch(f)) for f in futures if _batch(f) is not None}
    assert batches, "no call of the burst was sent in a batch"
    assert len(batches) < 300 // PROBE  # the batches grew past the probe size


@pytest.mark.parametrize("reader", ["gather", "result", "stdlib_wait", "callback"])
def test_a_long_call_does_not_hold_back_the_short_calls_sent_with_it(
    recorder, tmp_path: Path, reader: str
) -> None:
    first, _, gate = _busy_then_held(recorder, tmp_path, "first")
    quick = [recorder.echo(i) for i in range(5)]
    long_gate = tmp_path / "long-gate"
    long = recorder.block(str(tmp_path / "long-started"), str(long_gate), 99)
    _ask([*quick, long])
    assert _batch(long) is not None and _batch(long) is _batch(quick[-1])
    gate.touch()
    assert first.result(timeout=T) == -1
    if reader == "gather":
        assert gather(quick, timeout=T) == list(range(5))
    elif reader == "result":
        assert [f.result(timeout=T) for f in quick] == list(range(5))
    elif reader == "stdlib_wait":
        inner = [_inner(f) for f in quick]
        done, _ = concurrent.futures.wait(inner, timeout=T)
        assert len(done) == 5 and [f.result() for f in inner] == list(range(5))
    else:
        called = threading.Event()
        _inner(quick[-1]).add_done_callback(lambda _: called.set())
        assert called.wait(T)
    assert not long.done()  # it still waits for its gate
    long_gate.touch()
    assert long.result(timeout=T) == 99
    assert recorder.order().result(timeout=T) == [-1, -2, *range(5), 99]


def test_stop_passes_over_the_batched_calls_that_have_not_started(
    ray_session, tmp_path: Path
) -> None:
    worker = Recorder.options(mode="ray", max_queued_tasks=None).init()
    transport = _transport(worker)
    gather([worker.echo(i) for i in range(200)], timeout=T)  # measured: batches may grow
    assert transport._sizer.cap() >= 4
    first, second, gate = _busy_then_held(worker, tmp_path, "first")
    started = tmp_path / "started"
    stop_gate = tmp_path / "stop-gate"
    running = worker.block(str(started), str(stop_gate), 7)
    after = [worker.echo(i) for i in range(3)]
    _ask([running, *after])  # sent as one batch
    assert all(_batch(f) is _batch(running) for f in after)
    actor = transport._actor
    gate.touch()
    assert first.result(timeout=T) == -1 and second.result(timeout=T) == -2
    assert settled_within(started.exists, T)  # the batch runs its first call
    stopper = threading.Thread(target=worker.stop, kwargs={"timeout": T})
    stopper.start()
    # stop() asks the actor to halt the batch; a later call of the same control group
    # runs after it (one thread, in order): then the gate opens
    assert settled_within(lambda: transport._stopping, T)
    with transport._lock:
        pass
    ray_session.get(actor.w__partial.remote(0), timeout=T)
    stop_gate.touch()
    stopper.join(T)
    assert not stopper.is_alive()
    assert running.result(timeout=0) == 7  # the running call finished
    for future in after:  # the ones behind it in its batch never started
        with pytest.raises(CancelledError):
            future.result(timeout=0)


def test_a_failure_in_a_batch_stays_with_its_call(recorder, tmp_path: Path) -> None:
    _, _, gate = _busy_then_held(recorder, tmp_path, "first")
    futures = [recorder.echo(1), recorder.lock(), recorder.fail(3), recorder.echo(4)]
    _ask(futures)
    assert all(_batch(f) is not None for f in futures)
    gate.touch()
    assert futures[0].result(timeout=T) == 1
    with pytest.raises(SerializationError, match="result of lock could not be pickled"):
        futures[1].result(timeout=T)
    with pytest.raises(ValueError, match="failed 3"):
        futures[2].result(timeout=T)
    assert futures[3].result(timeout=T) == 4


def test_a_killed_actor_fails_its_batched_calls_promptly(ray_session, tmp_path: Path) -> None:
    worker = Recorder.options(mode="ray", max_queued_tasks=None).init()
    try:
        transport = _transport(worker)
        first, second, _ = _busy_then_held(worker, tmp_path, "first")
        batched = [worker.echo(i) for i in range(4)]
        _ask(batched)
        assert _batch(batched[0]) is not None
        assert settled_within((tmp_path / "first-started").exists, T)
        ray_session.kill(transport._actor, no_restart=True)
        for future in [first, second, *batched]:
            with pytest.raises(WorkerDiedError, match="Ray actor died"):
                future.result(timeout=T)
    finally:
        worker.stop()


def test_plain_values_are_the_ones_that_surely_travel() -> None:
    assert plain(1) and plain("a") and plain(None) and plain(b"x") and plain(2.5)
    assert plain((1, [2, "3"], {"k": 4}))
    assert not plain((1, [2, [3]]))  # nested deeper than two levels
    assert not plain(threading.Lock()) and not plain({1: 2}) and not plain([object()])
    assert not plain(list(range(65)))


def test_the_batch_size_follows_the_measured_time_per_call() -> None:
    sizer = BatchSizer()
    assert sizer.cap() == PROBE  # not measured yet
    sizer.measured(0.0001, 10)  # 10 us a call
    assert sizer.cap() == MAX_BATCH
    sizer.measured(0.2, 2)  # calls became slow: the average moves to about 50 ms
    assert sizer.cap() == 1
    caps = [sizer.cap() for _ in range(300)]
    assert PROBE in caps  # it measures again now and then
