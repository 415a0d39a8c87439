"""Retry plans: the ``options()`` retry parameters turned into one config per method.

Each retry option is a value or a dict keyed by method name with a required
``"*"`` default. The plan runs inside the worker (via ``concurry_retry``), so
retries never pass through the submission queue again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._options import PER_METHOD

__all__ = ["RetryPlan", "build_retry_plan"]


class RetryPlan:
    """Per-method ``RetryConfig`` objects plus the ``"*"`` default.

    Args:
        default: The config of methods not named explicitly.
        per_method: Configs of the methods named in a per-method option.
        worker_name: The worker class name passed to filters and validators.
    """

    def __init__(self, default: Any, per_method: dict[str, Any], worker_name: str) -> None:
        self.default = default
        self.per_method = per_method
        self.worker_name = worker_name

    def config_for(self, name: str | None) -> Any:
        """The config used for method ``name`` (``None``: task calls)."""
        return self.per_method.get(name, self.default) if name is not None else self.default

    def run(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        name: str | None,
        run_coroutine: Callable[[Any], Any],
    ) -> Any:
        """Run ``fn`` with retries in this thread (coroutines run to completion per attempt)."""
        from inspect import iscoroutinefunction

        from concurry_retry import execute_with_retry

        target = fn
        if iscoroutinefunction(fn):

            def target(*a: Any, **kw: Any) -> Any:
                return run_coroutine(fn(*a, **kw))

        return execute_with_retry(
            target,
            args,
            kwargs,
            self.config_for(name),
            method_name=name or getattr(fn, "__name__", None),
            worker_class=self.worker_name,
        )

    async def arun(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        name: str | None,
    ) -> Any:
        """Async twin of ``run`` for the asyncio backend."""
        from concurry_retry import async_execute_with_retry

        return await async_execute_with_retry(
            fn,
            args,
            kwargs,
            self.config_for(name),
            method_name=name or getattr(fn, "__name__", None),
            worker_class=self.worker_name,
        )


def _values_for(retry: dict[str, Any], method: str) -> dict[str, Any]:
    out = {}
    for key in PER_METHOD:
        if key not in retry:
            continue
        value = retry[key]
        if isinstance(value, dict):
            value = value.get(method, value["*"])
        out[key] = value
    return out


def _make_config(values: dict[str, Any]) -> Any:
    from concurry_retry import RetryConfig

    if values.get("retry_on") is None:
        values.pop("retry_on", None)
    return RetryConfig(**values)


def build_retry_plan(retry: dict[str, Any], worker_name: str) -> RetryPlan | None:
    """A retry plan, or None when no method retries or validates (zero overhead).

    Raises:
        ValueError, TypeError: A retry option is invalid (from ``RetryConfig``).
    """
    methods = {m for v in retry.values() if isinstance(v, dict) for m in v if m != "*"}
    default = _make_config(_values_for(retry, "*"))
    per_method = {m: _make_config(_values_for(retry, m)) for m in methods}
    configs = [default, *per_method.values()]
    if all(c.num_retries == 0 and not c.retry_until for c in configs):
        return None
    return RetryPlan(default, per_method, worker_name)
