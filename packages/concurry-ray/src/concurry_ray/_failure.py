"""``Failure``: an exception raised by a worker method, on its way back from the actor."""

from __future__ import annotations

from typing import Any

from concurry_workers.plugin import pack_exception

__all__ = ["Failure", "first_line"]


class Failure:
    """An exception raised by a worker method, packed for the trip back.

    Returned (not raised) by the actor, so Ray sees a normal result: no Ray error
    object, no "unhandled error" report for a reference nobody ``ray.get``s.
    """

    __slots__ = ("packed",)

    def __init__(self, packed: Any) -> None:
        self.packed = packed

    def __reduce__(self) -> tuple[Any, ...]:
        return Failure, (self.packed,)

    @classmethod
    def of(cls, exc: BaseException) -> Failure:
        """The packed form of ``exc`` (original type, message and remote traceback)."""
        return cls(pack_exception(exc))


def first_line(error: Any) -> str:
    """The first line of ``error``'s message, or its type's name when it has none."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
