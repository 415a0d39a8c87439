"""Retry plans: the ``options()`` retry parameters turned into one config per method.

Each retry option is a value or a dict keyed by method name with a required
``"*"`` default; the keys are checked against the worker class when the plan
is built (at ``options()`` time). The plan runs inside the worker (via
``concurry_retry``), so retries never pass through the submission queue again.

Every method gets a *lane*, decided once per config, so that the common case
costs next to nothing (``Invoker.call`` follows it)::

    PLAIN      no retries, no validators    a plain call
    FIRST_TRY  retries on exceptions only   a bare first attempt (a clock read and a
                                            ``try``); ``run`` only after it raised
    FULL       retry_until validators       every attempt through ``run``
"""

from __future__ import annotations

from collections.abc import Callable
from types import CoroutineType
from typing import Any

from ._options import PER_METHOD

__all__ = [
    "FIRST_TRY",
    "FULL",
    "PLAIN",
    "RetryPlan",
    "build_retry_plan",
    "check_method_names",
    "public_methods",
]

PLAIN, FIRST_TRY, FULL = 0, 1, 2

#: The per-method key that configures the functions a TaskWorker runs.
SUBMIT = "submit"


def _lane(config: Any) -> int:
    if not config.active:
        return PLAIN
    return FULL if config.retry_until else FIRST_TRY


class RetryPlan:
    """Per-method ``RetryConfig`` objects plus the ``"*"`` default.

    The ``Invoker`` runs ``PLAIN`` calls and first attempts of ``FIRST_TRY``
    calls itself (see ``lane``) and hands everything else to ``run`` /
    ``arun``.

    Args:
        default: The config of methods not named explicitly.
        per_method: Configs of the methods named in a per-method option (key
            ``None``: functions run by a TaskWorker, from its ``"submit"`` entry).
        worker_name: The worker class name passed to filters and validators.

    Attributes:
        lanes: Lane of each method named in a per-method option.
        default_lane: Lane of every other method and of task calls.
    """

    def __init__(self, default: Any, per_method: dict[str | None, Any], worker_name: str) -> None:
        self.default = default
        self.per_method = per_method
        self.worker_name = worker_name
        self.default_lane = _lane(default)
        self.lanes: dict[str | None, int] = {m: _lane(c) for m, c in per_method.items()}

    def config_for(self, name: str | None) -> Any:
        """The config used for method ``name`` (``None``: task calls)."""
        return self.per_method.get(name, self.default)

    def lane(self, name: str | None) -> int:
        """How calls of method ``name`` run: ``PLAIN``, ``FIRST_TRY`` or ``FULL``."""
        return self.lanes.get(name, self.default_lane)

    def run(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        name: str | None,
        run_coroutine: Callable[[Any], Any],
        first_error: Exception | None = None,
        started: float | None = None,
    ) -> Any:
        """Run ``fn`` with retries in this thread (coroutines run to completion per attempt).

        Args:
            fn: The method or function.
            args: Its positional arguments.
            kwargs: Its keyword arguments.
            name: The method name (``None``: a task call).
            run_coroutine: Runs a coroutine to completion and returns its result.
            first_error: The exception of a first attempt the caller already made.
            started: ``time.monotonic()`` when that attempt started.
        """
        from concurry_retry import execute_with_retry

        def attempt(*a: Any, **kw: Any) -> Any:
            result = fn(*a, **kw)
            return run_coroutine(result) if type(result) is CoroutineType else result

        return execute_with_retry(
            attempt,
            args,
            kwargs,
            self.config_for(name),
            method_name=name or getattr(fn, "__name__", None),
            worker_class=self.worker_name,
            first_error=first_error,
            started=started,
        )

    async def arun(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        name: str | None,
        first_error: Exception | None = None,
        started: float | None = None,
    ) -> Any:
        """Async twin of ``run`` for the asyncio backend (awaitable results are awaited)."""
        from concurry_retry import async_execute_with_retry

        return await async_execute_with_retry(
            fn,
            args,
            kwargs,
            self.config_for(name),
            method_name=name or getattr(fn, "__name__", None),
            worker_class=self.worker_name,
            first_error=first_error,
            started=started,
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


def _is_ours(klass: type) -> bool:
    # Worker and TaskWorker (their __module__ is the public "concurry_workers").
    # Matched by module, not imported: _worker -> _builder -> _retry would be a cycle.
    module = klass.__module__
    return module == "concurry_workers" or module.startswith("concurry_workers.")


def public_methods(worker_cls: type) -> set[str]:
    """Names a per-method option may use: public callables of the user's classes.

    Names that only ``Worker`` or ``TaskWorker`` define (``options``) are not
    worker methods: they configure workers and are never called remotely.
    """
    names: set[str] = set()
    for klass in worker_cls.__mro__:
        if klass is not object and not _is_ours(klass):
            names.update(n for n in vars(klass) if not n.startswith("_"))
    return {n for n in names if callable(getattr(worker_cls, n, None))}


def check_method_names(retry: dict[str, Any], worker_cls: type) -> None:
    """Reject per-method retry keys that name no method of ``worker_cls``.

    A class with ``__getattr__`` may have any method at call time, so every
    name is accepted (the proxy routes such calls the same way). That
    includes pydantic and morphic models, whose base classes define one.

    Raises:
        ValueError: A key other than ``"*"`` that is not a public method; the
            message names the option, the key and the class's public methods.
    """
    if hasattr(worker_cls, "__getattr__"):
        return
    known: set[str] | None = None
    task_worker = _is_task_worker(worker_cls)
    for option in PER_METHOD:
        value = retry.get(option)
        if not isinstance(value, dict):
            continue
        for key in value:
            if key == "*" or (key == SUBMIT and task_worker):
                continue
            if known is None:
                known = public_methods(worker_cls)
            if key not in known:
                raise ValueError(_unknown_method_message(option, key, worker_cls, known))


def _is_task_worker(worker_cls: type) -> bool:
    return any(k.__name__ == "TaskWorker" and _is_ours(k) for k in worker_cls.__mro__)


def _unknown_method_message(option: str, key: Any, worker_cls: type, known: set[str]) -> str:
    listed = ", ".join(sorted(known)) or "(none)"
    name = worker_cls.__name__
    if _is_task_worker(worker_cls):
        return (
            f"{option}[{key!r}]: {name!r} worker has no method {key!r}; functions run "
            f"by submit, map and @task use the 'submit' entry if given, else the '*' entry; other "
            f"per-method keys must name methods of the worker class; public methods: {listed}"
        )
    return (
        f"{option}[{key!r}]: per-method retry keys must be '*' or a public method of the "
        f"worker, and {name!r} worker has no method {key!r}; public methods: {listed}"
    )


def build_retry_plan(retry: dict[str, Any], worker: type | str) -> RetryPlan | None:
    """A retry plan, or None when no method retries or validates (zero overhead).

    Args:
        retry: The retry options (values or per-method dicts with a ``"*"`` entry).
        worker: The worker class, whose methods per-method keys are checked
            against; its name alone skips that check (for callers starting
            more workers from options already checked).

    Raises:
        ValueError: A per-method key names no method of ``worker``, or a
            retry option is invalid (from ``RetryConfig``).
        TypeError: A retry option has the wrong type (from ``RetryConfig``).
    """
    if isinstance(worker, str):
        worker_name = worker
    else:
        check_method_names(retry, worker)
        worker_name = worker.__name__
    methods = {m for v in retry.values() if isinstance(v, dict) for m in v if m != "*"}
    default = _make_config(_values_for(retry, "*"))
    per_method: dict[str | None, Any] = {m: _make_config(_values_for(retry, m)) for m in methods}
    if SUBMIT in per_method:
        # the original's TaskWorker ran functions through its "submit" method, so
        # that key configures them (task calls; see check_method_names)
        per_method[None] = per_method[SUBMIT]
    configs = [default, *per_method.values()]
    if all(c.num_retries == 0 and not c.retry_until for c in configs):
        return None
    return RetryPlan(default, per_method, worker_name)
