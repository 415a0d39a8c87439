from __future__ import annotations

import logging

import pytest

from concurry_retry import RetryConfig, RetryInfo, RetryValidationError, execute_with_retry, retry


def test_before_sleep_gets_attempt_wait_and_exception(flaky: type) -> None:
    infos: list[RetryInfo] = []
    errors = [OSError("a"), OSError("b")]
    config = RetryConfig(
        num_retries=3,
        retry_wait=0.5,
        retry_jitter=0,
        before_sleep=infos.append,
        sleep=lambda s: None,
    )
    execute_with_retry(flaky(*errors), (1,), None, config, method_name="op")
    assert [i.attempt for i in infos] == [1, 2]
    assert [i.wait for i in infos] == [0.5, 1.0]
    assert [i.exception for i in infos] == errors
    assert all(i.max_attempts == 4 and i.method_name == "op" and i.args == (1,) for i in infos)
    assert infos[0].result is None and infos[0].validation_errors == []
    assert "OSError: a" in infos[0].outcome and "attempt=1/4" in repr(infos[0])


def test_before_sleep_for_failed_validation() -> None:
    infos: list[RetryInfo] = []

    @retry(num_retries=1, retry_wait=0, retry_until=lambda r: r > 1, before_sleep=infos.append)
    def f() -> int:
        return 1

    with pytest.raises(RetryValidationError):
        f()
    assert len(infos) == 1
    assert infos[0].exception is None and infos[0].result == 1
    assert "returned False" in infos[0].validation_errors[0]
    assert "failed validation" in infos[0].outcome


def test_on_giving_up_once_when_exhausted(flaky: type) -> None:
    gave_up: list[RetryInfo] = []
    config = RetryConfig(num_retries=2, retry_wait=0, on_giving_up=gave_up.append)
    last = OSError("last")
    with pytest.raises(OSError):
        execute_with_retry(flaky(OSError(), OSError(), last), config=config)
    assert len(gave_up) == 1
    assert gave_up[0].attempt == 3 and gave_up[0].exception is last and gave_up[0].wait == 0.0


def test_on_giving_up_not_called_on_success_or_unretryable(flaky: type) -> None:
    gave_up: list[RetryInfo] = []
    config = RetryConfig(num_retries=2, retry_wait=0, retry_on=OSError, on_giving_up=gave_up.append)
    execute_with_retry(flaky(OSError()), config=config)
    with pytest.raises(KeyError):
        execute_with_retry(flaky(KeyError()), config=config)
    assert gave_up == []


def test_hook_errors_propagate(flaky: type) -> None:
    def broken(info: RetryInfo) -> None:
        raise RuntimeError("hook bug")

    config = RetryConfig(num_retries=2, retry_wait=0, before_sleep=broken)
    with pytest.raises(RuntimeError, match="hook bug"):
        execute_with_retry(flaky(OSError()), config=config)


def test_default_logger(flaky: type, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="concurry_retry")
    config = RetryConfig(num_retries=1, retry_wait=0)
    with pytest.raises(OSError):
        execute_with_retry(flaky(OSError("x"), OSError("y")), config=config, method_name="load")
    records = [r for r in caplog.records if r.name == "concurry_retry"]
    assert [r.levelno for r in records] == [logging.DEBUG, logging.WARNING]
    assert "retrying load" in records[0].getMessage()
    assert "giving up on load after 2 attempts" in records[1].getMessage()
    assert "OSError: y" in records[1].getMessage()
