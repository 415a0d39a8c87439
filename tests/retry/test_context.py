from __future__ import annotations

from typing import Any

from concurry_retry import RetryConfig, execute_with_retry, retry


def test_filter_and_validator_receive_the_full_context(flaky: type) -> None:
    filter_calls: list[dict[str, Any]] = []
    validator_calls: list[dict[str, Any]] = []

    def on(exception: BaseException, **ctx: Any) -> bool:
        filter_calls.append({"exception": exception, **ctx})
        return True

    def until(result: Any, **ctx: Any) -> bool:
        validator_calls.append({"result": result, **ctx})
        return ctx["attempt"] >= 3

    fn = flaky(ValueError("boom"), value=7)
    config = RetryConfig(num_retries=5, retry_wait=0, retry_on=on, retry_until=until)
    out = execute_with_retry(
        fn, (1, 2), {"k": "v"}, config, method_name="Api.get", worker_class="ApiWorker"
    )
    assert out == 7
    assert len(filter_calls) == 1
    ctx = filter_calls[0]
    assert set(ctx) == {
        "exception",
        "attempt",
        "elapsed_time",
        "method_name",
        "args",
        "kwargs",
        "worker_class",
    }
    assert str(ctx["exception"]) == "boom"
    assert ctx["attempt"] == 1
    assert ctx["method_name"] == "Api.get"
    assert ctx["args"] == (1, 2) and ctx["kwargs"] == {"k": "v"}
    assert ctx["worker_class"] == "ApiWorker"
    assert [c["attempt"] for c in validator_calls] == [2, 3]
    assert all(c["result"] == 7 for c in validator_calls)
    elapsed = [c["elapsed_time"] for c in (*filter_calls, *validator_calls)]
    assert all(e >= 0 for e in elapsed) and elapsed == sorted(elapsed)


def test_elapsed_time_counts_from_the_first_attempt(flaky: type) -> None:
    seen: list[float] = []
    # a real 50 ms wait between attempt 1 and 2 must show up in elapsed_time
    config = RetryConfig(
        num_retries=1,
        retry_wait=0.05,
        retry_jitter=0,
        retry_until=lambda result, elapsed_time: seen.append(elapsed_time) or True,
    )
    execute_with_retry(flaky(OSError()), config=config)
    assert seen and 0.045 <= seen[0] < 5.0


def test_decorator_context_defaults() -> None:
    seen: dict[str, Any] = {}

    @retry(num_retries=1, retry_wait=0, retry_until=lambda result, **ctx: seen.update(ctx) or True)
    def compute(x: int, *, scale: int = 1) -> int:
        return x * scale

    assert compute(2, scale=3) == 6
    assert seen["method_name"].endswith("compute")
    assert seen["args"] == (2,) and seen["kwargs"] == {"scale": 3}
    assert seen["worker_class"] is None
    assert seen["attempt"] == 1


def test_validator_can_take_only_what_it_names() -> None:
    @retry(num_retries=2, retry_wait=0, retry_until=lambda result, attempt: attempt == 2)
    def f() -> int:
        return 1

    assert f() == 1
