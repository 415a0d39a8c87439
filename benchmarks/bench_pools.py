"""Pools: throughput of worker pools against ``concurrent.futures`` pools of the same size.

Every row runs ours and the baseline alternately in the same process (see
``_harness.best_of_pair``), like against like: the same number of workers,
the same function, the same start method for processes (forkserver).

- 10,000 trivial calls on 4 workers, as method calls (submit all, wait all)
  and as ``map``, against ``Executor(4).map`` (``chunksize=1`` for processes).
- 200 calls sleeping 50 ms on a thread pool of 50: the ideal is 0.2 s.
- 100,000 trivial items through ``TaskWorker.map(chunksize=256)`` on a process
  pool of 2 against ``ProcessPoolExecutor(2).map(chunksize=256)``.
- On demand: a ``map`` on the default ``@task`` (a fresh worker per item;
  1000 items on threads, 100 on processes). Thread: against the same task with
  ``on_demand=False`` (persistent), goal within 5x. Process: like against
  like, against the standard library's
  fresh process per task, ``ProcessPoolExecutor(max_tasks_per_child=1)`` with
  as many processes at once (``cpu_count() - 1``) and the same start method
  (forkserver); goal at least 1x.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import Any

from _harness import Row, best_of, best_of_pair
from concurry_workers import TaskWorker, Worker, task


class Echo(Worker):
    def f(self, x: int) -> int:
        return x

    def nap(self, seconds: float) -> None:
        time.sleep(seconds)


def identity(x: int) -> int:
    return x


def nap(seconds: float) -> None:
    time.sleep(seconds)


def _executor(mode: str, workers: int) -> Any:
    if mode == "thread":
        return ThreadPoolExecutor(workers)
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"))


def _pool_rows(mode: str, n: int, rounds: int) -> list[Row]:
    goal = 1.0 if mode == "thread" else 1.5
    executor = _executor(mode, 4)
    pool = Echo.options(mode=mode, max_workers=4).init()
    tasks = TaskWorker.options(mode=mode, max_workers=4).init()
    try:

        def theirs() -> None:
            for _ in executor.map(identity, range(n)):
                pass

        def ours_calls() -> None:
            f = pool.f
            wait([f(i).future for i in range(n)])

        def ours_map() -> None:
            for _ in tasks.map(identity, range(n)):
                pass

        theirs(), ours_calls(), ours_map()  # warm up: threads and processes started
        calls, base1 = best_of_pair(ours_calls, theirs, rounds)
        mapped, base2 = best_of_pair(ours_map, theirs, rounds)
    finally:
        pool.stop()
        tasks.stop()
        executor.shutdown()
    if mode == "thread":
        baseline = "ThreadPoolExecutor(4).map"
    else:
        baseline = "ProcessPoolExecutor(4).map(chunksize=1)"
    return [
        Row(
            f"{mode} pool of 4: {n} method calls",
            n / calls,
            n / base1,
            baseline,
            "per_second",
            at_least=goal,
        ),
        Row(
            f"{mode} pool of 4: TaskWorker.map of {n}",
            n / mapped,
            n / base2,
            baseline,
            "per_second",
            at_least=goal,
        ),
    ]


def _sleep_row(rounds: int) -> Row:
    pool = Echo.options(mode="thread", max_workers=50).init()
    try:

        def ours() -> None:
            nap_ = pool.nap
            wait([nap_(0.05).future for _ in range(200)])

        ours()
        best = best_of(ours, rounds)
    finally:
        pool.stop()
    return Row(
        "thread pool of 50: 200 calls sleeping 50 ms",
        best,
        0.2,
        "the ideal 0.2 s",
        "seconds",
        at_least=0.95,
        note="within 5% of the ideal",
    )


def _chunk_row(n: int, rounds: int) -> Row:
    executor = _executor("process", 2)
    tasks = TaskWorker.options(mode="process", max_workers=2).init()
    try:

        def theirs() -> None:
            for _ in executor.map(identity, range(n), chunksize=256):
                pass

        def ours() -> None:
            for _ in tasks.map(identity, range(n), chunksize=256):
                pass

        theirs(), ours()
        mine, base = best_of_pair(ours, theirs, rounds)
    finally:
        tasks.stop()
        executor.shutdown()
    return Row(
        f"process pool of 2: map(chunksize=256) of {n}",
        n / mine,
        n / base,
        "ProcessPoolExecutor(2).map(chunksize=256)",
        "per_second",
        at_least=1.0,
    )


def _on_demand_row(mode: str, n: int, rounds: int) -> Row:
    fresh = task(mode=mode)(identity)  # on demand: the default for thread and process
    kept = task(mode=mode, on_demand=False)(identity)
    processes = max(1, (os.cpu_count() or 1) - 1)  # the on-demand default
    try:

        def ours() -> None:
            for _ in fresh.map(range(n)):
                pass

        def persistent() -> None:
            for _ in kept.map(range(n)):
                pass

        def fresh_processes() -> None:
            with ProcessPoolExecutor(
                processes,
                mp_context=multiprocessing.get_context("forkserver"),
                max_tasks_per_child=1,
            ) as executor:
                for _ in executor.map(identity, range(n)):
                    pass

        theirs = fresh_processes if mode == "process" else persistent
        ours(), theirs()
        mine, base = best_of_pair(ours, theirs, rounds)
    finally:
        fresh.stop()
        kept.stop()
    if mode == "process":
        return Row(
            f"process @task on demand: map of {n}",
            mine,
            base,
            f"ProcessPoolExecutor({processes}, forkserver, max_tasks_per_child=1)",
            "seconds",
            at_least=1.0,
            note="a fresh process per item on both sides",
        )
    return Row(
        f"{mode} @task on demand: map of {n}",
        mine,
        base,
        "the same @task with on_demand=False",
        "seconds",
        at_least=0.2,
        note="within 5x",
    )


def run(quick: bool) -> list[Row]:
    n = 2_000 if quick else 10_000
    rounds = 3 if quick else 7
    rows = _pool_rows("thread", n, rounds)
    rows += _pool_rows("process", n, rounds)
    rows.append(_sleep_row(rounds))
    rows.append(_chunk_row(20_000 if quick else 100_000, rounds))
    rows.append(_on_demand_row("thread", 1000, rounds))
    # a fresh stdlib worker process per item costs ~0.1 s here: 100 items keep it short
    rows.append(_on_demand_row("process", 50 if quick else 100, 3))
    return rows
