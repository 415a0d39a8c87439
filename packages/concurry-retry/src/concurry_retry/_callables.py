"""Calling user filters (``retry_on``) and validators (``retry_until``).

The documented convention is ``f(exception=exc, **ctx)`` for filters and
``v(result, **ctx)`` for validators, where ``ctx`` holds ``attempt``,
``elapsed_time``, ``method_name``, ``args``, ``kwargs`` and ``worker_class``.
Each callable's signature is read once, when the config is built, so that
narrower callables work too: ``lambda e: ...`` gets the exception
positionally, ``def ok(result, attempt): ...`` gets only the context it names.
A callable that cannot take the value at all is rejected at config time
instead of failing silently at the first retry.
"""

from __future__ import annotations

from ._errors import RetryConfigError

# Not ``typing.TYPE_CHECKING``: importing ``typing`` would slow down ``import concurry_retry``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    #: ``caller(value, ctx)`` -> whatever the user callable returns.
    Caller = Callable[[Any, dict[str, Any]], Any]


CONTEXT_KEYS = ("attempt", "elapsed_time", "method_name", "args", "kwargs", "worker_class")


def callable_name(fn: Any, *, qualified: bool = True) -> str:
    """A readable name for a user callable (``Class.method`` when ``qualified``)."""
    name = getattr(fn, "__qualname__", None) if qualified else None
    name = name or getattr(fn, "__name__", None)
    return name if isinstance(name, str) else type(fn).__name__


def adapt(fn: Callable[..., Any], value_name: str, field: str) -> Caller:
    """Return ``caller(value, ctx)`` that calls ``fn`` the way its signature allows.

    Args:
        fn: The user's filter or validator.
        value_name: ``"exception"`` for filters, ``"result"`` for validators.
        field: ``"retry_on"`` or ``"retry_until"``, for error messages.

    Raises:
        RetryConfigError: ``fn`` cannot accept the value, or requires a parameter that
            is never provided.
    """
    import inspect  # only configs with callables pay for it

    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        # Builtins without a signature (bool, int...) take one positional argument.
        return lambda value, ctx: fn(value)

    kinds = inspect.Parameter
    var_kw = any(p.kind is kinds.VAR_KEYWORD for p in params)
    var_pos = any(p.kind is kinds.VAR_POSITIONAL for p in params)
    keywordable = {
        p.name for p in params if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)
    }
    positional = [
        p for p in params if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
    ]

    taken: str | None
    if value_name in keywordable:
        by_keyword, taken = True, value_name
    elif positional or var_pos:
        by_keyword, taken = False, positional[0].name if positional else None
    elif var_kw:
        by_keyword, taken = True, value_name
    else:
        raise RetryConfigError(
            f"{field} callable {callable_name(fn)} must accept the {value_name} "
            f"(e.g. lambda {value_name}, **ctx: ...), got signature {inspect.signature(fn)}"
        )

    provided = set(CONTEXT_KEYS) | {value_name}
    missing = [
        p.name
        for p in params
        if p.default is kinds.empty
        and p.kind not in (kinds.VAR_KEYWORD, kinds.VAR_POSITIONAL)
        and p.name != taken
        and (p.name not in provided or p.kind is kinds.POSITIONAL_ONLY)
    ]
    if missing:
        raise RetryConfigError(
            f"{field} callable {callable_name(fn)} requires {', '.join(missing)}, which is "
            f"never provided; available: {value_name}, {', '.join(CONTEXT_KEYS)}"
        )

    keys = None if var_kw else tuple(k for k in CONTEXT_KEYS if k in keywordable and k != taken)
    if by_keyword:
        if keys is None:
            return lambda value, ctx: fn(**{value_name: value}, **ctx)
        return lambda value, ctx: fn(**{value_name: value}, **{k: ctx[k] for k in keys})
    if keys is None:
        return lambda value, ctx: fn(value, **ctx)
    return lambda value, ctx: fn(value, **{k: ctx[k] for k in keys})
