"""Enums, global_config / temp_config, options() validation and precedence, @worker."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from concurry_workers import (
    BackendUnavailableError,
    ExecutionMode,
    LoadBalancingAlgorithm,
    Worker,
    global_config,
    temp_config,
    worker,
)

T = 30


class Echo(Worker):
    def __init__(self, value=None):
        self.value = value

    def get(self):
        return self.value


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("sync", ExecutionMode.Sync),
        ("Synchronous", ExecutionMode.Sync),
        ("THREADS", ExecutionMode.Threads),
        ("proc", ExecutionMode.Processes),
        ("Processes", ExecutionMode.Processes),
        ("async", ExecutionMode.Asyncio),
        ("ray", ExecutionMode.Ray),
        (ExecutionMode.Threads, ExecutionMode.Threads),
    ],
)
def test_execution_mode_aliases(text, member):
    assert ExecutionMode(text) is member


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("round_robin", LoadBalancingAlgorithm.RoundRobin),
        ("RR", LoadBalancingAlgorithm.RoundRobin),
        ("least-active", LoadBalancingAlgorithm.LeastActiveLoad),
        ("Least Total", LoadBalancingAlgorithm.LeastTotalLoad),
        ("rand", LoadBalancingAlgorithm.Random),
    ],
)
def test_load_balancing_aliases(text, member):
    assert LoadBalancingAlgorithm(text) is member


def test_unknown_enum_value_lists_choices():
    with pytest.raises(ValueError, match=r"'thread'.*'process'"):
        ExecutionMode("fibers")


def test_config_defaults_per_mode():
    assert global_config.defaults.blocking is False
    assert global_config.defaults.max_workers == 1
    assert global_config.sync.max_queued_tasks is None
    assert global_config.asyncio.max_queued_tasks is None
    assert global_config.thread.max_queued_tasks == 100
    assert global_config.process.max_queued_tasks == 5
    assert global_config.ray.max_queued_tasks == 2
    assert global_config.thread.load_balancing is LoadBalancingAlgorithm.RoundRobin
    assert global_config.thread.load_balancing_on_demand is LoadBalancingAlgorithm.Random
    assert global_config.defaults.unwrap_futures is True
    assert global_config.defaults.num_retries == 0
    assert global_config.defaults.task_decorator_on_demand is True
    assert global_config.process.mp_context in ("forkserver", "spawn")


def test_config_validates_on_assignment():
    with pytest.raises(ValueError, match="max_queued_tasks must be >= 1, got 0"):
        global_config.thread.max_queued_tasks = 0
    with pytest.raises(ValueError, match="blocking must be a bool"):
        global_config.defaults.blocking = "perhaps"
    with pytest.raises(AttributeError, match="valid fields"):
        global_config.thread.colour = "red"


def test_temp_config_overrides_and_restores():
    with temp_config(global_num_retries=2, thread_max_queued_tasks=7):
        assert global_config.thread.num_retries == 2
        assert global_config.thread.max_queued_tasks == 7
        assert Echo.options(mode="thread").spec.max_queued_tasks == 7
    assert global_config.thread.num_retries == 0
    assert global_config.thread.max_queued_tasks == 100


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"thread_colour": 1}, "unknown config key 'thread_colour'.*max_queued_tasks"),
        ({"nowhere_blocking": 1}, "unknown config key.*global, defaults, sync, thread"),
        ({"process_max_queued_tasks": 0}, "must be >= 1"),
    ],
)
def test_temp_config_rejects_bad_keys_and_values(overrides, message):
    with pytest.raises(ValueError, match=message), temp_config(**overrides):
        pass
    assert global_config.process.max_queued_tasks == 5


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"mode": "thread", "colour": "red"}, TypeError, "unknown worker option 'colour'"),
        ({"mode": "fibers"}, ValueError, "not a valid ExecutionMode"),
        ({"mode": "thread", "blocking": "maybe"}, ValueError, "blocking must be a bool"),
        ({"mode": "sync", "max_workers": 4}, ValueError, "max_workers must be 1 for Sync mode"),
        (
            {"mode": "asyncio", "max_workers": 2},
            ValueError,
            r"Asyncio mode \(mode='asyncio'\), got 2",
        ),
        (
            {"mode": "sync", "on_demand": True},
            ValueError,
            "on_demand mode is not supported for Sync",
        ),
        ({"mode": "asyncio", "on_demand": True}, ValueError, "mode='asyncio'"),
        ({"mode": "thread", "max_queued_tasks": 0}, ValueError, "max_queued_tasks must be >= 1"),
        ({"mode": "thread", "max_workers": -1}, ValueError, "max_workers must be >= 0"),
        ({"mode": "thread", "max_workers": 0}, ValueError, "unless on_demand=True"),
        ({"mode": "thread", "mp_context": "spawn"}, ValueError, "only valid for mode='process'"),
        ({"mode": "process", "mp_context": "vfork"}, ValueError, "fork, spawn, forkserver"),
        ({"mode": "thread", "num_cpus": 1}, ValueError, "only valid for mode='ray'"),
        ({"mode": "thread", "load_balancing": "fastest"}, ValueError, "LoadBalancingAlgorithm"),
        ({"mode": "thread", "num_retries": -1}, ValueError, "num_retries must be >= 0"),
        ({"mode": "thread", "retry_jitter": 2}, ValueError, "retry_jitter must be between"),
        ({"mode": "thread", "retry_wait": -1}, ValueError, "retry_wait must be >= 0"),
        ({"mode": "thread", "retry_algorithm": "zigzag"}, ValueError, "retry_algorithm"),
        ({"mode": "thread", "retry_on": [42]}, ValueError, "exception types or callables"),
        ({"mode": "thread", "num_retries": {"get": 2}}, ValueError, "must include '\\*' key"),
        ({"mode": "thread", "limits": "lots"}, ValueError, "limits must be a LimitSet"),
    ],
)
def test_options_are_validated_eagerly(options, error, message):
    with pytest.raises(error, match=message):
        Echo.options(**options)


def test_options_coercions():
    spec = Echo.options(mode="Threads", blocking="true", max_queued_tasks=3).spec
    assert spec.mode is ExecutionMode.Threads and spec.blocking is True
    assert spec.max_queued_tasks is None  # bypassed in blocking mode
    assert Echo.options(mode="sync").spec.max_queued_tasks is None
    assert Echo.options(mode="asyncio", max_queued_tasks=3).spec.max_queued_tasks is None
    assert Echo.options(mode="thread", max_queued_tasks="7").spec.max_queued_tasks == 7
    assert Echo.options(mode="process").spec.backend_options["mp_context"]


def test_ray_mode_without_backend_says_what_to_install(monkeypatch):
    # Look the backend up in a group no package publishes in: what a user without
    # concurry-ray sees (this workspace installs it).
    from concurry_workers import _backends

    monkeypatch.setattr(_backends, "ENTRY_POINT_GROUP", "concurry.no_such_backends")
    monkeypatch.setattr(_backends, "_cache", {})
    with pytest.raises(BackendUnavailableError, match=r"pip install concurry\[ray\]"):
        Echo.options(mode="ray").init()


class Keyworded(Worker, mode="thread", blocking=True):
    def get(self):
        return "kw"


class KeywordedChild(Keyworded):
    pass


def test_class_keywords_and_precedence(no_leaks):
    assert Keyworded.options().spec.mode is ExecutionMode.Threads
    assert KeywordedChild.options().spec.blocking is True
    assert Keyworded.options(blocking=False).spec.blocking is False
    with Keyworded.options().init() as w:
        assert w.get() == "kw"
    with pytest.raises(ValueError):

        class Bad(Worker, mode="nowhere"):
            pass


@worker
class PlainCls:
    def __init__(self, x):
        self.x = x

    def get(self):
        return self.x


@worker(mode="thread", blocking=True)
@dataclasses.dataclass
class DataCls:
    x: int

    def get(self):
        return self.x


class KwWithDecorator:
    def get(self):
        return "deco"


def test_worker_decorator(no_leaks):
    assert PlainCls(3).x == 3  # still a plain class when called
    with PlainCls.options(mode="thread").init(4) as w:
        assert w.get().result(timeout=T) == 4
    w = DataCls(5)  # with options: calling starts a worker
    try:
        assert w.get() == 5
    finally:
        w.stop()
    with DataCls.options(blocking=False).init(6) as w:  # .options() beats the decorator
        assert w.get().result(timeout=T) == 6


def test_decorator_beats_class_keywords(no_leaks):
    with pytest.warns(UserWarning, match="already has class options"):
        Deco = worker(mode="sync")(type("K", (Keyworded,), {}))
    with Deco.options().init() as w:
        assert w.mode is ExecutionMode.Sync
        assert w.get() == "kw"  # blocking still from the class keywords


def test_import_is_light():
    code = (
        "import sys, concurry_workers; "
        "bad = [m for m in ('multiprocessing', 'morphic', 'ray', 'cloudpickle', 'pydantic', "
        "'concurry_limits', 'concurry_retry') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"


def test_public_names_use_the_package_path():
    import concurry_workers

    for name in concurry_workers.__all__:
        obj = getattr(concurry_workers, name)
        if isinstance(obj, type):
            assert obj.__module__ == "concurry_workers", name


def test_global_config_reaches_new_workers(no_leaks):
    with temp_config(thread_blocking=True), Echo.options(mode="thread").init(3) as w:
        assert w.get() == 3  # blocking from the config
    with Echo.options(mode="thread").init(4) as w:
        assert w.get().result(timeout=T) == 4


def test_stop_timeout_option():
    assert Echo.options(mode="thread", stop_timeout=2).spec.stop_timeout == 2.0
    with temp_config(process_stop_timeout=3):
        assert Echo.options(mode="process").spec.stop_timeout == 3.0


def test_builder_revalidates_after_config_change(no_leaks):
    builder = Echo.options(mode="thread")
    with temp_config(thread_max_queued_tasks=4), builder.init() as w:
        assert w._link.capacity == 4
    with builder.init() as w:
        assert w._link.capacity == 100


def test_worker_decorator_on_a_pydantic_model(no_leaks):
    import warnings

    from pydantic import BaseModel

    @worker
    class Model(BaseModel):
        name: str

        def hello(self) -> str:
            return f"hi {self.name}"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for mode in ("sync", "thread", "process"):
            with Model.options(mode=mode).init(name="ann") as w:
                assert w.hello().result(timeout=T) == "hi ann"
    assert Model(name="bob").hello() == "hi bob"


def test_public_objects_pickle_by_their_public_path():
    import pickle

    from concurry_workers import (
        _NO_ARG,
        RemoteTraceback,
        WorkerDiedError,
        WorkerStoppedError,
    )

    assert pickle.loads(pickle.dumps(ExecutionMode.Threads)) is ExecutionMode.Threads
    assert pickle.loads(pickle.dumps(_NO_ARG)) is _NO_ARG
    died = pickle.loads(pickle.dumps(WorkerDiedError("gone", -9)))
    assert died.exitcode == -9 and str(died) == "gone"
    assert str(pickle.loads(pickle.dumps(WorkerStoppedError()))) == "Worker is stopped"
    assert "frame" in str(pickle.loads(pickle.dumps(RemoteTraceback("frame"))))


def test_worker_decorator_keeps_a_user_options_method(no_leaks):
    @worker
    class HasOptions:
        def options(self):
            return "mine"

    with HasOptions.options(mode="thread").init() as w:
        assert w.options().result(timeout=T) == "mine"
    assert HasOptions().options() == "mine"


class _OwnNew(Worker, mode="sync", blocking=True):
    """An auto-init class with its own ``__new__``."""

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        obj.via_new = args
        return obj

    def __init__(self, *args):
        self.args = args

    def seen(self):
        return self.via_new, self.args


class _OwnNewChild(_OwnNew):
    pass


def test_auto_init_keeps_a_class_own_new(no_leaks):
    for cls in (_OwnNew, _OwnNewChild):
        w = cls(1, 2)  # a proxy; the instance inside is made by the class's __new__
        try:
            assert w.seen() == ((1, 2), (1, 2))
        finally:
            w.stop()
    import pickle

    instance = object.__new__(_OwnNew)
    instance.__dict__.update(via_new=(), args=(4,))
    copied = pickle.loads(pickle.dumps(instance))  # rebuilt by __new__, not started
    assert isinstance(copied, _OwnNew) and copied.args == (4,)
