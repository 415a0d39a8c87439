"""LimitPool and the ``limited`` decorator / context manager."""

from __future__ import annotations

import pickle

import pytest

from concurry_limits import CallLimit, LimitPool, LimitSet, RateLimit, ResourceLimit, limited


def sets(n: int) -> list[LimitSet]:
    return [LimitSet([ResourceLimit("slot", 1)], config={"i": i}) for i in range(n)]


def test_round_robin_starts_at_worker_index() -> None:
    pool = LimitPool(sets(3), worker_index=1)
    order = []
    for _ in range(6):
        with pool.acquire() as acq:
            order.append(acq.config["i"])
    assert order == [1, 2, 0, 1, 2, 0]
    assert pool[0].config == {"i": 0} and len(pool) == 3


def test_busy_set_is_skipped() -> None:
    pool = LimitPool(sets(2))
    a = pool.acquire()
    b = pool.acquire()
    assert {a.config["i"], b.config["i"]} == {0, 1}
    assert not pool.try_acquire().successful
    a.release()
    c = pool.acquire(timeout=1)
    assert c.config["i"] == a.config["i"]
    b.release()
    c.release()


def test_random_balancing_and_validation() -> None:
    pool = LimitPool(sets(3), load_balancing="rand")
    seen = set()
    for _ in range(60):
        with pool.acquire() as acq:
            seen.add(acq.config["i"])
    assert seen == {0, 1, 2}
    with pytest.raises(ValueError, match="round_robin, random"):
        LimitPool(sets(1), load_balancing="least_active")
    with pytest.raises(ValueError, match="at least one"):
        LimitPool([])
    with pytest.raises(ValueError, match="LimitSet objects"):
        LimitPool([1])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="worker_index"):
        LimitPool(sets(1), worker_index=-1)
    assert isinstance(pickle.loads(pickle.dumps(pool)), LimitPool)


async def test_pool_async() -> None:
    pool = LimitPool(sets(2))
    async with pool.async_acquire() as a, pool.async_acquire(timeout=1) as b:
        assert {a.config["i"], b.config["i"]} == {0, 1}
    acq = await pool.async_acquire()
    acq.release()


def test_limited_decorator_sync() -> None:
    calls = []

    @limited(
        CallLimit(60, 3), RateLimit("chars", 60, 100), requested=lambda text: {"chars": len(text)}
    )
    def send(text: str) -> int:
        calls.append(text)
        return len(text)

    assert send("hello") == 5
    assert send.limits.get_stats()["chars"]["available"] == pytest.approx(95, abs=0.1)
    assert send.__name__ == "send"
    with pytest.raises(ValueError, match="exceeds capacity"):
        send("x" * 101)
    send("a")
    send("b")
    with pytest.raises(TimeoutError):
        limited(send.limits, timeout=0.05)(lambda: None)()


async def test_limited_decorator_async_and_context_manager() -> None:
    ls = LimitSet([ResourceLimit("conn", 1), RateLimit("t", 60, 10)])

    @limited(ls, requested={"t": 2})
    async def fetch(x: int) -> int:
        assert ls.get_stats()["conn"]["held"] == 1
        return x * 2

    assert await fetch(21) == 42
    assert ls.get_stats()["t"]["available"] == pytest.approx(8, abs=0.1)
    async with limited(ls) as acq:
        assert acq.requested == {"conn": 1}
    with limited(ls, requested={"t": 1}) as acq:
        acq.update({"t": 1})
    assert ls.get_stats()["conn"]["held"] == 0


def test_limited_rejects_misuse() -> None:
    with pytest.raises(ValueError, match="takes one LimitSet"):
        limited(3)
    lim = limited(ResourceLimit("r", 2))
    with lim, pytest.raises(RuntimeError, match="already in use"), lim:
        pass
    with (
        pytest.raises(ValueError, match="callable requested"),
        limited(ResourceLimit("r", 1), requested=lambda: {}),
    ):
        pass
