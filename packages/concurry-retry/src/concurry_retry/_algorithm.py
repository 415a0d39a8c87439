"""``RetryAlgorithm``: the backoff curves, as a string-friendly enum."""

from __future__ import annotations

from enum import Enum

# Keeps huge exponents finite so that a sleep never overflows.
_MAX_BASE_WAIT = 1e9


def _normalise(text: str) -> str:
    return text.lower().replace("_", "").replace("-", "").replace(" ", "")


class RetryAlgorithm(Enum):
    """How the wait grows with the retry number ``n`` (1 for the first retry).

    - ``Linear``: ``wait * n``
    - ``Exponential``: ``wait * 2 ** (n - 1)``
    - ``Fibonacci``: ``wait * fib(n)`` with ``fib(1) = fib(2) = 1, fib(3) = 2, ...``
    - ``Fixed``: ``wait``

    Accepts the member, its name or an alias, case-insensitively and ignoring
    ``_``, ``-`` and spaces: ``RetryAlgorithm("exp")`` is ``Exponential``.
    Aliases: ``"lin"``; ``"exp"``, ``"expo"``, ``"backoff"``; ``"fib"``;
    ``"constant"``, ``"const"``.
    """

    Linear = "linear"
    Exponential = "exponential"
    Fibonacci = "fibonacci"
    Fixed = "fixed"

    @classmethod
    def _missing_(cls, value: object) -> RetryAlgorithm:
        if isinstance(value, str):
            member = _ALIASES.get(_normalise(value))
            if member is not None:
                return cls(member)
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown retry_algorithm {value!r}; valid choices: {choices}")

    def wait(self, base: float, n: int) -> float:
        """Wait in seconds before retry number ``n`` (1-based), without jitter or cap.

        Args:
            base: The configured ``retry_wait`` in seconds.
            n: The retry number; 1 is the first retry.
        """
        if n < 1:
            raise ValueError(f"retry number must be >= 1, got {n}")
        if self is RetryAlgorithm.Fixed:
            factor = 1.0
        elif self is RetryAlgorithm.Linear:
            factor = float(n)
        elif self is RetryAlgorithm.Exponential:
            factor = 2.0 ** (n - 1) if n < 1000 else _MAX_BASE_WAIT
        else:
            factor = float(_fibonacci(n))
        return min(base * factor, _MAX_BASE_WAIT)


def _fibonacci(n: int) -> int:
    a, b = 1, 1
    for _ in range(min(n, 100) - 1):
        a, b = b, a + b
    return a


_ALIASES: dict[str, str] = {
    "linear": "linear",
    "lin": "linear",
    "exponential": "exponential",
    "exp": "exponential",
    "expo": "exponential",
    "backoff": "exponential",
    "fibonacci": "fibonacci",
    "fib": "fibonacci",
    "fixed": "fixed",
    "constant": "fixed",
    "const": "fixed",
}
