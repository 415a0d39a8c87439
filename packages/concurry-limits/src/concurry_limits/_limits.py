"""Limit value objects: :class:`Limit`, :class:`RateLimit`, :class:`CallLimit`, :class:`ResourceLimit`."""

from __future__ import annotations

import math

from concurry_limits._config import limit_defaults
from concurry_limits._enums import RateLimitAlgorithm, RateWindow
from concurry_limits._errors import LimitValidationError

__all__ = ["CallLimit", "Limit", "RateLimit", "ResourceLimit"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_UNSET: Any = object()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _window_seconds(window: Any, per: Any, window_seconds: Any) -> float:
    given = [
        (n, v)
        for n, v in (("window", window), ("per", per), ("window_seconds", window_seconds))
        if v is not _UNSET and v is not None
    ]
    if not given:
        raise LimitValidationError("window is required (seconds, a RateWindow or an alias string)")
    if len(given) > 1:
        names = " and ".join(n for n, _ in given)
        raise LimitValidationError(f"give only one of window, per and window_seconds, got {names}")
    value = given[0][1]
    if isinstance(value, RateWindow | str):
        try:
            return RateWindow(value).to_seconds()
        except ValueError as exc:
            raise LimitValidationError(str(exc)) from None
    if not _is_number(value) or not (0 < value < math.inf):
        raise LimitValidationError(f"window must be a finite number of seconds > 0, got {value!r}")
    return float(value)


class Limit:
    """Base class of every limit: an immutable, hashable, picklable value object.

    Attributes:
        key: The name under which the limit is requested, updated and reported.
        capacity: How much of it may be held (resources) or spent per window (rates).
    """

    __slots__ = ("capacity", "key")

    key: str
    capacity: float

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {name!r}")

    def _fields(self) -> tuple[Any, ...]:
        return (self.key, self.capacity)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self._fields()))

    @property
    def unbounded(self) -> bool:
        """True when the capacity is infinite: the limit never binds."""
        return self.capacity == math.inf

    def validate_usage(self, requested: float, used: float) -> float:
        """Check a usage report against an amount acquired; return the over-usage.

        Stateless: nothing is recorded. A usage above ``requested`` is valid (it
        happened and is counted); the part above is returned so the caller can
        charge it.

        Args:
            requested: The amount acquired.
            used: The usage reported.

        Returns:
            ``used - requested`` when positive, else 0.0.

        Raises:
            LimitValidationError: ``requested`` or ``used`` is not a number >= 0.
        """
        for name, value in (("requested", requested), ("used", used)):
            if not _is_number(value) or not value >= 0:
                raise LimitValidationError(
                    f"{name} amount for {self.key!r} must be a number >= 0, got {value!r}"
                )
        return float(used - requested) if used > requested else 0.0

    def get_stats(self) -> dict[str, Any]:
        """The limit's configuration as a dict (stateless: a LimitSet reports live state).

        Returns:
            ``key``, ``type``, ``capacity`` and, for rate limits, ``window``,
            ``window_seconds`` and ``algorithm``.
        """
        return {"key": self.key, "type": type(self).__name__, "capacity": self.capacity}

    def params_signature(self) -> str:
        """A string identifying the parameters that shape this limit's state (not its key).

        Two limits with equal signatures can share state: the Redis backend
        names a limit's key with it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define params_signature()")


class RateLimit(Limit):
    """At most ``capacity`` units of ``key`` per ``window`` seconds.

    Args:
        key: Name of the limit (e.g. ``"tokens"``).
        window: Seconds (> 0), a :class:`RateWindow` or an alias such as ``"minute"``.
        capacity: Units per window (> 0; ``math.inf`` means unbounded).
        algorithm: A :class:`RateLimitAlgorithm` (member, name or alias); defaults to
            ``limit_defaults.algorithm`` (TokenBucket).
        per: Alias of ``window`` (``RateLimit("tokens", capacity=1000, per="minute")``).
        window_seconds: Alias of ``window`` (the original concurry's spelling).

    Raises:
        LimitValidationError: (a ``ValueError``) on any invalid argument.
    """

    __slots__ = ("algorithm", "window")

    window: float
    algorithm: RateLimitAlgorithm

    def __init__(
        self,
        key: str,
        window: float | RateWindow | str | None = _UNSET,
        capacity: float = _UNSET,
        algorithm: RateLimitAlgorithm | str | None = None,
        *,
        per: float | RateWindow | str | None = _UNSET,
        window_seconds: float | None = _UNSET,
    ) -> None:
        if not isinstance(key, str) or not key:
            raise LimitValidationError(f"key must be a non-empty string, got {key!r}")
        seconds = _window_seconds(window, per, window_seconds)
        if capacity is _UNSET or capacity is None:
            raise LimitValidationError("capacity is required (a number > 0, math.inf = unbounded)")
        if not _is_number(capacity) or not capacity > 0:
            raise LimitValidationError(f"capacity must be a number > 0, got {capacity!r}")
        if algorithm is None:
            algorithm = limit_defaults.algorithm
        try:
            algo = RateLimitAlgorithm(algorithm)
        except ValueError as exc:
            raise LimitValidationError(str(exc)) from None
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "window", seconds)
        object.__setattr__(self, "capacity", float(capacity))
        object.__setattr__(self, "algorithm", algo)

    @property
    def rate(self) -> float:
        """Sustained rate in units per second (``capacity / window``)."""
        return self.capacity / self.window

    @property
    def window_seconds(self) -> float:
        """The window in seconds (the original concurry's name of :attr:`window`)."""
        return self.window

    def get_stats(self) -> dict[str, Any]:
        """The limit's configuration (see :meth:`Limit.get_stats`)."""
        return {
            **super().get_stats(),
            "algorithm": self.algorithm.name,
            "window": self.window,
            "window_seconds": self.window,
        }

    def params_signature(self) -> str:
        """``"<algorithm>:<capacity>/<window>"``, e.g. ``"token_bucket:100/60"``."""
        return f"{self.algorithm.value}:{self.capacity:g}/{self.window:g}"

    def _fields(self) -> tuple[Any, ...]:
        return (self.key, self.window, self.capacity, self.algorithm)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_rate,
            (type(self), self.key, self.window, self.capacity, self.algorithm.value),
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(key={self.key!r}, window={self.window:g}, "
            f"capacity={self.capacity:g}, algorithm={self.algorithm.name})"
        )


class CallLimit(RateLimit):
    """At most ``capacity`` calls per ``window``: a :class:`RateLimit` on key ``"call_count"``.

    Every acquisition of a :class:`LimitSet` takes 1 of it automatically and no
    ``update()`` is needed. Naming it with 1 (``{"call_count": 1}``) still needs
    none, but a usage of 0 may be reported (refunded by TokenBucket and GCRA);
    requesting more (``{"call_count": 3}``) makes the usage required, like any
    rate limit's.

    Args:
        window: Seconds (> 0), a :class:`RateWindow` or an alias string.
        capacity: Calls per window (> 0; ``math.inf`` means unbounded).
        algorithm: As for :class:`RateLimit`.
        per: Alias of ``window``.
        window_seconds: Alias of ``window``.
    """

    __slots__ = ()

    KEY = "call_count"

    def __init__(
        self,
        window: float | RateWindow | str | None = _UNSET,
        capacity: float = _UNSET,
        algorithm: RateLimitAlgorithm | str | None = None,
        *,
        per: float | RateWindow | str | None = _UNSET,
        window_seconds: float | None = _UNSET,
        key: str = "call_count",
    ) -> None:
        if key != self.KEY:
            raise LimitValidationError(f"a CallLimit's key is always 'call_count', got {key!r}")
        super().__init__(
            self.KEY, window, capacity, algorithm, per=per, window_seconds=window_seconds
        )

    def __repr__(self) -> str:
        return (
            f"CallLimit(window={self.window:g}, capacity={self.capacity:g}, "
            f"algorithm={self.algorithm.name})"
        )


def _rebuild_rate(cls: type, key: str, window: float, capacity: float, algo: str) -> RateLimit:
    obj: RateLimit = object.__new__(cls)
    object.__setattr__(obj, "key", key)
    object.__setattr__(obj, "window", window)
    object.__setattr__(obj, "capacity", capacity)
    object.__setattr__(obj, "algorithm", RateLimitAlgorithm(algo))
    return obj


class ResourceLimit(Limit):
    """At most ``capacity`` units of ``key`` held at once (a counting semaphore, no time).

    Units are taken on acquire (1 unless requested otherwise) and returned on release.

    Args:
        key: Name of the resource (e.g. ``"connections"``).
        capacity: An integer >= 1.
    """

    __slots__ = ()

    def __init__(self, key: str, capacity: int) -> None:
        if not isinstance(key, str) or not key:
            raise LimitValidationError(f"key must be a non-empty string, got {key!r}")
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise LimitValidationError(f"capacity must be an integer >= 1, got {capacity!r}")
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "capacity", capacity)

    def validate_usage(self, requested: float, used: float) -> float:
        """Usage does not apply to a resource (its units are returned on release): always 0.0."""
        return 0.0

    def params_signature(self) -> str:
        """``"resource:<capacity>"``."""
        return f"resource:{self.capacity}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (ResourceLimit, (self.key, self.capacity))

    def __repr__(self) -> str:
        return f"ResourceLimit(key={self.key!r}, capacity={self.capacity})"
