"""``start_worker``: one worker from a resolved spec (transport, link and proxy)."""

from __future__ import annotations

from typing import Any

from ._backends import get_backend
from ._backends._base import Transport
from ._limits import limits_for_worker
from ._link import Link
from ._options import WorkerSpec
from ._proxy import WorkerProxy, proxy_class_for
from ._retry import build_retry_plan
from ._runtime import Runtime
from ._sentinel import _NO_ARG

__all__ = ["make_transport", "start_worker"]


def make_transport(
    worker_cls: type,
    spec: WorkerSpec,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    worker_index: int = 0,
    retry_plan: Any = _NO_ARG,
) -> Transport:
    """The (not yet started) transport of one worker of ``spec``.

    Args:
        worker_cls: The user's worker class.
        spec: The resolved options.
        args: ``__init__`` positional arguments.
        kwargs: ``__init__`` keyword arguments.
        worker_index: Position in a pool (offsets a LimitPool's round-robin).
        retry_plan: The retry plan, when the caller has already built it.
    """
    if retry_plan is _NO_ARG:
        retry_plan = build_retry_plan(spec.retry, worker_cls.__name__)
    transport_cls = get_backend(spec.mode)
    transport_cls.prepare()
    runtime = Runtime(
        worker_cls=worker_cls,
        args=args,
        kwargs=kwargs,
        # inline transports resolve future arguments in the call; others in the link
        unwrap_futures=spec.unwrap_futures and transport_cls.inline,
        retry=retry_plan,
        limits=limits_for_worker(spec.limits, spec.mode, worker_index),
    )
    return transport_cls(runtime, spec.backend_options)


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
    transport = make_transport(worker_cls, spec, args, kwargs, worker_index, retry_plan)
    link = Link(
        transport, spec.max_queued_tasks, unwrap=spec.unwrap_futures and not transport.inline
    )
    transport.start(link)
    proxy_base = getattr(worker_cls, "__concurry_proxy_class__", WorkerProxy)
    proxy = proxy_class_for(worker_cls, proxy_base)(worker_cls, spec, link)
    proxy._init_args = (args, kwargs)
    return proxy  # type: ignore[no-any-return]
