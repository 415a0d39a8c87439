"""Errors raised by concurry-workers.

Hierarchy::

    WorkerError (Exception)              base of every error defined here
    ├── WorkerStoppedError (RuntimeError) a call reached a stopped worker
    ├── WorkerDiedError (RuntimeError)    the worker process exited while calls were pending
    ├── SerializationError (TypeError)    an argument, result or exception cannot be pickled
    └── BackendUnavailableError (ImportError)  the backend for a mode is not installed

    RemoteTraceback (Exception)          carries a remote traceback text as ``__cause__``

Option errors are plain ``ValueError`` / ``TypeError`` so they read like any
argument error; errors raised by the user's own code come back with their
original type.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BackendUnavailableError",
    "RemoteTraceback",
    "SerializationError",
    "WorkerDiedError",
    "WorkerError",
    "WorkerStoppedError",
    "stopped_message",
]


class WorkerError(Exception):
    """Base class of the errors raised by concurry-workers itself."""


class WorkerStoppedError(WorkerError, RuntimeError):
    """A method was called on a worker (or pool) after ``stop()``.

    The message starts with "Worker is stopped" or "Worker pool is stopped"
    (the original concurry's phrases, which users match on) and names the call.
    """

    def __init__(self, message: str = "Worker is stopped") -> None:
        super().__init__(message)


def stopped_message(subject: str, owner: str, name: str | None) -> str:
    """The message of a call refused because ``stop()`` was called.

    Args:
        subject: "Worker" or "Worker pool".
        owner: The worker class's name.
        name: The method called (None: a function given to ``submit``/``map``).
    """
    target = f"{owner}.{name}()" if name is not None else f"a function submitted to {owner}"
    return f"{subject} is stopped: {target} was called after stop()"


class WorkerDiedError(WorkerError, RuntimeError):
    """The worker's process exited while calls were pending or running.

    Attributes:
        exitcode: The exit code of the process (negative: killed by that signal).
    """

    def __init__(self, message: str, exitcode: int | None = None) -> None:
        super().__init__(message)
        self.exitcode = exitcode

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.exitcode))


class SerializationError(WorkerError, TypeError):
    """An argument, return value or exception could not cross the process boundary."""


class BackendUnavailableError(WorkerError, ImportError):
    """The execution backend for a mode is not installed (for example ``mode='ray'``)."""


class RemoteTraceback(Exception):
    """The formatted traceback of an exception raised in another process.

    Attached as ``__cause__`` of the re-raised exception, so the remote frames
    show up in the local traceback under "The above exception was the direct
    cause of ...".
    """

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return f'\n"""\n{self.tb}"""'
