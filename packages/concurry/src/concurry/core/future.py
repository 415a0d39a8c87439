"""Alias of `concurry.core.future` kept for code written against the older layout; lazy."""

from concurry._exports import lazy_module

__all__, __getattr__, __dir__ = lazy_module(
    __name__,
    [
        "BaseFuture",
        "SyncFuture",
        "ConcurrentFuture",
        "AsyncioFuture",
        "RayFuture",
        "wrap_future",
        "wait",
        "gather",
        "async_wait",
        "async_gather",
        "ALL_COMPLETED",
        "FIRST_COMPLETED",
        "FIRST_EXCEPTION",
        "ReturnWhen",
    ],
)
