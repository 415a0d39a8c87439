"""Alias of the original ``concurry.utils`` package; lazy."""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_futures import ProgressBar as ProgressBar
    from concurry_futures import Timer as Timer
    from concurry_futures import TimerError as TimerError

__all__, __getattr__, __dir__ = lazy_module(__name__, ["ProgressBar", "Timer", "TimerError"])
