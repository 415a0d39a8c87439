"""concurry-retry overhead vs a bare call and vs tenacity, measured in the same run.

Rows:
- success on the first try under ``num_retries=3`` through ``@retry`` and
  ``execute_with_retry``, against the bare call and against tenacity's
  ``@retry(stop=stop_after_attempt(4))``;
- the ``num_retries=0`` fast path against the bare call;
- a call that fails twice then succeeds, zero waits, against tenacity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tenacity

from _harness import Row, per_call
from concurry_retry import RetryConfig, execute_with_retry, retry


def _target(x: int) -> int:
    return x + 1


def _flaky_factory() -> Callable[[int], int]:
    """A callable failing twice, then succeeding, in a cycle of three calls."""
    state = {"n": 0}

    def flaky(x: int) -> int:
        state["n"] += 1
        if state["n"] % 3:
            raise ConnectionError("transient")
        return x

    return flaky


def run(quick: bool) -> list[Row]:
    n = 20_000 if quick else 200_000
    n_fail = 2_000 if quick else 20_000
    repeat = 3 if quick else 7

    ours_deco = retry(num_retries=3, retry_wait=0)(_target)
    config = RetryConfig(num_retries=3, retry_wait=0)
    fast_config = RetryConfig()
    theirs = tenacity.retry(stop=tenacity.stop_after_attempt(4), reraise=True)(_target)

    def passthrough(*args: object, **kwargs: object) -> int:
        return _target(*args, **kwargs)  # type: ignore[arg-type]

    bare = per_call(lambda: _target(1), n, repeat)
    wrapper = per_call(lambda: passthrough(1), n, repeat)
    deco = per_call(lambda: ours_deco(1), n, repeat)
    execute = per_call(lambda: execute_with_retry(_target, (1,), None, config), n, repeat)
    fast = per_call(lambda: execute_with_retry(_target, (1,), None, fast_config), n, repeat)
    ten = per_call(lambda: theirs(1), n, repeat)

    flaky = _flaky_factory()
    ours_flaky = retry(num_retries=3, retry_wait=0, retry_jitter=0)(flaky)
    flaky2 = _flaky_factory()
    theirs_flaky = tenacity.retry(
        stop=tenacity.stop_after_attempt(4), wait=tenacity.wait_none(), reraise=True
    )(flaky2)
    ours_fail = per_call(lambda: ours_flaky(1), n_fail, repeat)
    ten_fail = per_call(lambda: theirs_flaky(1), n_fail, repeat)

    within: dict[str, Any] = {"at_least": 0.67, "note": "within 1.5x"}
    faster: dict[str, Any] = {"at_least": 1.0}
    return [
        Row(
            "@retry(num_retries=3), success",
            deco,
            wrapper,
            "pass-through wrapper",
            "seconds",
            **within,
        ),
        Row(
            "execute_with_retry(num_retries=3), success",
            execute,
            fast,
            "its num_retries=0 path",
            "seconds",
            **within,
        ),
        Row("@retry(num_retries=3), success", deco, bare, "bare call", "seconds"),
        Row("execute_with_retry, num_retries=0", fast, bare, "bare call", "seconds"),
        Row("@retry(num_retries=3), success", deco, ten, "tenacity @retry", "seconds", **faster),
        Row(
            "execute_with_retry(num_retries=3), success",
            execute,
            ten,
            "tenacity @retry",
            "seconds",
            **faster,
        ),
        Row(
            "@retry, fails twice then succeeds (no wait)",
            ours_fail,
            ten_fail,
            "tenacity @retry",
            "seconds",
            **faster,
        ),
    ]
