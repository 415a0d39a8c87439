"""The retry state machine shared by the decorator, the executors and the loop form.

``RetryRun`` decides, after each failed attempt, whether to retry and how long
to wait; callers do the calling and the sleeping, so the same logic serves
sync and async code.
"""

from __future__ import annotations

from time import monotonic

from ._callables import callable_name
from ._config import RetryConfig
from ._errors import RetryValidationError, _short_repr
from ._info import RetryInfo, log_giving_up, log_retry
from ._testing import is_testing

# Not ``typing.TYPE_CHECKING``: importing ``typing`` would slow down ``import concurry_retry``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class RetryRun:
    """The state of one retried call: attempts so far, rejected results, timing.

    Args:
        config: The policy.
        start: ``time.monotonic()`` when the first attempt started.
        method_name: Name used in context, hooks and errors; computed from
            ``fn`` when ``None``.
        args: Positional arguments of the call (for the context).
        kwargs: Keyword arguments of the call (for the context).
        worker_class: The worker class or its name, ``None`` outside workers.
        fn: The retried callable, only used to name it.
    """

    __slots__ = (
        "_method_name",
        "args",
        "config",
        "errors",
        "fn",
        "kwargs",
        "results",
        "start",
        "worker_class",
    )

    def __init__(
        self,
        config: RetryConfig,
        start: float,
        method_name: str | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        worker_class: Any = None,
        fn: Any = None,
    ) -> None:
        self.config = config
        self.start = start
        self._method_name = method_name
        self.args = args
        self.kwargs = kwargs
        self.worker_class = worker_class
        self.fn = fn
        self.results: list[Any] = []
        self.errors: list[str] = []

    @property
    def method_name(self) -> str:
        """The name of the retried call."""
        if self._method_name is None:
            self._method_name = callable_name(self.fn) if self.fn is not None else "block"
        return self._method_name

    def context(self, attempt: int) -> dict[str, Any]:
        """The keyword context given to filters and validators."""
        return {
            "attempt": attempt,
            "elapsed_time": monotonic() - self.start,
            "method_name": self.method_name,
            "args": self.args,
            "kwargs": self.kwargs,
            "worker_class": self.worker_class,
        }

    def after_exception(self, exc: BaseException, attempt: int) -> float | None:
        """Seconds to wait before retrying after ``exc``, or ``None`` to re-raise it."""
        if not isinstance(exc, Exception) or not self._retryable(exc, attempt):
            return None
        if attempt > self.config.num_retries:
            self._give_up(attempt, exc, None, [])
            return None
        return self._wait(attempt, exc, None, [])

    def after_result(self, result: Any, attempt: int) -> float | None:
        """``None`` when ``result`` passes every validator, else seconds to wait.

        Raises:
            RetryValidationError: The result failed and no attempts are left.
        """
        validators = self.config._validators
        if not validators:
            return None
        failures: list[str] = []
        ctx = self.context(attempt)
        for fn, caller in validators:
            try:
                ok = caller(result, ctx)
            except Exception as err:
                failures.append(
                    f"{callable_name(fn, qualified=False)} raised {type(err).__name__}: {err}"
                )
                break
            if not ok:
                failures.append(f"{callable_name(fn, qualified=False)} returned {_short_repr(ok)}")
                break
        if not failures:
            return None
        self.results.append(result)
        self.errors.append(f"attempt {attempt}: {'; '.join(failures)}")
        if attempt > self.config.num_retries:
            self._give_up(attempt, None, result, failures)
            raise RetryValidationError(attempt, self.results, self.errors, self.method_name)
        return self._wait(attempt, None, result, failures)

    def _retryable(self, exc: Exception, attempt: int) -> bool:
        config = self.config
        if isinstance(exc, config._types):
            return True
        if not config._filters:
            return False
        ctx = self.context(attempt)
        for fn, caller in config._filters:
            try:
                if caller(exc, ctx):
                    return True
            except Exception as err:
                _note(
                    exc,
                    f"concurry_retry: not retried because retry_on filter {callable_name(fn, qualified=False)} "
                    f"raised {type(err).__name__}: {err}",
                )
                return False
        return False

    def _info(
        self, attempt: int, wait: float, exc: Exception | None, result: Any, failures: list[str]
    ) -> RetryInfo:
        return RetryInfo(
            attempt=attempt,
            max_attempts=self.config.num_retries + 1,
            wait=wait,
            exception=exc,
            result=result,
            validation_errors=failures,
            elapsed_time=monotonic() - self.start,
            method_name=self.method_name,
            args=self.args,
            kwargs=self.kwargs,
            worker_class=self.worker_class,
        )

    def _wait(self, attempt: int, exc: Exception | None, result: Any, failures: list[str]) -> float:
        wait = 0.0 if is_testing() else self.config.compute_wait(attempt)
        info = self._info(attempt, wait, exc, result, failures)
        log_retry(info)
        if self.config.before_sleep is not None:
            self.config.before_sleep(info)
        return wait

    def _give_up(
        self, attempt: int, exc: Exception | None, result: Any, failures: list[str]
    ) -> None:
        if self.config.num_retries == 0:  # retrying was off: nothing to give up on
            return
        info = self._info(attempt, 0.0, exc, result, failures)
        if exc is not None:
            _note(
                exc,
                f"concurry_retry: gave up on {info.method_name} after {attempt} attempts "
                f"({info.elapsed_time:.3f}s)",
            )
        log_giving_up(info)
        if self.config.on_giving_up is not None:
            self.config.on_giving_up(info)


def _note(exc: BaseException, text: str) -> None:
    try:
        exc.add_note(text)
    except TypeError:  # a user-mangled __notes__ must not hide the real error
        pass


def sleep_sync(config: RetryConfig, wait: float) -> None:
    """Sleep ``wait`` seconds with the config's sleep function or ``time.sleep``."""
    if config.sleep is not None:
        config.sleep(wait)
    elif wait > 0:
        from time import sleep

        sleep(wait)


async def sleep_async(config: RetryConfig, wait: float) -> None:
    """Sleep ``wait`` seconds without blocking the event loop."""
    if config.sleep is not None:
        outcome = config.sleep(wait)
        if hasattr(outcome, "__await__"):
            await outcome
        return
    import asyncio

    await asyncio.sleep(wait)
