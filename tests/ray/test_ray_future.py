"""RayFuture: a concurry future over an ObjectRef, mixed with the other kinds."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from concurry_futures import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    BaseFuture,
    ConcurrentFuture,
    ProgressBar,
    SyncFuture,
    async_gather,
    async_wait,
    gather,
    wait,
    wrap_future,
)

T = 60
N = 200
#: Values of `Loud` unpickled in this (the driver) process.
UNPICKLED: list[int] = []


def _remote(ray, fn):
    return ray.remote(fn)


def slow_value(x: int, seconds: float) -> int:
    time.sleep(seconds)  # the task's work, not synchronisation
    return x


def failing() -> None:
    raise KeyError("remote nope")


def square(x: int) -> int:
    return x * x


class Loud:
    """A value that records every time it is unpickled (to see where it is fetched)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        UNPICKLED.append(self.value)


def make_loud(value: int) -> Loud:
    return Loud(value)


@pytest.fixture
def ray_waits(ray_session, monkeypatch) -> list[int]:
    """How many refs each ``ray.wait`` call got (Ray itself runs; the calls are counted)."""
    calls: list[int] = []
    real = ray_session.wait

    def counting(refs: list[Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(len(refs))
        return real(refs, *args, **kwargs)

    monkeypatch.setattr(ray_session, "wait", counting)
    return calls


@pytest.fixture
def quick(ray_session) -> Callable[[int], list[BaseFuture]]:
    """``quick(n)``: RayFutures of n tasks that finish at once (values 0..n-1)."""
    task = _remote(ray_session, slow_value)
    return lambda n: [wrap_future(task.remote(i, 0.0)) for i in range(n)]


@pytest.fixture
def stuck(ray_session) -> Iterator[Callable[[int], list[BaseFuture]]]:
    """``stuck(n)``: RayFutures of n tasks that never run (they need a resource no
    node has); cancelled at the end."""
    task = _remote(ray_session, slow_value).options(resources={"concurry_test_never": 1})
    refs: list[Any] = []

    def make(n: int) -> list[BaseFuture]:
        new = [task.remote(i, 0.0) for i in range(n)]
        refs.extend(new)
        return [wrap_future(ref) for ref in new]

    yield make
    for ref in refs:
        ray_session.cancel(ref)


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


# -- wait over many RayFutures: one ray.wait per round ------------------------------------
def test_wait_all_over_many_ray_futures_is_one_ray_wait(quick, ray_waits) -> None:
    futures = quick(N)
    done, not_done = wait(futures, timeout=T, return_when=ALL_COMPLETED)
    assert done == set(futures) and not not_done
    assert ray_waits == [N]  # one call over all refs, not one per future
    assert gather(futures, timeout=T) == list(range(N))
    assert ray_waits == [N]  # already known done: gather only reads the values


def test_wait_first_completed_returns_the_one_that_finished(quick, stuck, ray_waits) -> None:
    (first,) = quick(1)
    never = stuck(N - 1)
    done, not_done = wait([*never, first], timeout=T, return_when=FIRST_COMPLETED)
    assert done == {first}
    assert not_done == set(never)
    assert len(ray_waits) <= 3 and max(ray_waits) == N


def test_wait_first_exception_stops_at_the_failure(ray_session, quick, stuck, ray_waits) -> None:
    ok = quick(20)
    bad = wrap_future(_remote(ray_session, failing).remote())
    never = stuck(N - 21)
    done, not_done = wait([*never, *ok, bad], timeout=T, return_when=FIRST_EXCEPTION)
    assert bad in done
    assert isinstance(bad.exception(timeout=T), KeyError)
    assert set(never) <= not_done and done | not_done == {*never, *ok, bad}
    # One look at all refs (the rest arrive through Ray's readiness notification),
    # then one at those not done to sort them.
    assert len(ray_waits) <= 2 and ray_waits[0] == N


def test_wait_first_exception_without_a_failure_waits_for_all(quick, ray_waits) -> None:
    futures = quick(50)
    done, not_done = wait(futures, timeout=T, return_when=FIRST_EXCEPTION)
    assert done == set(futures) and not not_done
    assert ray_waits == [50]


@pytest.mark.parametrize("return_when", [ALL_COMPLETED, FIRST_EXCEPTION])
def test_wait_times_out_with_the_count(quick, stuck, ray_waits, return_when) -> None:
    finished = quick(N // 2)
    assert gather(finished, timeout=T) == list(range(N // 2))
    never = stuck(N // 2)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=rf"timed out after 0.3 s: {N // 2} of {N} futures"):
        wait([*finished, *never], timeout=0.3, return_when=return_when)
    assert time.monotonic() - started < T
    assert len(ray_waits) <= 4, ray_waits  # gather, wait, the count: never one per future


def test_wait_first_completed_times_out_when_none_finishes(stuck, ray_waits) -> None:
    never = stuck(N)
    with pytest.raises(TimeoutError, match=rf"0 of {N} futures"):
        wait(never, timeout=0.2, return_when=FIRST_COMPLETED)
    assert len(ray_waits) <= 3


def test_the_same_ref_twice_is_waited_once(quick) -> None:
    (future,) = quick(1)
    twin = wrap_future(future.object_ref)  # type: ignore[attr-defined]
    done, not_done = wait([future, twin, future], timeout=T)
    assert done == {future, twin} and not not_done
    assert gather([future, twin, future], timeout=T) == [0, 0, 0]


def test_mixed_kinds_wait_without_one_ray_wait_per_future(quick, ray_waits) -> None:
    futures = quick(50)
    with ThreadPoolExecutor(2) as pool:
        threads = [ConcurrentFuture(pool.submit(slow_value, i, 0.001)) for i in range(50)]
        mixed = [x for pair in zip(futures, threads, strict=True) for x in pair]
        results = gather([*mixed, SyncFuture(-1)], timeout=T)
    assert results == [i for i in range(50) for _ in (0, 1)] + [-1]
    assert len(ray_waits) <= 2  # one look at all RayFutures, then Ray's notification


def test_async_wait_and_gather_over_many_ray_futures(quick, stuck, ray_waits) -> None:
    futures = quick(N // 2)
    never = stuck(N // 2)

    async def tail() -> int:
        return -1

    async def main() -> tuple[Any, ...]:
        done, not_done = await async_wait(
            [*never, *futures], timeout=T, return_when=FIRST_COMPLETED
        )
        values = await async_gather([*futures, tail()], timeout=T)
        with pytest.raises(TimeoutError, match=rf"0 of {N // 2} futures"):
            await async_wait(never, timeout=0.2)
        return done, not_done, values

    done, not_done, values = asyncio.run(asyncio.wait_for(main(), T))
    assert done and done <= set(futures) and set(never) <= not_done
    assert values == [*range(N // 2), -1]
    # One look per call at all of them (plus the final sorting), not one per future.
    assert len(ray_waits) <= 8 and max(ray_waits) == N


def test_a_done_callback_does_not_fetch_the_value(ray_session) -> None:
    UNPICKLED.clear()
    future = wrap_future(_remote(ray_session, make_loud).remote(41))
    fetched_in_callback: list[int] = []
    fired = threading.Event()

    def callback(f: BaseFuture) -> None:
        fetched_in_callback.append(len(UNPICKLED))
        fired.set()

    future.add_done_callback(callback)
    assert fired.wait(T)
    assert fetched_in_callback == [0] and future.done() and UNPICKLED == []
    assert future.result(timeout=T).value == 41
    assert UNPICKLED == [41]


# -- progress ------------------------------------------------------------------------------
def test_progress_bar_over_ray_futures(quick, capsys) -> None:
    assert gather(quick(N), timeout=T, progress=True) == list(range(N))
    assert f"{N}/{N}" in capsys.readouterr().err
    bar = ProgressBar()
    done, _ = wait(quick(N), timeout=T, progress=bar)
    assert len(done) == N and bar.n == N


def test_progress_callback_over_ray_futures(quick) -> None:
    reports: list[tuple[int, int]] = []
    futures = quick(N)
    results = gather(
        futures, timeout=T, progress=lambda done, total, elapsed: reports.append((done, total))
    )
    assert results == list(range(N))
    assert reports[-1] == (N, N)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)


def test_progress_of_a_ray_mode_map(ray_session, capsys) -> None:
    from concurry_workers import TaskWorker

    worker = TaskWorker.options(mode="ray").init()
    try:
        assert list(worker.map(square, range(20), progress=True, timeout=T)) == [
            x * x for x in range(20)
        ]
        assert "20/20" in capsys.readouterr().err
        squares = list(worker.map(square, range(30), chunksize=4, progress={"desc": "sq"}))
        assert squares == [x * x for x in range(30)]
        assert "sq" in (out := capsys.readouterr().err) and "30/30" in out
    finally:
        worker.stop()
