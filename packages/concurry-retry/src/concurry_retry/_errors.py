"""Errors raised by concurry-retry.

Hierarchy::

    Exception
     └── RetryError                 base of every error this package raises itself
          ├── RetryValidationError  every attempt's result failed ``retry_until``
          └── RetryConfigError      a ``RetryConfig`` field is invalid (also a
                                    ``TypeError`` and a ``ValueError``)

When retries on *exceptions* are exhausted, the original last exception is
re-raised unchanged (with a note added), never wrapped: callers keep catching
the errors they already know. Bad configuration raises ``RetryConfigError``
naming the field and the offending value; it subclasses both ``TypeError``
and ``ValueError``, so ``except TypeError`` and ``except ValueError`` (what
the original concurry's validated config raised) both catch it.
"""

from __future__ import annotations

# Not ``typing.TYPE_CHECKING``: importing ``typing`` would slow down ``import concurry_retry``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


_REPR_LIMIT = 200
_SHOWN_ERRORS = 3


def _short_repr(value: Any) -> str:
    """``repr`` cut to a readable length (never fails)."""
    try:
        text = repr(value)
    except Exception as err:  # a broken __repr__ must not hide the real error
        text = f"<unrepresentable {type(value).__name__}: {err!r}>"
    if len(text) > _REPR_LIMIT:
        text = text[: _REPR_LIMIT - 3] + "..."
    return text


class RetryError(Exception):
    """Base class of the errors raised by concurry-retry itself."""


class RetryConfigError(RetryError, TypeError, ValueError):
    """A ``RetryConfig`` field (or a retry option) has a wrong type or value.

    The message names the field and the offending value, e.g. ``retry_on
    entries must be exception types or callables, got 3``.
    """


class RetryValidationError(RetryError):
    """Every attempt returned a result that failed the ``retry_until`` validators.

    Raised after the last allowed attempt. It survives pickling with all four
    fields, so it can travel back from a worker process.

    Attributes:
        attempts: How many attempts were made in total.
        all_results: The result of every attempt that failed validation, oldest first.
        validation_errors: One readable line per failed attempt saying which
            validator failed and how (returned a falsy value, or raised).
        method_name: The name of the retried function or method, if known.
    """

    def __init__(
        self,
        attempts: int,
        all_results: list[Any],
        validation_errors: list[str],
        method_name: str | None = None,
    ) -> None:
        self.attempts = attempts
        self.all_results = list(all_results)
        self.validation_errors = list(validation_errors)
        self.method_name = method_name
        super().__init__(self._message())

    @property
    def last_result(self) -> Any:
        """The result of the last attempt (``None`` when there was none)."""
        return self.all_results[-1] if self.all_results else None

    def _message(self) -> str:
        target = self.method_name or "call"
        plural = "attempt" if self.attempts == 1 else "attempts"
        shown = self.validation_errors[-_SHOWN_ERRORS:]
        hidden = len(self.validation_errors) - len(shown)
        errors = "; ".join(shown) if shown else "none recorded"
        if hidden:
            errors = f"({hidden} earlier not shown) {errors}"
        return (
            f"retry_until validation failed for {target} after {self.attempts} {plural}; "
            f"last result {_short_repr(self.last_result)}; errors: {errors}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.attempts, self.all_results, self.validation_errors, self.method_name)
        return (type(self), args, dict(self.__dict__))
