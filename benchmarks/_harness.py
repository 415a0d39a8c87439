"""Tiny shared harness for the benchmarks: timing, ratios and result files.

Each ``benchmarks/bench_<topic>.py`` defines ``run(quick: bool) -> list[Row]``
where every row compares one of our measurements with a baseline measured in
the same process. ``benchmarks/run.py`` runs them, prints a table and records the rows in
``benchmarks/results/latest.json`` (see ``benchmarks/render.py``).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Row:
    """One comparison: ours vs a baseline, in the same unit.

    ``unit`` is ``"seconds"`` (lower is better) or ``"per_second"`` (higher is
    better). The goal is a bound on :attr:`ratio`: ``at_least`` and/or
    ``at_most``; a row with neither is informational.
    """

    name: str
    ours: float
    baseline: float
    baseline_name: str
    unit: str
    at_least: float | None = None
    at_most: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.unit not in ("seconds", "per_second"):
            raise ValueError(f"unit must be 'seconds' or 'per_second', got {self.unit!r}")

    @property
    def ratio(self) -> float:
        """How many times better ours is than the baseline (>1 means better)."""
        if self.unit == "per_second":
            return self.ours / self.baseline
        return self.baseline / self.ours

    @property
    def goal(self) -> str:
        """The goal as text, e.g. ``"ratio >= 0.9"``; empty when informational."""
        if self.at_least is not None and self.at_most is not None:
            return f"{self.at_least:g} <= ratio <= {self.at_most:g}"
        if self.at_least is not None:
            return f"ratio >= {self.at_least:g}"
        if self.at_most is not None:
            return f"ratio <= {self.at_most:g}"
        return ""

    @property
    def met(self) -> bool | None:
        """Whether the ratio meets the goal; ``None`` for an informational row."""
        if self.at_least is None and self.at_most is None:
            return None
        low = self.at_least is None or self.ratio >= self.at_least
        high = self.at_most is None or self.ratio <= self.at_most
        return low and high

    def as_dict(self) -> dict[str, Any]:
        """The row for the results file, with its ratio, goal text and verdict."""
        return {**asdict(self), "ratio": self.ratio, "goal": self.goal, "met": self.met}


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


def alternate(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int
) -> tuple[list[float], list[float]]:
    """Wall times of ``ours`` and ``theirs``, run alternately ``repeat`` times each.

    Alternating puts a noisy moment of a shared machine on both sides. The order
    flips every round (ours first, then theirs first), so neither side always
    runs in the wake of the other's leftover work. GC is paused in each run.
    """
    times: tuple[list[float], list[float]] = ([], [])
    sides = list(enumerate((ours, theirs)))
    for round_ in range(repeat):
        for side, fn in sides if round_ % 2 == 0 else sides[::-1]:
            gc.collect()
            gc.disable()
            try:
                t0 = time.perf_counter()
                fn()
                times[side].append(time.perf_counter() - t0)
            finally:
                gc.enable()
    return times


def best_of_pair(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int
) -> tuple[float, float]:
    """Best wall times of ``ours`` and ``theirs`` over `alternate` rounds.

    The ratio of the two minima is steadier than two separate ``best_of`` runs.
    """
    mine, base = alternate(ours, theirs, repeat)
    return min(mine), min(base)


def median_of_pair(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int
) -> tuple[float, float]:
    """Median wall times of ``ours`` and ``theirs`` over `alternate` rounds.

    For measurements whose round-to-round spread dwarfs the difference sought
    (many processes sharing two cores, where one side's time varies twofold from
    round to round): a minimum then rests on one lucky round, while the medians
    of many short rounds move little.
    """
    mine, base = alternate(ours, theirs, repeat)
    return statistics.median(mine), statistics.median(base)


def per_call(fn: Callable[[], Any], n: int, repeat: int = 5) -> float:
    """Best seconds per call of ``fn`` over ``repeat`` runs of ``n`` calls."""

    def loop() -> None:
        for _ in range(n):
            fn()

    return best_of(loop, repeat) / n
