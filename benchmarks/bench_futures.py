"""wait/gather over 10,000 futures vs concurrent.futures, measured in the same run.

Two situations: (a) every future is already done; (b) a thread completes them
while we wait. Ratios > 1 mean concurry-futures is faster.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
from collections.abc import Callable

from _harness import Row, best_of
from concurry_futures import ConcurrentFuture, gather, wait

N = 10_000


def _done_futures(n: int) -> list[cf.Future[int]]:
    futures: list[cf.Future[int]] = []
    for i in range(n):
        f: cf.Future[int] = cf.Future()
        f.set_result(i)
        futures.append(f)
    return futures


def _time_done(fn: Callable[[list[cf.Future[int]]], object], repeat: int) -> float:
    futures = _done_futures(N)
    return best_of(lambda: fn(futures), repeat)


def _time_completed_while_waiting(
    fn: Callable[[list[cf.Future[int]]], object], repeat: int
) -> float:
    """Time from start of waiting to return, while a thread completes the futures."""
    times = []
    for _ in range(repeat):
        futures: list[cf.Future[int]] = [cf.Future() for _ in range(N)]
        go = threading.Event()

        def complete(fs: list[cf.Future[int]] = futures, go: threading.Event = go) -> None:
            go.wait(10)
            for i, f in enumerate(fs):
                f.set_result(i)

        thread = threading.Thread(target=complete)
        thread.start()

        def run(fs: list[cf.Future[int]] = futures, go: threading.Event = go) -> None:
            go.set()
            fn(fs)

        times.append(best_of(run, 1))
        thread.join(10)
    return min(times)


def _cf_gather(fs: list[cf.Future[int]]) -> list[int]:
    cf.wait(fs)
    return [f.result() for f in fs]


def _cf_as_completed(fs: list[cf.Future[int]]) -> list[int]:
    return [f.result() for f in cf.as_completed(fs)]


def run(quick: bool) -> list[Row]:
    """Rows for `benchmarks/run.py`."""
    repeat = 3 if quick else 7
    rows = []
    for label, timer in (
        ("all done", _time_done),
        ("completed by a thread", _time_completed_while_waiting),
    ):
        rows.append(
            Row(
                f"wait 10k futures, {label}",
                timer(lambda fs: wait(fs), repeat),
                timer(lambda fs: cf.wait(fs), repeat),
                "concurrent.futures.wait",
                "seconds",
                at_least=1.0,
            )
        )
        rows.append(
            Row(
                f"gather 10k futures, {label}",
                timer(gather, repeat),
                timer(_cf_gather, repeat),
                "cf.wait + [f.result() ...]",
                "seconds",
                at_least=1.0,
            )
        )
        rows.append(
            Row(
                f"gather(iter=True) 10k futures, {label}",
                timer(lambda fs: list(gather(fs, iter=True)), repeat),
                timer(_cf_as_completed, repeat),
                "[f.result() for f in as_completed]",
                "seconds",
                at_least=1.0,
            )
        )
    wrapped_done = [ConcurrentFuture(f) for f in _done_futures(N)]
    raw_done = [w.future for w in wrapped_done]
    rows.append(
        Row(
            "gather 10k ConcurrentFuture wrappers, all done",
            best_of(lambda: gather(wrapped_done), repeat),
            best_of(lambda: [f.result() for f in raw_done], repeat),
            "[f.result() for f in raw futures]",
            "seconds",
            at_least=1.0,
        )
    )
    return rows
