"""A user of the original concurry migrates their worker code unchanged.

Proxies and pools expose their configuration (``worker.blocking``, ...);
classes with options start a worker when called (``auto_init``);
``get_pool_stats()`` has the original's keys; ``global_config`` has
``get_defaults`` / ``reset_to_defaults`` / ``model_dump`` and accepts the
original's polling keys with a warning; ``Executor.stop()`` and a blocking
``Executor``; a ``"submit"`` retry key on TaskWorkers; retry options that
``except ValueError`` catches; and the original's key phrases in errors.
Each behaviour runs in every local mode it applies to (ray: tests/ray).
"""

from __future__ import annotations

import copy
import pickle
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from concurry import (
    ExecutionMode,
    Executor,
    RetryConfig,
    TaskWorker,
    Worker,
    global_config,
    task,
    temp_config,
    worker,
)

MODES = ["sync", "thread", "asyncio", "process"]
POOL_MODES = ["thread", "process"]
T = 30  # seconds: a generous bound on any one result

#: max_queued_tasks of a non-blocking single worker, per mode (the reference's defaults)
QUEUE_DEFAULTS = {"sync": None, "thread": 100, "asyncio": None, "process": 5}


class Echo(Worker):
    def __init__(self, value: Any = None) -> None:
        self.value = value

    def get(self) -> Any:
        return self.value


class ClashingNames(Worker):
    """Methods named like the proxy's configuration attributes."""

    def mode(self) -> str:
        return "my mode"

    def blocking(self) -> str:
        return "my blocking"

    def max_queued_tasks(self) -> int:
        return -1


class Flaky:
    """Fails its first ``fails`` calls, then returns its argument.

    A fresh instance per submit: in process mode it is pickled with each call,
    and the retries of that call run on the copy in the worker.
    """

    def __init__(self, fails: int) -> None:
        self.fails = fails
        self.calls = 0

    def __call__(self, x: Any) -> Any:
        self.calls += 1
        if self.calls <= self.fails:
            raise ValueError(f"attempt {self.calls} fails")
        return x


@pytest.fixture
def fresh_config() -> Iterator[None]:
    """Tests that change ``global_config`` leave the library defaults behind."""
    global_config.reset_to_defaults()
    yield
    global_config.reset_to_defaults()


def result(value: Any) -> Any:
    """The value of a future (or a blocking call's value as is)."""
    return value.result(timeout=T) if hasattr(value, "result") else value


# -- 1. proxies expose read-only configuration ----------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_proxy_exposes_its_configuration(mode: str) -> None:
    with Echo.options(mode=mode).init(1) as w:
        assert w.mode == mode and isinstance(w.mode, ExecutionMode)
        assert w.blocking is False
        assert w.max_queued_tasks == QUEUE_DEFAULTS[mode]
        assert w.unwrap_futures is True
        assert w.worker_cls is Echo
        assert w.init_args == (1,) and w.init_kwargs == {}
        if mode == "process":
            assert w.mp_context == "forkserver"  # the library's default on Linux
        else:
            with pytest.raises(AttributeError, match="only set for mode='process'"):
                _ = w.mp_context
    with Echo.options(mode=mode, blocking=True, unwrap_futures=False).init(value=2) as w:
        assert w.blocking is True  # as the reference shows: worker.blocking is True
        assert w.unwrap_futures is False
        assert w.max_queued_tasks is None  # blocking calls bypass the submission queue
        assert w.init_kwargs == {"value": 2}
        assert w.get() == 2


@pytest.mark.parametrize("mode", MODES)
def test_configuration_attributes_are_read_only(mode: str) -> None:
    with Echo.options(mode=mode).init() as w:
        for name in ("blocking", "mode", "max_queued_tasks", "unwrap_futures", "worker_cls"):
            with pytest.raises(AttributeError):
                setattr(w, name, None)


def test_configuration_follows_options_and_config() -> None:
    with Echo.options(mode="thread", max_queued_tasks=3).init() as w:
        assert w.max_queued_tasks == 3
    with temp_config(thread_max_queued_tasks=7), Echo.options(mode="thread").init() as w:
        assert w.max_queued_tasks == 7
    with Echo.options(mode="process", mp_context="spawn").init(5) as w:
        assert w.mp_context == "spawn"
        assert w.get().result(timeout=T) == 5


@pytest.mark.parametrize("mode", MODES)
def test_a_worker_method_with_the_same_name_wins(mode: str) -> None:
    with ClashingNames.options(mode=mode, blocking=True).init() as w:
        assert w.mode() == "my mode"
        assert w.blocking() == "my blocking"
        assert w.max_queued_tasks() == -1
        assert w.worker_cls is ClashingNames  # names the class does not define stay ours


@pytest.mark.parametrize("mode", POOL_MODES)
def test_pool_exposes_its_configuration(mode: str) -> None:
    with Echo.options(mode=mode, max_workers=2, load_balancing="least_active").init(3) as pool:
        assert pool.mode == mode
        assert pool.max_workers == 2
        assert pool.load_balancing == "least_active"
        assert pool.on_demand is False
        assert pool.blocking is False
        assert pool.max_queued_tasks == QUEUE_DEFAULTS[mode]
        assert pool.worker_cls is Echo
        assert pool.get().result(timeout=T) == 3
    with Echo.options(mode=mode, on_demand=True, max_workers=3).init() as pool:
        assert pool.on_demand is True
        assert pool.max_workers == 3


# -- 2. auto_init ----------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_decorator_options_make_calling_the_class_start_a_worker(mode: str) -> None:
    @worker(mode=mode, blocking=True)
    class Greeter:
        def __init__(self, name: str) -> None:
            self.name = name

        def hello(self) -> str:
            return f"hello {self.name} from {type(self).__name__}"

    g = Greeter("ann")  # an initialised proxy, not a local object
    try:
        assert not isinstance(g, Greeter)
        assert g.mode == mode and g.blocking is True
        assert g.hello() == "hello ann from Greeter"  # a real instance inside
    finally:
        g.stop()
    with Greeter.options(blocking=False).init("bob") as g:  # .options() still overrides
        assert g.hello().result(timeout=T) == "hello bob from Greeter"


@pytest.mark.parametrize("mode", MODES)
def test_class_keyword_options_make_calling_the_class_start_a_worker(mode: str) -> None:
    class Counter(Worker, mode=mode, blocking=True):
        def __init__(self, start: int = 0) -> None:
            self.n = start

        def incr(self) -> int:
            self.n += 1
            return self.n

    c = Counter(10)
    try:
        assert c.mode == mode
        assert [c.incr(), c.incr()] == [11, 12]
    finally:
        c.stop()


def test_auto_init_false_restores_the_plain_class() -> None:
    @worker(mode="thread", auto_init=False)
    class Plain:
        def __init__(self, x: int) -> None:
            self.x = x

        def get(self) -> int:
            return self.x

    class Keyworded(Worker, mode="thread", auto_init=False):
        def __init__(self, x: int) -> None:
            self.x = x

    local = Plain(1)
    assert isinstance(local, Plain) and local.get() == 1
    assert isinstance(Keyworded(2), Keyworded)
    with Plain.options().init(3) as w:  # the decorator's options still apply
        assert w.mode == "thread"
        assert w.get().result(timeout=T) == 3


def test_a_class_without_options_stays_plain_and_auto_init_true_starts_one() -> None:
    @worker
    class Bare:
        def get(self) -> str:
            return "local"

    class Opted(Worker, auto_init=True):
        def get(self) -> str:
            return "remote"

    assert isinstance(Bare(), Bare)
    w = Opted()  # global_config's defaults (sync)
    try:
        assert w.mode == "sync"
        assert w.get().result(timeout=T) == "remote"
    finally:
        w.stop()


def test_decorating_a_worker_with_class_options_warns() -> None:
    class Keyworded(Worker, mode="thread", blocking=True):
        def get(self) -> str:
            return "kw"

    with pytest.warns(UserWarning, match=r"already has class options \(mode='thread'"):
        Deco = worker(mode="sync")(Keyworded)
    d = Deco()
    try:
        assert d.mode == "sync"  # the decorator wins
        assert d.get() == "kw"  # blocking still from the class keywords
    finally:
        d.stop()


def test_no_warning_for_a_worker_without_class_options(recwarn: Any) -> None:
    class NoOptions(Worker):
        pass

    worker(mode="sync")(NoOptions)
    assert [w for w in recwarn if issubclass(w.category, UserWarning)] == []


def test_a_decorated_class_can_be_subclassed_and_decorated_again() -> None:
    @worker(mode="sync", blocking=True)
    class Base:
        def __init__(self, x: int) -> None:
            self.x = x

        def get(self) -> int:
            return self.x

    class Child(Base):  # inherits the options and auto_init
        def get(self) -> int:
            return self.x * 2

    child = Child(4)
    try:
        assert child.mode == "sync" and child.get() == 8
    finally:
        child.stop()
    Again = worker(mode="thread")(Child)  # no warning: Child has no class keywords
    again = Again(5)
    try:
        assert again.mode == "thread"
        assert again.blocking is True  # Base's decorator option, inherited
        assert again.get() == 10
    finally:
        again.stop()
    assert issubclass(Again, Child) and issubclass(Child, Base)


class Copied(Worker, mode="sync", blocking=True):
    """An auto-init class (module level, so that pickle finds it)."""

    def __init__(self, x: int) -> None:
        self.x = x

    def clones(self) -> list[Any]:
        made = [copy.copy(self), copy.deepcopy(self), pickle.loads(pickle.dumps(self))]
        return [(type(c).__name__, c.x) for c in made]


def test_copies_and_pickles_of_an_instance_do_not_start_workers() -> None:
    w = Copied(3)
    try:
        assert w.clones() == [("Copied", 3)] * 3
    finally:
        w.stop()


def test_a_pydantic_worker_with_class_options(recwarn: Any) -> None:
    class Model(Worker, BaseModel, mode="thread", blocking=True):
        name: str

        def hello(self) -> str:
            return f"hi {self.name}"

    m = Model(name="ann")
    try:
        assert m.hello() == "hi ann"
    finally:
        m.stop()
    # pydantic builds instances without calling the class: they stay models
    assert isinstance(Model.model_validate({"name": "bob"}), Model)
    assert isinstance(Model.model_construct(name="eve"), Model)


# -- 3. get_pool_stats ---------------------------------------------------------------
@pytest.mark.parametrize("mode", POOL_MODES)
def test_pool_stats_have_the_original_keys(mode: str) -> None:
    with Echo.options(mode=mode, max_workers=2).init(1) as pool:
        assert [pool.get().result(timeout=T) for _ in range(5)] == [1] * 5
        stats = pool.get_pool_stats()
        assert stats["load_balancer"]["algorithm"] == "round_robin"
        assert stats["load_balancer"]["total_dispatched"] == 5
        assert stats["on_demand_active"] == 0
        assert stats["max_queued_tasks"] == QUEUE_DEFAULTS[mode]
        assert stats["total_workers"] == 2 and stats["max_workers"] == 2


def test_on_demand_pool_stats() -> None:
    release = threading.Event()
    with TaskWorker.options(mode="thread", on_demand=True, max_workers=2).init() as pool:
        first = pool.submit(release.wait, T)
        stats = pool.get_pool_stats()
        assert stats["on_demand"] is True
        assert stats["on_demand_active"] == 1  # the call waiting on the event
        assert stats["load_balancer"]["algorithm"] == "random"
        release.set()
        assert first.result(timeout=T) is True
        assert pool.submit(abs, -2).result(timeout=T) == 2
        assert pool.get_pool_stats()["load_balancer"]["total_dispatched"] == 2


# -- 4. global_config ----------------------------------------------------------------
def test_get_defaults_reset_and_model_dump(fresh_config: None) -> None:
    assert global_config.get_defaults("thread").max_queued_tasks == 100
    assert global_config.get_defaults(ExecutionMode.Processes).max_queued_tasks == 5
    assert global_config.get_defaults("sync").blocking is False  # inherited from defaults
    global_config.thread.max_queued_tasks = 9
    global_config.defaults.num_retries = 4
    assert global_config.get_defaults("thread").max_queued_tasks == 9
    dumped = global_config.defaults.model_dump()
    assert dumped["num_retries"] == 4 and dumped["blocking"] is False
    assert global_config.get_defaults("thread").model_dump()["num_retries"] == 4
    global_config.reset_to_defaults()
    assert global_config.thread.max_queued_tasks == 100
    assert global_config.defaults.num_retries == 0
    with Echo.options(mode="thread").init() as w:
        assert w.max_queued_tasks == 100


@pytest.mark.parametrize(
    "key",
    [
        "global_polling_fixed_interval",
        "global_polling_adaptive_min_interval",
        "asyncio_future_poll_interval",
        "ray_monitor_interval",
        "global_rate_limiter_min_wait_time",
    ],
)
def test_retired_tuning_keys_warn_and_are_ignored(key: str, fresh_config: None) -> None:
    warned = pytest.warns(DeprecationWarning, match=f"{key!r} no longer applies")
    with warned, temp_config(**{key: 0.01}, thread_max_queued_tasks=4):
        assert global_config.thread.max_queued_tasks == 4  # the rest still applies
    assert global_config.thread.max_queued_tasks == 100


def test_retired_keys_as_section_attributes(fresh_config: None) -> None:
    with pytest.warns(DeprecationWarning, match="'rate_limiter_min_wait_time' no longer applies"):
        global_config.defaults.rate_limiter_min_wait_time = 0.05
    with pytest.warns(DeprecationWarning, match="no longer applies"):
        assert global_config.defaults.rate_limiter_min_wait_time == 0.05  # kept, unused
    with pytest.raises(AttributeError, match="has no field 'not_a_field'"):
        global_config.defaults.not_a_field = 1  # an unknown key is still an error
    refused = pytest.raises(ValueError, match="unknown config key 'global_not_a_field'")
    with refused, temp_config(global_not_a_field=1):
        pass


# -- 5. Executor, TaskWorker retries ---------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_executor_stop_and_blocking_submit(mode: str) -> None:
    ex = Executor(mode, blocking=True)
    assert ex.submit(pow, 2, 5) == 32  # the value, not a future
    with pytest.raises(ZeroDivisionError):
        ex.submit(divmod, 1, 0)
    ex.stop()
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(pow, 2, 5)
    ex = Executor(mode)
    future = ex.submit(pow, 3, 2)
    ex.stop()  # same as shutdown(): submitted work finishes
    assert future.result(timeout=T) == 9


@pytest.mark.parametrize("mode", MODES)
def test_submit_retry_key_applies_to_submitted_functions(mode: str) -> None:
    retries = {"num_retries": {"*": 0, "submit": 2}, "retry_wait": 0}
    with TaskWorker.options(mode=mode, **retries).init() as w:
        assert w.submit(Flaky(2), "ok").result(timeout=T) == "ok"
        assert list(w.map(Flaky(0), ["a", "b"])) == ["a", "b"]
        with pytest.raises(ValueError, match="attempt 3 fails"):
            w.submit(Flaky(3), "x").result(timeout=T)  # 2 retries, then the error
    no_retries = TaskWorker.options(mode=mode, num_retries={"*": 0}, retry_wait=0)
    with no_retries.init() as w, pytest.raises(ValueError, match="attempt 1 fails"):
        w.submit(Flaky(2), "ok").result(timeout=T)  # the control: no retries


def test_submit_retry_key_on_executor_and_task() -> None:
    retries = {"num_retries": {"*": 0, "submit": 1}, "retry_wait": 0}
    ex = Executor("thread", **retries)
    try:
        assert ex.submit(Flaky(1), 7).result(timeout=T) == 7
    finally:
        ex.stop()
    flaky = Flaky(1)

    @task(mode="thread", **retries)
    def once_flaky(x: int) -> int:
        return flaky(x)  # type: ignore[no-any-return]

    try:
        assert once_flaky(8).result(timeout=T) == 8
        assert flaky.calls == 2
    finally:
        once_flaky.stop()


def test_submit_key_is_refused_for_a_worker_without_submit() -> None:
    with pytest.raises(ValueError, match="has no method 'submit'"):
        Echo.options(mode="thread", num_retries={"*": 0, "submit": 1})


# -- 6. invalid retry_on / retry_until -------------------------------------------------
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retry_on": "ValueError"}, "retry_on"),
        ({"retry_on": int}, "retry_on types must be exception classes"),
        ({"retry_on": [ValueError, 3]}, "retry_on"),
        ({"retry_until": 5}, "retry_until"),
        ({"retry_until": [bool, "x"]}, "retry_until"),
    ],
)
def test_invalid_retry_filters_are_value_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryConfig(num_retries=1, **options)
    with pytest.raises(ValueError, match=message):
        Echo.options(mode="thread", num_retries=1, **options)


# -- 7. the original's key phrases ---------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_calls_after_stop_say_worker_is_stopped(mode: str) -> None:
    w = Echo.options(mode=mode).init(1)
    w.stop()
    with pytest.raises(RuntimeError, match=r"Worker is stopped: Echo\.get\(\)"):
        w.get()


@pytest.mark.parametrize("mode", POOL_MODES)
def test_calls_after_stop_say_worker_pool_is_stopped(mode: str) -> None:
    pool = Echo.options(mode=mode, max_workers=2).init(1)
    pool.stop()
    with pytest.raises(RuntimeError, match=r"Worker pool is stopped: Echo\.get\(\)"):
        pool.get()


@pytest.mark.parametrize("mode", MODES)
def test_submit_requires_a_callable(mode: str) -> None:
    refused = pytest.raises(TypeError, match=r"submit\(\) requires a callable.*got 3 \(int\)")
    with TaskWorker.options(mode=mode).init() as w, refused:
        w.submit(3)
    ex = Executor(mode)
    try:
        with pytest.raises(TypeError, match=r"submit\(\) requires a callable"):
            ex.submit("not a function")
    finally:
        ex.stop()


@pytest.mark.parametrize(
    ("options", "phrase"),
    [
        ({"mode": "sync", "max_workers": 3}, r"max_workers must be 1 for Sync mode.*got 3"),
        ({"mode": "asyncio", "max_workers": 2}, r"max_workers must be 1 for Asyncio mode"),
        ({"mode": "sync", "on_demand": True}, r"on_demand mode is not supported for Sync"),
        ({"mode": "asyncio", "on_demand": True}, r"on_demand mode is not supported for Asyncio"),
        ({"mode": "fibers"}, r"Invalid mode: 'fibers' is not a valid ExecutionMode"),
        ({"mode": 3}, r"Invalid mode"),
        (
            {"num_retries": {"get": 2}},
            r"num_retries given per method must include '\*' key.*\['get'\]",
        ),
    ],
)
def test_option_errors_keep_the_original_phrases(options: dict[str, Any], phrase: str) -> None:
    with pytest.raises(ValueError, match=phrase):
        Echo.options(**options)
