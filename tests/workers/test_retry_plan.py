"""Retry plans: per-method keys are checked against the worker class at ``options()``,
and the retrying path (a bare first attempt, the retry machinery only after a
failure) keeps the semantics of ``concurry_retry``: attempt numbers, elapsed time
from the first attempt's start, no chaining between attempts' errors."""

from __future__ import annotations

import time
from typing import Any

import pytest
from workers_helpers import LOCAL_MODES

from concurry_workers import TaskWorker, Worker, task

T = 30
WORK = 0.05  # how long a slow first attempt works before it fails
# The retry loop runs inside the worker, the same code in every mode: the tests of its
# semantics run on the local modes only, since a ray case (~2 s per actor) would repeat
# them. What ray adds, retry options shipped to an actor and errors shipped back, has its
# ray cases: the tests here that take every `worker_mode`, and test_models_retry_limits.
on_local_modes = pytest.mark.parametrize("worker_mode", LOCAL_MODES)


def record(exception: BaseException, **ctx: Any) -> bool:
    """A ``retry_on`` filter that logs its context into the call's first argument."""
    log = ctx["args"][0]
    log.append(("filter", ctx["attempt"], ctx["method_name"], ctx["worker_class"]))
    log.append(("elapsed", ctx["elapsed_time"]))
    return True


class Service(Worker):
    def __init__(self) -> None:
        self.calls = 0

    def flaky(self, log: list[Any], fails: int, slow: bool = False) -> list[Any]:
        self.calls += 1
        log.append(("call", self.calls))
        if self.calls <= fails:
            if slow and self.calls == 1:
                time.sleep(WORK)  # the failing attempt's own work, not a wait for anything
            raise ConnectionError(f"attempt {self.calls}")
        return log

    async def aflaky(self, log: list[Any], fails: int, slow: bool = False) -> list[Any]:
        return self.flaky(log, fails, slow)

    def deferred(self, fails: int) -> Any:
        # a plain method handing back a coroutine: run like an async method's
        return self.aflaky([], fails)

    def always(self) -> None:
        self.calls += 1
        raise ConnectionError(f"attempt {self.calls}")

    def count(self) -> int:
        return self.calls

    @staticmethod
    def helper() -> int:
        return 1

    def _private(self) -> None:
        pass


class SubService(Service):
    def extra(self) -> int:
        return 2


# -- per-method keys --------------------------------------------------------------------

UNKNOWN_KEY = [
    ("num_retries", {"*": 0, "no_such_method": 3}),
    ("retry_on", {"*": [Exception], "no_such_method": [KeyError]}),
    ("retry_algorithm", {"*": "exponential", "no_such_method": "fixed"}),
    ("retry_wait", {"*": 0, "no_such_method": 1}),
    ("retry_jitter", {"*": 0, "no_such_method": 0.5}),
    ("retry_until", {"*": None, "no_such_method": lambda result, **ctx: True}),
    ("retry_max_wait", {"*": None, "no_such_method": 5}),
]


@pytest.mark.parametrize(("option", "value"), UNKNOWN_KEY, ids=[o for o, _ in UNKNOWN_KEY])
def test_unknown_method_key_is_rejected_by_options(option: str, value: Any) -> None:
    with pytest.raises(ValueError) as info:
        Service.options(**{"mode": "thread", "num_retries": 1, option: value})
    message = str(info.value)
    assert f"{option}['no_such_method']" in message
    assert "'Service' worker has no method 'no_such_method'" in message
    assert "public methods: aflaky, always, count, deferred, flaky, helper" in message


@pytest.mark.parametrize("key", ["_private", "__init__", "options", "calls", "extra"])
def test_private_inherited_from_worker_and_non_method_names_are_unknown(key: str) -> None:
    with pytest.raises(ValueError, match=f"has no method '{key}'"):
        Service.options(mode="sync", num_retries={"*": 0, key: 1})


def test_known_keys_include_inherited_static_and_async_methods(no_leaks: None) -> None:
    builder = SubService.options(
        mode="sync",
        num_retries={"*": 0, "flaky": 2, "aflaky": 1, "helper": 1, "extra": 1},
        retry_wait=0,
    )
    with builder.init() as w:
        assert w.extra().result(timeout=T) == 2


def test_class_keywords_are_checked_at_options_before_any_worker_starts() -> None:
    class Keyed(Service, mode="thread", num_retries={"*": 0, "fetch": 2}):
        pass

    with pytest.raises(ValueError, match=r"num_retries\['fetch'\].*public methods: aflaky"):
        Keyed.options()
    # an override replacing the bad key is fine
    Keyed.options(num_retries={"*": 0, "flaky": 2})


class Dynamic(Worker):
    """Methods made up at call time: any per-method key may name one."""

    def __init__(self) -> None:
        self.tries = 0
        self.lookups = 0

    def __getattr__(self, name: str) -> Any:
        if name == "op_flaky":

            def op() -> int:
                self.tries += 1
                if self.tries < 3:
                    raise ConnectionError(f"try {self.tries}")
                return self.tries

            return op
        if name == "op_missing":
            self.lookups += 1
        raise AttributeError(name)

    def stats(self) -> tuple[int, int]:
        return self.tries, self.lookups


def test_dynamic_workers_accept_any_key(worker_mode: str, no_leaks: None) -> None:
    lookups = []
    for missing_retries in (0, 3):
        builder = Dynamic.options(
            mode=worker_mode,
            num_retries={"*": 0, "op_flaky": 2, "op_missing": missing_retries},
            retry_wait=0,
        )
        with builder.init() as w:
            assert w.op_flaky().result(timeout=T) == 3
            # a method that is not there is an AttributeError at once, never retried
            with pytest.raises(AttributeError, match="op_missing"):
                w.op_missing().result(timeout=T)
            tries, missing_lookups = w.stats().result(timeout=T)
            assert tries == 3
            lookups.append(missing_lookups)
    assert lookups[0] == lookups[1]


def test_task_worker_keys_other_than_default_are_rejected() -> None:
    with pytest.raises(ValueError) as info:
        TaskWorker.options(mode="thread", num_retries={"*": 0, "fetch": 2})
    message = str(info.value)
    assert "num_retries['fetch']" in message
    assert "'*' entry" in message
    assert "public methods: (none)" in message
    with pytest.raises(ValueError, match=r"retry_wait\['fetch'\].*'\*' entry"):

        @task(mode="sync", num_retries=2, retry_wait={"*": 0, "fetch": 1})
        def fetch() -> None:
            pass


def _flaky_function(state: list[int]) -> int:
    state.append(len(state))
    if len(state) < 3:
        raise ConnectionError(f"attempt {len(state)}")
    return len(state)


async def _aflaky_function(state: list[int]) -> int:
    return _flaky_function(state)


def test_task_calls_use_the_default_entry(worker_mode: str, no_leaks: None) -> None:
    with TaskWorker.options(mode=worker_mode, num_retries={"*": 2}, retry_wait=0).init() as tw:
        assert tw.submit(_flaky_function, []).result(timeout=T) == 3
        assert tw.submit(_aflaky_function, []).result(timeout=T) == 3
    with TaskWorker.options(mode=worker_mode, num_retries={"*": 1}, retry_wait=0).init() as tw:
        with pytest.raises(ConnectionError, match="attempt 2") as info:
            tw.submit(_flaky_function, []).result(timeout=T)
        if worker_mode != "process":  # notes are not part of a pickled exception's message
            assert "gave up on _flaky_function after 2 attempts" in str(info.value.__notes__)


class Tasks(TaskWorker):
    def status(self) -> str:
        return "ok"


def test_task_worker_subclass_methods_are_keys(no_leaks: None) -> None:
    builder = Tasks.options(mode="sync", num_retries={"*": 2, "status": 1}, retry_wait=0)
    with builder.init() as tw:
        assert tw.status().result(timeout=T) == "ok"
        assert tw.submit(_flaky_function, []).result(timeout=T) == 3
    with pytest.raises(ValueError, match="public methods: status"):
        Tasks.options(mode="sync", num_retries={"*": 0, "stat": 1})


# -- the retrying path keeps concurry_retry's semantics --------------------------------


@on_local_modes
@pytest.mark.parametrize("method", ["flaky", "aflaky"])
def test_filters_see_attempts_and_elapsed_time_from_the_first_start(
    worker_mode: str, method: str, no_leaks: None
) -> None:
    builder = Service.options(mode=worker_mode, num_retries=3, retry_on=record, retry_wait=0)
    with builder.init() as w:
        log = getattr(w, method)([], 2, slow=True).result(timeout=T)
    steps = [entry for entry in log if entry[0] != "elapsed"]
    assert steps == [
        ("call", 1),
        ("filter", 1, method, "Service"),
        ("call", 2),
        ("filter", 2, method, "Service"),
        ("call", 3),
    ]
    elapsed = [entry[1] for entry in log if entry[0] == "elapsed"]
    # the first attempt worked WORK seconds before failing: the clock started before it
    assert elapsed[0] >= WORK
    assert elapsed[1] >= elapsed[0]


def test_exhausted_retries_raise_the_last_error_unchained(worker_mode: str, no_leaks: None) -> None:
    with Service.options(mode=worker_mode, num_retries=2, retry_wait=0).init() as w:
        with pytest.raises(ConnectionError, match="attempt 3") as info:
            w.always().result(timeout=T)
        assert w.count().result(timeout=T) == 3
    if worker_mode != "process":  # a pickled exception is rebuilt without its context
        assert not isinstance(info.value.__context__, ConnectionError)
        assert "gave up on always after 3 attempts" in str(info.value.__notes__)


@on_local_modes
def test_not_retryable_first_error_is_raised_as_is(worker_mode: str, no_leaks: None) -> None:
    builder = Service.options(mode=worker_mode, num_retries=3, retry_on=[KeyError], retry_wait=0)
    with builder.init() as w:
        with pytest.raises(ConnectionError, match="attempt 1"):
            w.always().result(timeout=T)
        assert w.count().result(timeout=T) == 1


@on_local_modes
def test_methods_left_at_zero_retries_run_once(worker_mode: str, no_leaks: None) -> None:
    builder = Service.options(mode=worker_mode, num_retries={"*": 0, "flaky": 2}, retry_wait=0)
    with builder.init() as w:
        with pytest.raises(ConnectionError, match="attempt 1"):
            w.always().result(timeout=T)
        assert w.flaky([], 3).result(timeout=T) == [("call", 2), ("call", 3), ("call", 4)]


@on_local_modes
@pytest.mark.parametrize("num_retries", [0, 2])
def test_a_returned_coroutine_is_run_with_or_without_retries(
    worker_mode: str, num_retries: int, no_leaks: None
) -> None:
    with Service.options(mode=worker_mode, num_retries=num_retries, retry_wait=0).init() as w:
        assert w.deferred(0).result(timeout=T) == [("call", 1)]


@on_local_modes
def test_validators_still_see_every_attempt(worker_mode: str, no_leaks: None) -> None:
    builder = Service.options(
        mode=worker_mode,
        num_retries=4,
        retry_wait=0,
        retry_until={"*": None, "flaky": lambda result, **ctx: ctx["attempt"] >= 3},
    )
    with builder.init() as w:
        # every attempt appends to the same list; the third result passes
        assert w.flaky([], 0).result(timeout=T) == [("call", 1), ("call", 2), ("call", 3)]
        assert w.count().result(timeout=T) == 3
