"""Kind-specific behaviour of SyncFuture, ConcurrentFuture and AsyncioFuture."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future
from typing import Any

import pytest

from concurry_futures import AsyncioFuture, ConcurrentFuture, SyncFuture

from .conftest import GATE_TIMEOUT


def test_sync_future_rejects_a_non_exception() -> None:
    with pytest.raises(TypeError, match="exception_value must be an exception instance"):
        SyncFuture(exception_value="nope")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ValueError"):
        SyncFuture(exception_value=ValueError)  # type: ignore[arg-type]


def test_sync_future_exception_wins_over_value() -> None:
    fut = SyncFuture(1, RuntimeError("x"))
    with pytest.raises(RuntimeError):
        fut.result()
    assert SyncFuture().result() is None


def test_concurrent_future_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match=r"concurrent\.futures\.Future, got int"):
        ConcurrentFuture(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="SyncFuture"):
        ConcurrentFuture(SyncFuture(1))  # type: ignore[arg-type]


def test_concurrent_future_is_a_thin_view() -> None:
    raw: Future[int] = Future()
    a, b = ConcurrentFuture(raw), ConcurrentFuture(raw)
    assert not hasattr(a, "__dict__")
    assert a != b and a.future is raw and b.future is raw  # identity, like the future
    assert raw.set_running_or_notify_cancel()
    assert a.running() and not a.cancel()
    raw.set_result(4)
    assert a.result() == 4 and b.done()


def test_asyncio_future_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match="asyncio future, got Future"):
        AsyncioFuture(Future())


def test_asyncio_blocking_result_on_its_own_loop_is_a_clear_error() -> None:
    async def main() -> None:
        fut = AsyncioFuture(asyncio.get_running_loop().create_future())
        with pytest.raises(RuntimeError, match="would deadlock"):
            fut.result()
        with pytest.raises(RuntimeError, match="would deadlock"):
            fut.exception(timeout=1)

    asyncio.run(main())


def test_asyncio_result_from_another_thread(loop: Any) -> None:
    async def create() -> asyncio.Future[int]:
        return loop.create_future()

    raw = asyncio.run_coroutine_threadsafe(create(), loop).result(GATE_TIMEOUT)
    fut = AsyncioFuture(raw)
    got: list[Any] = []
    reader = threading.Thread(target=lambda: got.append(fut.result(timeout=GATE_TIMEOUT)))
    reader.start()
    loop.call_soon_threadsafe(raw.set_result, 9)
    reader.join(GATE_TIMEOUT)
    assert got == [9]
    assert fut.future is raw


def test_asyncio_future_of_a_closed_loop_fails_fast() -> None:
    lp = asyncio.new_event_loop()
    fut = AsyncioFuture(lp.create_future())
    lp.close()
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="closed"):
        fut.result()
    assert time.monotonic() - t0 < 5


def test_asyncio_plain_future_is_not_running_and_cancellable(loop: Any) -> None:
    async def create() -> AsyncioFuture:
        return AsyncioFuture(loop.create_future())

    fut = asyncio.run_coroutine_threadsafe(create(), loop).result(GATE_TIMEOUT)
    assert not fut.running()
    assert fut.cancel() is True
    assert fut.exception is not None
    with pytest.raises(Exception) as info:
        fut.result(timeout=GATE_TIMEOUT)
    assert type(info.value).__name__ == "CancelledError"


def test_asyncio_callback_from_other_thread_runs_on_completion(loop: Any) -> None:
    async def create() -> asyncio.Future[int]:
        return loop.create_future()

    raw = asyncio.run_coroutine_threadsafe(create(), loop).result(GATE_TIMEOUT)
    fut = AsyncioFuture(raw)
    done = threading.Event()
    seen: list[Any] = []

    def record(f: Any) -> None:
        seen.append(f)
        done.set()

    fut.add_done_callback(record)
    loop.call_soon_threadsafe(raw.set_result, 1)
    assert done.wait(GATE_TIMEOUT)
    assert seen[0] is fut


def test_sync_future_pickles_by_its_public_path() -> None:
    import pickle

    data = pickle.dumps(SyncFuture(3))
    assert b"concurry_futures" in data and b"_sync" not in data
    assert pickle.loads(data).result() == 3
    err = pickle.loads(pickle.dumps(SyncFuture(exception_value=ValueError("x"))))
    assert isinstance(err.exception(), ValueError)
