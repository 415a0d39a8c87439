"""Alias of the original ``concurry.core.future``; lazy.

``CancelledError`` is ``concurrent.futures.CancelledError``, what a cancelled
future of any kind raises.
"""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurrent.futures import CancelledError as CancelledError

    from concurry_futures import ALL_COMPLETED as ALL_COMPLETED
    from concurry_futures import FIRST_COMPLETED as FIRST_COMPLETED
    from concurry_futures import FIRST_EXCEPTION as FIRST_EXCEPTION
    from concurry_futures import AsyncioFuture as AsyncioFuture
    from concurry_futures import BaseFuture as BaseFuture
    from concurry_futures import ConcurrentFuture as ConcurrentFuture
    from concurry_futures import ReturnWhen as ReturnWhen
    from concurry_futures import SyncFuture as SyncFuture
    from concurry_futures import async_gather as async_gather
    from concurry_futures import async_wait as async_wait
    from concurry_futures import gather as gather
    from concurry_futures import wait as wait
    from concurry_futures import wrap_future as wrap_future
    from concurry_ray import RayFuture as RayFuture

__all__, __getattr__, __dir__ = lazy_module(
    __name__,
    [
        "ALL_COMPLETED",
        "AsyncioFuture",
        "BaseFuture",
        "ConcurrentFuture",
        "FIRST_COMPLETED",
        "FIRST_EXCEPTION",
        "RayFuture",
        "ReturnWhen",
        "SyncFuture",
        "async_gather",
        "async_wait",
        "gather",
        "wait",
        "wrap_future",
    ],
    extra={"CancelledError": "concurrent.futures:CancelledError"},
)
