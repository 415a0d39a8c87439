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


def square(x):
    return x**2


def test_bound_function_example(no_leaks):
    worker = TaskWorker.options(mode="thread").init(fn=compute)
    assert worker.submit(3, 4).result(timeout=T) == 25
    assert list(worker.map([(1, 2), (3, 4), (5, 6)])) == [5, 25, 61]
    assert worker(3, 4).result(timeout=T) == 25
    worker.stop()


def test_progress_bar_example(no_leaks):
    worker = TaskWorker.options(mode="process").init(fn=square)
    assert list(worker.map(range(100), progress=True)) == [x**2 for x in range(100)]
    assert list(worker.map(range(100), progress={"desc": "Processing", "ncols": 80})) == [
        x**2 for x in range(100)
    ]
    worker.stop()


def test_task_decorator_examples(no_leaks):
    from concurry_workers import task

    @task(mode="thread", max_workers=4)
    def process_item(x):
        return x**2

    assert process_item(10).result(timeout=T) == 100
    assert process_item.submit(10).result(timeout=T) == 100
    assert list(process_item.map(range(10))) == [x**2 for x in range(10)]
    process_item.stop()

    @task(mode="process", max_workers=4)
    def compute_sq(x):
        return x**2

    # the reference maps range(1000): an on-demand process per item, too slow here
    assert list(compute_sq.map(range(40), progress=True)) == [x**2 for x in range(40)]
    compute_sq.stop()


def test_task_decorator_with_limits_example(no_leaks):
    from concurry_limits import RateLimit
    from concurry_workers import task

    def external_api(prompt):
        return prompt.upper()

    limits = [RateLimit(key="api", capacity=100, window_seconds=60)]

    @task(mode="thread", limits=limits)
    def call_api(prompt, limits):  # limits param detected automatically
        with limits.acquire(requested={"api": 1}) as acq:
            acq.update(usage={"api": 1})
            return external_api(prompt)

    assert call_api("Hello").result(timeout=T) == "HELLO"
    call_api.stop()


class _Reply:
    def __init__(self, prompt):
        self.tokens_used = len(prompt)
        self.response = f"echo {prompt}"


def external_api_call(prompt):
    return _Reply(prompt)


class APIWorker(Worker):
    def __init__(self, api_key: str):
        self.api_key = api_key

    def call_api(self, prompt: str):
        with self.limits.acquire(requested={"api_tokens": 100}) as acq:
            result = external_api_call(prompt)
            acq.update(usage={"api_tokens": result.tokens_used})
            return result.response


def test_limits_example(no_leaks):
    from concurry_limits import CallLimit, LimitSet, RateLimit, RateLimitAlgorithm, ResourceLimit

    limits = LimitSet(
        limits=[
            CallLimit(window_seconds=60, capacity=100),
            RateLimit(
                key="api_tokens",
                window_seconds=60,
                algorithm=RateLimitAlgorithm.TokenBucket,
                capacity=1000,
            ),
            ResourceLimit(key="connections", capacity=10),
        ]
    )
    # Option 1: shared limits
    worker1 = APIWorker.options(mode="thread", limits=limits).init("key1")
    worker2 = APIWorker.options(mode="thread", limits=limits).init("key2")
    assert worker1.call_api("hi").result(timeout=T) == "echo hi"
    assert worker2.call_api("yo").result(timeout=T) == "echo yo"
    stats = limits.get_stats()
    assert "api_tokens" in stats and "connections" in stats
    worker1.stop()
    worker2.stop()
    # Option 2: private limits
    limit_defs = [RateLimit(key="api_tokens", window_seconds=60, capacity=1000)]
    with APIWorker.options(mode="thread", limits=limit_defs).init("key") as worker:
        assert worker.call_api("hey").result(timeout=T) == "echo hey"
    # Option 3: no limits: acquire always succeeds at once
    with APIWorker.options(mode="thread").init("key") as worker:
        assert worker.call_api("x").result(timeout=T) == "echo x"


def test_mode_specific_and_pool_options_examples(no_leaks):
    with DataProcessor.options(mode="process", mp_context="spawn").init(multiplier=3) as w:
        assert w.process(2).result(timeout=T) == 6
    with DataProcessor.options(mode="thread", max_workers=10).init(multiplier=3) as pool:
        assert pool.process(10).result(timeout=T) == 30
    with DataProcessor.options(mode="process", max_workers=4, load_balancing="least_active").init(
        multiplier=3
    ) as pool:
        assert [f.result(timeout=T) for f in [pool.process(i) for i in range(8)]] == [
            3 * i for i in range(8)
        ]


def test_retry_examples_build(no_leaks):
    class Flaky(Worker):
        def __init__(self):
            self.calls = 0

        def get(self):
            self.calls += 1
            if self.calls < 3:
                raise ValueError("please retry")
            return {"status": "success", "data": self.calls}

    for options in (
        {
            "num_retries": 3,
            "retry_algorithm": "exponential",
            "retry_wait": 0.01,
            "retry_jitter": 0.3,
        },
        {"num_retries": 5, "retry_on": [ValueError, TimeoutError], "retry_wait": 0.01},
        {
            "num_retries": 3,
            "retry_wait": 0.01,
            "retry_on": lambda exception, **ctx: (
                isinstance(exception, ValueError) and "retry" in str(exception)
            ),
        },
    ):
        with Flaky.options(mode="thread", **options).init() as w:
            assert w.get().result(timeout=T)["data"] == 3
    with Flaky.options(
        mode="thread",
        num_retries=5,
        retry_wait=0.01,
        retry_on=[ValueError],
        retry_until=[
            lambda result, **ctx: isinstance(result, dict),
            lambda result, **ctx: result.get("status") == "success",
        ],
    ).init() as w:
        assert w.get().result(timeout=T) == {"status": "success", "data": 3}
