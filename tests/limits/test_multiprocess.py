"""The multiprocess backend with real processes, started with fork and with spawn."""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import limits_mp_helpers as helpers

from concurry_limits import (
    LimitBackendError,
    LimitSet,
    MultiprocessBackend,
    RateLimit,
    ResourceLimit,
)

METHODS = ["fork", "spawn"]


def shared(*limits: object) -> LimitSet:
    return LimitSet(list(limits), shared=True, mode="process")  # type: ignore[arg-type]


def test_shared_process_mode_selects_the_multiprocess_backend() -> None:
    ls = shared(ResourceLimit("r", 1))
    assert isinstance(ls.backend, MultiprocessBackend)
    assert isinstance(
        LimitSet([ResourceLimit("r", 1)], backend="multiprocess").backend, MultiprocessBackend
    )
    assert not isinstance(
        LimitSet([ResourceLimit("r", 1)], mode="process").backend, MultiprocessBackend
    )  # not shared: private in-process state
    ls.close()


@pytest.mark.parametrize("method", METHODS)
def test_child_holds_a_resource_the_parent_sees(method: str) -> None:
    ctx = mp.get_context(method)
    ls = shared(ResourceLimit("r", 1))
    held, release = ctx.Event(), ctx.Event()
    p = ctx.Process(target=helpers.hold_until, args=(ls, held, release))
    with helpers.running(p):
        try:
            assert held.wait(60)
            assert ls.get_stats()["r"]["held"] == 1
            assert not ls.try_acquire().successful
            release.set()
            with ls.acquire(timeout=10):  # woken by the child's release (within the poll bound)
                pass
        finally:
            release.set()
        p.join(30)
        assert p.exitcode == 0
    ls.close()


@pytest.mark.parametrize("method", METHODS)
def test_refunds_made_in_a_child_reach_the_parent(method: str) -> None:
    ctx = mp.get_context(method)
    ls = shared(RateLimit("tokens", 1000, 100), RateLimit("g", 1000, 100, "gcra"))
    done = ctx.Queue()
    procs = [
        ctx.Process(target=helpers.spend, args=(ls, "tokens", 80, 30, done)),
        ctx.Process(target=helpers.spend, args=(ls, "g", 50, 10, done)),
    ]
    with helpers.running(*procs):
        assert [done.get(timeout=60) for _ in procs] == ["ok", "ok"]
        for p in procs:
            p.join(30)
    stats = ls.get_stats()
    assert stats["tokens"]["available"] == pytest.approx(70, abs=0.5)
    assert stats["g"]["available"] == pytest.approx(90, abs=0.5)
    ls.close()


@pytest.mark.parametrize("algo", ["token_bucket", "sliding_window"])
def test_four_processes_share_fifty_per_second(algo: str) -> None:
    ctx = mp.get_context("fork")
    ls = shared(RateLimit("t", 0.1, 5, algo))
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=helpers.rate_stamps, args=(ls, start, 2.0, out)) for _ in range(4)]
    with helpers.running(*procs):
        start.set()
        stamps = sorted(t for _ in procs for t in out.get(timeout=60))
        for p in procs:
            p.join(30)
    t0 = stamps[0]
    steady = [t for t in stamps if t0 + 0.3 <= t < t0 + 1.9]
    rate = len(steady) / 1.6
    assert 50 * 0.85 <= rate <= 50 * 1.15, rate
    if algo == "sliding_window":  # no 0.08 s interval (0.1 s minus slack) holds more than 5
        j = 0
        for i, t in enumerate(stamps):
            while stamps[j] <= t - 0.08:
                j += 1
            assert i - j + 1 <= 5
    ls.close()


@pytest.mark.parametrize("method", METHODS)
def test_resource_never_over_held_across_processes(method: str) -> None:
    ctx = mp.get_context(method)
    ls = shared(ResourceLimit("r", 2))
    start, out = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=helpers.resource_spans, args=(ls, start, 40, out)) for _ in range(4)
    ]
    with helpers.running(*procs):
        start.set()
        spans = [s for _ in procs for s in out.get(timeout=90)]
        for p in procs:
            p.join(30)
    peak = helpers.peak_overlap(spans)
    assert len(spans) == 160 and peak <= 2
    assert ls.get_stats()["r"]["held"] == 0
    ls.close()


def test_set_sent_through_a_queue_attaches_to_the_same_state() -> None:
    ctx = mp.get_context("spawn")
    ls = shared(ResourceLimit("r", 3))
    held = ls.acquire()
    inbox, outbox = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=helpers.attach_from_queue, args=(inbox, outbox))
    with helpers.running(p):
        inbox.put(ls)
        assert outbox.get(timeout=60) == 2  # the parent's unit and the child's
        p.join(30)
    held.release()
    ls.close()


def test_lifetime_owner_unlinks_and_late_attach_fails_clearly() -> None:
    ls = shared(ResourceLimit("r", 1))
    path = ls._store.path
    assert os.path.exists(path)
    blob = pickle.dumps(ls)
    same = pickle.loads(blob)  # attaching while the owner lives works
    with same.acquire():
        assert ls.get_stats()["r"]["held"] == 1
    ls.close()
    assert not os.path.exists(path)
    with same.acquire(timeout=1):  # already attached: keeps working
        pass
    with pytest.raises(LimitBackendError, match="is gone"):
        pickle.loads(blob)


def test_garbage_collected_owner_removes_its_file() -> None:
    ls = shared(ResourceLimit("r", 1))
    path = ls._store.path
    del ls
    import gc

    gc.collect()
    deadline = time.monotonic() + 5
    while os.path.exists(path) and time.monotonic() < deadline:
        gc.collect()
    assert not os.path.exists(path)


def test_forked_child_is_not_wedged_by_a_lock_held_at_fork_time() -> None:
    ctx = mp.get_context("fork")
    private = LimitSet([ResourceLimit("r", 1)])
    out = ctx.Queue()
    lock = private._store._lock
    p = ctx.Process(target=helpers.acquire_once, args=(private, out))
    try:
        lock.acquire()  # as if another thread were inside acquire() when the worker forked
        try:
            p.start()
        finally:
            lock.release()
        assert out.get(timeout=30) == "ok"
        p.join(30)
    finally:
        helpers.stop(p)


async def test_async_acquire_on_the_shared_backend() -> None:
    ls = shared(RateLimit("t", 0.3, 1), ResourceLimit("r", 1))
    async with ls.async_acquire({"t": 1}) as acq:
        acq.update({"t": 1})
    start = time.monotonic()
    async with ls.async_acquire({"t": 1}, timeout=5) as acq:
        acq.update({"t": 1})
    assert 0.2 < time.monotonic() - start < 3.0
    assert ls.get_stats()["r"]["held"] == 0
    ls.close()


def test_a_stuck_lock_holder_is_an_error_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    from concurry_limits._backends import _multiprocess

    monkeypatch.setattr(_multiprocess, "_LOCK_BOUND", 0.3)
    ctx = mp.get_context("fork")
    ls = shared(ResourceLimit("r", 1))
    held, release = ctx.Event(), ctx.Event()
    p = ctx.Process(target=helpers.hold_state_lock, args=(ls, held, release))
    with helpers.running(p):
        try:
            assert held.wait(60)
            start = time.monotonic()
            with pytest.raises(LimitBackendError, match=r"released within 0\.3 s"):
                ls.acquire(timeout=10)
            assert time.monotonic() - start < 5
        finally:
            release.set()
        p.join(30)
        assert p.exitcode == 0
    with ls.acquire(timeout=5):  # usable again once the holder lets go
        pass
    ls.close()
