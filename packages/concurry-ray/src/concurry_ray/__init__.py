"""concurry-ray: the Ray backend of concurry.

Installing it is all a user does: ``mode="ray"`` then works for workers, pools,
``TaskWorker`` and ``@task`` (the ``concurry.worker_backends`` entry point),
``LimitSet(..., shared=True, mode="ray")`` keeps limit state in a Ray actor
(``concurry.limit_backends``), and ``wrap_future(object_ref)`` returns a
``RayFuture`` (``concurry.future_adapters``). Importing this package does not
import Ray; the first use does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._future import RayFuture
    from ._limits import RayLimitBackend

__all__ = ["RayFuture", "RayLimitBackend"]


def __getattr__(name: str) -> Any:
    if name == "RayFuture":
        from ._future import RayFuture

        return RayFuture
    if name == "RayLimitBackend":
        from ._limits import RayLimitBackend

        return RayLimitBackend
    raise AttributeError(f"module 'concurry_ray' has no attribute {name!r}")
