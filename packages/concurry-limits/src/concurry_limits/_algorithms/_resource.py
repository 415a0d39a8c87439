"""Resource counter (semaphore semantics, no time): at most ``capacity`` units held.

``take`` returns ``inf`` when the units are not available: only a release can help.

State: ``[capacity, held]``.
"""

from __future__ import annotations

from collections.abc import MutableSequence

NAME = "resource"
INTEGER = True
REFUNDS = False

State = MutableSequence[float]


def init(capacity: float, window: float = 0.0, entries: int = 0) -> list[float]:
    """Initial state: nothing held."""
    return [float(capacity), 0.0]


def take(s: State, n: float, now: float) -> float:
    """Hold ``n`` more units: 0.0 when granted, else ``inf`` (wait for a release)."""
    if s[1] + n <= s[0]:
        s[1] += n
        return 0.0
    return float("inf")


def untake(s: State, n: float, now: float) -> None:
    """Return ``n`` held units (also used for the release)."""
    s[1] -= n


refund = untake


def charge(s: State, n: float, now: float) -> None:
    """Nothing: usage reports on a resource are ignored (its units are returned on release)."""


def stats(s: State, now: float) -> dict[str, float]:
    """Read-only view: units held and free."""
    return {"capacity": s[0], "held": s[1], "available": s[0] - s[1]}
