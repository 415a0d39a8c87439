"""Submission order on an async actor: Ray runs an async actor's calls in the order
they arrive, which need not be the order they were sent; a worker class with both
sync and ``async def`` methods must still run its sync calls in submission order,
as it does in asyncio mode, including when an earlier call never reaches the actor."""

from __future__ import annotations

import asyncio
import os
import signal
import threading

import pytest

from concurry_workers import Worker, WorkerDiedError

T = 60


class Tally(Worker):
    def __init__(self) -> None:
        self.seen: list[int] = []

    def add(self, i: int) -> int:
        self.seen.append(i)
        return len(self.seen)

    def take(self, i: int, _upstream: object = None) -> int:
        self.seen.append(i)
        return len(self.seen)

    async def aadd(self, i: int) -> int:
        self.seen.append(i)  # before the first await: starts in order
        await asyncio.sleep(0)
        return i

    def history(self) -> list[int]:
        return list(self.seen)


class Source(Worker):
    def pid(self) -> int:
        return os.getpid()

    def slow(self, path: str) -> int:
        import time

        while not os.path.exists(path):
            time.sleep(0.005)  # the test creates the file once the actor is killed
        return 1


@pytest.mark.parametrize("queued", [None, 2])
def test_sync_calls_on_an_async_actor_run_in_submission_order(ray_session, queued):
    with Tally.options(mode="ray", max_queued_tasks=queued).init() as w:
        futures = []
        lock = threading.Lock()

        def submit(start: int) -> None:
            for i in range(start, start + 150):
                with lock:  # one global order, from several threads
                    futures.append((i, w.add(i) if i % 3 else w.aadd(i)))

        threads = [threading.Thread(target=submit, args=(k * 150,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(T)
        order = [i for i, _ in futures]
        for _, f in futures:
            f.result(timeout=T)
        assert w.history().result(timeout=T) == order


def test_a_call_failed_before_reaching_the_actor_does_not_block_later_ones(ray_session, tmp_path):
    gate = str(tmp_path / "gate")
    source = Source.options(mode="ray").init()
    with Tally.options(mode="ray", max_queued_tasks=None).init() as w:
        pid = source.pid().result(timeout=T)
        first = w.add(0)
        upstream = source.slow(gate)
        chained = w.take(1, upstream)  # Ray fails it without running it: its actor dies
        later = [w.add(i) for i in range(2, 20)]
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerDiedError, match="computing an argument died"):
            chained.result(timeout=T)
        assert first.result(timeout=T) == 1
        assert [f.result(timeout=T) for f in later] == list(range(2, 20))
        assert w.history().result(timeout=T) == [0, *range(2, 20)]
        open(gate, "w").close()
    source.stop()
