"""Errors raised by concurry-limits.

The hierarchy is small on purpose; every class also derives from the builtin a
caller would naturally catch::

    LimitError                                  base of everything below
    +-- LimitValidationError (ValueError)       bad limit, amount, usage or option
    +-- LimitUsageError (RuntimeError)          an acquisition was misused (e.g. not updated)
    +-- LimitTimeoutError (TimeoutError)        acquire(timeout=...) ran out of time
    +-- LimitBackendError (RuntimeError)        a shared backend is gone or unreachable
"""

from __future__ import annotations

__all__ = [
    "LimitBackendError",
    "LimitError",
    "LimitTimeoutError",
    "LimitUsageError",
    "LimitValidationError",
]


class LimitError(Exception):
    """Base class of every error raised by concurry-limits."""


class LimitValidationError(LimitError, ValueError):
    """A limit, an amount, a usage report or an option is invalid."""


class LimitUsageError(LimitError, RuntimeError):
    """An acquisition was used against the rules (e.g. released without a required update)."""


class LimitTimeoutError(LimitError, TimeoutError):
    """An acquisition could not be granted before its timeout."""


class LimitBackendError(LimitError, RuntimeError):
    """A shared backend cannot be reached or its shared state no longer exists."""
