"""Alias of the original ``concurry.utils.progress``; lazy."""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_futures import ProgressBar as ProgressBar

__all__, __getattr__, __dir__ = lazy_module(__name__, ["ProgressBar"])
