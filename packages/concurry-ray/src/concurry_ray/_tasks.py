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
from collections.abc import Callable
from typing import Any

from concurry_workers.plugin import TASK

from ._values import Failure, failed_argument

__all__ = ["TASK_OPTION_KEYS", "remote_task", "task_runner"]

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


def task_runner(payload: bytes) -> Callable[..., Any]:
    """The body of one ``TaskWorker``'s tasks, holding its pickled runtime ``payload``.

    A closure, so Ray ships the runtime once with the function (to each worker
    process that runs one of its tasks), not with every task; the process builds
    it on its first task and keeps it.
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
        try:
            if not built:
                # plain pickle reads what cloudpickle wrote (it imports its helpers)
                built.append(pickle.loads(payload).build())
            return built[0].call(TASK, args, kwargs)
        except BaseException as exc:
            return Failure.of(exc)

    return run_task


def remote_task(ray: Any, payload: bytes, options: dict[str, Any]) -> Any:
    """A Ray remote function running one ``TaskWorker``'s calls (see ``task_runner``)."""
    # Ray retries a task whose process died; concurry's retries are the user's
    # choice, so a crash is reported, not silently re-run.
    remote = ray.remote(max_retries=0)(task_runner(payload))
    return remote.options(**options) if options else remote
