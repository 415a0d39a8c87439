"""``TaskWorker`` in ray mode: each submitted function runs as a plain Ray task.

No actor is started: ``submit(fn, ...)`` and ``map`` become ``ray.remote``
tasks, scheduled by Ray anywhere in the cluster, as many at once as the
worker's ``max_queued_tasks`` lets through. The worker's runtime (retries,
limits, a bound function) is put in the object store once, and each Ray worker
process builds it on first use and keeps it (``_invokers``), so retries and
limits run inside the task, as they do inside an actor.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from typing import Any

from concurry_workers.plugin import TASK

from ._values import Failure

__all__ = ["TASK_OPTION_KEYS", "remote_task", "run_task"]

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
#: Runtimes a Ray worker process keeps built, most recently used last.
_KEEP = 16
_invokers: OrderedDict[str, Any] = OrderedDict()
_remote: Any = None


def _invoker(key: str, box: list[Any]) -> Any:
    invoker = _invokers.get(key)
    if invoker is not None:
        _invokers.move_to_end(key)
        return invoker
    import ray

    # plain pickle reads what cloudpickle wrote (it imports cloudpickle's helpers)
    invoker = pickle.loads(ray.get(box[0])).build()
    _invokers[key] = invoker
    if len(_invokers) > _KEEP:
        _, old = _invokers.popitem(last=False)
        old.close()
    return invoker


def run_task(key: str, box: list[Any], kw_names: tuple[str, ...], *flat: Any) -> Any:
    """The body of every task: one ``TaskWorker`` call, its outcome returned, never raised.

    Args:
        key: Identifies the worker's runtime (one per ``TaskWorker``).
        box: ``[ObjectRef]`` of the pickled runtime; in a list, so Ray passes the
            reference itself and it is fetched only by a process without the runtime.
        kw_names: Names of the keyword arguments, whose values end ``flat``.
        *flat: The function (or the bound marker), its positional arguments, then
            its keyword values. A ``Failure`` among them (a failed upstream call
            passed as an object reference) is the outcome.
    """
    cut = len(flat) - len(kw_names)
    for value in flat:
        if type(value) is Failure:
            return value
    try:
        return _invoker(key, box).call(TASK, flat[:cut], dict(zip(kw_names, flat[cut:])))
    except BaseException as exc:
        return Failure.of(exc)


def remote_task(ray: Any, options: dict[str, Any]) -> Any:
    """``run_task`` as a Ray remote function with ``options`` (created once per driver)."""
    global _remote
    if _remote is None:
        # Ray retries a task whose process died; concurry's retries are the user's
        # choice, so a crash is reported, not silently re-run.
        _remote = ray.remote(max_retries=0)(run_task)
    return _remote.options(**options) if options else _remote
