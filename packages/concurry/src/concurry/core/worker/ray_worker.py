"""The original ``concurry.core.worker.ray_worker``: ``RayWorkerProxy`` for isinstance checks.

Importing this module does not import Ray, and works without Ray installed.
"""

from __future__ import annotations

from concurry.core.worker._mode_proxy import ModeProxy

__all__ = ["RayWorkerProxy"]


class RayWorkerProxy(ModeProxy):
    """``isinstance(p, RayWorkerProxy)`` is True for a single worker started with ``mode="ray"``.

    Pools (``WorkerProxyPool``) are not instances, as in the original.
    """

    mode_name = "ray"
