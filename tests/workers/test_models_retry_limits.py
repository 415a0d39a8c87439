"""Typed / BaseModel / dataclass workers, validation decorators, retries and limits."""

from __future__ import annotations

import dataclasses
from typing import Optional

import morphic
import pytest
from morphic import Typed
from pydantic import BaseModel, Field, validate_call
from workers_helpers import LOCAL_MODES

from concurry_limits import CallLimit, LimitPool, LimitSet, RateLimit, ResourceLimit
from concurry_workers import TaskWorker, Worker

T = 30

pytestmark = pytest.mark.filterwarnings("ignore:.*Typed/BaseModel worker")


class TypedWorker(Worker, Typed):
    name: str
    value: int = Field(default=0, ge=0)
    tags: list[str] = []

    @classmethod
    def pre_initialize(cls, data: dict) -> None:
        if "name" in data:
            data["name"] = data["name"].strip().title()

    def compute(self, x: int) -> int:
        return self.value * x

    def get_name(self) -> str:
        return self.name


class PydanticWorker(Worker, BaseModel):
    name: str = Field(..., min_length=1, max_length=50)
    age: int = Field(..., ge=0, le=150)
    email: Optional[str] = None  # noqa: UP045

    def get_info(self) -> dict:
        return {"name": self.name, "age": self.age, "email": self.email}


@dataclasses.dataclass
class DataWorker(Worker):
    base: int

    def add(self, x: int) -> int:
        return self.base + x


class ValidatedWorker(Worker):
    @morphic.validate
    def __init__(self, multiplier: int):
        self.multiplier = multiplier

    @morphic.validate
    def process(self, value: int, scale: float = 1.0) -> float:
        return (value * self.multiplier) * scale


class PydanticValidatedWorker(Worker):
    @validate_call
    def __init__(self, base: int):
        self.base = base

    @validate_call
    def compute(self, x: int, y: int = 0) -> int:
        return (x + y) * self.base


def test_typed_worker(worker_mode, no_leaks):
    with TypedWorker.options(mode=worker_mode).init(name=" processor ", value=10, tags=["ml"]) as w:
        assert w.compute(5).result(timeout=T) == 50
        assert w.get_name().result(timeout=T) == "Processor"
    with pytest.raises(Exception, match="greater than or equal"):
        TypedWorker.options(mode=worker_mode).init(name="x", value=-1)


def test_pydantic_worker(worker_mode, no_leaks):
    with PydanticWorker.options(mode=worker_mode).init(
        name="Alice", age=30, email="alice@example.com"
    ) as w:
        assert w.get_info().result(timeout=T) == {
            "name": "Alice",
            "age": 30,
            "email": "alice@example.com",
        }
        assert w.limits is not None


def test_dataclass_worker(worker_mode, no_leaks):
    with DataWorker.options(mode=worker_mode).init(base=2) as w:
        assert w.add(3).result(timeout=T) == 5


def test_validation_decorators(worker_mode, no_leaks):
    with ValidatedWorker.options(mode=worker_mode).init(multiplier="5") as w:
        assert w.process("10", scale="2.0").result(timeout=T) == 100.0
    with PydanticValidatedWorker.options(mode=worker_mode).init(base=3) as w:
        assert w.compute("5", y="2").result(timeout=T) == 21


class Flaky(Worker):
    def __init__(self):
        self.calls = 0

    def sometimes(self, fail_times):
        self.calls += 1
        if self.calls <= fail_times:
            raise ConnectionError(f"attempt {self.calls}")
        return self.calls

    async def asometimes(self, fail_times):
        return self.sometimes(fail_times)

    def value(self):
        self.calls += 1
        return self.calls

    def count(self):
        return self.calls


def test_retries_run_inside_the_worker(worker_mode, no_leaks):
    with Flaky.options(mode=worker_mode, num_retries=3, retry_wait=0, retry_jitter=0).init() as w:
        assert w.sometimes(2).result(timeout=T) == 3
        with pytest.raises(ConnectionError, match="attempt 7"):  # 4 attempts, all failed
            w.asometimes(100).result(timeout=T)


def test_retry_on_and_per_method_options(worker_mode, no_leaks):
    with Flaky.options(
        mode=worker_mode,
        num_retries={"*": 0, "sometimes": 2},
        retry_on=[ConnectionError],
        retry_wait=0,
    ).init() as w:
        assert w.sometimes(2).result(timeout=T) == 3
    builder = Flaky.options(mode=worker_mode, num_retries=3, retry_on=[KeyError], retry_wait=0)
    with builder.init() as w, pytest.raises(ConnectionError, match="attempt 1"):
        w.sometimes(1).result(timeout=T)
    # every retry option per method, each with its "*" default
    with Flaky.options(
        mode=worker_mode,
        num_retries={"*": 0, "sometimes": 3, "asometimes": 1, "value": 2},
        retry_on={"*": [Exception], "asometimes": [KeyError]},
        retry_algorithm={"*": "exponential", "sometimes": "fixed"},
        retry_wait={"*": 0, "sometimes": 0.001},
        retry_jitter={"*": 0, "sometimes": 0.5},
        retry_until={"*": None, "value": lambda result, **ctx: result % 2 == 0},
    ).init() as w:
        assert w.sometimes(2).result(timeout=T) == 3
        with pytest.raises(ConnectionError, match="attempt 4"):  # KeyError only: no retry
            w.asometimes(100).result(timeout=T)
        assert w.value().result(timeout=T) == 6  # 5 is odd: validated again
        assert w.count().result(timeout=T) == 6


@pytest.mark.parametrize("worker_mode", LOCAL_MODES)  # in-worker logic: see test_retry_plan
def test_retry_until(worker_mode, no_leaks):
    with Flaky.options(
        mode=worker_mode, num_retries=5, retry_wait=0, retry_until=lambda result, **ctx: result >= 3
    ).init() as w:
        assert w.value().result(timeout=T) == 3


def test_retries_count_once_in_the_submission_queue(no_leaks):
    with Flaky.options(mode="thread", num_retries=4, retry_wait=0, max_queued_tasks=1).init() as w:
        futures = [w.sometimes(3) for _ in range(3)]
        assert [f.result(timeout=T) for f in futures] == [4, 5, 6]


class Limited(Worker):
    def kind(self):
        return type(self.limits).__name__

    def acquire(self):
        with self.limits.acquire() as acq:
            return sorted(acq.config) if hasattr(acq, "config") else "ok"

    def take(self, key, n):
        with self.limits.acquire(requested={key: n}) as acq:
            acq.update(usage={key: n})
        return self.limits.get_stats() if hasattr(self.limits, "get_stats") else None


def test_limits_always_available(worker_mode, no_leaks):
    with Limited.options(mode=worker_mode).init() as w:
        assert w.kind().result(timeout=T) == "LimitSet"
        assert w.acquire().result(timeout=T) is not None


def test_limit_forms(worker_mode, no_leaks):
    private = [
        RateLimit(key="tokens", window=60, capacity=1000),
        CallLimit(window=60, capacity=100),
    ]
    with Limited.options(mode=worker_mode, limits=private).init() as w:
        assert w.kind().result(timeout=T) == "LimitSet"
        w.take("tokens", 10).result(timeout=T)
    sets = [LimitSet([ResourceLimit(key="conn", capacity=2)]) for _ in range(2)]
    with Limited.options(mode=worker_mode, limits=sets).init() as w:
        assert w.kind().result(timeout=T) == "LimitPool"
    with Limited.options(mode=worker_mode, limits=LimitPool(sets)).init() as w:
        assert w.kind().result(timeout=T) == "LimitPool"


def test_shared_limit_set_is_shared_between_thread_workers(no_leaks):
    shared = LimitSet([ResourceLimit(key="conn", capacity=1)])
    with (
        Limited.options(mode="thread", limits=shared).init() as a,
        Limited.options(mode="thread", limits=shared).init() as b,
    ):
        with shared.acquire():
            # the only slot is held here, so both workers would wait: try_acquire tells
            assert not shared.try_acquire().successful
        assert a.acquire().result(timeout=T) is not None
        assert b.acquire().result(timeout=T) is not None


def test_task_worker_injects_limits(no_leaks):
    def uses(limits):
        return type(limits).__name__

    with TaskWorker.options(mode="thread", limits=[CallLimit(window=1, capacity=10)]).init() as w:
        assert w.submit(uses).result(timeout=T) == "LimitSet"


class Holder(Worker):
    def grab(self) -> bool:
        self._held = self.limits.acquire(timeout=T)
        return True

    def free(self) -> None:
        self._held.release()

    def try_take(self) -> bool:
        acq = self.limits.try_acquire()
        if acq.successful:
            acq.release()
        return acq.successful


def test_a_limit_set_is_shared_by_every_worker_given_it(worker_mode, no_leaks):
    shared = LimitSet([ResourceLimit(key="conn", capacity=1)])
    with (
        Holder.options(mode=worker_mode, limits=shared).init() as a,
        Holder.options(mode=worker_mode, limits=shared).init() as b,
    ):
        assert b.try_take().result(timeout=T) is True
        assert a.grab().result(timeout=T) is True
        assert b.try_take().result(timeout=T) is False  # a holds the only slot
        a.free().result(timeout=T)
        assert b.try_take().result(timeout=T) is True
