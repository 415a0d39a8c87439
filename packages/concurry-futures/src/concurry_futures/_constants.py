"""`ReturnWhen` and the `ALL_COMPLETED` / `FIRST_COMPLETED` / `FIRST_EXCEPTION` constants."""

from __future__ import annotations

from ._enum import FriendlyEnum, set_aliases

__all__ = ["ALL_COMPLETED", "FIRST_COMPLETED", "FIRST_EXCEPTION", "ReturnWhen"]

#: `wait` returns when every future is done (the default).
ALL_COMPLETED = "ALL_COMPLETED"
#: `wait` returns as soon as one future is done.
FIRST_COMPLETED = "FIRST_COMPLETED"
#: `wait` returns when a future fails, or when all are done if none fails.
FIRST_EXCEPTION = "FIRST_EXCEPTION"


class ReturnWhen(FriendlyEnum):
    """When `wait` returns. Values equal the `concurrent.futures` strings.

    Accepts the member, the constants, their names or the aliases ``"all"``,
    ``"first"`` and ``"exception"``, in any case.
    """

    ALL_COMPLETED = ALL_COMPLETED
    FIRST_COMPLETED = FIRST_COMPLETED
    FIRST_EXCEPTION = FIRST_EXCEPTION


set_aliases(
    ReturnWhen,
    ALL_COMPLETED=("all", "all_done"),
    FIRST_COMPLETED=("first", "any"),
    FIRST_EXCEPTION=("exception", "first_error", "error"),
)
