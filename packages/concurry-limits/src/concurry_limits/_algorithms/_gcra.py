"""GCRA (generic cell rate algorithm): one float of state, token-bucket admission.

Each unit is worth an emission interval ``T = window / capacity``. The state is the
theoretical arrival time (TAT); a request for ``n`` is granted when
``max(TAT, now) + n*T - now <= window``, which then becomes the new TAT.

Burst behaviour: identical admissions to a full :mod:`token bucket <._token_bucket>`
(up to ``capacity`` at once after idling, then ``capacity / window`` per second).
Refunds move the TAT back by ``n*T``, never before ``now``. Amounts may be fractional.

State: ``[capacity, window, interval, tat]``.
"""

from __future__ import annotations

from collections.abc import MutableSequence

NAME = "gcra"
INTEGER = False
REFUNDS = True
_EPS = 1e-9

State = MutableSequence[float]


def init(capacity: float, window: float, entries: int = 0) -> list[float]:
    """Initial state: TAT in the past (full burst available)."""
    return [capacity, window, window / capacity, float("-inf")]


def take(s: State, n: float, now: float) -> float:
    """Take ``n`` units at ``now``: 0.0 when granted, else the earliest time it could be."""
    tat = s[3]
    if tat < now:
        tat = now
    new = tat + n * s[2]
    allowed_at = new - s[1]
    if allowed_at <= now + _EPS:
        s[3] = new
        return 0.0
    return allowed_at


def untake(s: State, n: float, now: float) -> None:
    """Undo a granted ``take(s, n, now)`` at the same ``now``."""
    s[3] -= n * s[2]


def refund(s: State, n: float, now: float) -> None:
    """Move the TAT back by ``n`` intervals, never before ``now``."""
    tat = s[3]
    if tat > now:
        tat -= n * s[2]
        s[3] = tat if tat > now else now


def charge(s: State, n: float, now: float) -> None:
    """Add ``n`` units used beyond a grant: the TAT moves ``n`` intervals on, past the window if need be."""
    tat = s[3]
    s[3] = (tat if tat > now else now) + n * s[2]


def stats(s: State, now: float) -> dict[str, float]:
    """Read-only view: units available now."""
    ahead = max(s[3], now) - now
    return {"capacity": s[0], "window": s[1], "available": max(0.0, (s[1] - ahead) / s[2])}
