"""The original concurry's tuning keys that no longer apply.

The original polled: futures, Ray actors and rate limiters were re-checked on
timers, tuned by ``global_polling_*``, ``asyncio_future_poll_interval``,
``ray_monitor_*`` and ``rate_limiter_min_wait_time``. Here completion is
event-driven (done-callbacks, conditions, sleeping exactly until a refill),
so these keys have nothing to tune. They are still accepted, in
``temp_config`` and as ``global_config`` section attributes, so that code
written for the original runs unchanged, with a ``DeprecationWarning``.
"""

from __future__ import annotations

import warnings

__all__ = ["is_retired", "warn_retired"]

# Field names as the original spelled them, and as they read once a
# "<section>_" prefix is split off a temp_config key ("ray_monitor_interval"
# is section "ray", field "monitor_interval").
_RETIRED_PREFIXES = (
    "global_polling_",
    "polling_",
    "asyncio_future_poll_",
    "future_poll_",
    "ray_monitor_",
    "monitor_",
    "rate_limiter_min_wait_time",
)
_SECTIONS = ("global_", "defaults_", "sync_", "thread_", "process_", "asyncio_", "ray_")


def is_retired(key: str) -> bool:
    """True for a tuning key of the original's polling loops (with or without a section)."""
    if key.startswith(_RETIRED_PREFIXES):
        return True
    for section in _SECTIONS:
        if key.startswith(section) and key[len(section) :].startswith(_RETIRED_PREFIXES):
            return True
    return False


def warn_retired(key: str, stacklevel: int) -> None:
    """Emit the ``DeprecationWarning`` for a retired key (``stacklevel`` as for ``warnings.warn``)."""
    warnings.warn(
        f"config key {key!r} no longer applies: it tuned the original concurry's polling "
        f"loops, and here futures, workers and limits complete by events, without "
        f"polling; the value is ignored",
        DeprecationWarning,
        stacklevel=stacklevel + 1,
    )
