"""TaskWorker, @task, Executor and pools."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools

import pytest

from concurry_limits import LimitSet, RateLimit
from concurry_workers import Executor, TaskWorker, Worker, task

T = 30


def compute(x, y):
    return x**2 + y**2


async def acompute(x, y):
    await asyncio.sleep(0)
    return x**2 + y**2


def square(x):
    return x * x


def test_submit_and_map(worker_mode, no_leaks):
    with TaskWorker.options(mode=worker_mode).init() as w:
        assert w.submit(compute, 3, 4).result(timeout=T) == 25
        assert w.submit(acompute, 3, 4).result(timeout=T) == 25
        assert w.submit(lambda x: x * 100, 2).result(timeout=T) == 200
        assert list(w.map(square, range(10))) == [x * x for x in range(10)]
        assert list(w.map(compute, [1, 2], [3, 4])) == [10, 20]


def test_bound_function(worker_mode, no_leaks):
    with TaskWorker.options(mode=worker_mode).init(fn=compute) as w:
        assert w.submit(3, 4).result(timeout=T) == 25
        assert w(3, 4).result(timeout=T) == 25
        assert list(w.map([(1, 2), (3, 4), (5, 6)])) == [5, 25, 61]
    with TaskWorker.options(mode=worker_mode).init(fn=square) as w:
        assert list(w.map(range(5))) == [0, 1, 4, 9, 16]


def test_map_is_lazy_with_a_bounded_window(worker_mode, no_leaks):
    consumed = itertools.count()

    def source():
        for i in range(10_000):
            next(consumed)
            yield i

    with TaskWorker.options(mode=worker_mode).init() as w:
        results = w.map(square, source(), window=8)
        first = next(results)
        assert first == 0
        assert next(consumed) <= 12  # only about one window was read
        results.close()


def slow_square(x):
    import time

    time.sleep(1)
    return x * x


@pytest.mark.parametrize("mode", ["thread", "process", "asyncio"])  # sync runs in-line
def test_map_timeout(mode, no_leaks):
    with TaskWorker.options(mode=mode).init() as w:
        t0 = __import__("time").monotonic()
        with pytest.raises(TimeoutError):
            list(w.map(slow_square, range(3), timeout=0.2))
        assert __import__("time").monotonic() - t0 < 5


def test_map_progress_bar(worker_mode, no_leaks):
    import io

    out = io.StringIO()
    with TaskWorker.options(mode=worker_mode).init(fn=square) as w:
        bar = {"desc": "sq", "file": out, "style": "std", "miniters": 1}
        assert list(w.map(range(20), progress=bar)) == [x * x for x in range(20)]
        assert list(w.map(range(3), progress=True)) == [0, 1, 4]
        with pytest.raises(ValueError, match="progress"):
            list(w.map(range(2), progress="loud"))
    assert "20/20" in out.getvalue()


def test_blocking_task_worker(no_leaks):
    with TaskWorker.options(mode="thread", blocking=True).init() as w:
        assert w.submit(lambda x: x * 10, 5) == 50


@pytest.mark.parametrize("mode", ["sync", "thread", "asyncio", "process"])
def test_task_decorator(mode, no_leaks):
    @task(mode=mode, max_workers=2 if mode in ("thread", "process") else 1)
    def process_item(x):
        return x**2

    with process_item:
        assert process_item(10).result(timeout=T) == 100
        assert process_item.submit(3).result(timeout=T) == 9
        assert list(process_item.map(range(5))) == [0, 1, 4, 9, 16]
        assert process_item.__name__ == "process_item"


def test_task_limits_parameter(no_leaks):
    limits = [RateLimit(key="api", capacity=100, window=60)]

    @task(mode="thread", limits=limits, on_demand=False)
    def call_api(prompt, limits):
        with limits.acquire(requested={"api": 1}) as acq:
            acq.update(usage={"api": 1})
            return f"{prompt}:{type(limits).__name__}"

    with call_api:
        assert call_api("hi").result(timeout=T) == "hi:LimitSet"


def test_executor_is_a_concurrent_executor(worker_mode, no_leaks):
    with Executor(worker_mode) as ex:
        assert isinstance(ex, concurrent.futures.Executor)
        fut = ex.submit(compute, 1, 2)
        assert isinstance(fut, concurrent.futures.Future)
        done, _ = concurrent.futures.wait([fut], timeout=T)
        assert fut in done and fut.result() == 5
        assert list(ex.map(square, [1, 2, 3])) == [1, 4, 9]
    with pytest.raises(RuntimeError):
        ex.submit(square, 1)


def test_executor_shutdown_waits_for_queued_work(no_leaks):
    ex = Executor("thread")
    futures = [ex.submit(square, i) for i in range(50)]
    ex.shutdown(wait=True)
    assert [f.result(timeout=0) for f in futures] == [i * i for i in range(50)]


class Who(Worker):
    def __init__(self, tag):
        self.tag = tag

    def ident(self):
        import os
        import threading

        return os.getpid(), threading.get_ident()


@pytest.mark.parametrize("mode", ["thread", "process"])
@pytest.mark.parametrize("balancing", ["round_robin", "least_active", "least_total", "random"])
def test_pool_spreads_calls(mode, balancing, no_leaks):
    with Who.options(mode=mode, max_workers=2, load_balancing=balancing).init("t") as pool:
        idents = {f.result(timeout=T) for f in [pool.ident() for _ in range(40)]}
        if balancing != "random":
            assert len(idents) == 2
        stats = pool.get_pool_stats()
        assert stats["total_workers"] == 2 and sum(stats["total_calls"]) == 40


def test_pool_map_spreads_over_workers(no_leaks):
    import threading

    with TaskWorker.options(mode="thread", max_workers=3).init() as pool:
        idents = set(pool.map(lambda _: threading.get_ident(), range(30)))
        assert len(idents) == 3


CREATED = itertools.count()


class Created(Worker):
    def __init__(self):
        self.serial = next(CREATED)

    def get(self):
        return self.serial


def test_on_demand_pool_makes_a_worker_per_call(no_leaks):
    with Created.options(mode="thread", on_demand=True, max_workers=2).init() as pool:
        serials = [f.result(timeout=T) for f in [pool.get() for _ in range(6)]]
        assert len(set(serials)) == 6
        assert pool.get_pool_stats()["on_demand"] is True


def test_pool_with_shared_limit_list(no_leaks):
    limits = [RateLimit(key="tokens", capacity=1000, window=60)]

    class Reader(Worker):
        def ident(self):
            return id(self.limits)

    with Reader.options(mode="thread", max_workers=3, limits=limits).init() as pool:
        assert len({pool.ident().result(timeout=T) for _ in range(9)}) == 1
    shared = LimitSet(limits)
    with Reader.options(mode="thread", limits=shared).init() as w:
        assert w.ident().result(timeout=T) == id(shared)


def test_process_pool_shares_a_limit_list(no_leaks):
    from concurry_limits import ResourceLimit

    class Holder(Worker):
        def backend(self):
            return type(self.limits.backend).__name__

    limits = [ResourceLimit(key="slots", capacity=2)]
    with Holder.options(mode="process", max_workers=2, limits=limits).init() as pool:
        kinds = {pool.backend().result(timeout=T) for _ in range(4)}
        assert len(kinds) == 1 and "Multi" in kinds.pop()


def test_executor_shutdown_cancel_futures(no_leaks):
    import threading

    gate, started = threading.Event(), threading.Event()

    def hold():
        started.set()
        return gate.wait(T)

    ex = Executor("thread")
    first = ex.submit(hold)
    assert started.wait(T)
    rest = [ex.submit(square, i) for i in range(20)]
    ex.shutdown(wait=False, cancel_futures=True)
    gate.set()
    assert first.result(timeout=T) is True
    assert any(f.cancelled() for f in rest)
    concurrent.futures.wait(rest, timeout=T)


def test_task_on_demand_defaults():
    from concurry_workers import global_config

    @task(mode="thread")
    def f(x):
        return x

    try:
        assert f.get_pool_stats()["on_demand"] is global_config.defaults.task_decorator_on_demand
        assert f(3).result(timeout=T) == 3
    finally:
        f.stop()

    @task(mode="asyncio")
    def g(x):
        return x

    with g:
        assert g(4).result(timeout=T) == 4
        assert not hasattr(g, "get_pool_stats")


def test_process_pool_replaces_a_dead_worker(no_leaks):
    import os
    import signal

    with Who.options(mode="process", max_workers=2).init("t") as pool:
        pids = {pool.ident().result(timeout=T)[0] for _ in range(4)}
        assert len(pids) == 2
        victim = pids.pop()
        os.kill(victim, signal.SIGKILL)
        # every later call succeeds; the dead worker has been replaced
        results = set()
        for _ in range(8):
            try:
                results.add(pool.ident().result(timeout=T)[0])
            except Exception as exc:  # a call that raced with the death
                assert type(exc).__name__ == "WorkerDiedError"
        later = {pool.ident().result(timeout=T)[0] for _ in range(4)}
        assert victim not in later and len(later) == 2


class Clashing(Worker):
    def mode(self):
        return "mode"

    def blocking(self):
        return "blocking"

    def get_pool_stats(self):
        return "get_pool_stats"

    def copy(self):
        return "copy"


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_worker_method_names_win_over_pool_names(mode, no_leaks):
    with Clashing.options(mode=mode, max_workers=2).init() as pool:
        for name in ("mode", "blocking", "get_pool_stats", "copy"):
            assert getattr(pool, name)().result(timeout=T) == name


def test_on_demand_process_pool_stop_ends_a_stuck_call(tmp_path, no_leaks):
    import os
    import time

    from concurry_workers import WorkerDiedError

    started = str(tmp_path / "started")

    class Stuck(Worker):
        def hang(self, path):
            open(path, "w").close()
            time.sleep(60)

    pool = Stuck.options(mode="process", on_demand=True, max_workers=2).init()
    fut = pool.hang(started)
    deadline = time.monotonic() + T
    while not os.path.exists(started):
        assert time.monotonic() < deadline
        time.sleep(0.005)  # the child announces the call started
    t0 = time.monotonic()
    pool.stop(timeout=0.3)
    assert time.monotonic() - t0 < 15
    with pytest.raises(WorkerDiedError):
        fut.result(timeout=T)
