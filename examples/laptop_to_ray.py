"""From threads on a laptop to a Ray cluster by changing one word.

The same worker class, pool, shared rate limit and retries run with
``--mode thread``, ``--mode process`` or ``--mode ray``; only the ``mode``
option changes, and the output is the same. With Ray not yet initialised,
the ray run starts a local Ray sized to this machine (about 10 s) and shuts
it down at the end; on a cluster, pass ``--address auto`` (the script then
calls ``ray.init(address="auto")`` first) and nothing else changes.

Run: ``uv run --no-sync python examples/laptop_to_ray.py --mode thread``
(``process`` and ``ray`` likewise; ``--mode ray`` needs ``concurry[ray]``).
"""

from __future__ import annotations

import argparse
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
        with self.limits.acquire(requested={"scores": 1}, timeout=60) as acquired:
            self.seen += 1
            acquired.update(usage={"scores": 1})
            return self.weight * len(text), os.getpid()


def run(mode: str, texts: list[str]) -> tuple[list[float], float, int]:
    """Score ``texts`` on a pool of 3 workers in ``mode``; return scores, seconds, processes."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["thread", "process", "ray"], default="thread")
    parser.add_argument("--address", help="a Ray cluster to connect to (ray mode), e.g. auto")
    args = parser.parse_args()
    if args.mode == "ray":
        # Ray's `uv run` hook would start its workers with `uv run` in a copy of this
        # directory; they should use this interpreter, as the driver does.
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
        import ray

        if args.address:
            ray.init(address=args.address)
    texts = [f"document number {i}" for i in range(80)]
    expected = [0.5 * len(text) for text in texts]
    try:
        scores, elapsed, processes = run(args.mode, texts)
    finally:
        if args.mode == "ray":
            ray.shutdown()  # concurry's local Ray (or our connection to the cluster)
    assert scores == expected, args.mode
    # 80 scores at 50/s after a full bucket of 50 take at least 0.6 s, in any mode
    assert elapsed >= 0.5, (args.mode, elapsed)
    # thread workers share this process; process and ray workers each have their own
    assert processes == (1 if args.mode == "thread" else 3), (args.mode, processes)
    print(f"{args.mode:>8}: {len(scores)} scores in {elapsed:.2f} s on {processes} process(es)")


if __name__ == "__main__":
    main()
