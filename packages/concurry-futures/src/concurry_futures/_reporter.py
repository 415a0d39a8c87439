"""The ``progress=`` argument of wait, gather and map: nothing, a bar, or a callback.

`as_progress_bar` is the one place that turns the argument into a bar; every
API taking ``progress=`` (wait/gather here, ``map`` in concurry-workers) calls it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._progress import ProgressBar

__all__ = ["Reporter", "as_progress_bar", "make_reporter"]


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


def as_progress_bar(
    progress: Any, total: float | None, *, desc: str | None = None, unit: str = "row"
) -> ProgressBar | None:
    """The bar a ``progress=`` argument asks for, or None for no bar.

    Args:
        progress: None/False (no bar), True (a bar with ``desc`` and ``unit``),
            a dict of `ProgressBar` options (over those defaults), or a
            `ProgressBar` to use as it is.
        total: The number of items when known (None: unknown). It replaces a
            ProgressBar's own total; a dict's ``total`` is kept when this is None.
        desc: Default description.
        unit: Default unit.

    Raises:
        ValueError: Any other value.
    """
    if progress is None or progress is False:
        return None
    from ._progress import ProgressBar

    if isinstance(progress, ProgressBar):
        if total is not None:
            progress.set_total(total)
        return progress
    if progress is True or isinstance(progress, dict):
        options: dict[str, Any] = {"desc": desc, "unit": unit}
        if progress is not True:
            options.update(progress)
        if total is not None or "total" not in options:
            options["total"] = total
        return ProgressBar(**options)
    raise ValueError(
        "progress must be None, a bool, a dict of ProgressBar options or a ProgressBar "
        "(wait and gather also take a callable fn(completed, total, elapsed)), "
        f"got {type(progress).__name__}: {progress!r}"
    )


def make_reporter(progress: Any, total: int, desc: str) -> Reporter | None:
    """Interpret ``progress`` for wait/gather: what `as_progress_bar` takes, or a
    callable ``fn(completed, total, elapsed)``.

    Raises:
        ValueError: Any other value.
    """
    if callable(progress):
        return Reporter(total, fn=progress)
    bar = as_progress_bar(progress, total, desc=desc, unit="future")
    return None if bar is None else Reporter(total, bar=bar)
