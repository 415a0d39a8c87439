"""The exceptions of concurry-futures.

Hierarchy::

    Exception
     └── FuturesError                  base of everything raised by this package
          ├── TimerError               Timer used out of order (start twice, stop before start)
          └── MissingPluginError       a feature needs an optional package (e.g. concurry[ray])
                                       (also an ImportError)

Timeouts raise the builtin `TimeoutError` and cancellations raise
`concurrent.futures.CancelledError`, exactly like the standard library, so
code written against `concurrent.futures` keeps catching them.
"""

from __future__ import annotations

__all__ = ["FuturesError", "MissingPluginError", "TimerError"]


class FuturesError(Exception):
    """Base class of the errors raised by concurry-futures."""


class TimerError(FuturesError):
    """A `Timer` was used out of order: started twice, or stopped before it started."""


class MissingPluginError(FuturesError, ImportError):
    """A feature needs an optional package that is not installed (e.g. ``concurry[ray]``)."""
