"""concurry-futures: one future type over every backend, event-driven wait/gather, progress.

Public names are defined in small private modules and re-exported here with
``__module__`` set to ``concurry_futures`` so reprs and pickles use this path.
"""

from __future__ import annotations

from ._asyncio import AsyncioFuture
from ._base import BaseFuture
from ._concurrent import ConcurrentFuture
from ._errors import FuturesError, MissingPluginError, TimerError
from ._sync import SyncFuture
from ._wrap import register_future_adapter, wrap_future

__all__ = [
    "AsyncioFuture",
    "BaseFuture",
    "ConcurrentFuture",
    "FuturesError",
    "MissingPluginError",
    "SyncFuture",
    "TimerError",
    "register_future_adapter",
    "wrap_future",
]

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", None) != __name__:
        try:
            _obj.__module__ = __name__
        except (AttributeError, TypeError):
            pass
del _name, _obj
