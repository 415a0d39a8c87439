"""The original ``concurry.core.retry``: the retry names of concurry-retry, plus two adapters.

- :func:`calculate_retry_wait` is the original's name for
  ``RetryConfig.compute_wait``.
- :func:`execute_with_retry` takes the original's positional ``context`` dict
  (``method_name``, ``worker_class``, ...) as well as concurry-retry's
  keywords, then calls concurry-retry's function: the retry logic is written
  once, there.

Everything else is the concurry-retry object itself, imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_retry import RetryAlgorithm as RetryAlgorithm
    from concurry_retry import RetryConfig as RetryConfig
    from concurry_retry import RetryError as RetryError
    from concurry_retry import RetryInfo as RetryInfo
    from concurry_retry import RetryValidationError as RetryValidationError
    from concurry_retry import retry as retry
    from concurry_retry import retrying as retrying

__all__, __getattr__, __dir__ = lazy_module(
    __name__,
    [
        "RetryAlgorithm",
        "RetryConfig",
        "RetryError",
        "RetryInfo",
        "RetryValidationError",
        "retry",
        "retrying",
    ],
    local=["calculate_retry_wait", "execute_with_retry"],
)

#: Keys of the original's context dict that concurry-retry takes as keywords.
_CONTEXT_KEYS = ("method_name", "worker_class")


def calculate_retry_wait(attempt: int, config: RetryConfig) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based), as ``config`` says.

    The algorithm's wait (``retry_wait`` times 1, 2, 4, ... for exponential),
    capped by ``retry_max_wait``, then jittered by ``retry_jitter``; the same
    value ``config.compute_wait(attempt)`` returns.

    Args:
        attempt: The retry number, 1 for the first retry.
        config: The retry policy.

    Returns:
        The wait in seconds (``>= 0``).

    Raises:
        TypeError: ``config`` is not a ``RetryConfig``.
    """
    from concurry_retry import RetryConfig

    if not isinstance(config, RetryConfig):
        raise TypeError(f"config must be a RetryConfig, got {config!r}")
    return config.compute_wait(attempt)


def _keywords(context: Mapping[str, Any] | None, keywords: dict[str, Any]) -> dict[str, Any]:
    """concurry-retry's keywords from the original's ``context`` dict and the given ones.

    ``method_name`` and ``worker_class`` are taken from ``context`` (the
    original's ``worker_class_name`` stands in for a missing ``worker_class``);
    its other keys are not needed: concurry-retry computes ``attempt``,
    ``elapsed_time``, ``args`` and ``kwargs`` for filters and validators itself.
    """
    if context is None:
        return keywords
    if not isinstance(context, Mapping):
        raise TypeError(f"context must be a dict or None, got {context!r}")
    merged = dict(keywords)
    found = {key: context[key] for key in _CONTEXT_KEYS if key in context}
    if "worker_class" not in found and "worker_class_name" in context:
        found["worker_class"] = context["worker_class_name"]
    for key, value in found.items():
        if key in merged and merged[key] != value:
            raise TypeError(
                f"{key} given twice, in context ({value!r}) and as a keyword ({merged[key]!r})"
            )
        merged[key] = value
    return merged


def execute_with_retry(
    func: Callable[..., Any],
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    config: RetryConfig | None = None,
    context: Mapping[str, Any] | None = None,
    **keywords: Any,
) -> Any:
    """Call ``func(*args, **kwargs)``, retrying as ``config`` says (the original's signature).

    Args:
        func: The callable to run.
        args: Its positional arguments (a tuple, or any sequence).
        kwargs: Its keyword arguments.
        config: The retry policy; ``None`` means no retries.
        context: The original's context dict: its ``method_name`` and
            ``worker_class`` (or ``worker_class_name``) reach ``retry_on``
            filters, ``retry_until`` validators and ``RetryValidationError``.
        **keywords: concurry-retry's keywords (``method_name``,
            ``worker_class``, ``first_error``, ``started``).

    Returns:
        The first result that passes every ``retry_until`` validator.

    Raises:
        Exception: The last attempt's exception when it is not retried.
        RetryValidationError: The last attempt's result failed validation.
        TypeError: ``context`` is not a dict, or it and a keyword disagree.
    """
    from concurry_retry import execute_with_retry as run

    return run(func, tuple(args), kwargs, config, **_keywords(context, keywords))
