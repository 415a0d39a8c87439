"""Errors raised by concurry-limits.

The hierarchy is small on purpose; every class also derives from the builtin a
caller would naturally catch::

    LimitError                                  base of everything below
    +-- LimitValidationError (ValueError)       bad limit, amount, usage or option
    +-- LimitUsageError (RuntimeError)          an acquisition was misused (e.g. not updated)
    +-- LimitTimeoutError (TimeoutError)        acquire(timeout=...) ran out of time
    +-- LimitBackendError (RuntimeError)        a shared backend is gone or unreachable

    PluginNotFoundError (LookupError)           an optional plugin is not installed

    LimitUsageWarning (UserWarning)             a usage above the amount acquired was
                                                reported (it is counted, not refused)

:class:`PluginNotFoundError` is not a :class:`LimitError`: :mod:`concurry_limits.plugins`
serves every concurry package, and each caller turns it into its own error.
"""

from __future__ import annotations

__all__ = [
    "LimitBackendError",
    "LimitError",
    "LimitTimeoutError",
    "LimitUsageError",
    "LimitUsageWarning",
    "LimitValidationError",
    "PluginNotFoundError",
]


class LimitError(Exception):
    """Base class of every error raised by concurry-limits."""


class LimitValidationError(LimitError, ValueError):
    """A limit, an amount, a usage report or an option is invalid."""


class LimitUsageError(LimitError, RuntimeError):
    """An acquisition was used against the rules (e.g. released without a required update)."""


class LimitUsageWarning(UserWarning):
    """``update()`` reported more than was acquired; the extra is counted against the limit.

    Filter it (``warnings.filterwarnings("ignore", category=LimitUsageWarning)``)
    where estimates routinely fall short, e.g. LLM token counts.
    """


class LimitTimeoutError(LimitError, TimeoutError):
    """An acquisition could not be granted before its timeout."""


class LimitBackendError(LimitError, RuntimeError):
    """A shared backend cannot be reached or its shared state no longer exists."""


class PluginNotFoundError(LookupError):
    """No entry point ``name`` is installed in the entry point group ``group``.

    Attributes:
        group: The entry point group searched (e.g. ``"concurry.limit_backends"``).
        name: The entry point name looked for (e.g. ``"ray"``).
        install_hint: What installs it (e.g. ``"pip install concurry[ray]"``).
    """

    def __init__(self, group: str, name: str, install_hint: str) -> None:
        super().__init__(
            f"no plugin {name!r} is installed in entry point group {group!r}; "
            f"to install it: {install_hint}"
        )
        self.group = group
        self.name = name
        self.install_hint = install_hint

    def __reduce__(self) -> tuple[type[PluginNotFoundError], tuple[str, str, str]]:
        return (type(self), (self.group, self.name, self.install_hint))
