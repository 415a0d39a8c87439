"""A tour of concurry-workers: one class, four execution modes, tasks and an executor.

Run: uv run --no-sync python examples/workers_quickstart.py
"""

from __future__ import annotations

import asyncio
import os

from concurry_workers import Executor, TaskWorker, Worker, task


class DataProcessor(Worker):
    def __init__(self, multiplier: int) -> None:
        self.multiplier = multiplier
        self.count = 0

    def process(self, value: int) -> int:
        self.count += 1
        return value * self.multiplier

    async def fetch(self, value: int) -> int:
        await asyncio.sleep(0.01)  # pretend I/O
        return value

    def where(self) -> int:
        return os.getpid()


@task(mode="thread", max_workers=4)
def square(x: int) -> int:
    return x * x


def main() -> None:
    for mode in ("sync", "thread", "process", "asyncio"):
        with DataProcessor.options(mode=mode).init(3) as worker:
            futures = [worker.process(i) for i in range(5)]
            doubled = worker.process(worker.fetch(7))  # futures feed other calls
            print(
                f"{mode:>8}: {[f.result() for f in futures]} -> {doubled.result()}"
                f" (pid {worker.where().result()})"
            )

    with TaskWorker.options(mode="process").init() as tw:
        print("task worker:", list(tw.map(pow, [2, 3, 4], [10, 2, 2])))

    with square:
        print("@task:", square(12).result(), list(square.map(range(6))))

    with Executor("thread", max_workers=2) as ex:
        print("executor:", list(ex.map(abs, [-1, -2, -3])))


if __name__ == "__main__":
    main()
