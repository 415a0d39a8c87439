"""Workers vs the standard library: throughput, round-trip latency and start-up per mode.

Baselines (same process, same run): ``ThreadPoolExecutor(1)`` for thread,
``ProcessPoolExecutor(1)`` for process (same start method as ours),
``asyncio.run_coroutine_threadsafe`` on a loop thread for asyncio, and a
plain function call in a loop, its result set on a new
``concurrent.futures.Future`` (the least a call returning a future can do) for
sync.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from _harness import Row, best_of, best_of_pair, per_call
from concurry_workers import Worker, global_config

SYNC_BASELINE = "plain function call in a loop, result set on a new concurrent.futures.Future"


class Trivial(Worker):
    def f(self, x: int) -> int:
        return x

    async def af(self, x: int) -> int:
        return x


def _identity(x: int) -> int:
    return x


async def _aidentity(x: int) -> int:
    return x


def _throughput(submit: Any, n: int, rounds: int = 1) -> float:
    """Best calls/s of ``rounds`` runs of n submits followed by n results."""

    def go() -> None:
        futures = [submit(i) for i in range(n)]
        for f in futures:
            f.result()

    return n / best_of(go, rounds)


def _latency_pair(ours: Any, theirs: Any, n: int, rounds: int = 7) -> tuple[float, float]:
    """Best seconds per round trip of ours and of the baseline, measured alternately."""
    mine = base = float("inf")
    for _ in range(rounds):
        mine = min(mine, per_call(ours, n, repeat=1))
        base = min(base, per_call(theirs, n, repeat=1))
    return mine, base


def _throughput_pair(ours: Any, theirs: Any, n: int, rounds: int = 7) -> tuple[float, float]:
    """Best calls/s of ours and of the baseline, measured alternately (see best_of_pair)."""
    mine = base = 0.0
    for _ in range(rounds):
        mine = max(mine, _throughput(ours, n))
        base = max(base, _throughput(theirs, n))
    return mine, base


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def run(quick: bool) -> list[Row]:
    n = 500 if quick else 10_000
    lat_n = 50 if quick else 1_000
    rows: list[Row] = []
    ctx = global_config.process.mp_context

    # sync
    w = Trivial.options(mode="sync").init()

    def direct(i: int) -> Future[int]:
        f: Future[int] = Future()
        f.set_result(_identity(i))
        return f

    rows.append(
        Row(
            f"sync: calls/s, {n} calls submitted then gathered",
            *_throughput_pair(w.f, direct, n),
            SYNC_BASELINE,
            "per_second",
            at_least=0.5,
        )
    )
    rows.append(
        Row(
            "sync: latency w.f(x).result()",
            *_latency_pair(lambda: w.f(1).result(), lambda: direct(1).result(), lat_n),
            SYNC_BASELINE,
            "seconds",
            at_least=0.5,
        )
    )
    w.stop()

    # sync with retries on, every first try succeeding: what the retry plan costs
    w0 = Trivial.options(mode="sync", num_retries=0).init()
    w3 = Trivial.options(mode="sync", num_retries=3).init()
    retrying, plain = _throughput_pair(w3.f, w0.f, n)
    rows.append(
        Row(
            f"sync: calls/s with num_retries=3, {n} calls (first tries succeed)",
            retrying,
            plain,
            "same worker, num_retries=0",
            "per_second",
            at_least=0.9,
        )
    )
    w0.stop()
    w3.stop()

    # thread
    w = Trivial.options(mode="thread").init()
    with ThreadPoolExecutor(1) as ex:
        rows.append(
            Row(
                f"thread: calls/s, {n} calls submitted then gathered",
                *_throughput_pair(w.f, lambda i: ex.submit(_identity, i), n),
                "ThreadPoolExecutor(1)",
                "per_second",
                at_least=0.8,
            )
        )
        rows.append(
            Row(
                "thread: latency w.f(x).result()",
                *_latency_pair(
                    lambda: w.f(1).result(), lambda: ex.submit(_identity, 1).result(), lat_n
                ),
                "ThreadPoolExecutor(1)",
                "seconds",
                at_least=0.8,
            )
        )
    w.stop()

    # asyncio
    w = Trivial.options(mode="asyncio").init()
    lt = _LoopThread()
    rcts = asyncio.run_coroutine_threadsafe
    rows.append(
        Row(
            f"asyncio: calls/s, {n} calls submitted then gathered",
            *_throughput_pair(w.af, lambda i: rcts(_aidentity(i), lt.loop), n),
            "run_coroutine_threadsafe",
            "per_second",
            at_least=0.8,
        )
    )
    rows.append(
        Row(
            "asyncio: latency w.af(x).result()",
            *_latency_pair(
                lambda: w.af(1).result(), lambda: rcts(_aidentity(1), lt.loop).result(), lat_n
            ),
            "run_coroutine_threadsafe",
            "seconds",
            at_least=0.8,
        )
    )
    lt.close()
    w.stop()

    # process
    import multiprocessing

    mp = multiprocessing.get_context(ctx)
    w = Trivial.options(mode="process").init()
    with ProcessPoolExecutor(1, mp_context=mp) as ex:
        ex.submit(abs, 1).result()
        rows.append(
            Row(
                f"process: calls/s, {n} calls submitted then gathered",
                *_throughput_pair(w.f, lambda i: ex.submit(abs, i), n, rounds=3),
                f"ProcessPoolExecutor(1, {ctx})",
                "per_second",
                at_least=1.0,
            )
        )
        rows.append(
            Row(
                "process: latency w.f(x).result()",
                *_latency_pair(
                    lambda: w.f(1).result(), lambda: ex.submit(abs, 1).result(), lat_n // 4
                ),
                f"ProcessPoolExecutor(1, {ctx})",
                "seconds",
                at_least=1.0,
            )
        )
    w.stop()

    # start-up: init + first call + stop. The process baseline uses the
    # interpreter's default start method (what a ProcessPoolExecutor user gets);
    # ours uses its own default (forkserver on Linux: safe with threads running).
    default_mp = multiprocessing.get_context()

    def ours(mode: str) -> None:
        x = Trivial.options(mode=mode).init()
        (x.af(1) if mode == "asyncio" else x.f(1)).result()
        x.stop()

    def theirs_thread() -> None:
        with ThreadPoolExecutor(1) as ex:
            ex.submit(_identity, 1).result()

    def theirs_process() -> None:
        with ProcessPoolExecutor(1, mp_context=default_mp) as ex:
            ex.submit(abs, 1).result()

    def theirs_asyncio() -> None:
        lt = _LoopThread()
        rcts(_aidentity(1), lt.loop).result()
        lt.close()

    for mode, theirs, baseline, goal, repeat in [
        ("thread", theirs_thread, "ThreadPoolExecutor(1)", 1.2, 20 if quick else 200),
        (
            "asyncio",
            theirs_asyncio,
            "loop thread + run_coroutine_threadsafe",
            1.2,
            20 if quick else 200,
        ),
        (
            "process",
            theirs_process,
            f"ProcessPoolExecutor(1, {default_mp.get_start_method()}); ours {ctx}",
            1.5,
            3 if quick else 15,
        ),
    ]:
        ours(mode)  # warm: imports, and the fork server's one-time start
        mine, base = best_of_pair(lambda mode=mode: ours(mode), theirs, repeat)
        rows.append(
            Row(
                f"{mode}: start-up (init+call+stop)",
                mine,
                base,
                baseline,
                "seconds",
                at_least=round(1 / goal, 2),
                note=f"ours within {goal}x of the baseline time",
            )
        )
    return rows


if __name__ == "__main__":
    t0 = time.perf_counter()
    for row in run(quick=True):
        print(f"{row.name:<44} {row.ratio:6.2f}x")
    print(f"{time.perf_counter() - t0:.1f}s")
