"""Retry plans: the ``options()`` retry parameters turned into per-method configs."""

from __future__ import annotations

from typing import Any

__all__ = ["build_retry_plan"]


def build_retry_plan(retry: dict[str, Any], worker_name: str) -> Any:
    """A retry plan, or None when no method retries."""
    return None
