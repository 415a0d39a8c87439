"""concurry-workers: actor-style workers on sync, thread, process and asyncio backends.

``Worker`` subclasses (or ``@worker`` classes) run in the mode chosen with
``.options(mode=...)``; ``.init(...)`` returns a proxy whose methods return
futures. ``global_config`` / ``temp_config`` hold the defaults.

Other backends (Ray) are plugins: a ``WorkerBackend`` subclass published in
the ``concurry.worker_backends`` entry point group under the mode's name. It
receives a ``WorkerRuntime`` whose ``build()`` makes the instance and returns
the ``Invoker`` that runs each ``(method_name, args, kwargs)`` call.
"""

from __future__ import annotations

from ._backends import ENTRY_POINT_GROUP as BACKEND_ENTRY_POINT_GROUP
from ._backends._base import WorkerBackend
from ._builder import WorkerBuilder
from ._config import global_config, temp_config
from ._enums import ExecutionMode, LoadBalancingAlgorithm
from ._errors import (
    BackendUnavailableError,
    RemoteTraceback,
    SerializationError,
    WorkerDiedError,
    WorkerError,
    WorkerStoppedError,
)
from ._executor import Executor
from ._pool import WorkerPool
from ._proxy import WorkerProxy
from ._runtime import WorkerRuntime
from ._sentinel import _NO_ARG, _NO_ARG_TYPE
from ._task import task
from ._task_worker import TaskWorker
from ._worker import Worker, worker

__all__ = [
    "BACKEND_ENTRY_POINT_GROUP",
    "_NO_ARG",
    "_NO_ARG_TYPE",
    "BackendUnavailableError",
    "ExecutionMode",
    "Executor",
    "LoadBalancingAlgorithm",
    "RemoteTraceback",
    "SerializationError",
    "TaskWorker",
    "Worker",
    "WorkerBackend",
    "WorkerBuilder",
    "WorkerDiedError",
    "WorkerError",
    "WorkerPool",
    "WorkerProxy",
    "WorkerRuntime",
    "WorkerStoppedError",
    "global_config",
    "task",
    "temp_config",
    "worker",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) or (callable(_obj) and hasattr(_obj, "__module__")):
        try:
            _obj.__module__ = __name__
        except (AttributeError, TypeError):
            pass
del _name, _obj
