"""`Timer`: measure and report how long a piece of code takes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._errors import TimerError

if TYPE_CHECKING:
    from datetime import datetime, timedelta

__all__ = ["Timer", "readable_duration"]

_UNITS = (
    (86400e9, "days"),
    (3600e9, "hours"),
    (60e9, "minutes"),
    (1e9, "seconds"),
    (1e6, "milliseconds"),
    (1e3, "microseconds"),
    (1.0, "nanoseconds"),
)

# time_taken(fmt): every accepted spelling -> the property it reads
_FORMATS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "time_taken_sec"),
    **dict.fromkeys(("ms", "milli", "millis", "millisec", "milliseconds"), "time_taken_ms"),
    **dict.fromkeys(("us", "micro", "micros", "microsec", "microseconds"), "time_taken_us"),
    **dict.fromkeys(("ns", "nano", "nanos", "nanosec", "nanoseconds"), "time_taken_ns"),
    **dict.fromkeys(("td", "dt", "timedelta", "datetime"), "time_taken_td"),
    **dict.fromkeys(("str", "string", "human", "readable"), "time_taken_str"),
}


def readable_duration(ns: float) -> str:
    """A duration in its largest fitting unit, at most 2 decimals: ``"10.4 milliseconds"``."""
    size, unit = next((u for u in _UNITS if ns >= u[0]), _UNITS[-1])
    text = f"{ns / size:.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


def _readable_datetime(dt: datetime) -> str:
    return f"{dt:%Y-%m-%d %H:%M:%S}.{dt.microsecond // 1000:03d} {dt:%Z}".rstrip()


def _as_log_fn(logger: Any) -> Callable[[str], Any] | None:
    if logger is False:
        return None
    if logger is None:
        return print
    if hasattr(logger, "info") and callable(logger.info):
        return logger.info  # a logging.Logger (or alike)
    if callable(logger):
        return logger
    raise TypeError(
        f"logger must be a callable, a logging.Logger, None or False, got {type(logger).__name__}"
    )


class Timer:
    """Time a block of code, as a context manager or with `start` / `stop`.

    Messages look like ``(task) Started at 2024-05-01 12:00:00.000 UTC...`` and
    ``(task) ...completed in 10.4 milliseconds.``.

    Args:
        task: Name shown in the messages as ``(task)``; none when empty.
        logger: Where messages go: a callable taking a string, a
            `logging.Logger` (its ``info``), None for `print` (the default), or
            False for nothing.
        silent: Report nothing (the measurement still works).
        single_line: Report once, at `stop`:
            ``(task) Started at ..., completed in 10.4 milliseconds.``.
        i: Index of this run, shown as a ``[05/10]`` prefix with ``max_i``.
        max_i: Total number of runs (sets the zero padding of ``i``).

    Raises:
        TimerError: `start` on a timer that has already been started, or
            `stop` / a measurement on one that has not been started.

    Example:
        >>> with Timer("load", logger=False) as t:
        ...     _ = sum(range(1000))
        >>> t.has_stopped and t.time_taken_sec >= 0
        True
    """

    def __init__(
        self,
        task: str = "",
        *,
        logger: Any = None,
        silent: bool = False,
        single_line: bool = False,
        i: int | None = None,
        max_i: int | None = None,
    ):
        for name, value in (("i", i), ("max_i", max_i)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")
        self.task = task or ""
        self.silent = silent
        self.single_line = single_line
        self.i = i
        self.max_i = max_i
        self._log = None if silent else _as_log_fn(logger)
        self._start_ns: int | None = None
        self._end_ns: int | None = None
        self._start_dt: datetime | None = None
        self._end_dt: datetime | None = None

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

    def _report(self, message: str) -> None:
        if self._log is not None:
            self._log(self.prefix + message)

    def start(self) -> Timer:
        """Start timing and report "Started at ..." (unless ``single_line``).

        Raises:
            TimerError: The timer has already been started.
        """
        if self._start_ns is not None:
            raise TimerError("Timer has already been started; use a new Timer to time again")
        from datetime import datetime

        self._start_dt = datetime.now().astimezone()
        self._start_ns = time.perf_counter_ns()
        if not self.single_line:
            self._report(f"Started at {self.start_time_str}...")
        return self

    def stop(self) -> Timer:
        """Stop timing and report "...completed in <duration>.".

        Raises:
            TimerError: The timer has not been started, or has already been stopped.
        """
        if self._start_ns is None:
            raise TimerError("Timer has not been started; call start() before stop()")
        if self._end_ns is not None:
            raise TimerError("Timer has already been stopped")
        self._end_ns = time.perf_counter_ns()
        from datetime import datetime

        self._end_dt = datetime.now().astimezone()
        if self.single_line:
            self._report(f"Started at {self.start_time_str}, completed in {self.time_taken_str}.")
        else:
            self._report(f"...completed in {self.time_taken_str}.")
        return self

    def alert(self, text: str | None = None) -> None:
        """Report how long the timer has been running, followed by ``text``.

        Raises:
            TimerError: The timer has not been started.
        """
        message = f"Timer has been running for {self.time_taken_str}."
        self._report(message if text is None else f"{message} {text}")

    def __enter__(self) -> Timer:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    @property
    def has_started(self) -> bool:
        """True once `start` ran."""
        return self._start_ns is not None

    @property
    def has_stopped(self) -> bool:
        """True once `stop` ran."""
        return self._end_ns is not None

    @property
    def is_running(self) -> bool:
        """True between `start` and `stop`."""
        return self._start_ns is not None and self._end_ns is None

    @property
    def start_datetime(self) -> datetime | None:
        """When `start` ran (local time, timezone-aware), None before."""
        return self._start_dt

    @property
    def end_datetime(self) -> datetime | None:
        """When `stop` ran (local time, timezone-aware), None before."""
        return self._end_dt

    @property
    def started_at(self) -> datetime | None:
        """Same as `start_datetime`."""
        return self._start_dt

    @property
    def start_time_str(self) -> str:
        """`start_datetime` as ``"2024-05-01 12:00:00.000 UTC"`` (empty before `start`)."""
        return "" if self._start_dt is None else _readable_datetime(self._start_dt)

    @property
    def end_time_str(self) -> str:
        """`end_datetime` as ``"2024-05-01 12:00:00.010 UTC"`` (empty before `stop`)."""
        return "" if self._end_dt is None else _readable_datetime(self._end_dt)

    def time_taken(self, fmt: str = "str") -> Any:
        """The elapsed time in the format ``fmt``.

        Args:
            fmt: ``"s"``/``"sec"``/``"seconds"``, ``"ms"``, ``"us"``, ``"ns"``,
                ``"td"``/``"timedelta"``, or ``"str"``/``"human"`` (also the type
                ``str``).

        Raises:
            ValueError: Unknown ``fmt``.
            TimerError: The timer has not been started.
        """
        key = "str" if fmt is str else fmt
        name = _FORMATS.get(key.lower().strip()) if isinstance(key, str) else None
        if name is None:
            raise ValueError(
                f"fmt must be one of {', '.join(sorted(_FORMATS))} (or str), got {fmt!r}"
            )
        return getattr(self, name)

    @property
    def time_taken_ns(self) -> int:
        """Elapsed nanoseconds (up to now while running).

        Raises:
            TimerError: The timer has not been started.
        """
        if self._start_ns is None:
            raise TimerError("Timer has not been started; call start() first")
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
        return readable_duration(self.time_taken_ns)

    @property
    def time_taken_human(self) -> str:
        """Same as `time_taken_str`: ``"1.09 minutes"``."""
        return self.time_taken_str

    def __repr__(self) -> str:
        state = "running" if self.is_running else ("stopped" if self.has_stopped else "new")
        return f"Timer(task={self.task!r}, state={state})"
