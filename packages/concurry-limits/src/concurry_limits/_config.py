"""Process-wide defaults of concurry-limits (the umbrella's global config writes here)."""

from __future__ import annotations

from concurry_limits._enums import RateLimitAlgorithm

__all__ = ["LimitDefaults", "limit_defaults"]


class LimitDefaults:
    """Defaults used when a limit does not say otherwise.

    Attributes:
        algorithm: The :class:`RateLimitAlgorithm` of a :class:`RateLimit` or
            :class:`CallLimit` created without ``algorithm=`` (default TokenBucket).
            Assigning validates the value (member, name or alias string).
    """

    __slots__ = ("_algorithm",)

    def __init__(self) -> None:
        self._algorithm = RateLimitAlgorithm.TokenBucket

    @property
    def algorithm(self) -> RateLimitAlgorithm:
        """The algorithm of rate limits created without one; set it by member or name."""
        return self._algorithm

    @algorithm.setter
    def algorithm(self, value: RateLimitAlgorithm | str) -> None:
        self._algorithm = RateLimitAlgorithm(value)

    def __repr__(self) -> str:
        return f"LimitDefaults(algorithm={self._algorithm.name})"


#: The process-wide defaults object.
limit_defaults = LimitDefaults()
