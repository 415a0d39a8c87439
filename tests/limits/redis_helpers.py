"""The Redis server the limits tests use: its URL, when to skip, and a backend that
cleans up its keys."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from concurry_limits import RedisBackend

URL = os.environ.get("CONCURRY_TEST_REDIS_URL", "redis://127.0.0.1:6390/0")
ROOT = Path(__file__).resolve().parents[2]


def unavailable_reason() -> str | None:
    """Skip only when `make redis` recorded that a server cannot be had here.

    Otherwise an unreachable server (or a missing client) fails the tests loudly
    rather than hiding them.
    """
    marker = ROOT / ".redis" / "unavailable"
    try:
        import redis

        redis.Redis.from_url(URL, socket_connect_timeout=1).ping()
    except Exception:
        if marker.exists():
            return f"redis unavailable at {URL}: {marker.read_text().strip()}"
    return None


def fresh_backend(name: str) -> Iterator[RedisBackend]:
    """A backend under a prefix of its own; its keys are deleted afterwards (fixture body)."""
    import redis

    prefix = f"{name}-{uuid.uuid4().hex[:12]}"
    yield RedisBackend(URL, prefix=prefix)
    client = redis.Redis.from_url(URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


#: Every backend of concurry-limits that runs without Ray.
BACKENDS = ["inprocess", "multiprocess", "redis"]


def each_backend(param: str, name: str) -> Iterator[object]:
    """Body of a fixture parametrised over `BACKENDS`: the name, or a fresh RedisBackend.

    Skips the Redis case only when `unavailable_reason` says so.
    """
    if param != "redis":
        yield param
        return
    import pytest

    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    yield from fresh_backend(name)
