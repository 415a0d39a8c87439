from __future__ import annotations

import pickle

import pytest

from concurry_retry import RetryAlgorithm, RetryConfig


def test_defaults_match_the_spec() -> None:
    c = RetryConfig()
    assert c.num_retries == 0
    assert c.retry_on == (Exception,)
    assert c.retry_algorithm is RetryAlgorithm.Exponential
    assert c.retry_wait == 1.0
    assert c.retry_jitter == 0.3
    assert c.retry_until == ()
    assert c.retry_max_wait is None
    assert c.before_sleep is None and c.on_giving_up is None and c.sleep is None
    assert c.max_attempts == 1
    assert not c.active
    assert RetryConfig(num_retries=1).active
    assert RetryConfig(retry_until=bool).active


@pytest.mark.parametrize(
    ("field", "value", "error", "words"),
    [
        ("num_retries", -1, ValueError, ["num_retries", "-1"]),
        ("num_retries", 1.5, TypeError, ["num_retries", "1.5"]),
        ("num_retries", True, TypeError, ["num_retries", "True"]),
        ("num_retries", "3", TypeError, ["num_retries", "'3'"]),
        ("retry_wait", -0.1, ValueError, ["retry_wait", "-0.1"]),
        ("retry_wait", "1", TypeError, ["retry_wait", "'1'"]),
        ("retry_wait", float("inf"), ValueError, ["retry_wait", "inf"]),
        ("retry_wait", float("nan"), ValueError, ["retry_wait", "nan"]),
        ("retry_jitter", 1.5, ValueError, ["retry_jitter", "1.5"]),
        ("retry_jitter", -0.1, ValueError, ["retry_jitter", "-0.1"]),
        ("retry_jitter", None, TypeError, ["retry_jitter", "None"]),
        ("retry_max_wait", 0, ValueError, ["retry_max_wait", "0"]),
        ("retry_max_wait", -2.0, ValueError, ["retry_max_wait", "-2.0"]),
        ("retry_algorithm", "quadratic", ValueError, ["retry_algorithm", "quadratic", "fibonacci"]),
        ("retry_on", "ValueError", TypeError, ["retry_on", "'ValueError'"]),
        ("retry_on", int, TypeError, ["retry_on", "int"]),
        ("retry_on", [ValueError, 3], TypeError, ["retry_on", "3"]),
        ("retry_on", KeyboardInterrupt, ValueError, ["retry_on", "KeyboardInterrupt"]),
        ("retry_until", 5, TypeError, ["retry_until", "5"]),
        ("retry_until", [bool, "x"], TypeError, ["retry_until", "'x'"]),
        ("before_sleep", 1, TypeError, ["before_sleep", "1"]),
        ("on_giving_up", "log", TypeError, ["on_giving_up", "'log'"]),
        ("sleep", 0.1, TypeError, ["sleep", "0.1"]),
    ],
)
def test_bad_values_name_the_field_and_the_value(
    field: str, value: object, error: type[Exception], words: list[str]
) -> None:
    with pytest.raises(error) as info:
        RetryConfig(**{field: value})
    for word in words:
        assert word in str(info.value)


def test_unknown_field_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="retries"):
        RetryConfig(retries=3)  # type: ignore[call-arg]


def test_callables_that_cannot_take_the_value_are_rejected_up_front() -> None:
    with pytest.raises(TypeError, match=r"retry_on callable .* must accept the exception"):
        RetryConfig(retry_on=lambda: True)
    with pytest.raises(TypeError, match=r"retry_until callable .* requires schema"):
        RetryConfig(retry_until=lambda result, schema: True)


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("linear", RetryAlgorithm.Linear),
        ("LINEAR", RetryAlgorithm.Linear),
        ("Exponential", RetryAlgorithm.Exponential),
        ("exp", RetryAlgorithm.Exponential),
        ("fib", RetryAlgorithm.Fibonacci),
        ("Fi-bo_na cci", RetryAlgorithm.Fibonacci),
        ("constant", RetryAlgorithm.Fixed),
        (RetryAlgorithm.Fixed, RetryAlgorithm.Fixed),
    ],
)
def test_retry_algorithm_is_string_friendly(text: object, member: RetryAlgorithm) -> None:
    assert RetryAlgorithm(text) is member
    assert RetryConfig(retry_algorithm=text).retry_algorithm is member  # type: ignore[arg-type]


def test_unknown_algorithm_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="linear, exponential, fibonacci, fixed"):
        RetryAlgorithm("bogus")


def test_immutable_and_replace_validates() -> None:
    c = RetryConfig(num_retries=2)
    with pytest.raises(AttributeError, match="immutable"):
        c.num_retries = 5  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del c.retry_wait
    d = c.replace(retry_wait=0.25, retry_algorithm="linear")
    assert (d.num_retries, d.retry_wait, d.retry_algorithm) == (2, 0.25, RetryAlgorithm.Linear)
    assert c.retry_wait == 1.0
    with pytest.raises(ValueError, match="num_retries must be >= 0, got -3"):
        c.replace(num_retries=-3)


def test_equality_hash_and_normalised_retry_on() -> None:
    a = RetryConfig(num_retries=1, retry_on=[ValueError, KeyError])
    b = RetryConfig(num_retries=1, retry_on=(ValueError, KeyError))
    assert a == b and hash(a) == hash(b)
    assert a != a.replace(num_retries=2)
    assert RetryConfig(retry_on=ValueError).retry_on == (ValueError,)
    assert RetryConfig(retry_on=[]).retry_on == ()


def _is_even(result: int, **ctx: object) -> bool:
    return result % 2 == 0


def test_pickle_round_trip_keeps_every_field() -> None:
    c = RetryConfig(
        num_retries=4,
        retry_on=[OSError, KeyError],
        retry_algorithm="fibonacci",
        retry_wait=0.5,
        retry_jitter=0.0,
        retry_until=_is_even,
        retry_max_wait=3.0,
    )
    back = pickle.loads(pickle.dumps(c))
    assert back == c
    assert back.to_dict() == c.to_dict()
    assert repr(back) == repr(c)


def test_repr_is_readable() -> None:
    text = repr(RetryConfig(num_retries=3, retry_on=[ValueError]))
    assert text.startswith("RetryConfig(num_retries=3, retry_on=[ValueError]")
    assert "RetryAlgorithm.Exponential" in text


def test_compute_wait_does_not_accept_retry_zero() -> None:
    with pytest.raises(ValueError, match="retry number must be >= 1, got 0"):
        RetryConfig().compute_wait(0)
