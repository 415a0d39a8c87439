"""concurry-futures: one future type over every backend, event-driven wait/gather, progress.

Public names are defined in small private modules and re-exported here with
``__module__`` set to ``concurry_futures`` so reprs and pickles use this path.
"""

from __future__ import annotations

from ._async import async_gather, async_wait
from ._asyncio import AsyncioFuture
from ._base import BaseFuture
from ._concurrent import ConcurrentFuture
from ._constants import ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, ReturnWhen
from ._errors import FuturesError, MissingPluginError, TimerError
from ._gather import gather
from ._polling import (
    AdaptivePolling,
    ExponentialPolling,
    FixedPolling,
    PollingAlgorithm,
    PollingStrategy,
    ProgressivePolling,
    polling_strategy,
)
from ._progress import ProgressBar
from ._reporter import as_progress_bar
from ._sync import SyncFuture
from ._timer import Timer
from ._wait import wait
from ._wrap import register_future_adapter, wrap_future

__all__ = [
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "AdaptivePolling",
    "AsyncioFuture",
    "BaseFuture",
    "ConcurrentFuture",
    "ExponentialPolling",
    "FixedPolling",
    "FuturesError",
    "MissingPluginError",
    "PollingAlgorithm",
    "PollingStrategy",
    "ProgressBar",
    "ProgressivePolling",
    "ReturnWhen",
    "SyncFuture",
    "Timer",
    "TimerError",
    "as_progress_bar",
    "async_gather",
    "async_wait",
    "gather",
    "polling_strategy",
    "register_future_adapter",
    "wait",
    "wrap_future",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) or callable(_obj):
        _obj.__module__ = __name__
del _name, _obj
