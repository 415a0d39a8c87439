"""The original ``concurry.core.worker.asyncio_worker``: ``AsyncioWorkerProxy`` for isinstance checks."""

from __future__ import annotations

from concurry.core.worker._mode_proxy import ModeProxy

__all__ = ["AsyncioWorkerProxy"]


class AsyncioWorkerProxy(ModeProxy):
    """``isinstance(p, AsyncioWorkerProxy)`` is True for a single worker started with ``mode="asyncio"``.

    Pools (``WorkerProxyPool``) are not instances, as in the original.
    """

    mode_name = "asyncio"
