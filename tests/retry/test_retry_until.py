from __future__ import annotations

import json
import pickle

import pytest

from concurry_retry import (
    RetryConfig,
    RetryError,
    RetryValidationError,
    execute_with_retry,
    retry,
)


class Sequence:
    """Returns the given values one per call (the last one forever)."""

    def __init__(self, *values: object) -> None:
        self.values = list(values)
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        return self.values[min(self.calls, len(self.values)) - 1]


def _run(fn: object, num_retries: int = 3, **fields: object) -> object:
    config = RetryConfig(num_retries=num_retries, retry_wait=0, **fields)
    return execute_with_retry(fn, config=config)  # type: ignore[arg-type]


def test_single_validator_passes_on_nth_attempt() -> None:
    fn = Sequence(1, 2, 10)
    assert _run(fn, retry_until=lambda result, **ctx: result > 5) == 10
    assert fn.calls == 3


def test_all_validators_must_pass() -> None:
    fn = Sequence(None, "nope", "{bad", '{"data": 1}')
    validators = [
        lambda result, **ctx: isinstance(result, str),
        lambda result, **ctx: result.startswith("{"),
        lambda result, **ctx: "data" in json.loads(result),
    ]
    assert _run(fn, retry_until=validators) == '{"data": 1}'
    assert fn.calls == 4


def test_builtin_validator() -> None:
    fn = Sequence(0, "", "x")
    assert _run(fn, retry_until=bool) == "x"


def test_raising_validator_counts_as_failed_and_is_recorded() -> None:
    fn = Sequence("not json", "still not", "{}")

    def parses(result: str, **ctx: object) -> bool:
        json.loads(result)
        return True

    assert _run(fn, retry_until=parses) == "{}"
    fn = Sequence("never json")
    with pytest.raises(RetryValidationError) as info:
        _run(fn, num_retries=1, retry_until=parses)
    assert len(info.value.validation_errors) == 2
    assert "parses raised JSONDecodeError" in info.value.validation_errors[0]


def test_validation_error_contents() -> None:
    fn = Sequence(1, 2, 3)
    with pytest.raises(RetryValidationError) as info:
        execute_with_retry(
            fn,
            config=RetryConfig(num_retries=2, retry_wait=0, retry_until=lambda r: r > 5),
            method_name="score",
        )
    err = info.value
    assert isinstance(err, RetryError)
    assert err.attempts == 3
    assert err.all_results == [1, 2, 3]
    assert err.last_result == 3
    assert len(err.validation_errors) == 3
    assert err.validation_errors[0].startswith("attempt 1: ")
    assert "returned False" in err.validation_errors[0]
    assert err.method_name == "score"
    msg = str(err)
    assert "score" in msg and "3 attempts" in msg and "last result 3" in msg
    assert "returned False" in msg


def test_message_truncates_long_results() -> None:
    fn = Sequence("x" * 10_000)
    with pytest.raises(RetryValidationError) as info:
        _run(fn, num_retries=0, retry_until=lambda r: False)
    assert len(str(info.value)) < 600
    assert "1 attempt;" in str(info.value)


def test_validation_error_survives_pickle() -> None:
    err = RetryValidationError(3, [1, {"a": 2}, "three"], ["e1", "e2", "e3"], "Model.call")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is RetryValidationError
    assert back.attempts == 3
    assert back.all_results == [1, {"a": 2}, "three"]
    assert back.validation_errors == ["e1", "e2", "e3"]
    assert back.method_name == "Model.call"
    assert str(back) == str(err)


def test_raised_validation_error_survives_pickle_with_notes() -> None:
    with pytest.raises(RetryValidationError) as info:
        _run(Sequence(0), num_retries=1, retry_until=bool)
    info.value.add_note("extra")
    back = pickle.loads(pickle.dumps(info.value))
    assert back.all_results == [0, 0] and back.__notes__ == ["extra"]


def test_exception_then_bad_result_then_good() -> None:
    calls: list[int] = []

    @retry(num_retries=3, retry_wait=0, retry_until=lambda result, **ctx: result == "good")
    def step() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("down")
        return "bad" if len(calls) == 2 else "good"

    assert step() == "good" and len(calls) == 3


def test_validation_with_zero_retries_still_checks_once() -> None:
    fn = Sequence(1)
    with pytest.raises(RetryValidationError) as info:
        _run(fn, num_retries=0, retry_until=lambda r: r == 2)
    assert info.value.attempts == 1 and fn.calls == 1
