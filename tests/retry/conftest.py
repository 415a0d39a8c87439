"""Fixtures for the concurry-retry tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import concurry_retry


@pytest.fixture(autouse=True)
def _real_waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts with the testing switch off and leaves it off."""
    monkeypatch.delenv(concurry_retry._testing.ENV_VAR, raising=False)
    concurry_retry.set_testing(False)
    yield
    concurry_retry.set_testing(False)
    assert not concurry_retry.is_testing()


class Flaky:
    """A callable that raises the given exceptions in order, then returns ``value``."""

    def __init__(self, *failures: BaseException, value: object = "ok") -> None:
        self.failures = list(failures)
        self.value = value
        self.calls = 0

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.value


@pytest.fixture
def flaky() -> type[Flaky]:
    return Flaky
