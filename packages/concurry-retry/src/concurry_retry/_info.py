"""``RetryInfo``, what the hooks receive, and the default log lines."""

from __future__ import annotations

from ._errors import _short_repr

# Not ``typing.TYPE_CHECKING``: importing ``typing`` would slow down ``import concurry_retry``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LOGGER_NAME = "concurry_retry"


class RetryInfo:
    """What happened on a failed attempt; given to ``before_sleep`` and ``on_giving_up``.

    Attributes:
        attempt: The attempt that just failed (1-based).
        max_attempts: Total attempts allowed (``num_retries + 1``).
        wait: Seconds about to be slept (``0.0`` in ``on_giving_up`` and in testing mode).
        exception: The exception of the failed attempt, or ``None`` when the
            result failed validation.
        result: The rejected result when validation failed, else ``None``.
        validation_errors: Why the result was rejected (empty for exceptions).
        elapsed_time: Seconds since the first attempt started.
        method_name: Name of the retried function or method.
        args: Positional arguments of the call.
        kwargs: Keyword arguments of the call.
        worker_class: The worker class (or its name) when run inside a worker, else ``None``.
    """

    __slots__ = (
        "args",
        "attempt",
        "elapsed_time",
        "exception",
        "kwargs",
        "max_attempts",
        "method_name",
        "result",
        "validation_errors",
        "wait",
        "worker_class",
    )

    def __init__(
        self,
        *,
        attempt: int,
        max_attempts: int,
        wait: float,
        exception: BaseException | None,
        result: Any,
        validation_errors: list[str],
        elapsed_time: float,
        method_name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        worker_class: Any,
    ) -> None:
        self.attempt = attempt
        self.max_attempts = max_attempts
        self.wait = wait
        self.exception = exception
        self.result = result
        self.validation_errors = validation_errors
        self.elapsed_time = elapsed_time
        self.method_name = method_name
        self.args = args
        self.kwargs = kwargs
        self.worker_class = worker_class

    @property
    def outcome(self) -> str:
        """A short description of the failure: the exception, or the failed validation."""
        if self.exception is not None:
            return f"{type(self.exception).__name__}: {self.exception}"
        return f"result {_short_repr(self.result)} failed validation ({'; '.join(self.validation_errors)})"

    def __repr__(self) -> str:
        return (
            f"RetryInfo(method_name={self.method_name!r}, attempt={self.attempt}/"
            f"{self.max_attempts}, wait={self.wait:.3f}, outcome={self.outcome!r})"
        )


_cached_logger: Any = None

# Standard logging levels, so that the success path never imports ``logging``.
_DEBUG = 10
_WARNING = 30


def _logger() -> Any:
    global _cached_logger
    if _cached_logger is None:
        import logging  # first retry only

        logger = logging.getLogger(LOGGER_NAME)
        # Library etiquette: silent unless the application configures logging.
        logger.addHandler(logging.NullHandler())
        _cached_logger = logger
    return _cached_logger


def log_retry(info: RetryInfo) -> None:
    """DEBUG line before each wait, on the ``concurry_retry`` logger."""
    logger = _logger()
    if logger.isEnabledFor(_DEBUG):
        logger.debug(
            "retrying %s in %.3fs (attempt %d/%d failed: %s)",
            info.method_name,
            info.wait,
            info.attempt,
            info.max_attempts,
            info.outcome,
        )


def log_giving_up(info: RetryInfo) -> None:
    """WARNING line when retries are exhausted, on the ``concurry_retry`` logger."""
    logger = _logger()
    if logger.isEnabledFor(_WARNING):
        logger.warning(
            "giving up on %s after %d attempts in %.3fs: %s",
            info.method_name,
            info.attempt,
            info.elapsed_time,
            info.outcome,
        )
