"""The global switch that turns every retry wait into zero, for users' test suites.

Three ways to turn it on, any of which is enough:

- ``set_testing(True)`` (process-wide until ``set_testing(False)``);
- ``with testing(): ...`` (nestable, safe to use from several threads at once);
- the environment variable ``CONCURRY_RETRY_NO_WAIT=1`` (read at every retry,
  so setting it in a conftest after import works).

The check runs only when a retry is about to wait, never on the success path.
"""

from __future__ import annotations

import os
from _thread import allocate_lock

# Not ``typing.TYPE_CHECKING``: importing ``typing`` would slow down ``import concurry_retry``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType

ENV_VAR = "CONCURRY_RETRY_NO_WAIT"
_TRUTHY = frozenset({"1", "true", "yes", "on"})

_lock = allocate_lock()
_forced = False
_depth = 0
# One bool read is atomic, so the hot check needs no lock; writers hold it.
_active = False


def set_testing(on: bool) -> None:
    """Turn the no-wait testing mode on or off for the whole process.

    Args:
        on: ``True`` makes every retry wait zero seconds; ``False`` restores real
            waits (unless a ``testing()`` block or the environment variable is active).
    """
    global _forced, _active
    if not isinstance(on, bool):
        raise TypeError(f"set_testing expects a bool, got {on!r}")
    with _lock:
        _forced = on
        _active = _forced or _depth > 0


def is_testing() -> bool:
    """True when retry waits are currently forced to zero."""
    if _active:
        return True
    value = os.environ.get(ENV_VAR)
    return value is not None and value.strip().lower() in _TRUTHY


class testing:
    """Context manager that forces every retry wait to zero inside the block.

    Blocks may nest and may run in several threads at once; waits stay zero
    until the last one exits.

    Example:
        >>> with testing():
        ...     flaky_call()  # retries immediately, whatever retry_wait says
    """

    __slots__ = ()

    def __enter__(self) -> testing:
        global _depth, _active
        with _lock:
            _depth += 1
            _active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _depth, _active
        with _lock:
            _depth -= 1
            _active = _forced or _depth > 0
