"""``start_worker``: one worker from a resolved spec (transport, link and proxy)."""

from __future__ import annotations

from typing import Any

from ._backends import get_backend
from ._limits import limits_for_worker
from ._link import Link
from ._options import WorkerSpec
from ._proxy import WorkerProxy, proxy_class_for
from ._retry import build_retry_plan
from ._runtime import Runtime
from ._sentinel import _NO_ARG

__all__ = ["start_worker"]


def start_worker(
    worker_cls: type,
    spec: WorkerSpec,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    worker_index: int = 0,
    retry_plan: Any = _NO_ARG,
) -> WorkerProxy:
    """Start one worker with a resolved spec and return its proxy.

    Raises:
        Exception: Whatever the class's ``__init__`` raised, with its original type.
    """
    if retry_plan is _NO_ARG:
        retry_plan = build_retry_plan(spec.retry, worker_cls.__name__)
    transport_cls = get_backend(spec.mode)
    inline = transport_cls.inline
    runtime = Runtime(
        worker_cls=worker_cls,
        args=args,
        kwargs=kwargs,
        # inline transports resolve future arguments in the call; others in the link
        unwrap_futures=spec.unwrap_futures and inline,
        retry=retry_plan,
        limits=limits_for_worker(spec.limits, spec.mode, worker_index),
    )
    transport = transport_cls(runtime, spec.backend_options)
    link = Link(transport, spec.max_queued_tasks, unwrap=spec.unwrap_futures and not inline)
    transport.start(link)
    proxy_base = getattr(worker_cls, "__concurry_proxy_class__", WorkerProxy)
    proxy = proxy_class_for(worker_cls, proxy_base)(worker_cls, spec, link)
    proxy._init_args = (args, kwargs)
    return proxy  # type: ignore[no-any-return]
