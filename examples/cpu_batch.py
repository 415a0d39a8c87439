"""A CPU-bound batch on a pool of processes, with a progress bar.

Two ways to spread CPU work over processes, both with code defined right here
in ``__main__`` (concurry ships it to the workers by value, so it works under
every start method):

1. a function: ``TaskWorker`` in process mode, ``map(..., progress=True)``
   over chunks of a range, counting the primes in each chunk;
2. a class: a pool of ``Hasher`` workers (``Worker`` subclass, state kept in
   each process) hashing generated data, gathered with a progress bar.

Each result is checked against the same computation run sequentially here.

Run: ``uv run --no-sync python examples/cpu_batch.py`` (about 5 s), and
choose the process start method with ``--start-method fork|spawn|forkserver``
(the ``mp_context`` worker option; the default is forkserver on Linux).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import time

from concurry import TaskWorker, Worker, gather

LIMIT = 400_000  # count the primes below this
CHUNK = 20_000


def count_primes(lo: int, hi: int) -> int:
    """The number of primes p with lo <= p < hi, by trial division (slow on purpose)."""
    count = 0
    for n in range(max(lo, 2), hi):
        if n < 4:
            count += 1
            continue
        if n % 2 == 0 or n % 3 == 0:
            continue
        d = 5
        while d * d <= n:
            if n % d == 0 or n % (d + 2) == 0:
                break
            d += 6
        else:
            count += 1
    return count


class Hasher(Worker):
    """Hashes generated data; each worker process keeps its own running totals."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.hashed = 0

    def digest(self, seed: int) -> tuple[str, int]:
        data = random.Random(seed).randbytes(256 * 1024)
        digest = data
        for _ in range(self.rounds):
            digest = hashlib.sha256(digest + data).digest()
        self.hashed += 1
        return digest.hex(), os.getpid()


def sequential_digest(seed: int, rounds: int) -> str:
    data = random.Random(seed).randbytes(256 * 1024)
    digest = data
    for _ in range(rounds):
        digest = hashlib.sha256(digest + data).digest()
    return digest.hex()


def primes_part(start_method: str | None) -> None:
    options = {} if start_method is None else {"mp_context": start_method}
    los = list(range(0, LIMIT, CHUNK))
    his = [lo + CHUNK for lo in los]
    pool = TaskWorker.options(mode="process", max_workers=2, **options).init()
    try:
        print(f"TaskWorker pool: 2 processes started with {pool.mp_context!r}")
        started = time.monotonic()
        counts = list(
            pool.map(count_primes, los, his, progress={"desc": "primes", "unit": "chunk"})
        )
        parallel = time.monotonic() - started
    finally:
        pool.stop()
    started = time.monotonic()
    expected = [count_primes(lo, hi) for lo, hi in zip(los, his)]
    sequential = time.monotonic() - started
    assert counts == expected, (counts, expected)
    assert sum(counts) == 33_860  # pi(400 000), a known value
    print(
        f"{sum(counts)} primes below {LIMIT} in {len(los)} chunks: "
        f"{parallel:.2f} s on 2 processes, {sequential:.2f} s sequentially here"
    )


def hashing_part(start_method: str | None) -> None:
    options = {} if start_method is None else {"mp_context": start_method}
    seeds = list(range(16))
    rounds = 40
    pool = Hasher.options(mode="process", max_workers=2, **options).init(rounds)
    try:
        results = gather(
            [pool.digest(seed) for seed in seeds],
            progress={"desc": "hashes", "unit": "blob"},
            timeout=120,
        )
    finally:
        pool.stop()
    digests = [digest for digest, _ in results]
    pids = {pid for _, pid in results}
    assert digests == [sequential_digest(seed, rounds) for seed in seeds]
    assert os.getpid() not in pids and len(pids) == 2, pids
    print(
        f"{len(digests)} digests, all equal to the sequential ones, from processes {sorted(pids)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--start-method",
        choices=["fork", "spawn", "forkserver"],
        default=None,
        help="process start method (default: the library's, forkserver on Linux)",
    )
    args = parser.parse_args()
    primes_part(args.start_method)
    hashing_part(args.start_method)


if __name__ == "__main__":
    main()
