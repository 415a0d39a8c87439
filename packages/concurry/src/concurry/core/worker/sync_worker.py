"""The original ``concurry.core.worker.sync_worker``: ``SyncWorkerProxy`` for isinstance checks."""

from __future__ import annotations

from concurry.core.worker._mode_proxy import ModeProxy

__all__ = ["SyncWorkerProxy"]


class SyncWorkerProxy(ModeProxy):
    """``isinstance(p, SyncWorkerProxy)`` is True for a single worker started with ``mode="sync"``.

    Pools (``WorkerProxyPool``) are not instances, as in the original.
    """

    mode_name = "sync"
