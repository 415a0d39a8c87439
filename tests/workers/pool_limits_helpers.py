"""The worker of the shared-limit tests, for pools of every mode (Ray's too): it
records grant times with ``time.time()``, one clock for every process."""

from __future__ import annotations

import time
from typing import Any

from pool_helpers import T, identity

from concurry_workers import Worker


class Limited(Worker):
    def hold_slot(self, seconds: float) -> tuple[float, float]:
        """Holds one unit of every ResourceLimit for ``seconds``; returns (granted, released)."""
        with self.limits.acquire(timeout=T):
            granted = time.time()
            time.sleep(seconds)  # the work done while holding the slot
            return granted, time.time()

    def take(self, key: str) -> float:
        """One token of the RateLimit ``key``; returns when it was granted."""
        with self.limits.acquire(requested={key: 1}, timeout=T) as acq:
            granted = time.time()
            acq.update(usage={key: 1})
            return granted

    def try_call(self) -> bool:
        """One attempt at the CallLimit (taken with 1 unasked); True when granted."""
        acq = self.limits.try_acquire()
        if not acq.successful:
            return False
        with acq:
            return True

    def set_names(self, times: int) -> tuple[str, str, list[Any]]:
        """Which set of a LimitPool granted each of ``times`` acquisitions in a row."""
        names = []
        for _ in range(times):
            with self.limits.acquire(timeout=T) as acq:
                names.append(acq.config["name"])
        return identity(self), type(self.limits).__name__, names

    def backend(self) -> str:
        """The name of the backend holding this worker's limits."""
        return str(self.limits.backend.name)
