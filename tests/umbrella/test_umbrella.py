"""The umbrella re-exports the documented API lazily and imports nothing heavy."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import concurry
from concurry._exports import EXPORTS

ALIAS_MODULES = [
    "concurry.core",
    "concurry.core.worker",
    "concurry.core.worker.base_worker",
    "concurry.core.worker.task_worker",
    "concurry.core.worker.task_decorator",
    "concurry.core.future",
    "concurry.core.constants",
    "concurry.core.retry",
    "concurry.core.limit",
    "concurry.config",
    "concurry.utils",
    "concurry.utils.progress",
    "concurry.utils.timer",
]

#: Names an alias module defines itself, over the package object of the same name.
ADAPTERS = {("concurry.core.retry", "execute_with_retry")}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_every_export_is_the_package_object(name: str) -> None:
    obj = getattr(concurry, name)
    assert obj is getattr(importlib.import_module(EXPORTS[name]), name)
    assert name in concurry.__all__
    assert name in dir(concurry)


def test_star_import_gives_all() -> None:
    namespace: dict[str, object] = {}
    exec("from concurry import *", namespace)
    assert set(concurry.__all__) <= set(namespace)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        concurry.NoSuchThing  # noqa: B018


@pytest.mark.parametrize("module", ALIAS_MODULES)
def test_alias_modules_resolve_to_the_same_objects(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        # names the umbrella re-exports are the same objects; the compatibility
        # stand-ins and adapters (tests/compat) are the module's own
        if name in EXPORTS and (module, name) not in ADAPTERS:
            assert getattr(mod, name) is getattr(concurry, name)
        else:
            assert getattr(mod, name) is not None
    with pytest.raises(AttributeError):
        mod.NoSuchThing  # noqa: B018


def test_import_is_lazy_and_light() -> None:
    code = (
        "import sys, concurry\n"
        "heavy = [m for m in ('ray', 'multiprocessing', 'morphic', 'tqdm', 'pydantic', "
        "'asyncio', 'concurrent.futures') if m in sys.modules]\n"
        "ours = [m for m in sys.modules if m.startswith('concurry_')]\n"
        "print(heavy, ours)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip() == "[] []", out


SPEC_SURFACE = [
    "Worker",
    "worker",
    "TaskWorker",
    "task",
    "Executor",
    "BaseFuture",
    "SyncFuture",
    "ConcurrentFuture",
    "AsyncioFuture",
    "wrap_future",
    "wait",
    "gather",
    "async_wait",
    "async_gather",
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "ReturnWhen",
    "ExecutionMode",
    "LoadBalancingAlgorithm",
    "PollingAlgorithm",
    "RateLimitAlgorithm",
    "RateWindow",
    "RetryAlgorithm",
    "Limit",
    "RateLimit",
    "CallLimit",
    "ResourceLimit",
    "LimitSet",
    "LimitPool",
    "Acquisition",
    "LimitSetAcquisition",
    "RetryConfig",
    "RetryValidationError",
    "ProgressBar",
    "Timer",
    "TimerError",
    "global_config",
    "temp_config",
    "_NO_ARG",
]


def test_the_documented_surface_is_exported() -> None:
    # RayFuture joins once concurry-ray provides it.
    missing = sorted(set(SPEC_SURFACE) - set(concurry.__all__))
    assert not missing, missing


def test_reference_example_runs_through_the_umbrella() -> None:
    from concurry import Worker

    class DataProcessor(Worker):
        def __init__(self, multiplier: int) -> None:
            self.multiplier = multiplier

        def process(self, value: int) -> int:
            return value * self.multiplier

    with DataProcessor.options(mode="thread").init(3) as w:
        assert w.process(10).result(timeout=30) == 30


def test_a_resolved_name_is_cached_in_the_module() -> None:
    value = concurry.gather
    assert concurry.__dict__["gather"] is value
