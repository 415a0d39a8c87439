"""Redis backend: limits shared by many processes on many machines.

Needs the optional extra ``concurry-limits[redis]`` (the ``redis`` client,
imported on first use). Each limit's state is one Redis string. An attempt
runs the same Python algorithm as every other backend on the states and
commits with a small Lua compare-and-set script that writes only if no other
client changed those states meanwhile. The client remembers the states it last
saw and the offset of the server clock (``TIME``), so an uncontended acquire is
a single round trip; on a conflict the script hands back the current states and
the client retries; a refusal is always re-checked on freshly read states. Time
is the server's clock, so machines with skewed clocks agree.

Rate-limit states expire after about twice their window of inactivity (an idle
state is equivalent to a fresh one); resource counts never expire. A client
that dies while holding a ResourceLimit leaves its units held.

Waiting sleeps until the earliest time the algorithms allow (at most 100 ms at
a time, so refunds made elsewhere are noticed); waits on a resource back off
from 5 ms to 100 ms. From ``async_acquire`` and ``async with``, every round trip
runs in the loop's default executor, so the event loop never waits on the
network; a cancelled acquire whose attempt was granted in flight gives it back.
"""

from __future__ import annotations

import math
import threading
import time

from concurry_limits._algorithms import _sliding_window, algorithm_of, initial_state, settle_of
from concurry_limits._backends._base import Backend, Entries, Store, attempt
from concurry_limits._errors import LimitBackendError
from concurry_limits._limits import Limit, RateLimit

__all__ = ["RedisBackend", "RedisStore"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_CAS_ROUNDS = 10_000  # conflicts tolerated before giving up on one decision

# Compare-and-set: write every state only if each still holds what the client
# based its decision on. Returns {1, sec, usec} on success, else
# {0, sec, usec, current values...} so the client can retry without a read.
_CAS = """
local n = #KEYS
local cur = {}
local same = true
for i = 1, n do
  local v = redis.call('GET', KEYS[i])
  if v == false then v = '' end
  cur[i] = v
  if v ~= ARGV[i] then same = false end
end
local t = redis.call('TIME')
if not same then
  local out = {0, t[1], t[2]}
  for i = 1, n do out[3 + i] = cur[i] end
  return out
end
for i = 1, n do
  local ttl = tonumber(ARGV[2 * n + i])
  if ttl > 0 then
    redis.call('SET', KEYS[i], ARGV[n + i], 'PX', ttl)
  else
    redis.call('SET', KEYS[i], ARGV[n + i])
  end
end
return {1, t[1], t[2]}
"""
_MAX_WAIT = 0.1
_INF = math.inf


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _key_name(prefix: str, limit: Limit) -> str:
    return f"{prefix}:{limit.key}:{limit.params_signature()}"


class RedisStore(Store):
    """States of one LimitSet in Redis; see the module docstring."""

    network = True

    def __init__(
        self, limits: tuple[Limit, ...], url: str, prefix: str, entries: int, client: Any = None
    ) -> None:
        self._limits = limits
        self._url = url
        self._prefix = prefix
        self._entries = entries
        modules = [algorithm_of(limit) for limit in limits]
        self._takes = tuple(m.take for m in modules)
        self._untakes = tuple(m.untake for m in modules)
        self._gives = tuple(settle_of(limit) for limit in limits)
        self._stats = tuple(m.stats for m in modules)
        self._sliding = tuple(m is _sliding_window for m in modules)
        self._keys = tuple(_key_name(prefix, limit) for limit in limits)
        self._ttls = tuple(
            int(limit.window * 2000) + 1000 if isinstance(limit, RateLimit) else 0
            for limit in limits
        )
        self._client = client
        self._script: Any = None
        self._init_lock = threading.Lock()
        self._cache: dict[int, str] = {}  # last state text seen per limit
        self._offset: float | None = None  # server clock minus time.monotonic()

    def _redis(self) -> Any:
        if self._script is None:
            with self._init_lock:  # one client per store, however many threads start at once
                if self._script is None:
                    if self._client is None:
                        try:
                            import redis
                        except ImportError:
                            raise LimitBackendError(
                                "the redis backend needs the redis client: "
                                "pip install concurry-limits[redis]"
                            ) from None
                        self._client = redis.Redis.from_url(self._url)
                    self._script = self._client.register_script(_CAS)
        return self._client

    def _decode(self, i: int, raw: str) -> list[float]:
        if not raw:
            return initial_state(self._limits[i], self._entries)
        values = [float(x) for x in raw.split(",")]
        return _sliding_window.expand(values) if self._sliding[i] else values

    def _encode(self, i: int, state: list[float]) -> str:
        values = _sliding_window.compact(state) if self._sliding[i] else state
        return ",".join(map(repr, values))

    def _read(self, keys: list[str]) -> tuple[list[str], float]:
        try:
            pipe = self._redis().pipeline(transaction=False)
            pipe.mget(keys)
            pipe.time()
            raws, (sec, usec) = pipe.execute()
        except LimitBackendError:
            raise
        except Exception as exc:
            raise LimitBackendError(f"redis is unreachable at {self._url!r}: {exc}") from exc
        return [_text(raw) for raw in raws], self._server_now(sec, usec)

    def _server_now(self, sec: Any, usec: Any) -> float:
        now = int(sec) + int(usec) / 1e6
        self._offset = now - time.monotonic()
        return now

    def _cycle(self, idxs: tuple[int, ...], work: Any, write: bool = True) -> tuple[float, float]:
        """Run ``work(states, now)`` on states ``idxs``; commit them when it returns 0.0.

        The first attempt uses the states this client last saw and the server
        clock estimated locally, so an uncontended acquire is one round trip (the
        compare-and-set); a stale guess costs one more, as the script returns the
        current states on conflict. A refusal is always confirmed on fresh states.
        """
        keys = [self._keys[i] for i in idxs]
        cache = self._cache
        fresh: tuple[list[str], float] | None = None
        if not write or self._offset is None or any(i not in cache for i in idxs):
            fresh = self._read(keys)
        for _ in range(_CAS_ROUNDS):
            if fresh is None:
                raws = [cache[i] for i in idxs]
                now = time.monotonic() + self._offset  # type: ignore[operator]
            else:
                raws, now = fresh
                for i, raw in zip(idxs, raws):
                    cache[i] = raw
            states = {i: self._decode(i, raw) for i, raw in zip(idxs, raws)}
            r = work(states, now)
            if r or not write:
                if fresh is None:
                    fresh = self._read(keys)
                    continue
                return r, now
            new = [self._encode(i, states[i]) for i in idxs]
            ttls = [self._ttls[i] for i in idxs]
            try:
                res = self._script(keys=keys, args=[*raws, *new, *ttls], client=self._client)
            except Exception as exc:
                raise LimitBackendError(f"redis is unreachable at {self._url!r}: {exc}") from exc
            self._server_now(res[1], res[2])
            if res[0] == 1:
                for i, raw in zip(idxs, new):
                    cache[i] = raw
                return 0.0, now
            fresh = ([_text(v) for v in res[3:]], self._server_now(res[1], res[2]))
        raise LimitBackendError(
            f"redis compare-and-set must succeed within {_CAS_ROUNDS} rounds, "
            f"got {_CAS_ROUNDS} conflicts on {keys}; too much contention"
        )

    def _idxs(self, entries: Entries) -> tuple[int, ...]:
        return tuple(dict.fromkeys(i for i, _ in entries))

    def _try(self, entries: Entries) -> tuple[float, float]:
        return self._cycle(
            self._idxs(entries),
            lambda states, now: attempt(self._takes, self._untakes, states, entries, now),
        )

    def try_take(self, entries: Entries) -> float:
        return self._try(entries)[0]

    def _delay(self, r: float, now: float, deadline: float | None, tries: int) -> float | None:
        """How long to wait before the next attempt; ``None`` once the deadline has passed."""
        local = time.monotonic()
        if deadline is not None and local >= deadline:
            return None
        if r == _INF:
            delay = min(_MAX_WAIT, 0.005 * 2 ** min(tries, 5))
        else:
            delay = min(_MAX_WAIT, max(r - now, 0.0))
        return delay if deadline is None else min(delay, deadline - local)

    def take(self, entries: Entries, deadline: float | None) -> bool:
        tries = 0
        while True:
            r, now = self._try(entries)
            if not r:
                return True
            delay = self._delay(r, now, deadline, tries)
            if delay is None:
                return False
            tries += 1
            time.sleep(delay)

    async def async_take(self, entries: Entries, deadline: float | None) -> bool:
        import asyncio

        loop = asyncio.get_running_loop()
        tries = 0
        while True:
            flight = _Flight(self, entries)
            try:
                r, now = await asyncio.shield(loop.run_in_executor(None, flight.run))
            except asyncio.CancelledError:
                flight.abandon()  # a grant made in flight, now or later, is given back
                raise
            if not r:
                return True
            delay = self._delay(r, now, deadline, tries)
            if delay is None:
                return False
            tries += 1
            await asyncio.sleep(delay)

    async def async_give_back(self, items: Entries) -> None:
        import asyncio

        await asyncio.get_running_loop().run_in_executor(None, self.give_back, items)

    def give_back(self, items: Entries) -> None:
        def work(states: dict[int, list[float]], now: float) -> float:
            for i, n in items:
                self._gives[i](states[i], n, now)
            return 0.0

        self._cycle(self._idxs(items), work)

    def stats(self) -> list[dict[str, float]]:
        idxs = tuple(range(len(self._limits)))
        out: list[dict[str, float]] = []

        def work(states: dict[int, list[float]], now: float) -> float:
            out.extend(self._stats[i](states[i], now) for i in idxs)
            return 1.0

        self._cycle(idxs, work, write=False)
        return out

    def keys(self) -> tuple[str, ...]:
        """The Redis keys holding this set's states."""
        return self._keys

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def __reduce__(self) -> tuple[Any, ...]:
        return (RedisStore, (self._limits, self._url, self._prefix, self._entries))


class RedisBackend(Backend):
    """Share limits between machines through a Redis server.

    Two LimitSets (anywhere) with the same ``prefix`` and equal limits share
    state; a limit's Redis key is ``"<prefix>:<key>:<algorithm>:<capacity>/<window>"``
    so differently configured limits never collide.

    Args:
        url: A Redis URL (``redis://host:port/db``).
        prefix: Namespace of the keys.
        client: An existing ``redis.Redis`` client to use instead of ``url``
            (not carried when the LimitSet is pickled).
        sliding_entries: Log slots per SlidingWindow limit (smaller than in
            process to keep each round trip small).
    """

    name = "redis"

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        prefix: str = "concurry",
        client: Any = None,
        sliding_entries: int = 128,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.client = client
        self.sliding_entries = sliding_entries

    def create_store(self, limits: tuple[Limit, ...]) -> RedisStore:
        """Allocate the state of ``limits`` as keys under this backend's prefix on the server."""
        return RedisStore(limits, self.url, self.prefix, self.sliding_entries, self.client)

    def __reduce__(self) -> tuple[Any, ...]:
        return (RedisBackend, (self.url, self.prefix, None, self.sliding_entries))

    def __repr__(self) -> str:
        return f"RedisBackend(url={self.url!r}, prefix={self.prefix!r})"


class _Flight:
    """One attempt run off the event loop, which its awaiter may abandon.

    Whichever comes second, the attempt's end or the abandonment, gives a grant
    back; a lock decides the order, so no grant is lost whatever the timing.
    """

    __slots__ = ("_abandoned", "_entries", "_granted", "_lock", "_store")

    def __init__(self, store: Any, entries: Entries) -> None:
        self._store = store
        self._entries = entries
        self._lock = threading.Lock()
        self._abandoned = False
        self._granted = False

    def run(self) -> tuple[float, float]:
        result = self._store._try(self._entries)
        with self._lock:
            self._granted = not result[0]
            give_back = self._granted and self._abandoned
        if give_back:
            self._store.give_back(self._entries)
        return result

    def abandon(self) -> None:
        with self._lock:
            self._abandoned = True
            give_back = self._granted
        if give_back:
            threading.Thread(
                target=self._store.give_back, args=(self._entries,), daemon=True
            ).start()
