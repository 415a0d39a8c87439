"""The API reference's own examples, each producing the result the reference states."""

from __future__ import annotations

import asyncio
import time

import pytest

from concurry_futures import BaseFuture
from concurry_workers import TaskWorker, Worker

T = 30


class DataProcessor(Worker):
    def __init__(self, multiplier: int):
        self.multiplier = multiplier
        self.count = 0

    def process(self, value: int) -> int:
        self.count += 1
        return value * self.multiplier


class AsyncWorker(Worker):
    def __init__(self):
        self.count = 0

    async def async_method(self, x: int) -> int:
        await asyncio.sleep(0.01)
        self.count += 1
        return x * 2

    def sync_method(self, x: int) -> int:
        return x + 10


class Counter(Worker):
    def __init__(self):
        self.count = 0

    def increment(self):
        self.count += 1
        return self.count


def compute(x, y):
    return x**2 + y**2


async def acompute(x, y):
    await asyncio.sleep(0.01)
    return x**2 + y**2


def factorial(n):
    return 1 if n <= 1 else n * factorial(n - 1)


def test_basic_usage(no_leaks):
    worker = DataProcessor.options(mode="thread").init(3)
    future = worker.process(10)
    assert future.result(timeout=T) == 30
    worker.stop()


def test_context_manager_and_pool(no_leaks):
    with DataProcessor.options(mode="thread").init(3) as worker:
        assert worker.process(10).result(timeout=T) == 30
    with DataProcessor.options(mode="thread", max_workers=5).init(3) as pool:
        assert [pool.process(i).result(timeout=T) for i in range(10)] == [3 * i for i in range(10)]


@pytest.mark.parametrize("mode", ["sync", "thread", "process", "asyncio"])
def test_different_execution_modes(mode, no_leaks):
    with DataProcessor.options(mode=mode).init(2) as worker:
        assert worker.process(4).result(timeout=T) == 8


def test_async_function_support(no_leaks):
    worker = AsyncWorker.options(mode="asyncio").init()
    assert worker.async_method(5).result(timeout=T) == 10
    assert worker.sync_method(5).result(timeout=T) == 15
    worker.stop()
    task_worker = TaskWorker.options(mode="asyncio").init()
    assert task_worker.submit(acompute, 3, 4).result(timeout=T) == 25
    task_worker.stop()


def test_blocking_mode(no_leaks):
    worker = DataProcessor.options(mode="thread", blocking=True).init(5)
    assert worker.process(10) == 50
    worker.stop()


def test_task_worker_examples(no_leaks):
    task_worker = TaskWorker.options(mode="process").init()
    assert task_worker.submit(compute, 3, 4).result(timeout=T) == 25
    assert list(task_worker.map(lambda x: x * 100, [1, 2, 3, 4, 5])) == [100, 200, 300, 400, 500]
    assert list(task_worker.map(factorial, range(1, 11))) == [
        1, 2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800,
    ]  # fmt: skip
    assert task_worker.submit(lambda x: x**3, 5).result(timeout=T) == 125
    task_worker.stop()


def test_task_worker_timeout(no_leaks):
    def slow_task(x):
        time.sleep(1)
        return x * 2

    worker = TaskWorker.options(mode="thread").init()
    with pytest.raises(TimeoutError):
        list(worker.map(slow_task, range(5), timeout=0.5))
    worker.stop()


def test_state_management(no_leaks):
    with (
        Counter.options(mode="thread").init() as worker1,
        Counter.options(mode="thread").init() as worker2,
    ):
        assert worker1.increment().result(timeout=T) == 1
        assert worker1.increment().result(timeout=T) == 2
        assert worker2.increment().result(timeout=T) == 1


def test_future_unwrapping_between_workers(no_leaks):
    producer = DataProcessor.options(mode="thread").init(10)
    consumer = DataProcessor.options(mode="thread").init(2)
    future = producer.process(10)
    assert isinstance(future, BaseFuture)
    assert consumer.process(future).result(timeout=T) == 200
    producer.stop()
    consumer.stop()


def test_submission_queue_example(no_leaks):
    from concurry_futures import gather

    worker = DataProcessor.options(mode="thread", max_queued_tasks=10).init(1)
    futures = [worker.process(item) for item in range(1000)]
    assert gather(futures) == list(range(1000))
    worker.stop()
