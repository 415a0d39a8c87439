"""The Redis server the limits tests use (the ``redis_url`` fixture of tests/conftest.py:
a server this test session starts, or ``CONCURRY_TEST_REDIS_URL``), and a backend
that cleans up its keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from concurry_limits import RedisBackend


def fresh_backend(url: str, name: str) -> Iterator[RedisBackend]:
    """A backend on ``url`` under a prefix of its own; its keys are deleted afterwards
    (fixture body)."""
    import redis

    prefix = f"{name}-{uuid.uuid4().hex[:12]}"
    yield RedisBackend(url, prefix=prefix)
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


#: Every backend of concurry-limits that runs without Ray.
BACKENDS = ["inprocess", "multiprocess", "redis"]


def each_backend(request: pytest.FixtureRequest, name: str) -> Iterator[object]:
    """Body of a fixture parametrised over `BACKENDS`: the name, or a fresh RedisBackend.

    The Redis case starts the session's Redis server on first use, and skips
    only when redis-server is not installed (the reason says so).
    """
    if request.param != "redis":
        yield request.param
        return
    yield from fresh_backend(request.getfixturevalue("redis_url"), name)
