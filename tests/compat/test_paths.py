"""A user of the original concurry migrates: its module paths, isinstance checks and helpers.

Everything here is written the way the original's users wrote it (imports from
``concurry.core...``, ``isinstance`` against per-mode classes, the retry helpers
with a context dict), and checked against the real objects of the packages.
"""

from __future__ import annotations

import ast
import concurrent.futures
import importlib
import importlib.util
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import concurry
from concurry.core.limit.limit_set import (
    BaseLimitSet,
    InMemorySharedLimitSet,
    MultiprocessSharedLimitSet,
    NoOpLimitSet,
    RaySharedLimitSet,
)
from concurry.core.worker.asyncio_worker import AsyncioWorkerProxy
from concurry.core.worker.base_worker import WorkerProxy
from concurry.core.worker.process_worker import ProcessWorkerProxy
from concurry.core.worker.ray_worker import RayWorkerProxy
from concurry.core.worker.sync_worker import SyncWorkerProxy
from concurry.core.worker.thread_worker import ThreadWorkerProxy
from concurry.core.worker.worker_pool import WorkerProxyPool

PACKAGES = ["concurry_futures", "concurry_limits", "concurry_retry", "concurry_workers"]
HAS_RAY = importlib.util.find_spec("concurry_ray") is not None
if HAS_RAY:
    PACKAGES.append("concurry_ray")

SRC = Path(concurry.__file__).parent

# -- import paths ------------------------------------------------------------------------

#: (module, name, what it must be: "package:attribute" of the real object, or None for
#: the module's own stand-in or adapter)
PATHS: list[tuple[str, str, str | None]] = [
    # the reference's qualified names and `from concurry import ...` lines
    ("concurry.core.worker.base_worker", "Worker", "concurry_workers:Worker"),
    ("concurry.core.worker.task_worker", "TaskWorker", "concurry_workers:TaskWorker"),
    ("concurry.core.worker.task_decorator", "task", "concurry_workers:task"),
    ("concurry", "Worker", "concurry_workers:Worker"),
    ("concurry", "TaskWorker", "concurry_workers:TaskWorker"),
    ("concurry", "task", "concurry_workers:task"),
    ("concurry", "LimitSet", "concurry_limits:LimitSet"),
    ("concurry", "RateLimit", "concurry_limits:RateLimit"),
    ("concurry", "CallLimit", "concurry_limits:CallLimit"),
    ("concurry", "ResourceLimit", "concurry_limits:ResourceLimit"),
    ("concurry", "RateLimitAlgorithm", "concurry_limits:RateLimitAlgorithm"),
    # names in the reference's signatures
    ("concurry", "ExecutionMode", "concurry_workers:ExecutionMode"),
    ("concurry", "LoadBalancingAlgorithm", "concurry_workers:LoadBalancingAlgorithm"),
    ("concurry", "RetryAlgorithm", "concurry_retry:RetryAlgorithm"),
    ("concurry", "WorkerBuilder", "concurry_workers:WorkerBuilder"),
    ("concurry", "_NO_ARG", "concurry_workers:_NO_ARG"),
    ("concurry", "_NO_ARG_TYPE", "concurry_workers:_NO_ARG_TYPE"),
    ("concurry.core.constants", "_NO_ARG_TYPE", "concurry_workers:_NO_ARG_TYPE"),
    ("concurry.core.worker.base_worker", "WorkerBuilder", "concurry_workers:WorkerBuilder"),
    # the drop-in issue's paths
    ("concurry.core.limit", "RateLimit", "concurry_limits:RateLimit"),
    ("concurry.core.limit", "BaseLimitSet", None),
    ("concurry.core.limit.limit", "Limit", "concurry_limits:Limit"),
    ("concurry.core.limit.limit", "RateLimit", "concurry_limits:RateLimit"),
    ("concurry.core.limit.limit", "CallLimit", "concurry_limits:CallLimit"),
    ("concurry.core.limit.limit", "ResourceLimit", "concurry_limits:ResourceLimit"),
    ("concurry.core.limit.limit_set", "LimitSet", "concurry_limits:LimitSet"),
    ("concurry.core.limit.limit_set", "BaseLimitSet", None),
    ("concurry.core.limit.limit_set", "InMemorySharedLimitSet", None),
    ("concurry.core.limit.limit_set", "MultiprocessSharedLimitSet", None),
    ("concurry.core.limit.limit_set", "RaySharedLimitSet", None),
    ("concurry.core.limit.limit_set", "NoOpLimitSet", None),
    ("concurry.core.limit.limit_pool", "LimitPool", "concurry_limits:LimitPool"),
    ("concurry.core.worker.base_worker", "WorkerProxy", "concurry_workers:WorkerProxy"),
    ("concurry.core.worker.worker_pool", "WorkerProxyPool", "concurry_workers:WorkerPool"),
    ("concurry.core.worker", "WorkerProxyPool", "concurry_workers:WorkerPool"),
    ("concurry.core.worker.sync_worker", "SyncWorkerProxy", None),
    ("concurry.core.worker.thread_worker", "ThreadWorkerProxy", None),
    ("concurry.core.worker.process_worker", "ProcessWorkerProxy", None),
    ("concurry.core.worker.asyncio_worker", "AsyncioWorkerProxy", None),
    ("concurry.core.worker.ray_worker", "RayWorkerProxy", None),
    ("concurry.core.retry", "calculate_retry_wait", None),
    ("concurry.core.retry", "execute_with_retry", None),
    ("concurry.core.retry", "RetryConfig", "concurry_retry:RetryConfig"),
    ("concurry.core.retry", "RetryValidationError", "concurry_retry:RetryValidationError"),
    ("concurry.core.future", "CancelledError", "concurrent.futures:CancelledError"),
    ("concurry.core.future", "BaseFuture", "concurry_futures:BaseFuture"),
    ("concurry.core.future", "wait", "concurry_futures:wait"),
    ("concurry.core.future", "gather", "concurry_futures:gather"),
    ("concurry.core.constants", "ExecutionMode", "concurry_workers:ExecutionMode"),
    ("concurry.config", "global_config", "concurry_workers:global_config"),
    ("concurry.utils.progress", "ProgressBar", "concurry_futures:ProgressBar"),
    ("concurry.utils.timer", "Timer", "concurry_futures:Timer"),
]


def _real(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize(("module", "name", "target"), PATHS, ids=lambda v: str(v))
def test_the_original_import_paths_work(module: str, name: str, target: str | None) -> None:
    namespace: dict[str, Any] = {}
    exec(f"from {module} import {name}", namespace)
    assert name in importlib.import_module(module).__all__
    if target is not None:
        assert namespace[name] is _real(target)


def test_the_cancelled_error_is_the_one_futures_raise() -> None:
    from concurry.core.future import CancelledError

    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    future.cancel()
    with pytest.raises(CancelledError):
        concurry.wrap_future(future).result(timeout=5)


# -- proxies: isinstance by kind and mode -------------------------------------------------

MODE_CLASSES = {
    "sync": SyncWorkerProxy,
    "thread": ThreadWorkerProxy,
    "process": ProcessWorkerProxy,
    "asyncio": AsyncioWorkerProxy,
    "ray": RayWorkerProxy,
}


class Echo(concurry.Worker):
    def echo(self, value: int) -> int:
        return value


class HasModeMethod(concurry.Worker):
    """A worker whose own ``mode`` method shadows the proxy's ``mode`` attribute."""

    def mode(self) -> str:
        return "mine"


def _assert_only(proxy: Any, mode: str) -> None:
    assert isinstance(proxy, WorkerProxy)
    assert not isinstance(proxy, WorkerProxyPool)
    for name, cls in MODE_CLASSES.items():
        assert isinstance(proxy, cls) is (name == mode), (name, mode)


@pytest.mark.parametrize("mode", ["sync", "thread", "process", "asyncio"])
def test_a_single_worker_is_a_worker_proxy_of_its_mode_only(mode: str) -> None:
    proxy = Echo.options(mode=mode).init()
    try:
        _assert_only(proxy, mode)
        assert proxy.echo(7).result(timeout=30) == 7
    finally:
        proxy.stop()
    _assert_only(proxy, mode)  # a stopped worker keeps its kind


def test_a_worker_method_named_mode_does_not_fool_isinstance() -> None:
    with HasModeMethod.options(mode="thread").init() as proxy:
        assert proxy.mode().result(timeout=30) == "mine"
        _assert_only(proxy, "thread")


def test_a_task_worker_is_a_worker_proxy_of_its_mode() -> None:
    with concurry.TaskWorker.options(mode="asyncio").init() as proxy:
        _assert_only(proxy, "asyncio")
        assert proxy.submit(abs, -3).result(timeout=30) == 3


@pytest.mark.parametrize("options", [{"max_workers": 2}, {"on_demand": True}])
def test_a_pool_is_a_worker_proxy_pool_and_no_single_proxy(options: dict[str, Any]) -> None:
    with Echo.options(mode="thread", **options).init() as pool:
        assert isinstance(pool, WorkerProxyPool)
        assert not isinstance(pool, WorkerProxy)
        for cls in MODE_CLASSES.values():
            assert not isinstance(pool, cls)
        assert pool.echo(1).result(timeout=30) == 1


@pytest.mark.parametrize(
    "obj",
    [object(), Echo, Path("."), "thread", concurry.LimitSet([])],
    ids=["object", "worker-class", "path", "mode-name", "limit-set"],
)
def test_other_objects_are_no_proxies(obj: object) -> None:
    assert not isinstance(obj, WorkerProxy)
    assert not isinstance(obj, WorkerProxyPool)
    for cls in MODE_CLASSES.values():
        assert not isinstance(obj, cls)


@pytest.mark.parametrize("cls", list(MODE_CLASSES.values()), ids=lambda c: c.__name__)
def test_the_mode_classes_say_how_to_start_a_worker(cls: type) -> None:
    with pytest.raises(TypeError, match=r"isinstance.*Worker\.options\(mode="):
        cls()


def test_ray_worker_module_needs_no_ray_and_imports_nothing_heavy() -> None:
    # ``sys.modules["ray"] = None`` makes ``import ray`` fail as if Ray were not installed
    code = (
        "import sys\n"
        "sys.modules['ray'] = None\n"
        "import concurry.core.limit.limit_set as ls, concurry.core.retry\n"
        "from concurry.core.worker import base_worker, worker_pool\n"
        "from concurry.core.worker.ray_worker import RayWorkerProxy\n"
        "from concurry.core.worker.thread_worker import ThreadWorkerProxy\n"
        "heavy = [m for m in ('multiprocessing', 'morphic', 'pydantic') if m in sys.modules]\n"
        "ours = [m for m in sys.modules if m.startswith('concurry_')]\n"
        "print(heavy, ours, isinstance(object(), RayWorkerProxy), "
        "isinstance(object(), ls.BaseLimitSet))\n"
        "import concurry\n"
        "w = concurry.TaskWorker.options(mode='thread').init()\n"
        "print(isinstance(w, RayWorkerProxy), isinstance(w, ThreadWorkerProxy))\n"
        "w.stop()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout.splitlines()
    assert out == ["[] [] False False", "False True"]


@pytest.mark.skipif(not HAS_RAY, reason="needs concurry[ray]")
def test_a_ray_worker_is_a_ray_worker_proxy(ray_session: Any) -> None:
    with Echo.options(mode="ray").init() as proxy:
        assert proxy.echo(5).result(timeout=60) == 5
        _assert_only(proxy, "ray")


# -- limit sets: isinstance by backend, built by the original's classes -------------------

# a window of an hour: nothing refills while a test runs
LIMITS = [concurry.RateLimit(key="tokens", window_seconds=3600, capacity=100)]
KINDS = [InMemorySharedLimitSet, MultiprocessSharedLimitSet, RaySharedLimitSet, NoOpLimitSet]


def _kinds(limit_set: Any) -> set[type]:
    return {cls for cls in [BaseLimitSet, *KINDS] if isinstance(limit_set, cls)}


def test_in_memory_shared_limit_set_builds_an_in_process_set() -> None:
    limit_set = InMemorySharedLimitSet(LIMITS, config={"api_key": "k1"})
    assert isinstance(limit_set, concurry.LimitSet)
    assert _kinds(limit_set) == {BaseLimitSet, InMemorySharedLimitSet}
    with limit_set.acquire(requested={"tokens": 60}) as acquisition:
        acquisition.update(usage={"tokens": 60})
        assert acquisition.config == {"api_key": "k1"}
    assert not limit_set.try_acquire(requested={"tokens": 60}).successful


def test_multiprocess_shared_limit_set_builds_a_shared_memory_set() -> None:
    limit_set = MultiprocessSharedLimitSet(LIMITS)
    assert _kinds(limit_set) == {BaseLimitSet, MultiprocessSharedLimitSet}
    # a set built the new way is recognised too
    direct = concurry.LimitSet(LIMITS, shared=True, mode="process")
    assert _kinds(direct) == {BaseLimitSet, MultiprocessSharedLimitSet}
    with limit_set.acquire(requested={"tokens": 100}) as acquisition:
        acquisition.update(usage={"tokens": 100})
    assert not limit_set.try_acquire(requested={"tokens": 1}).successful


@pytest.mark.skipif(not HAS_RAY, reason="needs concurry[ray]")
def test_ray_shared_limit_set_builds_a_set_on_the_ray_backend() -> None:
    # no bounded limit, so no state actor: the backend is chosen, Ray is not started
    limit_set = RaySharedLimitSet([concurry.CallLimit(window_seconds=1, capacity=math.inf)])
    assert limit_set.backend.name == "ray"
    assert _kinds(limit_set) == {BaseLimitSet, RaySharedLimitSet, NoOpLimitSet}


def test_no_op_limit_set_never_waits() -> None:
    limit_set = NoOpLimitSet(config={"k": 1})
    assert _kinds(limit_set) == {BaseLimitSet, InMemorySharedLimitSet, NoOpLimitSet}
    for _ in range(3):
        with limit_set.acquire(timeout=0) as acquisition:
            assert acquisition.successful
    unbounded = concurry.LimitSet([concurry.RateLimit("t", 1, math.inf)])
    assert isinstance(unbounded, NoOpLimitSet)
    assert not isinstance(concurry.LimitSet(LIMITS), NoOpLimitSet)


class ReportsLimits(concurry.Worker):
    def kinds(self) -> list[str]:
        return sorted(cls.__name__ for cls in _kinds(self.limits))  # type: ignore[attr-defined]


def test_a_worker_without_limits_has_a_no_op_limit_set() -> None:
    with ReportsLimits.options(mode="thread").init() as proxy:
        kinds = proxy.kinds().result(timeout=30)
    assert kinds == ["BaseLimitSet", "InMemorySharedLimitSet", "NoOpLimitSet"]


def test_base_limit_set_is_abstract_and_only_limit_sets_are_instances() -> None:
    with pytest.raises(TypeError, match="abstract"):
        BaseLimitSet(LIMITS)
    pool = concurry.LimitPool([concurry.LimitSet(LIMITS)])
    for obj in (pool, LIMITS[0], object(), LIMITS):
        assert _kinds(obj) == set()


def test_limit_pool_from_its_original_module() -> None:
    from concurry.core.limit.limit_pool import LimitPool

    first, second = InMemorySharedLimitSet(LIMITS), InMemorySharedLimitSet(LIMITS)
    pool = LimitPool([first, second])
    assert pool[0] is first and pool[1] is second


# -- retry helpers --------------------------------------------------------------------------


def test_calculate_retry_wait_follows_the_algorithm() -> None:
    from concurry.core.retry import RetryConfig, calculate_retry_wait

    exponential = RetryConfig(num_retries=5, retry_wait=0.5, retry_jitter=0)
    assert [calculate_retry_wait(n, exponential) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    linear = RetryConfig(retry_algorithm="linear", retry_wait=0.5, retry_jitter=0)
    assert [calculate_retry_wait(n, linear) for n in (1, 2, 3)] == [0.5, 1.0, 1.5]
    capped = RetryConfig(retry_wait=1.0, retry_jitter=0, retry_max_wait=3.0)
    assert calculate_retry_wait(5, capped) == 3.0
    jittered = RetryConfig(retry_wait=1.0, retry_jitter=0.5)
    waits = [calculate_retry_wait(3, jittered) for _ in range(200)]
    assert all(2.0 <= w <= 4.0 for w in waits)
    assert len(set(waits)) > 1
    with pytest.raises(TypeError, match="RetryConfig"):
        calculate_retry_wait(1, {"retry_wait": 1.0})  # type: ignore[arg-type]


class Flaky:
    """Fails ``failures`` times, then returns the sum of its arguments."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self, a: int, b: int = 0) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"attempt {self.calls}")
        return a + b


def test_execute_with_retry_takes_the_original_context_dict() -> None:
    from concurry.core.retry import RetryConfig, execute_with_retry

    seen: list[dict[str, Any]] = []

    def retry_on(exception: BaseException, **ctx: Any) -> bool:
        seen.append(ctx)
        return isinstance(exception, ConnectionError)

    config = RetryConfig(num_retries=3, retry_wait=0, retry_on=retry_on)
    context = {"method_name": "fetch", "worker_class": "APIWorker", "attempt": 99}
    flaky = Flaky(failures=2)
    assert execute_with_retry(flaky, (1,), {"b": 2}, config, context) == 3
    assert flaky.calls == 3
    assert [c["attempt"] for c in seen] == [1, 2]
    assert {(c["method_name"], c["worker_class"]) for c in seen} == {("fetch", "APIWorker")}
    assert seen[0]["args"] == (1,) and seen[0]["kwargs"] == {"b": 2}


def test_execute_with_retry_names_the_context_method_in_validation_errors() -> None:
    from concurry.core.retry import RetryConfig, RetryValidationError, execute_with_retry

    config = RetryConfig(num_retries=1, retry_wait=0, retry_until=lambda result, **ctx: False)
    context = {"method_name": "generate", "worker_class_name": "LLMWorker"}
    with pytest.raises(RetryValidationError) as caught:
        execute_with_retry(Flaky(failures=0), (4,), {}, config, context)
    assert caught.value.method_name == "generate"
    assert caught.value.attempts == 2
    assert caught.value.all_results == [4, 4]


def test_execute_with_retry_still_takes_todays_keywords() -> None:
    from concurry.core.retry import RetryConfig, execute_with_retry

    seen: list[str] = []

    def retry_on(exception: BaseException, method_name: str, **ctx: Any) -> bool:
        seen.append(method_name)
        return True

    config = RetryConfig(num_retries=1, retry_wait=0, retry_on=retry_on)
    assert execute_with_retry(Flaky(1), (2,), config=config, method_name="kw") == 2
    assert seen == ["kw"]
    assert execute_with_retry(Flaky(0), [1, 1]) == 2  # a list of args, no config
    with pytest.raises(TypeError, match="method_name given twice"):
        execute_with_retry(Flaky(0), (1,), {}, config, {"method_name": "a"}, method_name="b")
    with pytest.raises(TypeError, match="context must be a dict"):
        execute_with_retry(Flaky(0), (1,), {}, config, ["method_name"])  # type: ignore[arg-type]


def test_execute_with_retry_gives_up_with_the_last_error() -> None:
    from concurry.core.retry import RetryConfig, execute_with_retry

    flaky = Flaky(failures=5)
    with pytest.raises(ConnectionError, match="attempt 3"):
        execute_with_retry(
            flaky, (1,), {}, RetryConfig(num_retries=2, retry_wait=0), {"method_name": "f"}
        )
    assert flaky.calls == 3


# -- the umbrella's names ----------------------------------------------------------------------


def _package_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for package in PACKAGES:
        for name in importlib.import_module(package).__all__:
            assert name not in names, f"{name} is exported by {names[name]} and {package}"
            names[name] = package
    return names


def test_the_umbrella_exports_every_public_name_of_every_package() -> None:
    names = _package_names()
    assert sorted(set(names) - set(concurry.__all__)) == []
    assert sorted(set(concurry.__all__) - set(names)) == []
    for name, package in names.items():
        assert getattr(concurry, name) is getattr(importlib.import_module(package), name)


def test_the_umbrella_all_is_sorted_without_duplicates() -> None:
    assert concurry.__all__ == sorted(set(concurry.__all__))


@pytest.mark.parametrize(
    "name",
    ["retry", "retrying", "limited", "WorkerDiedError", "SerializationError", "RedisBackend"],
)
def test_names_the_issue_asks_for_are_exported(name: str) -> None:
    assert name in concurry.__all__
    namespace: dict[str, Any] = {}
    exec(f"from concurry import {name}", namespace)
    assert namespace[name] is not None


def test_every_error_class_of_every_package_is_exported() -> None:
    checked = 0
    for package in PACKAGES:
        spaces = [vars(importlib.import_module(package))]
        if importlib.util.find_spec(f"{package}._errors") is not None:
            spaces.append(vars(importlib.import_module(f"{package}._errors")))
        for space in spaces:
            for name, value in space.items():
                if name.startswith("_") or not isinstance(value, type):
                    continue
                if issubclass(value, BaseException) and value.__module__.startswith(package):
                    assert name in concurry.__all__, f"{package}.{name}"
                    assert getattr(concurry, name) is value, name
                    checked += 1
    assert checked >= 15  # the four packages' hierarchies (WorkerDiedError, LimitError...)


def _type_checking_imports(path: Path) -> dict[str, str]:
    """``{name: "module:attribute"}`` re-exported by the ``if TYPE_CHECKING:`` block of a module.

    Re-exports as type checkers read them: ``from m import X as X`` and ``Y = X``
    (for a public ``Y``).
    """
    tree = ast.parse(path.read_text())
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    for alias in stmt.names:
                        if alias.asname is not None:
                            found[alias.asname] = f"{stmt.module}:{alias.name}"
                elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name):
                    target = stmt.targets[0].id  # type: ignore[attr-defined]
                    if not target.startswith("_"):  # a private helper, not a re-export
                        found[target] = found[stmt.value.id]
    return found


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_type_checkers_see_every_umbrella_name_from_its_package() -> None:
    from concurry._exports import EXPORTS

    seen = _type_checking_imports(SRC / "__init__.py")
    assert seen == {name: f"{module}:{name}" for name, module in EXPORTS.items()}


def _alias_modules() -> list[str]:
    """Every public module of the umbrella but ``concurry`` itself."""
    modules = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts == ("__init__",) or (parts[-1].startswith("_") and parts[-1] != "__init__"):
            continue
        modules.append(".".join(("concurry", *parts)).removesuffix(".__init__"))
    return modules


@pytest.mark.parametrize("module", _alias_modules())
def test_type_checkers_see_what_each_alias_module_exports(module: str) -> None:
    mod = importlib.import_module(module)
    path = Path(mod.__file__)  # type: ignore[arg-type]
    assert mod.__all__ == sorted(set(mod.__all__))
    own = _defined(path) & set(mod.__all__)
    seen = _type_checking_imports(path)
    assert sorted(set(mod.__all__) - own - set(seen)) == []
    # the block names nothing more, but an optional extra that is not installed
    extra = {n for n, target in seen.items() if n not in mod.__all__}
    assert all(seen[n].startswith("concurry_ray:") and not HAS_RAY for n in extra), extra
    for name in set(mod.__all__) - own:
        assert getattr(mod, name) is _real(seen[name]), name


@pytest.mark.parametrize("module", _alias_modules())
def test_star_import_of_each_alias_module_gives_its_all(module: str) -> None:
    namespace: dict[str, Any] = {}
    exec(f"from {module} import *", namespace)
    assert set(importlib.import_module(module).__all__) <= set(namespace)
