"""From threads on a laptop to a Ray cluster by changing one word.

The same worker class, pool, shared limit and retries run with
``mode="thread"``, ``mode="process"`` and ``mode="ray"``. With Ray not yet
initialised, the ray run starts a local Ray sized to this machine; on a cluster
you would call ``ray.init(address="auto")`` first and change nothing else.

Run it with ``uv run --no-sync python examples/laptop_to_ray.py``.
"""

from __future__ import annotations

import os
import time

from concurry import LimitSet, RateLimit, Worker, gather


class Scorer(Worker):
    """Scores texts; a stand-in for a model or an API client with its own state."""

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self.seen = 0

    def score(self, text: str) -> tuple[float, int]:
        # every worker of the pool shares one budget of 50 scores per second
        with self.limits.acquire(requested={"scores": 1}) as acquired:
            self.seen += 1
            acquired.update(usage={"scores": 1})
            return self.weight * len(text), os.getpid()


def run(mode: str, texts: list[str]) -> tuple[list[float], float, int]:
    limits = LimitSet([RateLimit(key="scores", window=1, capacity=50)])
    pool = Scorer.options(
        mode=mode, max_workers=3, limits=limits, num_retries=2, retry_on=[ConnectionError]
    ).init(0.5)
    try:
        started = time.monotonic()
        results = gather([pool.score(text) for text in texts], timeout=120)
        elapsed = time.monotonic() - started
    finally:
        pool.stop()
    return [score for score, _ in results], elapsed, len({pid for _, pid in results})


if __name__ == "__main__":
    texts = [f"document number {i}" for i in range(80)]
    expected = [0.5 * len(text) for text in texts]
    for mode in ("thread", "process", "ray"):
        scores, elapsed, processes = run(mode, texts)
        assert scores == expected, mode
        # 80 scores at 50/s after a full bucket of 50: at least 0.6 s, in any mode
        assert elapsed >= 0.5, (mode, elapsed)
        print(f"{mode:>8}: {len(scores)} scores in {elapsed:.2f} s on {processes} process(es)")
