"""Fixtures for the concurry-futures tests: futures of every kind, completed by real
threads or a real event loop, with events (never sleeps) to order the steps."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from concurry_futures import AsyncioFuture, BaseFuture, ConcurrentFuture

GATE_TIMEOUT = 10.0


def concurrent_done(value: Any = None, exc: BaseException | None = None) -> Future[Any]:
    """A concurrent future already finished with ``value`` (or failed with ``exc``)."""
    f: Future[Any] = Future()
    if exc is not None:
        f.set_exception(exc)
    else:
        f.set_result(value)
    return f


@dataclass
class Job:
    """A future whose task signals `started` and finishes when `release()` is called."""

    future: BaseFuture
    started: threading.Event
    release: Callable[[], None]
    raw: Any = field(default=None)


def _body(started: threading.Event, gate: threading.Event, outcome: Any) -> Any:
    started.set()
    if not gate.wait(GATE_TIMEOUT):
        raise RuntimeError("test gate never opened")
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


async def _abody(started: threading.Event, gate: asyncio.Future[None], outcome: Any) -> Any:
    started.set()
    await asyncio.wait_for(gate, GATE_TIMEOUT)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A real event loop running in a background thread."""
    lp = asyncio.new_event_loop()
    thread = threading.Thread(target=lp.run_forever, name="test-loop", daemon=True)
    thread.start()
    yield lp

    async def _drain() -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(_drain(), lp).result(GATE_TIMEOUT)
    lp.call_soon_threadsafe(lp.stop)
    thread.join(GATE_TIMEOUT)
    lp.close()


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    """A thread pool whose tasks are released at teardown at the latest."""
    with ThreadPoolExecutor(max_workers=32) as ex:
        yield ex


class Maker:
    """Builds controllable futures of one kind."""

    def __init__(self, kind: str, pool: ThreadPoolExecutor, loop: asyncio.AbstractEventLoop):
        self.kind = kind
        self._pool = pool
        self._loop = loop
        self._releases: list[Callable[[], None]] = []

    def __call__(self, outcome: Any = None) -> Job:
        started = threading.Event()
        if self.kind == "concurrent":
            gate = threading.Event()
            raw: Any = self._pool.submit(_body, started, gate, outcome)
            job = Job(ConcurrentFuture(raw), started, gate.set, raw)
        elif self.kind == "asyncio":
            lp = self._loop

            async def create() -> tuple[asyncio.Task[Any], asyncio.Future[None]]:
                gate = lp.create_future()
                return lp.create_task(_abody(started, gate, outcome)), gate

            task, agate = asyncio.run_coroutine_threadsafe(create(), lp).result(GATE_TIMEOUT)

            def open_gate() -> None:
                if not agate.done():
                    agate.set_result(None)

            def release() -> None:
                lp.call_soon_threadsafe(open_gate)

            job = Job(AsyncioFuture(task), started, release, task)
        else:
            raise AssertionError(self.kind)
        self._releases.append(job.release)
        return job

    def release_all(self) -> None:
        for release in self._releases:
            release()


@pytest.fixture(params=["concurrent", "asyncio"])
def make(request: pytest.FixtureRequest, pool: ThreadPoolExecutor, loop: Any) -> Iterator[Maker]:
    """A `Maker` for every pending-capable future kind."""
    maker = Maker(request.param, pool, loop)
    yield maker
    maker.release_all()


def done_future(kind: str, outcome: Any, loop: asyncio.AbstractEventLoop) -> BaseFuture:
    """An already-completed future of ``kind`` holding ``outcome``."""
    from concurry_futures import SyncFuture

    exc = outcome if isinstance(outcome, BaseException) else None
    if kind == "sync":
        return SyncFuture(None if exc else outcome, exc)
    if kind == "concurrent":
        f: Future[Any] = Future()
        if exc:
            f.set_exception(exc)
        else:
            f.set_result(outcome)
        return ConcurrentFuture(f)

    async def create() -> asyncio.Future[Any]:
        af = loop.create_future()
        if exc:
            af.set_exception(exc)
        else:
            af.set_result(outcome)
        return af

    return AsyncioFuture(asyncio.run_coroutine_threadsafe(create(), loop).result(GATE_TIMEOUT))


class PolledFuture(BaseFuture):
    """A future kind that cannot call back: done() flips when an event is set."""

    supports_done_callbacks = False

    def __init__(self, event: threading.Event, value: Any):
        self._event = event
        self._value = value
        self.checks = 0

    def result(self, timeout: float | None = None) -> Any:
        if not self._event.wait(timeout):
            raise TimeoutError()
        return self._value

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self.result(timeout)
        return None

    def done(self) -> bool:
        self.checks += 1
        return self._event.is_set()

    def cancelled(self) -> bool:
        return False

    def running(self) -> bool:
        return not self._event.is_set()

    def cancel(self) -> bool:
        return False

    def set_once_polled(self, times: int = 2, window: float = 0.0) -> threading.Thread:
        """Complete from a thread once polled ``times`` times and ``window`` s have passed.

        Polls the condition against a deadline, so waiting for a polled future is really
        exercised however loaded the machine is; join the returned thread at the end.
        """
        start = time.monotonic()
        deadline = start + GATE_TIMEOUT

        def setter() -> None:
            while time.monotonic() < deadline and (
                self.checks < times or time.monotonic() - start < window
            ):
                time.sleep(0.002)
            self._event.set()

        thread = threading.Thread(target=setter, daemon=True)
        thread.start()
        return thread

    def add_done_callback(self, fn: Callable[[BaseFuture], Any]) -> None:
        raise AssertionError("wait must poll this kind, not register callbacks")
