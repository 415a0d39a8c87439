"""The original ``concurry.core.worker.process_worker``: ``ProcessWorkerProxy`` for isinstance checks."""

from __future__ import annotations

from concurry.core.worker._mode_proxy import ModeProxy

__all__ = ["ProcessWorkerProxy"]


class ProcessWorkerProxy(ModeProxy):
    """``isinstance(p, ProcessWorkerProxy)`` is True for a single worker started with ``mode="process"``.

    Pools (``WorkerProxyPool``) are not instances, as in the original.
    """

    mode_name = "process"
