"""Tiny shared harness for the benchmarks: timing, ratios and result files.

Each ``benchmarks/bench_<topic>.py`` defines ``run(quick: bool) -> list[Row]``
where every row compares one of our measurements with a baseline measured in
the same process. ``benchmarks/run.py`` runs them all, prints a table and
writes ``benchmarks/results/<topic>.json``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Row:
    """One comparison: ours vs a baseline, in the same unit (lower is better
    for ``seconds``, higher for ``per_second``)."""

    name: str
    ours: float
    baseline: float
    baseline_name: str
    unit: str  # "seconds" or "per_second"
    goal: str = ""

    @property
    def ratio(self) -> float:
        """How many times better ours is than the baseline (>1 means better)."""
        if self.unit == "per_second":
            return self.ours / self.baseline
        return self.baseline / self.ours

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def best_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` runs of ``fn`` (seconds), with GC paused."""
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    return min(times)


def best_of_pair(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int
) -> tuple[float, float]:
    """Best wall times of ``ours`` and ``theirs``, run alternately ``repeat`` times each.

    Alternating puts a noisy moment of a shared machine on both sides, so the
    ratio of the two minima is steadier than two separate ``best_of`` runs.
    """
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for side, fn in enumerate((ours, theirs)):
            gc.collect()
            gc.disable()
            try:
                t0 = time.perf_counter()
                fn()
                best[side] = min(best[side], time.perf_counter() - t0)
            finally:
                gc.enable()
    return best[0], best[1]


def per_call(fn: Callable[[], Any], n: int, repeat: int = 5) -> float:
    """Best seconds per call of ``fn`` over ``repeat`` runs of ``n`` calls."""

    def loop() -> None:
        for _ in range(n):
            fn()

    return best_of(loop, repeat) / n
