"""``RetryConfig``: the immutable, validated description of a retry policy."""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Mapping

from ._algorithm import RetryAlgorithm
from ._callables import adapt
from ._errors import RetryConfigError

# Not ``typing.TYPE_CHECKING``: importing ``typing`` would slow down ``import concurry_retry``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._callables import Caller

FIELDS = (
    "num_retries",
    "retry_on",
    "retry_algorithm",
    "retry_wait",
    "retry_jitter",
    "retry_until",
    "retry_max_wait",
    "before_sleep",
    "on_giving_up",
    "sleep",
)

_random: Callable[[], float] | None = None


def _uniform01() -> float:
    global _random
    if _random is None:  # ``random`` is imported on the first jittered wait only
        from random import random

        _random = random
    return _random()


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise RetryConfigError(f"{field} must be a number, got {value!r} ({type(value).__name__})")
    result = float(value)
    if not math.isfinite(result):
        raise RetryConfigError(f"{field} must be finite, got {value!r}")
    return result


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _optional_callable(field: str, value: Any) -> Callable[..., Any] | None:
    if value is not None and not callable(value):
        raise RetryConfigError(f"{field} must be a callable or None, got {value!r}")
    return value


def _parse_retry_on(
    retry_on: Any,
) -> tuple[list[Any], list[type[BaseException]], list[tuple[Callable[..., Any], Caller]]]:
    """Split ``retry_on`` into (all entries, exception types, adapted predicates)."""
    types: list[type[BaseException]] = []
    filters: list[tuple[Callable[..., Any], Caller]] = []
    entries = [Exception] if retry_on is None else _as_list(retry_on)
    for entry in entries:
        if isinstance(entry, type):
            if not issubclass(entry, BaseException):
                raise RetryConfigError(f"retry_on types must be exception classes, got {entry!r}")
            if not issubclass(entry, Exception) and entry is not BaseException:
                raise RetryConfigError(
                    f"retry_on cannot retry {entry.__name__}: only Exception "
                    f"subclasses are ever retried"
                )
            types.append(entry)
        elif callable(entry):
            filters.append((entry, adapt(entry, "exception", "retry_on")))
        else:
            raise RetryConfigError(
                f"retry_on entries must be exception types or callables, got {entry!r}"
            )
    return entries, types, filters


def _parse_retry_until(retry_until: Any) -> list[tuple[Callable[..., Any], Caller]]:
    """``retry_until`` as a list of (validator, adapted caller)."""
    validators: list[tuple[Callable[..., Any], Caller]] = []
    for entry in [] if retry_until is None else _as_list(retry_until):
        if not callable(entry):
            raise RetryConfigError(f"retry_until entries must be callables, got {entry!r}")
        validators.append((entry, adapt(entry, "result", "retry_until")))
    return validators


class RetryConfig:
    """How to retry a call: how many times, on what, how long to wait, what to accept.

    Immutable and picklable (it travels to worker processes); build a changed
    copy with :meth:`replace`. Every field is validated here, so a bad value
    fails where it is written, not at the first retry.

    Args:
        num_retries: Retries after the first attempt (total attempts =
            ``num_retries + 1``). ``0`` disables retrying.
        retry_on: What to retry: an exception type, a predicate
            ``f(exception=..., **ctx) -> bool``, or a list/tuple mixing both.
            A failure is retried when ANY entry matches. ``None`` means
            ``[Exception]``. An empty list retries on nothing (useful with
            ``retry_until`` alone). ``BaseException``s that are not
            ``Exception``s (``KeyboardInterrupt``, ``asyncio.CancelledError``...)
            are never retried. A predicate that raises means "do not retry".
        retry_algorithm: The backoff curve, a :class:`RetryAlgorithm` or its
            name/alias (``"exponential"``, ``"linear"``, ``"fib"``, ``"fixed"``...).
        retry_wait: Base wait in seconds (``>= 0``) fed to the algorithm.
        retry_jitter: In ``[0, 1]``. The actual sleep is uniform in
            ``[w * (1 - retry_jitter), w]`` where ``w`` is the capped wait:
            ``0`` disables jitter, ``1`` is AWS "full jitter" ``random(0, w)``.
        retry_until: Validators ``v(result, **ctx) -> bool``, one or a list; all
            must pass or the call is retried. A validator that raises counts as
            failed. When the last attempt still fails,
            :class:`RetryValidationError` is raised.
        retry_max_wait: Optional cap (``> 0`` seconds) on a single wait, applied
            before jitter.
        before_sleep: Hook ``f(info: RetryInfo)`` called before each wait.
        on_giving_up: Hook ``f(info: RetryInfo)`` called once when the last
            allowed attempt fails in a retryable way.
        sleep: Custom sleep ``f(seconds)`` used instead of ``time.sleep`` /
            ``asyncio.sleep`` (in async code its result is awaited if awaitable).

    ``ctx`` holds ``attempt`` (1-based), ``elapsed_time`` (seconds since the
    first attempt), ``method_name``, ``args``, ``kwargs`` and ``worker_class``
    (``None`` outside a worker); callables may take all of it (``**ctx``) or
    just the keys they name.

    Raises:
        RetryConfigError: A field has the wrong type or is out of range (both a
            ``TypeError`` and a ``ValueError``, so either ``except`` catches it).
        ValueError: An unknown algorithm name.
    """

    __slots__ = (*FIELDS, "_types", "_filters", "_validators", "_passthrough")

    num_retries: int
    retry_on: tuple[type[BaseException] | Callable[..., Any], ...]
    retry_algorithm: RetryAlgorithm
    retry_wait: float
    retry_jitter: float
    retry_until: tuple[Callable[..., Any], ...]
    retry_max_wait: float | None
    before_sleep: Callable[..., Any] | None
    on_giving_up: Callable[..., Any] | None
    sleep: Callable[[float], Any] | None
    _types: tuple[type[BaseException], ...]
    _filters: tuple[tuple[Callable[..., Any], Caller], ...]
    _validators: tuple[tuple[Callable[..., Any], Caller], ...]
    _passthrough: bool

    def __init__(
        self,
        *,
        num_retries: int = 0,
        retry_on: Any = None,
        retry_algorithm: RetryAlgorithm | str = RetryAlgorithm.Exponential,
        retry_wait: float = 1.0,
        retry_jitter: float = 0.3,
        retry_until: Any = None,
        retry_max_wait: float | None = None,
        before_sleep: Callable[..., Any] | None = None,
        on_giving_up: Callable[..., Any] | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        if isinstance(num_retries, bool):
            raise RetryConfigError(f"num_retries must be an int >= 0, got {num_retries!r}")
        try:
            num_retries = operator.index(num_retries)  # also numpy integers
        except TypeError:
            raise RetryConfigError(
                f"num_retries must be an int >= 0, got {num_retries!r}"
            ) from None
        if num_retries < 0:
            raise RetryConfigError(f"num_retries must be >= 0, got {num_retries}")

        entries, types, filters = _parse_retry_on(retry_on)
        validators = _parse_retry_until(retry_until)
        algorithm = RetryAlgorithm(retry_algorithm)
        wait = _number("retry_wait", retry_wait)
        if wait < 0:
            raise RetryConfigError(f"retry_wait must be >= 0, got {retry_wait!r}")
        jitter = _number("retry_jitter", retry_jitter)
        if not 0.0 <= jitter <= 1.0:
            raise RetryConfigError(f"retry_jitter must be in [0, 1], got {retry_jitter!r}")
        max_wait = None
        if retry_max_wait is not None:
            max_wait = _number("retry_max_wait", retry_max_wait)
            if max_wait <= 0:
                raise RetryConfigError(
                    f"retry_max_wait must be > 0 or None, got {retry_max_wait!r}"
                )

        values = {
            "num_retries": num_retries,
            "retry_on": tuple(entries),
            "retry_algorithm": algorithm,
            "retry_wait": wait,
            "retry_jitter": jitter,
            "retry_until": tuple(v for v, _ in validators),
            "retry_max_wait": max_wait,
            "before_sleep": _optional_callable("before_sleep", before_sleep),
            "on_giving_up": _optional_callable("on_giving_up", on_giving_up),
            "sleep": _optional_callable("sleep", sleep),
            "_types": tuple(types),
            "_filters": tuple(filters),
            "_validators": tuple(validators),
            "_passthrough": num_retries == 0 and not validators,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def replace(self, **changes: Any) -> RetryConfig:
        """Return a copy with some fields changed (validated like the constructor).

        Example:
            >>> RetryConfig(num_retries=3).replace(retry_wait=0.1).retry_wait
            0.1
        """
        return type(self)(**{**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        """The public fields as a plain dict (``RetryConfig(**d)`` rebuilds it)."""
        return {name: getattr(self, name) for name in FIELDS}

    @property
    def active(self) -> bool:
        """False when calls under this config are plain calls (no retries, no ``retry_until``)."""
        return not self._passthrough

    @property
    def max_attempts(self) -> int:
        """Total attempts allowed: ``num_retries + 1``."""
        return self.num_retries + 1

    def compute_wait(self, retry_number: int) -> float:
        """The wait in seconds before retry ``retry_number`` (1-based).

        Algorithm first, then the ``retry_max_wait`` cap, then jitter. The
        testing switch is not applied here (see :func:`set_testing`).
        """
        wait = self.retry_algorithm.wait(self.retry_wait, retry_number)
        if self.retry_max_wait is not None and wait > self.retry_max_wait:
            wait = self.retry_max_wait
        if self.retry_jitter and wait:
            wait *= 1.0 - self.retry_jitter * _uniform01()
        return wait

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"RetryConfig is immutable; use .replace({name}=...) instead")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"RetryConfig is immutable; cannot delete {name}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_dict() == other.to_dict()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(tuple(self.to_dict().values()))

    def __repr__(self) -> str:
        def show(name: str, value: Any) -> str:
            if name == "retry_algorithm":
                return f"RetryAlgorithm.{value.name}"
            if isinstance(value, type):
                return value.__name__
            if isinstance(value, tuple):
                return "[" + ", ".join(show("", v) for v in value) + "]"
            return repr(value)

        body = ", ".join(f"{n}={show(n, v)}" for n, v in self.to_dict().items())
        return f"RetryConfig({body})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.to_dict()))


def _restore(cls: type[RetryConfig], fields: dict[str, Any]) -> RetryConfig:
    return cls(**fields)


def resolve_config(config: Any, fields: Mapping[str, Any]) -> RetryConfig:
    """Turn ``config`` (None, RetryConfig or mapping) plus keyword ``fields`` into a config."""
    if config is None:
        return RetryConfig(**fields)
    if isinstance(config, RetryConfig):
        return config.replace(**fields) if fields else config
    if isinstance(config, Mapping):
        return RetryConfig(**{**config, **fields})
    raise TypeError(f"expected a RetryConfig, a mapping or keywords, got {config!r}")


DEFAULT_CONFIG = RetryConfig()
