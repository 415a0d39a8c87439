"""Futures passed between ray-mode workers, lazy results, TaskWorker as plain Ray tasks,
and on-demand actors, against a real local Ray."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from concurry_workers import TaskWorker, Worker, WorkerDiedError

T = 60
BIG = 256 * 1024 * 1024  # far above what Ray returns inline (100 KiB)


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Producer(Worker):
    def make(self, n: int) -> bytes:
        return b"x" * n

    def fail(self) -> None:
        raise KeyError("upstream failed")

    def wait_for(self, path: str, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while not os.path.exists(path):  # polled with a deadline: the test's gate
            if time.monotonic() > deadline:
                raise TimeoutError(path)
            time.sleep(0.01)
        return path

    def pid(self) -> int:
        return os.getpid()


class Consumer(Worker):
    def size(self, data: bytes, extra: int = 0) -> int:
        return len(data) + extra

    def echo(self, value: object) -> object:
        return value


@pytest.fixture(scope="module")
def pair(ray_session):
    producer = Producer.options(mode="ray", max_queued_tasks=None).init()
    consumer = Consumer.options(mode="ray", max_queued_tasks=None).init()
    yield producer, consumer
    producer.stop()
    consumer.stop()


def test_a_big_result_passes_to_another_actor_without_entering_the_driver(pair) -> None:
    producer, consumer = pair
    consumer.size(producer.make(10)).result(timeout=T)  # both actors warm
    before = _rss()
    made = producer.make(BIG)
    assert consumer.size(made, extra=1).result(timeout=T) == BIG + 1
    assert made.done()
    # the driver holds a reference, not the 256 MiB value
    assert _rss() - before < BIG // 4, (_rss() - before) // 2**20
    assert len(made.result(timeout=T)) == BIG  # fetched when asked
    assert made.exception(timeout=T) is None


def test_a_failed_upstream_call_fails_the_downstream_call_with_its_exception(pair) -> None:
    producer, consumer = pair
    with pytest.raises(KeyError, match="upstream failed"):
        consumer.echo(producer.fail()).result(timeout=T)
    with pytest.raises(KeyError, match="upstream failed"):
        consumer.echo(value=producer.fail()).result(timeout=T)
    assert consumer.echo(5).result(timeout=T) == 5  # the consumer is fine


def test_a_downstream_call_is_sent_before_its_argument_is_ready(pair, tmp_path: Path) -> None:
    producer, consumer = pair
    gate = tmp_path / "gate"
    upstream = producer.wait_for(str(gate), T)
    downstream = consumer.echo(upstream)
    call = downstream.future
    # handed to Ray at once (it carries its ObjectRef), not held in the driver
    assert call._ray_ref is not None
    assert not upstream.done()
    gate.touch()
    assert downstream.result(timeout=T) == str(gate)


def test_a_local_future_passed_to_a_ray_worker_never_blocks_the_caller(ray_session, pair) -> None:
    _, consumer = pair
    release = threading.Event()

    class Local(Worker):
        def later(self) -> int:
            release.wait(T)
            return 41

    local = Local.options(mode="thread").init()
    try:
        pending = local.later()
        downstream = consumer.size(b"x", extra=pending)  # returns at once: resolved by callback
        assert not downstream.done()
        release.set()
        assert downstream.result(timeout=T) == 42
    finally:
        release.set()
        local.stop()


def test_an_upstream_actor_killed_mid_call_fails_the_downstream_call_only(
    ray_session, tmp_path: Path
) -> None:
    producer = Producer.options(mode="ray").init()
    consumer = Consumer.options(mode="ray").init()
    try:
        pid = producer.pid().result(timeout=T)
        upstream = producer.wait_for(str(tmp_path / "never"), T)
        downstream = consumer.echo(upstream)
        os.kill(pid, 9)
        with pytest.raises(WorkerDiedError):
            upstream.result(timeout=T)
        with pytest.raises(WorkerDiedError, match="argument"):
            downstream.result(timeout=T)
        assert consumer.echo(1).result(timeout=T) == 1  # the consumer's actor lives
    finally:
        producer.stop()
        consumer.stop()


def test_task_worker_runs_plain_ray_tasks_at_once(ray_session, tmp_path: Path) -> None:
    gate = str(tmp_path / "gate")
    tasks = TaskWorker.options(mode="ray", max_queued_tasks=None).init()
    try:
        # the first task waits for a file only the second creates: they must overlap
        waiting = tasks.submit(Producer.wait_for, None, gate, T)
        tasks.submit(Path.touch, Path(gate)).result(timeout=T)
        assert waiting.result(timeout=T) == gate
        from concurry_ray._backend import _TASKS

        assert tasks._link.transport._actor is _TASKS  # no actor: plain Ray tasks
    finally:
        tasks.stop()


def test_a_task_whose_process_dies_fails_alone(ray_session) -> None:
    tasks = TaskWorker.options(mode="ray").init()
    try:
        with pytest.raises(WorkerDiedError, match="task died"):
            tasks.submit(os._exit, 3).result(timeout=T)
        assert tasks.submit(sum, [1, 2]).result(timeout=T) == 3
    finally:
        tasks.stop()


def test_on_demand_actors_run_each_call_in_a_fresh_actor(ray_session) -> None:
    pool = Producer.options(mode="ray", on_demand=True, max_workers=0).init()
    try:
        pids = [f.result(timeout=T) for f in [pool.pid() for _ in range(3)]]
        assert len(set(pids)) == 3
        assert pool.make(3).result(timeout=T) == b"xxx"
    finally:
        pool.stop()


def _size_of(data: bytes, extra: int = 0) -> int:
    return len(data) + extra


def test_a_task_takes_an_actors_future_as_an_object_reference(ray_session, pair) -> None:
    producer, _ = pair
    tasks = TaskWorker.options(mode="ray").init()
    try:
        made = producer.make(BIG // 4)
        assert tasks.submit(_size_of, made, extra=1).result(timeout=T) == BIG // 4 + 1
        assert tasks.submit(_size_of, data=made).result(timeout=T) == BIG // 4
        assert made.done()  # done() looks at the call: it does not fetch the value
        assert type(made.future._result).__name__ == "StoredValue"  # never fetched here
        with pytest.raises(KeyError, match="upstream failed"):
            tasks.submit(_size_of, data=producer.fail()).result(timeout=T)
    finally:
        tasks.stop()


@pytest.mark.parametrize("kind", ["actor", "task"])
def test_stop_ends_a_call_still_running_at_its_deadline(ray_session, kind: str, tmp_path) -> None:
    gate = str(tmp_path / "never")
    if kind == "actor":
        worker = Producer.options(mode="ray").init()
        running = worker.wait_for(gate, T)
    else:
        worker = TaskWorker.options(mode="ray").init()
        running = worker.submit(Producer.wait_for, None, gate, T)
    done = threading.Event()
    stopper = threading.Thread(target=lambda: (worker.stop(timeout=1), done.set()))
    stopper.start()
    stopper.join(T)
    assert done.is_set(), "stop() did not return"
    with pytest.raises(WorkerDiedError, match=r"stop\(\)"):
        running.result(timeout=T)
