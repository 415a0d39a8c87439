"""concurry-retry: retries with backoff, jitter, exception filters and output validation.

Standard library only. Three ways in: the ``@retry(...)`` decorator,
``execute_with_retry(fn, args, kwargs, config)`` (and its async twin), and the
loop form ``for attempt in retrying(...): with attempt: ...``. Every wait can
be turned off for tests with ``set_testing(True)``, ``with testing():`` or
``CONCURRY_RETRY_NO_WAIT=1``.
"""

from __future__ import annotations

from ._algorithm import RetryAlgorithm
from ._config import RetryConfig
from ._decorator import retry
from ._errors import RetryConfigError, RetryError, RetryValidationError
from ._execute import async_execute_with_retry, execute_with_retry
from ._info import RetryInfo
from ._loop import Attempt, Retrying, retrying
from ._testing import is_testing, set_testing, testing

__all__ = [
    "Attempt",
    "RetryAlgorithm",
    "RetryConfig",
    "RetryConfigError",
    "RetryError",
    "RetryInfo",
    "RetryValidationError",
    "Retrying",
    "async_execute_with_retry",
    "execute_with_retry",
    "is_testing",
    "retry",
    "retrying",
    "set_testing",
    "testing",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
