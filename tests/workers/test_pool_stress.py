"""Pools under unhappy timing: a worker killed with calls half sent, stop() racing a
replacement, cancels racing admissions. Each scenario is hit at many points."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import CancelledError, wait

import pytest

from concurry_workers import Worker, WorkerDiedError

T = 30


class Busy(Worker):
    def pid(self) -> int:
        return os.getpid()

    def work(self, i: int, seconds: float) -> tuple[int, int]:
        time.sleep(seconds)  # the work being interrupted, not synchronisation
        return i, os.getpid()


def _pids(pool, n: int) -> list[int]:
    found: set[int] = set()
    for _ in range(4 * n):
        found.add(pool.pid().result(timeout=T))
        if len(found) == n:
            break
    assert len(found) == n
    return sorted(found)


@pytest.mark.parametrize("point", range(0, 24, 2))
def test_kill_with_calls_half_sent(point: int, no_leaks) -> None:
    """A worker killed after ``point`` results: its calls fail, every other call completes."""
    pool = Busy.options(mode="process", max_workers=2, max_queued_tasks=3).init()
    try:
        victim, survivor = _pids(pool, 2)
        delivered = threading.Semaphore(0)
        futures = [pool.work(i, 0.002) for i in range(40)]
        for f in futures:
            f.add_done_callback(lambda _: delivered.release())
        for _ in range(point):
            assert delivered.acquire(timeout=T)
        os.kill(victim, signal.SIGKILL)
        _, not_done = wait([f.future for f in futures], timeout=T)
        assert not not_done
        died = 0
        for i, f in enumerate(futures):
            try:
                index, _ = f.result(timeout=0)
            except WorkerDiedError as exc:
                assert "SIGKILL" in str(exc)
                died += 1
            else:
                assert index == i  # on the survivor, or on the victim's replacement
        assert died <= 3  # at most the victim's own calls in flight (its queue)
        # the pool serves new calls, on a replacement and the survivor
        pids = {pool.pid().result(timeout=T) for _ in range(8)}
        assert victim not in pids
        assert survivor in pids
        stats = pool.get_pool_stats()
        assert stats["active_calls"] == [0, 0]
        assert stats["pool_queued"] == 0
    finally:
        pool.stop(timeout=5)


@pytest.mark.parametrize("wait_for_death", [False, True])
@pytest.mark.parametrize("run", range(10))
def test_stop_racing_a_replacement(run: int, wait_for_death: bool, no_leaks) -> None:
    """stop() right after a worker died (its replacement starting): no process outlives it."""
    pool = Busy.options(mode="process", max_workers=2).init()
    victim, _ = _pids(pool, 2)
    pending = [pool.work(i, 0.05) for i in range(6)]
    os.kill(victim, signal.SIGKILL)
    if wait_for_death:
        # the victim's first call failing means the death was handled (replacement begun)
        for f in pending:
            try:
                f.result(timeout=T)
            except WorkerDiedError:
                break
    started = time.monotonic()
    pool.stop(timeout=1)
    assert time.monotonic() - started < 15
    for f in pending:
        assert f.done()
        try:
            f.result(timeout=0)
        except (WorkerDiedError, CancelledError):
            pass
    with pytest.raises(RuntimeError, match="stopped"):
        pool.pid()


class Gate(Worker):
    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate
        self.ran: list[int] = []

    def hold(self, i: int) -> int:
        assert self.gate.wait(T)
        self.ran.append(i)
        return i

    def seen(self) -> list[int]:
        return list(self.ran)


@pytest.mark.parametrize("run", range(10))
def test_cancels_racing_admissions(run: int, no_leaks) -> None:
    """Cancels of queued calls while the workers free their slots: no cancelled call runs."""
    gate = threading.Event()
    pool = Gate.options(
        mode="thread", max_workers=3, max_queued_tasks=2, load_balancing="least_active"
    ).init(gate)
    try:
        futures = [pool.hold(i) for i in range(60)]
        assert pool.get_pool_stats()["pool_queued"] == 60 - 6
        canceller = threading.Thread(target=lambda: [f.cancel() for f in futures[run::2]])
        canceller.start()
        gate.set()  # workers finish and admissions run while the cancels land
        canceller.join(T)
        wait([f.future for f in futures], timeout=T)
        ran: list[int] = []
        for _ in range(12):  # every worker is asked (least_active spreads idle calls)
            ran.extend(pool.seen().result(timeout=T))
        ran_set = set(ran)
        for i, f in enumerate(futures):
            if f.cancelled():
                assert i not in ran_set, f"call {i} was cancelled yet ran"
            else:
                assert f.result(timeout=0) == i
        stats = pool.get_pool_stats()
        assert stats["active_calls"] == [0, 0, 0]
        assert stats["pool_queued"] == 0
    finally:
        pool.stop(timeout=5)


class Fussy(Worker):
    """Refuses to start while a marker file exists (a replacement that cannot start)."""

    def __init__(self, marker: str) -> None:
        if os.path.exists(marker):
            raise OSError(f"refusing to start: {marker} exists")

    def pid(self) -> int:
        return os.getpid()


def test_a_replacement_that_cannot_start_fails_only_its_calls(tmp_path, no_leaks) -> None:
    marker = str(tmp_path / "marker")
    pool = Fussy.options(mode="process", max_workers=2).init(marker)
    try:
        victim, survivor = _pids(pool, 2)
        open(marker, "w").close()
        os.kill(victim, signal.SIGKILL)
        outcomes = []
        for _ in range(10):
            try:
                outcomes.append(pool.pid().result(timeout=T))
            except OSError as exc:
                assert "refusing to start" in str(exc)
                outcomes.append("start-up error")
            except WorkerDiedError:
                outcomes.append("died")  # a call given to the victim before its death was seen
        assert survivor in outcomes
        assert "start-up error" in outcomes
        assert set(outcomes) <= {survivor, "start-up error", "died"}
        assert "failed" in pool.get_pool_stats()["worker_states"]
        os.remove(marker)  # the next call given to that worker starts it again
        pids = {pool.pid().result(timeout=T) for _ in range(6)}
        assert len(pids) == 2 and victim not in pids
    finally:
        pool.stop(timeout=5)
