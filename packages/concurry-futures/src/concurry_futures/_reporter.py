"""The ``progress=`` argument of wait/gather: nothing, a bar, or a callback."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["Reporter", "make_reporter"]


class Reporter:
    """Reports ``completed`` out of ``total`` to a bar or a callable."""

    __slots__ = ("_bar", "_fn", "_last", "_start", "total")

    def __init__(self, total: int, bar: Any = None, fn: Callable[..., Any] | None = None):
        self.total = total
        self._bar = bar
        self._fn = fn
        self._last = 0
        self._start = time.monotonic()

    def update(self, completed: int) -> None:
        """Report the absolute number of completed futures (ignored if not higher)."""
        if completed <= self._last:
            return
        if self._bar is not None:
            self._bar._update_now(completed - self._last)
        if self._fn is not None:
            self._fn(completed, self.total, time.monotonic() - self._start)
        self._last = completed

    def close(self, outcome: str) -> None:
        """End the report: ``"success"``, ``"failure"`` or ``"stop"`` (a bar is coloured)."""
        if self._bar is not None:
            getattr(self._bar, outcome)()


def make_reporter(progress: Any, total: int, desc: str) -> Reporter | None:
    """Interpret ``progress``: None/False, True, a dict of ProgressBar options,
    a `ProgressBar`, or a callable ``fn(completed, total, elapsed)``.

    Raises:
        ValueError: Any other value.
    """
    if progress is None or progress is False:
        return None
    from ._progress import ProgressBar

    if progress is True:
        return Reporter(total, bar=ProgressBar(total=total, desc=desc, unit="future"))
    if isinstance(progress, dict):
        options = {"desc": desc, "unit": "future", **progress, "total": total}
        return Reporter(total, bar=ProgressBar(**options))
    if isinstance(progress, ProgressBar):
        progress.set_total(total)
        return Reporter(total, bar=progress)
    if callable(progress):
        return Reporter(total, fn=progress)
    raise ValueError(
        "progress must be None, a bool, a dict of ProgressBar options, a ProgressBar "
        f"or a callable fn(completed, total, elapsed), got {type(progress).__name__}: {progress!r}"
    )
