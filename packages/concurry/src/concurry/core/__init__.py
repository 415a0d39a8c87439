"""Alias of the original ``concurry.core`` package (its modules keep their paths); lazy."""

from __future__ import annotations

from concurry._exports import lazy_module

__all__, __getattr__, __dir__ = lazy_module(__name__, [])
