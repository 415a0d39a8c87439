"""Workers and pools in ray mode, against a real local Ray."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from concurry_workers import RemoteTraceback, TaskWorker, Worker, WorkerDiedError, task

T = 60


class Adder(Worker):
    def __init__(self, base: int) -> None:
        self.base = base
        self.calls = 0

    def add(self, x: int) -> int:
        self.calls += 1
        return self.base + x

    def count(self) -> int:
        return self.calls

    def boom(self) -> None:
        raise KeyError("nope")

    def pid(self) -> int:
        return os.getpid()

    def hold(self, seconds: float) -> float:
        time.sleep(seconds)  # the work a kill interrupts, not synchronisation
        return seconds


class Napper(Worker):
    async def nap(self, seconds: float) -> float:
        await asyncio.sleep(seconds)
        return seconds


def test_calls_run_in_order_on_one_actor(ray_session) -> None:
    worker = Adder.options(mode="ray").init(10)
    try:
        futures = [worker.add(i) for i in range(50)]
        assert [f.result(timeout=T) for f in futures] == [10 + i for i in range(50)]
        assert worker.count().result(timeout=T) == 50
        assert worker.pid().result(timeout=T) != os.getpid()
    finally:
        worker.stop()


def test_an_exception_keeps_its_type_and_the_remote_traceback(ray_session) -> None:
    worker = Adder.options(mode="ray").init(0)
    try:
        with pytest.raises(KeyError, match="nope") as caught:
            worker.boom().result(timeout=T)
        assert isinstance(caught.value.__cause__, RemoteTraceback)
        assert "boom" in str(caught.value.__cause__)
        assert worker.add(1).result(timeout=T) == 1  # the actor lives on
    finally:
        worker.stop()


def test_async_methods_run_concurrently_on_the_actor(ray_session) -> None:
    worker = Napper.options(mode="ray", max_queued_tasks=None).init()
    try:
        worker.nap(0.01).result(timeout=T)
        started = time.monotonic()
        assert sum(f.result(timeout=T) for f in [worker.nap(0.5) for _ in range(8)]) == 4.0
        assert time.monotonic() - started < 3.0  # 8 x 0.5 s one after another would be 4 s
    finally:
        worker.stop()


def test_a_killed_actor_fails_its_calls_with_worker_died(ray_session) -> None:
    worker = Adder.options(mode="ray").init(0)
    try:
        pid = worker.pid().result(timeout=T)
        running = worker.hold(30)
        queued = worker.add(1)
        os.kill(pid, signal.SIGKILL)
        for future in (running, queued):
            with pytest.raises(WorkerDiedError, match="Ray actor died"):
                future.result(timeout=T)
        with pytest.raises(WorkerDiedError):
            worker.add(2).result(timeout=T)  # later calls fail at once
    finally:
        worker.stop(timeout=5)


@pytest.mark.parametrize("algorithm", ["round_robin", "least_active", "least_total", "random"])
def test_a_pool_of_actors_spreads_calls(ray_session, algorithm: str) -> None:
    pool = Adder.options(mode="ray", max_workers=3, load_balancing=algorithm).init(1)
    try:
        pids = {f.result(timeout=T) for f in [pool.pid() for _ in range(30)]}
        assert len(pids) >= 2 if algorithm == "random" else len(pids) == 3
        assert [f.result(timeout=T) for f in [pool.add(i) for i in range(20)]] == [
            1 + i for i in range(20)
        ]
    finally:
        pool.stop()


def test_a_pool_replaces_a_killed_actor(ray_session) -> None:
    pool = Adder.options(mode="ray", max_workers=2).init(0)
    try:
        pids = sorted({f.result(timeout=T) for f in [pool.pid() for _ in range(6)]})
        assert len(pids) == 2
        os.kill(pids[0], signal.SIGKILL)
        deadline = time.monotonic() + T
        while True:  # calls given to the dead actor fail until its death is seen
            seen = set()
            for f in [pool.pid() for _ in range(6)]:
                try:
                    seen.add(f.result(timeout=T))
                except WorkerDiedError:
                    pass
            if len(seen) == 2 and pids[0] not in seen:
                break
            assert time.monotonic() < deadline, seen
    finally:
        pool.stop()


def square(x: int) -> int:
    return x * x


def test_task_worker_and_task_in_ray_mode(ray_session) -> None:
    tasks = TaskWorker.options(mode="ray", max_workers=2).init()
    try:
        assert tasks.submit(square, 7).result(timeout=T) == 49
        assert list(tasks.map(square, range(20), chunksize=3)) == [x * x for x in range(20)]
    finally:
        tasks.stop()

    @task(mode="ray", max_workers=2)  # on demand: an actor per call, two at once
    def cube(x: int) -> int:
        return x**3

    try:
        assert list(cube.map(range(4))) == [0, 1, 8, 27]
    finally:
        cube.stop()


class JobProbe(Worker):
    def job(self) -> str:
        import ray

        return str(ray.get_runtime_context().get_job_id())


def test_the_users_own_ray_session_is_used(ray_session) -> None:
    """The session the user (here: the test session) started is used as it is."""
    driver_job = str(ray_session.get_runtime_context().get_job_id())
    session = ray_session.get_runtime_context().gcs_address
    worker = JobProbe.options(mode="ray").init()
    try:
        assert worker.job().result(timeout=T) == driver_job
    finally:
        worker.stop()
    assert ray_session.get_runtime_context().gcs_address == session
    assert ray_session.cluster_resources().get("CPU") == 2  # the user's num_cpus=2
