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

State: ``[capacity, window, entries, head, size, total, oldest, tail, t0, a0, t1, a1, ...]``
(``oldest`` is the time of the head entry, ``tail`` the offset of the newest one).
"""

from __future__ import annotations

from collections.abc import MutableSequence, Sequence

NAME = "sliding_window"
INTEGER = True
REFUNDS = False
DEFAULT_ENTRIES = 1024
_HDR = 8

State = MutableSequence[float]


def init(capacity: float, window: float, entries: int = DEFAULT_ENTRIES) -> list[float]:
    """Initial state: an empty log with ``min(capacity, entries)`` slots."""
    slots = max(1, int(min(capacity, entries)))
    return [capacity, window, float(slots), 0.0, 0.0, 0.0, 0.0, float(_HDR)] + [0.0] * (2 * slots)


def _expire(s: State, cutoff: float) -> tuple[float, float]:
    """Drop entries at or before ``cutoff``; return the new size and total."""
    ring = int(s[2])
    head = int(s[3])
    left = int(s[4])
    total = s[5]
    i = _HDR + 2 * head
    while left and s[i] <= cutoff:
        total -= s[i + 1]
        head = head + 1 if head + 1 < ring else 0
        left -= 1
        i = _HDR + 2 * head
    if left:
        s[6] = s[i]
    else:
        total = 0.0
    s[3] = float(head)
    s[4] = float(left)
    s[5] = total
    return float(left), total


def _live(s: State, now: float) -> tuple[float, float]:
    """Size and total of the log once grants older than the window ending ``now`` expire."""
    size = s[4]
    total = s[5]
    if size and s[6] <= now - s[1]:
        size, total = _expire(s, now - s[1])
    return size, total


def _log(s: State, n: float, now: float, size: float, total: float) -> None:
    """Append ``(now, n)`` to a log of ``size`` entries summing to ``total``."""
    if size >= s[2]:  # full: the newest slot absorbs the grant and moves to now (safe side)
        i = int(s[7])
        s[i + 1] += n
        if size == 1.0:
            s[6] = now
    else:
        if size:
            i = int(s[7]) + 2
            if i >= _HDR + 2 * int(s[2]):
                i = _HDR
        else:
            i = _HDR + 2 * int(s[3])
            s[6] = now
        s[i + 1] = n
        s[4] = size + 1.0
        s[7] = float(i)
    s[i] = now
    s[5] = total + n


def take(s: State, n: float, now: float) -> float:
    """Log ``n`` at ``now``: 0.0 when granted, else when enough old grants expire."""
    size, total = _live(s, now)
    if total + n <= s[0]:
        _log(s, n, now, size, total)
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
    i = int(s[7])
    s[i + 1] -= n
    s[5] -= n
    if s[i + 1] <= 0.0:
        size = s[4] - 1.0
        s[4] = size
        if size:
            i -= 2
            s[7] = float(i if i >= _HDR else _HDR + 2 * (int(s[2]) - 1))
        else:
            s[5] = 0.0


def refund(s: State, n: float, now: float) -> None:
    """No refunds for a sliding window (see the module docstring)."""


def charge(s: State, n: float, now: float) -> None:
    """Log ``n`` used beyond a grant at ``now``, above capacity if need be."""
    size, total = _live(s, now)
    _log(s, n, now, size, total)


def stats(s: State, now: float) -> dict[str, float]:
    """Read-only view: room left in the window ending now (0 when it is over-used)."""
    cutoff = now - s[1]
    ring = int(s[2])
    i = int(s[3])
    used = 0.0
    for _ in range(int(s[4])):
        if s[_HDR + 2 * i] > cutoff:
            used += s[_HDR + 2 * i + 1]
        i = i + 1 if i + 1 < ring else 0
    return {"capacity": s[0], "window": s[1], "available": max(0.0, s[0] - used)}


def compact(s: Sequence[float]) -> list[float]:
    """The state with its live entries rotated to the front and empty slots dropped."""
    ring = int(s[2])
    head = int(s[3])
    size = int(s[4])
    tail = _HDR + 2 * (size - 1) if size else _HDR
    out = [s[0], s[1], s[2], 0.0, float(size), s[5], s[6], float(tail)]
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
