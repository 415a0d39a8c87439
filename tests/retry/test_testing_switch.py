from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

import concurry_retry
from concurry_retry import RetryConfig, execute_with_retry, is_testing, set_testing, testing

TEN_SECONDS = {"num_retries": 4, "retry_wait": 10.0, "retry_jitter": 0.0}


def _ten_second_sequence(flaky: type) -> float:
    """Runs a call whose waits add up to 150 s; returns the time it took."""
    waits: list[float] = []
    fn = flaky(*[OSError() for _ in range(4)])
    t0 = time.monotonic()
    config = RetryConfig(before_sleep=lambda info: waits.append(info.wait), **TEN_SECONDS)
    assert execute_with_retry(fn, config=config) == "ok"
    assert waits == [0.0] * 4
    return time.monotonic() - t0


def test_set_testing(flaky: type) -> None:
    set_testing(True)
    assert is_testing()
    assert _ten_second_sequence(flaky) < 5.0
    set_testing(False)
    assert not is_testing()


def test_set_testing_rejects_non_bool() -> None:
    with pytest.raises(TypeError, match="bool"):
        set_testing("yes")  # type: ignore[arg-type]


def test_context_manager_nests(flaky: type) -> None:
    with testing():
        with testing():
            assert is_testing()
        assert is_testing()
        assert _ten_second_sequence(flaky) < 5.0
    assert not is_testing()


def test_context_manager_restores_after_error() -> None:
    with pytest.raises(RuntimeError), testing():
        raise RuntimeError
    assert not is_testing()


def test_global_switch_outlives_a_block() -> None:
    set_testing(True)
    with testing():
        pass
    assert is_testing()


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_environment_variable(monkeypatch: pytest.MonkeyPatch, flaky: type, value: str) -> None:
    monkeypatch.setenv(concurry_retry._testing.ENV_VAR, value)
    assert is_testing()
    assert _ten_second_sequence(flaky) < 5.0
    monkeypatch.setenv(concurry_retry._testing.ENV_VAR, "0")
    assert not is_testing()


def test_blocks_in_many_threads_are_safe() -> None:
    n = 8
    barrier = threading.Barrier(n, timeout=10)
    errors: list[BaseException] = []

    def body() -> None:
        try:
            for _ in range(200):
                with testing():
                    assert is_testing()
            barrier.wait()
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=body) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert not errors
    assert not is_testing()


def test_custom_sleep_sees_zero_in_testing_mode(flaky: type) -> None:
    waits: list[float] = []
    with testing():
        config = RetryConfig(num_retries=2, retry_wait=5, sleep=waits.append)
        execute_with_retry(flaky(OSError(), OSError()), config=config)
    assert waits == [0.0, 0.0]


def test_environment_variable_reaches_child_processes() -> None:
    code = (
        "import concurry_retry as r\n"
        "calls = []\n"
        "@r.retry(num_retries=3, retry_wait=10.0)\n"
        "def f():\n"
        "    calls.append(1)\n"
        "    if len(calls) < 4: raise OSError\n"
        "    return len(calls)\n"
        "print(f())\n"
    )
    env = {**os.environ, concurry_retry._testing.ENV_VAR: "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "4"
