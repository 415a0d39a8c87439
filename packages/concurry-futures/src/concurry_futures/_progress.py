"""`ProgressBar`: a tqdm bar that never slows the loop it measures.

Updates are counted locally and handed to tqdm in batches sized so that a
flush happens about every ``_FLUSH_INTERVAL`` seconds, so a hot loop pays an
integer addition per item. tqdm itself is imported when the first bar is made.

A text bar is coloured only on a terminal: written to a file, a pipe or a CI
log it is plain text, redrawn at most every ``_PLAIN_MININTERVAL`` seconds
(each redraw of a text bar is a carriage return and a whole line: in a log file
they pile up on one line). ``NO_COLOR`` (any non-empty value, https://no-color.org)
turns colour off everywhere.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from ._errors import MissingPluginError

__all__ = ["STYLE_GROUP", "ProgressBar"]

#: Entry-point group where packages register extra bar styles (``ray``).
STYLE_GROUP = "concurry.progress_styles"

_STYLES = ("auto", "std", "notebook", "ray")
_FLUSH_INTERVAL = 0.1
# Even a 1000-item batch makes tqdm's cost per item negligible.
_MAX_BATCH = 1000
_COLORS = {"success": "#4caf50", "failure": "#e53935", "stop": "#9e9e9e"}
_PLAIN_MININTERVAL = 1.0


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or closed
        return False


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()  # type: ignore[attr-defined]
    except Exception:
        return False
    return type(shell).__name__ == "ZMQInteractiveShell"


def _widgets_allowed() -> bool:
    if os.environ.get("CONCURRY_DISABLE_IPYWIDGETS", "").strip().lower() in ("1", "true", "yes"):
        return False
    from importlib.util import find_spec

    # ipywidgets is optional: tqdm.notebook needs it, this package does not.
    return find_spec("ipywidgets") is not None


def _bar_class(style: str) -> Any:
    if style == "ray":
        from importlib.metadata import entry_points

        for ep in entry_points(group=STYLE_GROUP, name="ray"):
            return ep.load()
        raise MissingPluginError(
            "progress bar style 'ray' needs the ray backend: pip install concurry[ray]"
        )
    if (style == "notebook" or (style == "auto" and _in_notebook())) and _widgets_allowed():
        from tqdm.notebook import tqdm as notebook_tqdm

        return notebook_tqdm
    from tqdm.std import tqdm

    return tqdm


class ProgressBar:
    """A progress bar over tqdm with cheap updates and coloured endings (on a terminal).

    Args:
        iterable: Items to yield while counting them (optional).
        total: Expected count (default: ``len(iterable)`` when it has one).
        desc: Text in front of the bar.
        unit: What is counted.
        ncols: Width in characters (None: terminal width).
        miniters: Smallest batch handed to tqdm (>= 1).
        disable: Make every method a no-op and draw nothing.
        style: ``"auto"`` (notebook widget in a notebook, else text), ``"std"``,
            ``"notebook"`` (falls back to text without ipywidgets or when
            ``CONCURRY_DISABLE_IPYWIDGETS=1``), or ``"ray"`` (needs ``concurry[ray]``).
        color: Bar colour (name or ``#rrggbb``). Text bars are coloured (this
            colour, and the colours of `success`, `failure` and `stop`) only
            when their stream is a terminal and ``NO_COLOR`` is unset or empty;
            otherwise they are plain text, redrawn at most once a second
            unless ``mininterval`` is given.
        **tqdm_kwargs: Passed to tqdm (``file``, ``position``, ``leave`` ...).

    Raises:
        ValueError: ``miniters < 1`` or unknown ``style``.
        MissingPluginError: ``style="ray"`` without concurry-ray.

    Example:
        >>> import io
        >>> sum(ProgressBar(range(3), file=io.StringIO()))
        3
    """

    def __init__(
        self,
        iterable: Iterable[Any] | None = None,
        *,
        total: int | float | None = None,
        desc: str | None = None,
        unit: str = "row",
        ncols: int | None = None,
        miniters: int = 1,
        disable: bool = False,
        style: str = "auto",
        color: str | None = None,
        **tqdm_kwargs: Any,
    ):
        if isinstance(miniters, bool) or not isinstance(miniters, int | float) or miniters < 1:
            raise ValueError(f"miniters must be >= 1, got {miniters!r}")
        style_key = str(style).lower().strip()
        if style_key not in _STYLES:
            raise ValueError(f"style must be one of {', '.join(_STYLES)}, got {style!r}")
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self._iterable = iterable
        self._miniters = int(miniters)
        self._batch = self._miniters
        self._pending: int | float = 0
        self._last_flush = time.monotonic()
        self._closed = False
        self._desc = desc
        self._bar: Any = None
        self._colour = not os.environ.get("NO_COLOR")
        if not disable:
            cls = _bar_class(style_key)
            # A notebook widget is not text: its colour is no escape code in a stream.
            text = getattr(cls, "__module__", "") != "tqdm.notebook"
            if text and not _is_terminal(tqdm_kwargs.get("file") or sys.stderr):
                self._colour = False
                tqdm_kwargs.setdefault("mininterval", _PLAIN_MININTERVAL)
            self._bar = cls(
                total=total,
                desc=desc,
                unit=unit,
                ncols=ncols,
                miniters=self._miniters,
                colour=color if self._colour else None,
                **tqdm_kwargs,
            )

    @property
    def n(self) -> int | float:
        """How many items were counted so far."""
        return (self._bar.n if self._bar is not None else 0) + self._pending

    @property
    def total(self) -> int | float | None:
        """The expected count (None when unknown)."""
        return self._bar.total if self._bar is not None else None

    def __iter__(self) -> Iterator[Any]:
        if self._iterable is None:
            raise TypeError("this ProgressBar has no iterable; use update() instead")
        try:
            for item in self._iterable:
                yield item
                self._pending += 1
                if self._pending >= self._batch:
                    self._flush()
        finally:
            self.close()

    def update(self, n: int | float = 1) -> None:
        """Count ``n`` more items (cheap: flushed to tqdm in batches)."""
        self._pending += n
        if self._pending >= self._batch:
            self._flush()

    def _flush(self) -> None:
        if self._bar is None or not self._pending:
            self._pending = 0
            return
        now = time.monotonic()
        # Size the next batch so flushes land about every _FLUSH_INTERVAL seconds,
        # capped so a bar never lags far behind when the rate drops.
        if now - self._last_flush < _FLUSH_INTERVAL:
            self._batch = max(self._miniters, min(self._batch * 2, self._max_batch()))
        elif self._batch > self._miniters:
            self._batch = max(self._miniters, self._batch // 2)
        self._last_flush = now
        pending, self._pending = self._pending, 0
        self._bar.update(pending)

    def _max_batch(self) -> int:
        total = self._bar.total if self._bar is not None else None
        return int(min(_MAX_BATCH, total / 100)) if total else _MAX_BATCH

    def _update_now(self, n: int | float) -> None:
        """Hand ``n`` to tqdm at once (for event-driven callers like wait/gather)."""
        if self._bar is not None:
            self._pending += n
            pending, self._pending = self._pending, 0
            self._bar.update(pending)

    def set_total(self, total: int | float | None) -> None:
        """Change the expected count."""
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    @property
    def desc(self) -> str | None:
        """The text in front of the bar."""
        return self._desc

    def set_description(self, desc: str | None) -> None:
        """Change the text in front of the bar."""
        self._desc = desc
        if self._bar is not None:
            self._flush()
            self._bar.set_description(desc)

    def refresh(self) -> None:
        """Draw the bar now, including every counted item."""
        self._flush()
        if self._bar is not None:
            self._bar.refresh()

    def close(self) -> None:
        """Draw the final state and release the bar (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._flush()
        if self._bar is not None:
            self._bar.close()

    def _end(self, outcome: str, desc: str | None, close: bool, append_desc: bool) -> None:
        if self._closed:
            return
        if desc is not None:
            if append_desc and self._desc:
                desc = f"{self._desc} {desc}"
            self.set_description(desc)
        if self._bar is not None:
            self._flush()
            if self._colour:
                self._bar.colour = _COLORS[outcome]
            if not close or not getattr(self._bar, "leave", True):
                self._bar.refresh()  # close() would erase it: show the colour once first
        if close:
            self.close()  # a kept bar is redrawn by close(), in its new colour

    def success(
        self, desc: str | None = None, close: bool = True, append_desc: bool = True
    ) -> None:
        """Turn the bar green and (by default) close it.

        Args:
            desc: Text to show at the end, e.g. ``"done"``.
            close: Close the bar (False keeps it open for more updates).
            append_desc: Put ``desc`` after the current description instead of
                replacing it.
        """
        self._end("success", desc, close, append_desc)

    def failure(
        self, desc: str | None = None, close: bool = True, append_desc: bool = True
    ) -> None:
        """Turn the bar red and (by default) close it; arguments as for `success`."""
        self._end("failure", desc, close, append_desc)

    def stop(self, desc: str | None = None, close: bool = True, append_desc: bool = True) -> None:
        """Turn the bar grey and (by default) close it, stopped before the end; as `success`."""
        self._end("stop", desc, close, append_desc)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.failure()

    def __repr__(self) -> str:
        return f"ProgressBar(n={self.n}, total={self.total}, closed={self._closed})"
