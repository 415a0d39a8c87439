"""Sliding window (log): at most ``capacity`` units in ANY interval of ``window`` seconds.

Every grant is logged as ``(time, amount)`` in a ring of ``entries`` slots; a
request is granted when the amounts logged in ``(now - window, now]`` plus the
request fit in ``capacity``. When more grants than ``entries`` fall inside one
window, the newest slot absorbs the new grant and moves to ``now``: its units then
expire a little later than they would exactly (at most about ``window / entries``
for evenly spread traffic), so the limit errs on the safe side and never admits
more than ``capacity`` per window. With fewer grants per window than ``entries``
it is exact.

Burst behaviour: up to ``capacity`` at once, after which each unit becomes
available again exactly ``window`` seconds after it was granted. Counts whole
requests: amounts must be integers. No refunds: the log records requests made.

State: ``[capacity, window, entries, head, size, total, t0, a0, t1, a1, ...]``.
"""

from __future__ import annotations

from collections.abc import MutableSequence, Sequence

NAME = "sliding_window"
INTEGER = True
REFUNDS = False
DEFAULT_ENTRIES = 1024
_HDR = 6

State = MutableSequence[float]


def init(capacity: float, window: float, entries: int = DEFAULT_ENTRIES) -> list[float]:
    """Initial state: an empty log with ``min(capacity, entries)`` slots."""
    slots = max(1, int(min(capacity, entries)))
    return [capacity, window, float(slots), 0.0, 0.0, 0.0] + [0.0] * (2 * slots)


def take(s: State, n: float, now: float) -> float:
    """Log ``n`` at ``now``: 0.0 when granted, else when enough old grants expire."""
    size = s[4]
    total = s[5]
    if size and s[_HDR + 2 * int(s[3])] <= now - s[1]:
        cutoff = now - s[1]
        ring = int(s[2])
        head = int(s[3])
        left = int(size)
        i = _HDR + 2 * head
        while left and s[i] <= cutoff:
            total -= s[i + 1]
            head = head + 1 if head + 1 < ring else 0
            left -= 1
            i = _HDR + 2 * head
        if not left:
            total = 0.0
        size = float(left)
        s[3] = float(head)
        s[4] = size
        s[5] = total
    if total + n <= s[0]:
        ring_f = s[2]
        if size < ring_f:
            i = _HDR + 2 * int((s[3] + size) % ring_f)
            s[i + 1] = n
            s[4] = size + 1.0
        else:  # full: the newest slot absorbs the grant and moves to now (safe side)
            i = _HDR + 2 * int((s[3] + size - 1.0) % ring_f)
            s[i + 1] += n
        s[i] = now
        s[5] = total + n
        return 0.0
    need = total + n - s[0]
    acc = 0.0
    ring = int(s[2])
    j = int(s[3])
    for _ in range(int(size)):
        acc += s[_HDR + 2 * j + 1]
        if acc >= need:
            return s[_HDR + 2 * j] + s[1]
        j = j + 1 if j + 1 < ring else 0
    return now + s[1]


def untake(s: State, n: float, now: float) -> None:
    """Undo a granted ``take(s, n, now)`` at the same ``now``."""
    ring = int(s[2])
    size = int(s[4])
    i = _HDR + 2 * ((int(s[3]) + size - 1) % ring)
    s[i + 1] -= n
    if s[i + 1] <= 0.0:
        s[4] = float(size - 1)
    s[5] -= n


def refund(s: State, n: float, now: float) -> None:
    """No refunds for a sliding window (see the module docstring)."""


def stats(s: State, now: float) -> dict[str, float]:
    """Read-only view: room left in the window ending now."""
    cutoff = now - s[1]
    ring = int(s[2])
    i = int(s[3])
    used = 0.0
    for _ in range(int(s[4])):
        if s[_HDR + 2 * i] > cutoff:
            used += s[_HDR + 2 * i + 1]
        i = i + 1 if i + 1 < ring else 0
    return {"capacity": s[0], "window": s[1], "available": s[0] - used}


def compact(s: Sequence[float]) -> list[float]:
    """The state with its live entries rotated to the front and empty slots dropped."""
    ring = int(s[2])
    head = int(s[3])
    size = int(s[4])
    out = [s[0], s[1], s[2], 0.0, float(size), s[5]]
    for k in range(size):
        i = _HDR + 2 * ((head + k) % ring)
        out.append(s[i])
        out.append(s[i + 1])
    return out


def expand(c: Sequence[float]) -> list[float]:
    """Inverse of :func:`compact`: pad back to the full ring."""
    out = list(c)
    out.extend([0.0] * (_HDR + 2 * int(c[2]) - len(out)))
    return out
