"""Alias of the original ``concurry.core.limit.limit_pool``; lazy."""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_limits import LimitPool as LimitPool

__all__, __getattr__, __dir__ = lazy_module(__name__, ["LimitPool"])
