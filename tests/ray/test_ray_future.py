"""RayFuture: a concurry future over an ObjectRef, mixed with the other kinds."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from concurry_futures import (
    ConcurrentFuture,
    SyncFuture,
    async_gather,
    gather,
    wait,
    wrap_future,
)

T = 60


def _remote(ray, fn):
    return ray.remote(fn)


def slow_value(x: int, seconds: float) -> int:
    time.sleep(seconds)  # the task's work, not synchronisation
    return x


def failing() -> None:
    raise KeyError("remote nope")


def test_wrap_future_of_an_object_ref_is_a_ray_future(ray_session) -> None:
    from concurry_ray import RayFuture

    ref = _remote(ray_session, slow_value).remote(7, 0.0)
    future = wrap_future(ref)
    assert isinstance(future, RayFuture)
    assert future.object_ref is ref
    assert future.result(timeout=T) == 7
    assert future.done() and future.exception(timeout=T) is None
    assert not future.cancelled()


def test_an_error_keeps_its_type(ray_session) -> None:
    future = wrap_future(_remote(ray_session, failing).remote())
    with pytest.raises(KeyError, match="remote nope"):
        future.result(timeout=T)
    assert isinstance(future.exception(timeout=T), KeyError)


def test_result_times_out_then_arrives(ray_session) -> None:
    future = wrap_future(_remote(ray_session, slow_value).remote(1, 1.0))
    with pytest.raises(TimeoutError):
        future.result(timeout=0.05)
    assert not future.done()
    assert future.result(timeout=T) == 1


def test_done_callbacks_use_rays_notification(ray_session) -> None:
    future = wrap_future(_remote(ray_session, slow_value).remote(3, 0.3))
    seen: list[object] = []
    fired = threading.Event()

    def callback(f: object) -> None:
        seen.append(f)
        fired.set()

    future.add_done_callback(callback)
    assert fired.wait(T)
    assert seen == [future]
    late = threading.Event()
    future.add_done_callback(lambda f: late.set())  # after completion: at once
    assert late.is_set()


def test_ray_futures_mix_with_other_kinds_in_wait_and_gather(ray_session) -> None:
    task = _remote(ray_session, slow_value)
    with ThreadPoolExecutor(1) as pool:
        mixed = [
            wrap_future(task.remote(1, 0.2)),
            ConcurrentFuture(pool.submit(slow_value, 2, 0.1)),
            SyncFuture(3),
            task.remote(4, 0.0),  # a bare ObjectRef is wrapped on the way in
        ]
        assert gather(mixed, timeout=T) == [1, 2, 3, 4]
        done, not_done = wait(mixed, timeout=T)
        assert len(done) == 4 and not not_done


def test_await_and_async_gather(ray_session) -> None:
    task = _remote(ray_session, slow_value)

    async def main() -> list[int]:
        first = await wrap_future(task.remote(5, 0.1))
        rest = await async_gather([wrap_future(task.remote(i, 0.05)) for i in range(3)])
        return [first, *rest]

    assert asyncio.run(asyncio.wait_for(main(), T)) == [5, 0, 1, 2]


def test_progress_over_ray_futures_and_ray_worker_calls(ray_session) -> None:
    from concurry_workers import Worker

    class Doubler(Worker):
        def double(self, x: int) -> int:
            return 2 * x

    task = _remote(ray_session, slow_value)
    reports: list[tuple[int, int]] = []
    worker = Doubler.options(mode="ray").init()
    try:
        futures = [wrap_future(task.remote(i, 0.01)) for i in range(5)]
        futures += [worker.double(i) for i in range(5)]
        results = gather(
            futures, timeout=T, progress=lambda done, total, elapsed: reports.append((done, total))
        )
    finally:
        worker.stop()
    assert results == [0, 1, 2, 3, 4, 0, 2, 4, 6, 8]
    assert reports and reports[-1] == (10, 10)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
