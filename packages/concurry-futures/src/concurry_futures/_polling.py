"""Polling strategies for the residual polling of futures that cannot call back.

`wait` and `gather` are event-driven; a strategy only paces checks of futures
whose kind sets ``supports_done_callbacks = False``. Each strategy answers
`PollingStrategy.get_next_interval` and learns from `record_completion` /
`record_no_completion`; `reset` returns it to its initial state.
"""

from __future__ import annotations

from typing import Any

from ._enum import FriendlyEnum, set_aliases

__all__ = [
    "AdaptivePolling",
    "ExponentialPolling",
    "FixedPolling",
    "PollingAlgorithm",
    "PollingStrategy",
    "ProgressivePolling",
    "polling_strategy",
]


def _positive(name: str, value: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return float(value)


class PollingAlgorithm(FriendlyEnum):
    """Which `PollingStrategy` paces residual polling (see `polling_strategy`)."""

    Fixed = "fixed"
    Adaptive = "adaptive"
    Exponential = "exponential"
    Progressive = "progressive"


set_aliases(
    PollingAlgorithm,
    Fixed=("constant",),
    Adaptive=("auto",),
    Exponential=("exp", "backoff"),
    Progressive=("steps", "stepped"),
)


class PollingStrategy:
    """Base of the polling strategies: an interval that reacts to results."""

    def get_next_interval(self) -> float:
        """Seconds to wait before the next check."""
        raise NotImplementedError

    def record_completion(self) -> None:
        """The last check found at least one newly completed future."""

    def record_no_completion(self) -> None:
        """The last check found nothing new."""

    def reset(self) -> None:
        """Return to the initial interval."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class FixedPolling(PollingStrategy):
    """Always the same interval.

    Args:
        interval: Seconds between checks (> 0).
    """

    def __init__(self, interval: float = 0.01):
        self.interval = _positive("interval", interval)

    def get_next_interval(self) -> float:
        """The fixed interval."""
        return self.interval


class AdaptivePolling(PollingStrategy):
    """Speeds up while futures complete, slows down while nothing happens.

    Args:
        min_interval: Fastest pace in seconds.
        max_interval: Slowest pace in seconds.
        initial_interval: Starting pace (default: ``min_interval * 10`` clamped).
        speedup: Factor (< 1) applied after a check that found completions.
        slowdown: Factor (> 1) applied after a check that found nothing.
    """

    def __init__(
        self,
        min_interval: float = 0.001,
        max_interval: float = 0.1,
        initial_interval: float | None = None,
        speedup: float = 0.7,
        slowdown: float = 1.3,
    ):
        self.min_interval = _positive("min_interval", min_interval)
        self.max_interval = _positive("max_interval", max_interval)
        if self.max_interval < self.min_interval:
            raise ValueError(
                f"max_interval must be >= min_interval, got {max_interval!r} < {min_interval!r}"
            )
        if not 0 < speedup <= 1:
            raise ValueError(f"speedup must be in (0, 1], got {speedup!r}")
        if not slowdown >= 1:
            raise ValueError(f"slowdown must be >= 1, got {slowdown!r}")
        start = min_interval * 10 if initial_interval is None else initial_interval
        self.initial_interval = min(
            max(_positive("initial_interval", start), min_interval), max_interval
        )
        self.speedup = speedup
        self.slowdown = slowdown
        self._current = self.initial_interval

    def get_next_interval(self) -> float:
        """The current pace."""
        return self._current

    def record_completion(self) -> None:
        """Check more often."""
        self._current = max(self.min_interval, self._current * self.speedup)

    def record_no_completion(self) -> None:
        """Check less often."""
        self._current = min(self.max_interval, self._current * self.slowdown)

    def reset(self) -> None:
        """Back to ``initial_interval``."""
        self._current = self.initial_interval


class ExponentialPolling(PollingStrategy):
    """Doubles (``factor``) the interval while nothing completes; a completion resets it.

    Args:
        initial_interval: First interval in seconds.
        max_interval: Cap in seconds.
        factor: Growth factor (> 1).
    """

    def __init__(
        self, initial_interval: float = 0.001, max_interval: float = 1.0, factor: float = 2.0
    ):
        self.initial_interval = _positive("initial_interval", initial_interval)
        self.max_interval = _positive("max_interval", max_interval)
        if not factor > 1:
            raise ValueError(f"factor must be > 1, got {factor!r}")
        self.factor = factor
        self._current = min(self.initial_interval, self.max_interval)

    def get_next_interval(self) -> float:
        """The current interval."""
        return self._current

    def record_completion(self) -> None:
        """Restart from ``initial_interval``."""
        self.reset()

    def record_no_completion(self) -> None:
        """Grow the interval, up to ``max_interval``."""
        self._current = min(self.max_interval, self._current * self.factor)

    def reset(self) -> None:
        """Back to ``initial_interval``."""
        self._current = min(self.initial_interval, self.max_interval)


class ProgressivePolling(PollingStrategy):
    """Steps through fixed levels: ``checks_per_level`` empty checks move one level slower.

    Args:
        levels: Increasing intervals in seconds.
        checks_per_level: Empty checks spent on a level before the next one (>= 1).
    """

    def __init__(
        self,
        levels: tuple[float, ...] = (0.001, 0.005, 0.01, 0.05, 0.1),
        checks_per_level: int = 5,
    ):
        if not levels:
            raise ValueError("levels must not be empty, got ()")
        self.levels = tuple(_positive("levels[i]", x) for x in levels)
        if list(self.levels) != sorted(self.levels):
            raise ValueError(f"levels must be increasing, got {levels!r}")
        if not isinstance(checks_per_level, int) or checks_per_level < 1:
            raise ValueError(f"checks_per_level must be >= 1, got {checks_per_level!r}")
        self.checks_per_level = checks_per_level
        self._level = 0
        self._empty = 0

    def get_next_interval(self) -> float:
        """The interval of the current level."""
        return self.levels[self._level]

    def record_completion(self) -> None:
        """Back to the fastest level."""
        self.reset()

    def record_no_completion(self) -> None:
        """Count an empty check; move a level up after ``checks_per_level`` of them."""
        self._empty += 1
        if self._empty >= self.checks_per_level and self._level < len(self.levels) - 1:
            self._level += 1
            self._empty = 0

    def reset(self) -> None:
        """Back to the first level."""
        self._level = 0
        self._empty = 0


_CLASSES: dict[PollingAlgorithm, type[PollingStrategy]] = {
    PollingAlgorithm.Fixed: FixedPolling,
    PollingAlgorithm.Adaptive: AdaptivePolling,
    PollingAlgorithm.Exponential: ExponentialPolling,
    PollingAlgorithm.Progressive: ProgressivePolling,
}


def polling_strategy(polling: Any = PollingAlgorithm.Adaptive, **options: Any) -> PollingStrategy:
    """Build a strategy from a `PollingAlgorithm` (member or string) or return a given one.

    Args:
        polling: A `PollingAlgorithm`, its name/alias, or a `PollingStrategy` instance.
        **options: Constructor options of the strategy class.

    Raises:
        ValueError: Unknown algorithm or invalid options.
    """
    if isinstance(polling, PollingStrategy):
        if options:
            raise ValueError(f"options cannot be combined with a strategy instance, got {options}")
        return polling
    if not isinstance(polling, str):
        choices = ", ".join(repr(m.value) for m in PollingAlgorithm)
        raise ValueError(
            f"polling must be a PollingAlgorithm or PollingStrategy, got {polling!r}; "
            f"valid choices: {choices}"
        )
    return _CLASSES[PollingAlgorithm(polling)](**options)
