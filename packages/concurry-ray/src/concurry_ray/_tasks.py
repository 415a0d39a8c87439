"""``TaskWorker`` in ray mode: each submitted function runs as a plain Ray task.

No actor is started: ``submit(fn, ...)`` and ``map`` become ``ray.remote``
tasks, scheduled by Ray anywhere in the cluster, as many at once as the
worker's ``max_queued_tasks`` lets through. The worker's runtime (retries,
limits, a bound function) travels once with the task function, and each Ray
worker process builds it on first use and keeps it, so retries and limits run
inside the task, as they do inside an actor.
"""

from __future__ import annotations

import pickle
import weakref
from collections.abc import Callable
from types import FunctionType
from typing import Any

from concurry_workers.plugin import TASK

from ._values import Failure, failed_argument

__all__ = ["TASK_OPTION_KEYS", "FunctionTasks", "remote_task", "task_runner"]

#: Options of ``actor_options`` that also apply to a task (the rest are actor-only).
TASK_OPTION_KEYS = frozenset(
    {
        "accelerator_type",
        "label_selector",
        "memory",
        "num_cpus",
        "num_gpus",
        "placement_group",
        "resources",
        "runtime_env",
        "scheduling_strategy",
    }
)


def task_runner(payload: bytes, fn: Any = None) -> Callable[..., Any]:
    """The body of one ``TaskWorker``'s tasks, holding its pickled runtime ``payload``.

    A closure, so Ray ships the runtime once with the function (to each worker
    process that runs one of its tasks), not with every task; the process builds
    it on its first task and keeps it. With ``fn``, the closure also holds the
    submitted function, which then travels once too, as with a bare
    ``ray.remote(fn)``: its tasks carry only their arguments.
    """
    built: list[Any] = []

    def run_task(*args: Any, **kwargs: Any) -> Any:
        """One call, ``fn`` (or the bound marker) first; its outcome returned, never raised.

        A ``Failure`` among the arguments (a failed upstream call passed as an
        object reference, resolved by Ray) is the outcome.
        """
        failure = failed_argument((*args, *kwargs.values()) if kwargs else args)
        if failure is not None:
            return failure
        if fn is not None:
            args = (fn, *args)
        try:
            if not built:
                # plain pickle reads what cloudpickle wrote (it imports its helpers)
                built.append(pickle.loads(payload).build())
            return built[0].call(TASK, args, kwargs)
        except BaseException as exc:
            return Failure.of(exc)

    return run_task


def remote_task(ray: Any, payload: bytes, options: dict[str, Any], fn: Any = None) -> Any:
    """A Ray remote function running one ``TaskWorker``'s calls (see ``task_runner``)."""
    # Ray retries a task whose process died; concurry's retries are the user's
    # choice, so a crash is reported, not silently re-run.
    remote = ray.remote(max_retries=0)(task_runner(payload, fn))
    return remote.options(**options) if options else remote


class FunctionTasks:
    """The remote functions of one ``TaskWorker``: one per function it keeps running.

    A function submitted a second time (while still alive) gets a remote function
    of its own, so it is pickled and exported once rather than with every task.
    Functions seen once, such as a lambda made per call, keep using the generic
    one: exporting a remote function costs more than pickling one function. A
    remote function holds its function for the worker's lifetime, so at most
    ``MAX_FUNCTIONS`` get one.
    """

    MAX_FUNCTIONS = 256

    def __init__(self, ray: Any, payload: bytes, options: dict[str, Any]) -> None:
        self._ray, self._payload, self._options = ray, payload, options
        self.generic = remote_task(ray, payload, options)
        self._seen: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._made = 0

    def submit(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Hand one call (``fn`` first) to Ray; its ObjectRef."""
        fn = args[0] if args else None
        if type(fn) is FunctionType:
            remote = self._seen.get(fn)
            if remote is None:
                self._seen[fn] = True  # seen once
            else:
                if remote is True:
                    if self._made >= self.MAX_FUNCTIONS:
                        return self.generic.remote(*args, **kwargs)
                    remote = remote_task(self._ray, self._payload, self._options, fn)
                    self._seen[fn] = remote
                    self._made += 1
                return remote.remote(*args[1:], **kwargs)
        return self.generic.remote(*args, **kwargs)
