"""Alias of `concurry.core.constants` kept for code written against the older layout; lazy."""

from concurry._exports import lazy_module

__all__, __getattr__, __dir__ = lazy_module(
    __name__,
    [
        "ExecutionMode",
        "LoadBalancingAlgorithm",
        "PollingAlgorithm",
        "RateLimitAlgorithm",
        "RateWindow",
        "RetryAlgorithm",
        "ReturnWhen",
        "ALL_COMPLETED",
        "FIRST_COMPLETED",
        "FIRST_EXCEPTION",
        "_NO_ARG",
    ],
)
