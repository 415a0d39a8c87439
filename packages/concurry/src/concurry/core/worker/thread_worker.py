"""The original ``concurry.core.worker.thread_worker``: ``ThreadWorkerProxy`` for isinstance checks."""

from __future__ import annotations

from concurry.core.worker._mode_proxy import ModeProxy

__all__ = ["ThreadWorkerProxy"]


class ThreadWorkerProxy(ModeProxy):
    """``isinstance(p, ThreadWorkerProxy)`` is True for a single worker started with ``mode="thread"``.

    Pools (``WorkerProxyPool``) are not instances, as in the original.
    """

    mode_name = "thread"
