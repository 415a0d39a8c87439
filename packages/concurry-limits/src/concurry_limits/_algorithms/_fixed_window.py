"""Fixed window: at most ``capacity`` units per aligned window ``[k*window, (k+1)*window)``.

Windows are aligned to the backend's clock (monotonic time in process, server
Unix time with Redis, so a "minute" there is a wall-clock minute).

Burst behaviour: up to ``capacity`` at the start of every window, so up to
``2 * capacity`` within ``window`` seconds straddling a boundary. Counts whole
requests: amounts must be integers. No refunds: a window counts the requests
that were made.

State: ``[capacity, window, window_start, count]``.
"""

from __future__ import annotations

from collections.abc import MutableSequence

NAME = "fixed_window"
INTEGER = True
REFUNDS = False

State = MutableSequence[float]


def init(capacity: float, window: float, entries: int = 0) -> list[float]:
    """Initial state: no window started yet."""
    return [capacity, window, float("-inf"), 0.0]


def _roll(s: State, now: float) -> float:
    """Start the window holding ``now`` if it is a new one; return its start."""
    start = (now // s[1]) * s[1]
    if start > s[2]:
        s[2] = start
        s[3] = 0.0
    return start


def take(s: State, n: float, now: float) -> float:
    """Count ``n`` at ``now``: 0.0 when granted, else the start of the next window."""
    start = _roll(s, now)
    if s[3] + n <= s[0]:
        s[3] += n
        return 0.0
    return start + s[1]


def untake(s: State, n: float, now: float) -> None:
    """Undo a granted ``take(s, n, now)`` at the same ``now``."""
    s[3] -= n


def refund(s: State, n: float, now: float) -> None:
    """No refunds for a fixed window (see the module docstring)."""


def charge(s: State, n: float, now: float) -> None:
    """Count ``n`` used beyond a grant in the current window, above capacity if need be."""
    _roll(s, now)
    s[3] += n


def stats(s: State, now: float) -> dict[str, float]:
    """Read-only view: room left in the current window (0 when it is over-used)."""
    start = (now // s[1]) * s[1]
    used = s[3] if start <= s[2] else 0.0
    return {"capacity": s[0], "window": s[1], "available": max(0.0, s[0] - used)}
