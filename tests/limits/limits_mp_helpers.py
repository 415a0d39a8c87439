"""Helpers shared by the limits tests; process targets are importable by name in spawn children."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from concurry_limits import LimitSet


def stop(*procs: Any) -> None:
    """Terminate the started ``procs`` still alive, then join them (kill if ignored)."""
    for p in procs:
        if p.pid is not None and p.is_alive():
            p.terminate()
    for p in procs:
        if p.pid is None:
            continue
        p.join(10)
        if p.is_alive():
            p.kill()
            p.join(10)


@contextmanager
def running(*procs: Any) -> Iterator[None]:
    """Start ``procs``; on the way out terminate and join any still alive.

    The test body joins them on success; this bounds a failing test, whose children
    would otherwise keep the interpreter waiting at exit.
    """
    try:
        for p in procs:
            p.start()
        yield
    finally:
        stop(*procs)


def peak_overlap(spans: list[tuple[float, float]]) -> int:
    """The most ``(enter, leave)`` spans open at any one time."""
    events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    level = peak = 0
    for _, d in events:
        level += d
        peak = max(peak, level)
    return peak


def hold_until(ls: LimitSet, held: Any, release: Any) -> None:
    """Hold one unit of every default limit until ``release`` is set."""
    acq = ls.acquire(timeout=30)
    held.set()
    release.wait(30)
    acq.release()


def spend(ls: LimitSet, key: str, amount: float, used: float, done: Any) -> None:
    """Acquire ``amount`` of ``key`` and report ``used``."""
    with ls.acquire({key: amount}, timeout=30) as acq:
        acq.update({key: used})
    done.put("ok")


def rate_stamps(ls: LimitSet, start: Any, seconds: float, out: Any) -> None:
    """Acquire 1 of "t" as fast as allowed for ``seconds``; send the grant times."""
    ls.get_stats()  # warm up (connect, import clients) before the clock starts
    start.wait(30)
    end = time.monotonic() + seconds
    stamps = []
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        try:
            acq = ls.acquire({"t": 1}, timeout=left)
        except TimeoutError:
            break
        stamps.append(time.monotonic())
        acq.update({"t": 1})
        acq.release()
    out.put(stamps)


def resource_spans(ls: LimitSet, start: Any, rounds: int, out: Any) -> None:
    """Hold the resource ``rounds`` times; send ``(enter, leave)`` of every hold."""
    start.wait(30)
    spans = []
    for k in range(rounds):
        with ls.acquire(timeout=30):
            enter = time.monotonic()
            for _ in range(200 * (k % 7)):
                pass
            leave = time.monotonic()
        spans.append((enter, leave))
    out.put(spans)


def attach_from_queue(inbox: Any, outbox: Any) -> None:
    """Receive a LimitSet through a queue (pickled outside process start) and use it."""
    ls = inbox.get(timeout=30)
    try:
        acq = ls.acquire(timeout=5)
    except Exception as exc:  # report any failure to the parent
        outbox.put(f"{type(exc).__name__}: {exc}")
        return
    outbox.put(ls.get_stats()["r"]["held"])
    acq.release()


def acquire_once(ls: LimitSet, out: Any) -> None:
    """One acquire with a timeout; report what happened."""
    try:
        ls.acquire(timeout=5).release()
        out.put("ok")
    except Exception as exc:  # report any failure to the parent
        out.put(f"{type(exc).__name__}: {exc}")


def hold_state_lock(ls: LimitSet, held: Any, release: Any) -> None:
    """Take the shared state's lock (as a stopped process would keep it) until ``release``."""
    lock = ls._store._lock  # type: ignore[attr-defined]
    lock.acquire()
    held.set()
    release.wait(30)
    lock.release()
