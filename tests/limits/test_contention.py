"""Accuracy under contention: real threads sharing one in-process LimitSet."""

from __future__ import annotations

import random
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import limits_mp_helpers as helpers

from concurry_limits import LimitSet, RateLimit, ResourceLimit


def hammer(ls: LimitSet, threads: int, seconds: float) -> list[float]:
    """Every thread acquires 1 unit of "t" as fast as allowed; return grant times."""
    stamps: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)
    start = [0.0]

    def run() -> None:
        barrier.wait(10)
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            try:
                acq = ls.acquire({"t": 1}, timeout=left)
            except TimeoutError:
                return
            now = time.monotonic()
            acq.update({"t": 1})
            acq.release()
            with lock:
                stamps.append(now)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    start[0] = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join(seconds + 20)
    return sorted(stamps)


@pytest.mark.parametrize(
    "algo", ["token_bucket", "gcra", "leaky_bucket", "sliding_window", "fixed_window"]
)
def test_eight_threads_get_fifty_per_second(algo: str) -> None:
    ls = LimitSet([RateLimit("t", 0.1, 5, algo)])  # 50/s, bursts of 5
    stamps = hammer(ls, threads=8, seconds=1.8)
    t0 = stamps[0]
    steady = [t for t in stamps if t0 + 0.3 <= t < t0 + 1.8]
    rate = len(steady) / 1.5
    assert 50 * 0.85 <= rate <= 50 * 1.15, f"{algo}: {rate:.1f}/s"


def test_sliding_window_never_exceeds_capacity_under_threads() -> None:
    cap, window, slack = 10, 0.25, 0.02
    ls = LimitSet([RateLimit("t", window, cap, "sliding")])
    stamps = hammer(ls, threads=8, seconds=1.5)
    j = 0
    for i, t in enumerate(stamps):
        while stamps[j] <= t - (window - slack):
            j += 1
        assert i - j + 1 <= cap, f"{i - j + 1} grants within {window - slack} s at {t}"
    assert len(stamps) >= cap * 1.5 / window * 0.8


def test_resource_limit_never_has_more_holders_than_capacity() -> None:
    ls = LimitSet([ResourceLimit("r", 3)])
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def run(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(25):
            with ls.acquire(timeout=20):
                enter = time.monotonic()
                for _ in range(rnd.randrange(2000)):
                    pass
                leave = time.monotonic()
            with lock:
                spans.append((enter, leave))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    peak = helpers.peak_overlap(spans)
    assert len(spans) == 200
    assert peak <= 3
    assert ls.get_stats()["r"]["held"] == 0


def test_fixed_window_never_exceeds_capacity_per_window_under_threads() -> None:
    cap, window = 10, 0.25
    ls = LimitSet([RateLimit("t", window, cap, "fixed")])
    stamps = hammer(ls, threads=8, seconds=1.5)
    # windows are aligned on time.monotonic(); under saturation every window is
    # used up right at its start, so each stamp falls in the window that granted it
    per: dict[int, int] = {}
    for t in stamps:
        per[int(t // window)] = per.get(int(t // window), 0) + 1
    assert max(per.values()) <= cap
    assert len(stamps) >= cap * 1.5 / window * 0.8
