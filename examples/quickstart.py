"""concurry quickstart: call a flaky, rate-limited "API" from many threads.

Run it with ``make demo``. It uses, end to end:

- ``concurry-limits``: a LimitSet with a call rate and a concurrency cap,
- ``concurry-retry``: retries with backoff for transient failures, and output
  validation with ``retry_until``,
- ``concurry-futures``: ``gather`` with a progress bar over plain
  ``concurrent.futures`` futures, ``wait`` with FIRST_EXCEPTION, and ``Timer``,
- ``concurry-workers``: one Worker class run in-line, on a thread, in a child
  process and on an asyncio loop, by changing one word.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from concurry import (
    CallLimit,
    LimitSet,
    ResourceLimit,
    RetryConfig,
    Timer,
    Worker,
    gather,
    wait,
)
from concurry_retry import retry

N_REQUESTS = 60
limits = LimitSet(
    [
        CallLimit(window=1.0, capacity=100),  # at most 100 calls per second
        ResourceLimit("connections", capacity=4),  # at most 4 calls in flight
    ]
)
in_flight = 0
max_in_flight = 0
lock = threading.Lock()
rng = random.Random(7)


def fake_api(prompt: int) -> dict:
    """A remote service: sometimes fails, sometimes answers garbage."""
    global in_flight, max_in_flight
    with limits.acquire():  # CallLimit and ResourceLimit are taken with 1 each
        with lock:
            in_flight += 1
            max_in_flight = max(max_in_flight, in_flight)
            roll = rng.random()
        try:
            time.sleep(0.01)  # network latency
            if roll < 0.15:
                raise ConnectionError(f"transient failure for {prompt}")
            if roll < 0.25:
                return {"status": "garbage"}
            return {"status": "ok", "answer": prompt * prompt}
        finally:
            with lock:
                in_flight -= 1


@retry(
    RetryConfig(
        num_retries=8,
        retry_on=[ConnectionError],
        retry_wait=0.01,
        retry_until=lambda result, **ctx: result["status"] == "ok",
    )
)
def ask(prompt: int) -> dict:
    return fake_api(prompt)


class WordStats(Worker):
    """A stateful actor: counts the words it has seen."""

    def __init__(self, min_length: int) -> None:
        self.min_length = min_length
        self.seen = 0

    def count(self, text: str) -> int:
        words = [w for w in text.split() if len(w) >= self.min_length]
        self.seen += len(words)
        return len(words)

    async def total(self) -> int:
        return self.seen


def workers_tour() -> None:
    text = "write a class once and run it as an actor anywhere"
    for mode in ("sync", "thread", "process", "asyncio"):
        with WordStats.options(mode=mode).init(min_length=4) as stats:
            counts = gather([stats.count(text) for _ in range(100)], timeout=60)
            total = stats.total().result(timeout=60)
        assert counts == [5] * 100 and total == 500, (mode, counts[:3], total)
        print(f"mode={mode:<8} 100 calls -> {total} words, state kept inside the worker")


def main() -> None:
    with Timer("quickstart"), ThreadPoolExecutor(max_workers=8) as pool:
        futures = {n: pool.submit(ask, n) for n in range(N_REQUESTS)}
        done, not_done = wait(futures, timeout=60, return_when="first_exception")
        assert not not_done and all(f.exception() is None for f in done)
        replies = gather(futures, progress={"desc": "answers"}, timeout=60)

    answers = {n: reply["answer"] for n, reply in replies.items()}
    assert len(done) == N_REQUESTS
    assert answers == {n: n * n for n in range(N_REQUESTS)}, answers
    assert max_in_flight <= 4, max_in_flight
    stats = limits.get_stats()
    print(f"{len(answers)} answers, all correct; at most {max_in_flight} calls in flight")
    print(f"limit stats: {stats}", flush=True)
    workers_tour()


if __name__ == "__main__":
    main()
