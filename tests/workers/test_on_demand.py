"""On-demand pools (issue 9): a fresh worker per call, at most ``max_workers`` at once.

Every test runs real threads or real processes. Calls that must overlap hold on
a *gate* file that the test creates; what ran and when is recorded in files, so
the same worker code serves the thread and the process mode.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest
from workers_helpers import quiet_stop, run_bounded

from concurry_workers import (
    SerializationError,
    Worker,
    WorkerDiedError,
    WorkerStoppedError,
    task,
)

T = 30
MODES = ["thread", "process"]


def _wait_for(path: Path | str, limit: float = T) -> None:
    """Block until ``path`` exists (polling a file the other side creates)."""
    deadline = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {limit} s")
        time.sleep(0.002)


def _wait_count(folder: Path, prefix: str, count: int, limit: float = T) -> list[Path]:
    deadline = time.monotonic() + limit
    while True:
        found = sorted(folder.glob(prefix + "*"))
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"{len(found)} of {count} {prefix!r} files"
        time.sleep(0.002)


class Gated(Worker):
    """Records its start and end in files and holds until the gate file exists."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self.token = uuid.uuid4().hex
        self.calls = 0

    def run(self, gate: str | None = None) -> tuple[str, int, int]:
        self.calls += 1
        me = uuid.uuid4().hex
        (self.folder / f"start-{me}").touch()
        running = len(list(self.folder.glob("start-*"))) - len(list(self.folder.glob("end-*")))
        (self.folder / f"seen-{me}-{running}").touch()
        if gate is not None:
            _wait_for(gate)
        (self.folder / f"end-{me}").touch()
        return self.token, self.calls, os.getpid()

    def pid_then_hold(self, pid_file: str, gate: str) -> int:
        Path(pid_file + ".tmp").write_text(str(os.getpid()))
        os.replace(pid_file + ".tmp", pid_file)  # the pid appears whole
        _wait_for(gate)
        return os.getpid()


def _max_seen(folder: Path) -> int:
    # "seen-<id>-<count>"; a count can read negative (a directory listing made while
    # files are created may miss some "start-" ones), never too high
    return max(int(p.name.split("-", 2)[2]) for p in folder.glob("seen-*"))


@pytest.mark.parametrize("mode", MODES)
def test_the_cap_bounds_the_calls_running_at_once(mode, tmp_path, no_leaks):
    gate = tmp_path / "gate"
    pool = Gated.options(mode=mode, on_demand=True, max_workers=2).init(str(tmp_path))
    try:
        futures = [pool.run(str(gate)) for _ in range(8)]
        _wait_count(tmp_path, "start-", 2)  # the cap is reached ...
        gate.touch()  # ... then everything may run
        results = [f.result(timeout=T) for f in futures]
    finally:
        quiet_stop(pool)
    assert _max_seen(tmp_path) <= 2  # ... and never exceeded
    assert len({token for token, _, _ in results}) == 8  # a fresh instance per call
    assert {calls for _, calls, _ in results} == {1}
    if mode == "process":
        assert len({pid for _, _, pid in results}) == 8  # a fresh process per call


@pytest.mark.parametrize("mode", MODES)
def test_submitting_never_waits_for_a_worker(mode, tmp_path, no_leaks):
    gate = tmp_path / "gate"
    pool = Gated.options(mode=mode, on_demand=True, max_workers=1).init(str(tmp_path))
    try:
        futures: list = []
        elapsed = run_bounded(
            lambda: futures.extend(pool.run(str(gate)) for _ in range(50)), 10, "50 submits"
        )
        assert elapsed < 5, elapsed
        _wait_count(tmp_path, "start-", 1)
        gate.touch()
        assert len({f.result(timeout=T)[0] for f in futures}) == 50
    finally:
        quiet_stop(pool)


@pytest.mark.parametrize("mode", MODES)
def test_stop_cancels_calls_not_started_and_returns_in_time(mode, tmp_path, no_leaks):
    gate = tmp_path / "gate"
    pool = Gated.options(mode=mode, on_demand=True, max_workers=1).init(str(tmp_path))
    try:
        running = pool.run(str(gate))
        queued = [pool.run(str(gate)) for _ in range(5)]
        _wait_count(tmp_path, "start-", 1)
        elapsed = run_bounded(lambda: pool.stop(timeout=0.5), 15, "stop(timeout=0.5)")
        assert elapsed < 10, elapsed
        assert all(f.cancelled() for f in queued)
        with pytest.raises(WorkerStoppedError, match="Worker pool is stopped"):
            pool.run()
        if mode == "process":  # ended at the deadline
            with pytest.raises(WorkerDiedError, match=r"terminated by stop\(timeout=0\.5"):
                running.result(timeout=T)
        else:  # a thread cannot be ended: it is abandoned and finishes on its own
            gate.touch()
            assert running.result(timeout=T)[1] == 1
    finally:
        gate.touch()
        quiet_stop(pool)
    assert len(list(tmp_path.glob("start-*"))) == 1  # nothing queued ran


class FailingInit(Worker):
    def __init__(self, flag: str) -> None:
        if os.path.exists(flag):
            raise ValueError(f"init refused: {flag} exists")

    def ok(self) -> str:
        return "ok"


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_init_fails_only_its_call(mode, tmp_path, no_leaks):
    flag = tmp_path / "flag"
    flag.touch()
    with FailingInit.options(mode=mode, on_demand=True, max_workers=2).init(str(flag)) as pool:
        with pytest.raises(ValueError, match="init refused"):
            pool.ok().result(timeout=T)
        flag.unlink()
        assert pool.ok().result(timeout=T) == "ok"


def test_a_killed_one_shot_process_fails_its_call_with_the_exit_code(tmp_path, no_leaks):
    gate = tmp_path / "gate"
    with Gated.options(mode="process", on_demand=True, max_workers=1).init(str(tmp_path)) as pool:
        victim = pool.pid_then_hold(str(tmp_path / "pid"), str(gate))
        _wait_for(tmp_path / "pid")
        os.kill(int((tmp_path / "pid").read_text()), signal.SIGKILL)
        with pytest.raises(WorkerDiedError, match=r"exit code -9 \(SIGKILL\)") as info:
            victim.result(timeout=T)
        assert info.value.exitcode == -9
        gate.touch()
        assert pool.run(str(gate)).result(timeout=T)[1] == 1  # the pool goes on


@pytest.mark.parametrize("mode", MODES)
def test_retries_run_inside_the_one_shot_worker(mode, tmp_path, no_leaks):
    counter = tmp_path / "attempts"

    @task(mode=mode, num_retries=3, retry_wait=0, retry_jitter=0)
    def flaky(path: str) -> int:
        attempts = len(Path(path).read_text()) if os.path.exists(path) else 0
        Path(path).write_text("x" * (attempts + 1))
        if attempts < 2:
            raise ConnectionError(f"attempt {attempts}")
        return attempts

    with flaky:
        assert flaky(str(counter)).result(timeout=T) == 2


@pytest.mark.parametrize("mode", MODES)
def test_limits_and_future_arguments_reach_the_one_shot_worker(mode, no_leaks):
    from concurry_limits import RateLimit

    @task(mode=mode, limits=[RateLimit(key="calls", capacity=100, window=60)])
    def use(x: int, limits) -> tuple[int, str]:
        with limits.acquire(requested={"calls": 1}) as acquired:
            acquired.update(usage={"calls": 1})
        return x, type(limits).__name__

    with use:
        first = use(1)
        second = use(first)  # a future argument: resolved before the call runs
        value, kind = second.result(timeout=T)
        assert value == (1, "LimitSet") and kind == "LimitSet"


@pytest.mark.parametrize("mode", MODES)
def test_map_runs_every_item_on_a_fresh_worker(mode, no_leaks):
    @task(mode=mode, max_workers=2)
    def square(x: int) -> tuple[int, int]:
        return x * x, os.getpid()

    with square:
        results = list(square.map(range(40), timeout=60))
    assert [r for r, _ in results] == [x * x for x in range(40)]
    if mode == "process":
        assert len({pid for _, pid in results}) == 40


@pytest.mark.parametrize("mp_context", ["fork", "spawn"])
def test_other_start_methods(mp_context, tmp_path, no_leaks):
    options = {"mode": "process", "on_demand": True, "max_workers": 2, "mp_context": mp_context}
    with Gated.options(**options).init(str(tmp_path)) as pool:
        results = [f.result(timeout=60) for f in [pool.run() for _ in range(2)]]
    assert len({pid for _, _, pid in results}) == 2


def test_init_arguments_that_cannot_be_pickled_fail_at_init(no_leaks):
    with pytest.raises(SerializationError, match="could not be pickled"):
        Gated.options(mode="process", on_demand=True).init(threading.Lock())


@pytest.mark.parametrize("mode", MODES)
def test_a_dropped_pool_ends_its_spares_and_threads(mode, tmp_path, no_leaks):
    pool = Gated.options(mode=mode, on_demand=True, max_workers=2).init(str(tmp_path))
    assert pool.run().result(timeout=T)[1] == 1
    del pool
    gc.collect()  # no_leaks then checks that nothing of it is left running


def test_spares_are_not_running_calls(tmp_path, no_leaks):
    """A spare process waits for its call: it holds no slot and runs no __init__."""
    gate = tmp_path / "gate"
    with Gated.options(mode="process", on_demand=True, max_workers=1).init(str(tmp_path)) as pool:
        first = pool.run(str(gate))
        _wait_count(tmp_path, "start-", 1)
        second = pool.run(str(gate))  # waits for the slot, not for a spare
        assert not second.running()
        gate.touch()
        assert first.result(timeout=T)[1] == second.result(timeout=T)[1] == 1
    assert _max_seen(tmp_path) == 1
