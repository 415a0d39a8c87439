"""A tour of concurry-futures: one future type, wait/gather over mixed kinds, progress, Timer.

Run: uv run --no-sync python examples/futures_tour.py
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from concurry_futures import (
    FIRST_COMPLETED,
    Timer,
    async_gather,
    gather,
    wait,
    wrap_future,
)


def slow_square(x: int) -> int:
    time.sleep(0.01 * x)  # stands in for real work
    return x * x


def main() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool, Timer("tour", logger=print):
        futures = [wrap_future(pool.submit(slow_square, i)) for i in range(8)]

        done, not_done = wait(futures, return_when=FIRST_COMPLETED, timeout=10)
        print(f"first finished: {[f.result() for f in done]}, still running: {len(not_done)}")

        print("in input order:", gather(futures, timeout=10))
        print("as a dict:", gather({"a": futures[1], "b": futures[2], "c": 42}))
        print("nested:", gather({"xs": [futures[3], (futures[4], 5)]}, recurse=True))
        for i, value in gather(futures, iter=True, progress={"desc": "squares"}):
            print(f"  task {i} -> {value}")

        async def in_a_loop() -> list[int]:
            async def cube(x: int) -> int:
                await asyncio.sleep(0.01)
                return x**3

            return await async_gather([cube(2), futures[5], pool.submit(slow_square, 9)])

        print("async_gather:", asyncio.run(in_a_loop()))


if __name__ == "__main__":
    main()
