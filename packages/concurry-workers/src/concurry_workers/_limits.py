"""Turning the ``limits=`` option into the object ``self.limits`` refers to."""

from __future__ import annotations

from typing import Any

__all__ = ["limits_for_worker"]


def limits_for_worker(limits: Any, mode: Any, worker_index: int = 0) -> Any:
    """The limits object of one worker (an empty set when ``limits`` is None)."""
    return limits
