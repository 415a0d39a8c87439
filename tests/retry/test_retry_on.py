from __future__ import annotations

import asyncio

import pytest

from concurry_retry import RetryConfig, execute_with_retry


def _run(fn: object, **fields: object) -> object:
    return execute_with_retry(fn, config=RetryConfig(num_retries=3, retry_wait=0, **fields))  # type: ignore[arg-type]


def test_default_retries_any_exception(flaky: type) -> None:
    fn = flaky(ValueError(), KeyError(), OSError())
    assert _run(fn) == "ok" and fn.calls == 4


def test_single_type(flaky: type) -> None:
    fn = flaky(ValueError(), ValueError())
    assert _run(fn, retry_on=ValueError) == "ok"
    fn = flaky(KeyError("k"))
    with pytest.raises(KeyError):
        _run(fn, retry_on=ValueError)
    assert fn.calls == 1


@pytest.mark.parametrize("container", [list, tuple])
def test_list_or_tuple_of_types(flaky: type, container: type) -> None:
    entries = container([ValueError, ConnectionError])
    fn = flaky(ValueError(), ConnectionResetError(), ValueError())
    assert _run(fn, retry_on=entries) == "ok" and fn.calls == 4
    fn = flaky(ValueError(), TypeError("no"))
    with pytest.raises(TypeError, match="no"):
        _run(fn, retry_on=entries)
    assert fn.calls == 2


def test_predicate(flaky: type) -> None:
    def transient(exception: BaseException, **ctx: object) -> bool:
        return "transient" in str(exception)

    fn = flaky(RuntimeError("transient 1"), RuntimeError("transient 2"))
    assert _run(fn, retry_on=transient) == "ok"
    fn = flaky(RuntimeError("transient"), RuntimeError("fatal"))
    with pytest.raises(RuntimeError, match="fatal"):
        _run(fn, retry_on=transient)
    assert fn.calls == 2


def test_documented_lambda_form(flaky: type) -> None:
    fn = flaky(ValueError("retry me"))
    pred = lambda exception, **ctx: isinstance(exception, ValueError) and "retry" in str(exception)  # noqa: E731
    assert _run(fn, retry_on=pred) == "ok"


def test_narrow_predicates_work(flaky: type) -> None:
    fn = flaky(ValueError("a"), ValueError("b"))
    seen: list[tuple[str, int]] = []
    assert _run(fn, retry_on=lambda e, attempt: seen.append((str(e), attempt)) or True) == "ok"
    assert seen == [("a", 1), ("b", 2)]


def test_mixed_types_and_predicates_any_match_retries(flaky: type) -> None:
    entries = [KeyError, lambda exception, **ctx: isinstance(exception, OSError)]
    fn = flaky(KeyError(), OSError(), KeyError())
    assert _run(fn, retry_on=entries) == "ok" and fn.calls == 4
    fn = flaky(KeyError(), ValueError("stop"))
    with pytest.raises(ValueError, match="stop"):
        _run(fn, retry_on=entries)


def test_raising_predicate_means_do_not_retry(flaky: type) -> None:
    def broken(exception: BaseException, **ctx: object) -> bool:
        raise ZeroDivisionError("filter bug")

    original = OSError("the real error")
    fn = flaky(original)
    with pytest.raises(OSError) as info:
        _run(fn, retry_on=broken)
    assert info.value is original
    assert fn.calls == 1
    assert any("filter bug" in note and "broken" in note for note in info.value.__notes__)


def test_falsy_predicate_does_not_retry(flaky: type) -> None:
    fn = flaky(OSError("x"))
    with pytest.raises(OSError):
        _run(fn, retry_on=lambda exception, **ctx: 0)
    assert fn.calls == 1


def test_empty_retry_on_retries_nothing(flaky: type) -> None:
    fn = flaky(OSError("x"))
    with pytest.raises(OSError):
        _run(fn, retry_on=[])
    assert fn.calls == 1


@pytest.mark.parametrize(
    "exc", [KeyboardInterrupt(), SystemExit(3), GeneratorExit(), asyncio.CancelledError()]
)
def test_base_exceptions_are_never_retried(flaky: type, exc: BaseException) -> None:
    fn = flaky(exc)
    with pytest.raises(type(exc)):
        _run(fn, retry_on=[BaseException, lambda exception, **ctx: True])
    assert fn.calls == 1


def test_exhausted_reraises_the_original_last_exception(flaky: type) -> None:
    errors = [ValueError(i) for i in range(4)]
    fn = flaky(*errors)
    with pytest.raises(ValueError) as info:
        _run(fn)
    assert info.value is errors[-1]
    assert fn.calls == 4
    assert any("gave up" in n and "4 attempts" in n for n in info.value.__notes__)
