"""Alias of the original ``concurry.core.constants``: the enums and constants; lazy."""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_futures import ALL_COMPLETED as ALL_COMPLETED
    from concurry_futures import FIRST_COMPLETED as FIRST_COMPLETED
    from concurry_futures import FIRST_EXCEPTION as FIRST_EXCEPTION
    from concurry_futures import PollingAlgorithm as PollingAlgorithm
    from concurry_futures import ReturnWhen as ReturnWhen
    from concurry_limits import RateLimitAlgorithm as RateLimitAlgorithm
    from concurry_limits import RateWindow as RateWindow
    from concurry_retry import RetryAlgorithm as RetryAlgorithm
    from concurry_workers import _NO_ARG as _NO_ARG
    from concurry_workers import _NO_ARG_TYPE as _NO_ARG_TYPE
    from concurry_workers import ExecutionMode as ExecutionMode
    from concurry_workers import LoadBalancingAlgorithm as LoadBalancingAlgorithm

__all__, __getattr__, __dir__ = lazy_module(
    __name__,
    [
        "ALL_COMPLETED",
        "ExecutionMode",
        "FIRST_COMPLETED",
        "FIRST_EXCEPTION",
        "LoadBalancingAlgorithm",
        "PollingAlgorithm",
        "RateLimitAlgorithm",
        "RateWindow",
        "RetryAlgorithm",
        "ReturnWhen",
        "_NO_ARG",
        "_NO_ARG_TYPE",
    ],
)
