"""``Failure``: an exception raised by a worker method, on its way back from the actor;
`call_error`: what a call fails with when Ray reports an error for it."""

from __future__ import annotations

from typing import Any

from concurry_workers import SerializationError, WorkerDiedError
from concurry_workers.plugin import pack_exception

__all__ = ["Failure", "call_error", "first_line"]


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


def call_error(name: str | None, error: Any) -> BaseException:
    """The exception a call fails with when Ray reports ``error`` for it.

    The death of the call's own actor is the transport's to handle (it ends the
    worker); this covers the rest, wherever the error is read: delivered with the
    call's completion, or fetched later with a value left in the object store.
    The holder returns every exception of the user's code as a ``Failure``, so
    a Ray error here is Ray's own: the death of the actor computing an argument
    passed as an ObjectRef (the call never ran), or a pickling failure.

    Args:
        name: The method's name (None for a task).
        error: What Ray raised or returned for the call.
    """
    from ray.exceptions import RayActorError, RaySystemError, RayTaskError

    cause = error if isinstance(error, RayActorError) else getattr(error, "cause", None)
    if isinstance(cause, RayActorError):
        return WorkerDiedError(f"the Ray actor computing an argument died: {first_line(cause)}")
    if not isinstance(error, BaseException):
        return RuntimeError(f"unexpected outcome from the Ray actor: {error!r}")
    name = name or "the task"
    if isinstance(error, RaySystemError):  # the driver could not read the result
        return SerializationError(f"result of {name} could not be unpickled: {first_line(error)}")
    if not isinstance(error, RayTaskError):
        return error
    if isinstance(cause, RaySystemError):
        return SerializationError(
            f"arguments of {name} could not be unpickled: {first_line(cause)}"
        )
    if "dumps" in str(error) or "serializ" in str(error):
        return SerializationError(
            f"result of {name} could not be pickled: {first_line(cause or error)}"
        )
    return error
