"""`Timer`: measure and log how long a piece of code takes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._errors import TimerError

if TYPE_CHECKING:
    from datetime import datetime, timedelta

__all__ = ["Timer"]

_UNITS = (
    (86400e9, "days"),
    (3600e9, "hours"),
    (60e9, "minutes"),
    (1e9, "seconds"),
    (1e6, "milliseconds"),
    (1e3, "microseconds"),
    (1.0, "nanoseconds"),
)


def _default_logger(message: str) -> None:
    import logging

    logging.getLogger("concurry_futures").info(message)


def _as_log_fn(logger: Any) -> Callable[[str], Any] | None:
    if logger is None or logger is False:
        return None
    if hasattr(logger, "info") and callable(logger.info):
        return logger.info  # a logging.Logger (or alike)
    if callable(logger):
        return logger
    raise TypeError(
        f"logger must be a callable, a logging.Logger, None or False, got {type(logger).__name__}"
    )


class Timer:
    """Time a block of code, as a context manager or with `start` / `stop`.

    Args:
        task: Name shown in the messages as ``(task)``.
        logger: Where messages go: a callable taking a string (e.g. ``print``), a
            `logging.Logger`, or None/False for nothing. Default: ``logging``
            at INFO level on the ``concurry_futures`` logger.
        silent: Log nothing (the measurement still works).
        i: Index of this run, shown as a ``[05/10]`` prefix with ``max_i``.
        max_i: Total number of runs (sets the zero padding of ``i``).

    Raises:
        TimerError: `start` on a timer that already started, or `stop` before `start`.

    Example:
        >>> with Timer("load", logger=False) as t:
        ...     _ = sum(range(1000))
        >>> t.time_taken_sec >= 0
        True
    """

    def __init__(
        self,
        task: str | None = None,
        *,
        logger: Any = _default_logger,
        silent: bool = False,
        i: int | None = None,
        max_i: int | None = None,
    ):
        for name, value in (("i", i), ("max_i", max_i)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")
        self.task = task
        self.silent = silent
        self.i = i
        self.max_i = max_i
        self._log = None if silent else _as_log_fn(logger)
        self._start_ns: int | None = None
        self._end_ns: int | None = None
        self.started_at: datetime | None = None

    @property
    def prefix(self) -> str:
        """``"[05/10] (task) "``: the run index and task name put before messages."""
        parts = []
        if self.i is not None:
            width = len(str(self.max_i)) if self.max_i is not None else 1
            total = f"/{self.max_i:0{width}d}" if self.max_i is not None else ""
            parts.append(f"[{self.i:0{width}d}{total}]")
        if self.task:
            parts.append(f"({self.task})")
        return " ".join(parts) + (" " if parts else "")

    def start(self) -> Timer:
        """Start timing and log "Started at ...".

        Raises:
            TimerError: The timer was already started.
        """
        if self._start_ns is not None:
            raise TimerError("timer already started; use a new Timer to time again")
        from datetime import datetime

        self.started_at = datetime.now()
        self._start_ns = time.perf_counter_ns()
        if self._log is not None:
            stamp = self.started_at.isoformat(sep=" ", timespec="milliseconds")
            self._log(f"{self.prefix}Started at {stamp}...")
        return self

    def stop(self) -> Timer:
        """Stop timing and log "...completed in <duration>.".

        Raises:
            TimerError: The timer was not started, or is already stopped.
        """
        if self._start_ns is None:
            raise TimerError("timer not started; call start() before stop()")
        if self._end_ns is not None:
            raise TimerError("timer already stopped")
        self._end_ns = time.perf_counter_ns()
        if self._log is not None:
            self._log(f"{self.prefix}...completed in {self.time_taken_str}.")
        return self

    def __enter__(self) -> Timer:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    @property
    def is_running(self) -> bool:
        """True between `start` and `stop`."""
        return self._start_ns is not None and self._end_ns is None

    @property
    def time_taken_ns(self) -> int:
        """Elapsed nanoseconds (up to now while running).

        Raises:
            TimerError: The timer was not started.
        """
        if self._start_ns is None:
            raise TimerError("timer not started; call start() first")
        end = self._end_ns if self._end_ns is not None else time.perf_counter_ns()
        return end - self._start_ns

    @property
    def time_taken_us(self) -> float:
        """Elapsed microseconds."""
        return self.time_taken_ns / 1e3

    @property
    def time_taken_ms(self) -> float:
        """Elapsed milliseconds."""
        return self.time_taken_ns / 1e6

    @property
    def time_taken_sec(self) -> float:
        """Elapsed seconds."""
        return self.time_taken_ns / 1e9

    @property
    def time_taken_td(self) -> timedelta:
        """Elapsed time as a `datetime.timedelta`."""
        from datetime import timedelta

        return timedelta(microseconds=self.time_taken_ns / 1e3)

    @property
    def time_taken_str(self) -> str:
        """Elapsed time in the largest fitting unit: ``"12.74 milliseconds"``."""
        ns = self.time_taken_ns
        for size, unit in _UNITS:
            if ns >= size:
                return f"{ns / size:.2f} {unit}"
        return f"{ns:.2f} nanoseconds"

    @property
    def time_taken_human(self) -> str:
        """Compact elapsed time: ``"850.00ms"``, ``"1m 05.20s"``, ``"2h 03m 04s"``."""
        ns = self.time_taken_ns
        if ns < 1e3:
            return f"{ns}ns"
        if ns < 1e6:
            return f"{ns / 1e3:.2f}µs"
        if ns < 1e9:
            return f"{ns / 1e6:.2f}ms"
        sec = ns / 1e9
        if sec < 60:
            return f"{sec:.2f}s"
        minutes, sec = divmod(sec, 60)
        if minutes < 60:
            return f"{int(minutes)}m {sec:05.2f}s"
        hours, minutes = divmod(int(minutes), 60)
        if hours < 24:
            return f"{hours}h {minutes:02d}m {int(sec):02d}s"
        days, hours = divmod(hours, 24)
        return f"{days}d {hours:02d}h {minutes:02d}m"

    def __repr__(self) -> str:
        state = "running" if self.is_running else ("stopped" if self._end_ns else "new")
        return f"Timer(task={self.task!r}, state={state})"
