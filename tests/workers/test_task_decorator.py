"""``@task`` (issue 9): options checked at decoration, workers started at first use.

The script tests run a real main script in a fresh interpreter, with module-level
``@task(mode="process")`` functions, under concurry's fork server and spawn.
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from workers_helpers import _children

from concurry_workers import WorkerStoppedError, global_config, task

T = 30


def _concurry_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("concurry")}


@pytest.mark.parametrize("mode", ["thread", "process"])
@pytest.mark.parametrize("on_demand", [True, False])
def test_decorating_starts_nothing(mode, on_demand, no_leaks):
    threads, children = _concurry_threads(), _children()

    @task(mode=mode, on_demand=on_demand, max_workers=2)
    def double(x: int) -> int:
        """Twice x."""
        return 2 * x

    assert _concurry_threads() == threads and _children() == children
    assert "not started" in repr(double)
    with double:
        assert double(4).result(timeout=T) == 8
        assert "(started)" in repr(double)
        assert double.get_pool_stats()["on_demand"] is on_demand


def test_the_function_is_still_described_as_itself():
    def add(x: int, y: int = 1) -> int:
        """Add two numbers."""
        return x + y

    wrapped = task(mode="thread")(add)
    assert wrapped.__wrapped__ is add
    assert wrapped.__name__ == "add"
    assert wrapped.__qualname__ == add.__qualname__
    assert wrapped.__doc__ == "Add two numbers."
    assert wrapped.__module__ == __name__
    assert "not started" in repr(wrapped)  # introspection starts nothing


def test_options_are_checked_at_decoration():
    with pytest.raises(ValueError, match="max_queued_tasks"):

        @task(mode="thread", max_queued_tasks=0)
        def f() -> None:
            pass

    with pytest.raises(TypeError, match="applies to functions"):
        task(mode="thread")(42)


def test_concurrent_first_calls_start_one_worker(no_leaks):
    @task(mode="thread", on_demand=False)
    def ident() -> int:
        return threading.get_ident()

    barrier = threading.Barrier(8)

    def first_use(_: int) -> Any:
        barrier.wait(T)
        return ident()

    with concurrent.futures.ThreadPoolExecutor(8) as callers:
        futures = list(callers.map(first_use, range(8), timeout=T))
    with ident:
        assert len(futures) == 8
        # one single-thread worker ran every call; a second worker would also be
        # left running after stop(), which no_leaks reports
        assert len({f.result(timeout=T) for f in futures}) == 1


@pytest.mark.parametrize("mode", ["thread", "process", "sync", "asyncio"])
def test_stop_before_first_use_starts_nothing(mode, no_leaks):
    threads, children = _concurry_threads(), _children()

    @task(mode=mode)
    def f() -> int:
        return 1

    f.stop()
    f.stop()  # idempotent
    assert _concurry_threads() == threads and _children() == children
    for use in (f, f.submit, lambda: list(f.map([1]))):
        with pytest.raises(WorkerStoppedError, match=r"Worker (pool )?is stopped"):
            use()
    assert "stopped" in repr(f)


@pytest.mark.parametrize("mode", ["thread", "process", "sync", "asyncio"])
def test_calls_after_stop_raise(mode, no_leaks):
    @task(mode=mode)
    def f(x: int) -> int:
        return x + 1

    with f:
        assert f(1).result(timeout=T) == 2
    with pytest.raises(WorkerStoppedError, match=r"Worker (pool )?is stopped"):
        f(1)


def test_on_demand_defaults_follow_the_global_config(no_leaks):
    assert global_config.defaults.task_decorator_on_demand is True
    for mode in ("thread", "process"):

        @task(mode=mode)
        def f() -> str:
            return "x"

        with f:
            assert f.get_pool_stats()["on_demand"] is True
            assert f().result(timeout=T) == "x"

    @task(mode="sync")
    def g() -> str:
        return "y"

    with g:
        assert g().result(timeout=T) == "y"
        assert not hasattr(g, "get_pool_stats")  # a single worker, never on demand


MODULE = '''
"""Module-level process tasks (imported by the main script and by worker processes)."""

import os

from concurry_workers import task

METHOD = os.environ["CONCURRY_TEST_MP"]


@task(mode="process", on_demand=False, mp_context=METHOD)
def persistent(x):
    return x * 10, os.getpid()


@task(mode="process", mp_context=METHOD)
def fresh(x):
    return x * 100, os.getpid()
'''

SCRIPT = '''
"""A main script with module-level process tasks of its own and imported ones."""

import concurrent.futures
import json
import os
import sys

from concurry_workers import task

import lazy_tasks

METHOD = os.environ["CONCURRY_TEST_MP"]


@task(mode="process", on_demand=False, mp_context=METHOD)
def main_persistent(x):
    return x + 1, os.getpid()


@task(mode="process", mp_context=METHOD)
def main_fresh(x):
    return x + 2, os.getpid()


def run():
    out = {}
    for name, fn in [
        ("main_persistent", main_persistent),
        ("main_fresh", main_fresh),
        ("persistent", lazy_tasks.persistent),
        ("fresh", lazy_tasks.fresh),
    ]:
        with fn:
            results = list(fn.map(range(4), timeout=120))
        out[name] = {
            "values": [v for v, _ in results],
            "pids": len({p for _, p in results}),
            "here": any(p == os.getpid() for _, p in results),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    run()
'''


@pytest.mark.parametrize("start_method", ["forkserver", "spawn"])
def test_module_level_process_tasks_in_a_script(tmp_path: Path, start_method: str) -> None:
    (tmp_path / "lazy_tasks.py").write_text(MODULE)
    (tmp_path / "main.py").write_text(SCRIPT)
    env = {**_env(), "CONCURRY_TEST_MP": start_method}
    proc = subprocess.run(
        [sys.executable, "main.py"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["main_persistent"]["values"] == [1, 2, 3, 4]
    assert out["main_fresh"]["values"] == [2, 3, 4, 5]
    assert out["persistent"]["values"] == [0, 10, 20, 30]
    assert out["fresh"]["values"] == [0, 100, 200, 300]
    assert out["main_persistent"]["pids"] == out["persistent"]["pids"] == 1
    assert out["main_fresh"]["pids"] == out["fresh"]["pids"] == 4  # a process per call
    assert not any(result["here"] for result in out.values())


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.pop("PYTHONSTARTUP", None)
    return env
