"""concurry-limits against peer rate limiters of the same algorithm, measured in the same run.

Like against like, every side limited to the same never-binding rate
(``RATE`` per second), measured alternately (best of several rounds each):

- synchronous, in-process: ``with ls.acquire(): pass`` against the faster of
  the synchronous peers that implement the same algorithm: pyrate-limiter
  (``TokenBucket``/``GCRA`` on a ``StateBucket``, ``SlidingWindowLog``/
  ``FixedWindow`` on an ``InMemoryBucket``) and ``limits`` (``MovingWindow``,
  ``FixedWindow`` on ``MemoryStorage``), each called with its non-blocking
  ``try_acquire``/``hit``. No peer has a leaky bucket in meter form; ours is
  compared with pyrate-limiter's GCRA, the same algorithm in its
  virtual-scheduling form.
- asynchronous: ``async with ls.async_acquire()`` on a leaky bucket against
  ``aiolimiter.AsyncLimiter`` (a leaky bucket) with the same rate.
- Redis: our ``RedisBackend`` against the same peers' Redis limiters of the
  same algorithm (pyrate-limiter's ``RedisStateStore`` and ``RedisBucket``,
  ``limits``' ``RedisStorage``), on a redis-server this module starts on a
  free loopback port and stops at the end (rows skipped, with the reason
  printed, when ``redis-server`` is not installed).
- ours against ours: the multiprocess backend against in-process, throughput
  of 4 processes sharing one set, the rate achieved under contention, and the
  import time.

Run: ``uv run --no-sync python benchmarks/run.py [--quick] limits``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from _harness import Row, per_call
from concurry_limits import CallLimit, LimitSet, RateLimit

ALGOS = ["token_bucket", "gcra", "leaky_bucket", "sliding_window", "fixed_window"]
RATE = 1_000_000  # per second, on every side: never binds at these call rates
HUGE = 1e12  # a limit that never binds (rows comparing ours with ours)
TEXT = {
    "token_bucket": "token bucket",
    "gcra": "GCRA",
    "leaky_bucket": "leaky bucket",
    "sliding_window": "sliding window (log)",
    "fixed_window": "fixed window",
}

# A peer: its label (naming its algorithm) and one non-blocking acquire.
Peer = tuple[str, Callable[[], Any]]


def _pyrate_peers(
    redis_client: Any = None, key: str = ""
) -> tuple[dict[str, list[Peer]], list[Any]]:
    """pyrate-limiter's limiters per algorithm (in memory, or on Redis with a client)."""
    from pyrate_limiter import (
        GCRA,
        Duration,
        FixedWindow,
        InMemoryBucket,
        Limiter,
        Rate,
        RedisBucket,
        RedisStateStore,
        SlidingWindowLog,
        StateBucket,
        TokenBucket,
    )

    rate = Rate(RATE, Duration.SECOND)

    def state(algo: Any, name: str) -> Any:
        store = RedisStateStore(redis_client, f"{key}-{name}") if redis_client else None
        return StateBucket([rate], algo, store)

    def log(algo: Any, name: str) -> Any:
        if redis_client:
            return RedisBucket.init([rate], redis_client, f"{key}-{name}", algorithm=algo)
        return InMemoryBucket([rate], algo)

    where = "RedisStateStore" if redis_client else "StateBucket"
    where_log = "RedisBucket" if redis_client else "InMemoryBucket"
    limiters = {
        "token_bucket": ("TokenBucket", where, Limiter(state(TokenBucket(), "tb"))),
        "gcra": ("GCRA", where, Limiter(state(GCRA(), "gcra"))),
        "sliding_window": (
            "SlidingWindowLog",
            where_log,
            Limiter(log(SlidingWindowLog(), "sw")),
        ),
        "fixed_window": ("FixedWindow", where_log, Limiter(log(FixedWindow(), "fw"))),
    }
    peers: dict[str, list[Peer]] = {}
    for algo, (name, bucket, lim) in limiters.items():
        call = lambda lim=lim: lim.try_acquire("x", blocking=False)  # noqa: E731
        peers[algo] = [(f"pyrate-limiter {name} ({bucket})", call)]
    # the leaky bucket (meter) has no peer of its own; GCRA is the same algorithm
    peers["leaky_bucket"] = [
        (f"{label}, the leaky bucket in virtual-scheduling form", call)
        for label, call in peers["gcra"]
    ]
    return peers, [lim for _, _, lim in limiters.values()]


def _limits_peers(url: str | None = None, key: str = "") -> dict[str, list[Peer]]:
    """``limits``' moving and fixed windows (in memory, or on Redis with a URL)."""
    from limits import RateLimitItemPerSecond, storage, strategies

    item = RateLimitItemPerSecond(RATE)
    where = "RedisStorage" if url else "MemoryStorage"
    peers: dict[str, list[Peer]] = {}
    for algo, cls in (
        ("sliding_window", strategies.MovingWindowRateLimiter),
        ("fixed_window", strategies.FixedWindowRateLimiter),
    ):
        store = storage.RedisStorage(url) if url else storage.MemoryStorage()
        lim = cls(store)
        label = f"limits {cls.__name__.removesuffix('RateLimiter')} ({where})"
        peers[algo] = [(label, lambda lim=lim, k=f"{key}-{algo}": lim.hit(item, k))]
    return peers


def _merge(*groups: dict[str, list[Peer]]) -> dict[str, list[Peer]]:
    out: dict[str, list[Peer]] = {}
    for group in groups:
        for algo, peers in group.items():
            out.setdefault(algo, []).extend(peers)
    return out


def _check_granted(label: str, call: Callable[[], Any]) -> None:
    """A peer that refuses would be timed doing less work: refuse to benchmark it."""
    for _ in range(3):
        if call() is False:
            raise RuntimeError(f"peer {label} refused an acquire under a never-binding rate")


def _versus_peers(
    where: str,
    make_ours: Callable[[str], LimitSet],
    peers: dict[str, list[Peer]],
    n: int,
    rounds: int,
) -> list[Row]:
    """One row per algorithm: ours against the faster of that algorithm's peers."""
    rows = []
    for algo in ALGOS:
        ours_set = make_ours(algo)

        def ours(ls: LimitSet = ours_set) -> None:
            with ls.acquire():
                pass

        fns: dict[str, Callable[[], float]] = {"ours": lambda f=ours: per_call(f, n, repeat=1)}
        for label, call in peers[algo]:
            _check_granted(label, call)
            fns[label] = lambda c=call: per_call(c, n, repeat=1)
        best = _interleaved(fns, rounds)
        mine = best.pop("ours")
        for label, secs in sorted(best.items(), key=lambda kv: kv[1]):
            print(f"  {where} {algo:<15} ours {mine * 1e6:9.2f} us   {label}: {secs * 1e6:9.2f} us")
        fastest = min(best, key=best.__getitem__)
        others = [label for label in best if label != fastest]
        rows.append(
            Row(
                f"sync acquire+release, {where}: {TEXT[algo]}",
                mine,
                best[fastest],
                fastest + (f"; faster than {', '.join(others)}" if others else ""),
                "seconds",
                at_least=1.0,
            )
        )
        ours_set.close()
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _NoRedis(Exception):
    """No redis-server could be started here (the reason is the message)."""


@contextlib.contextmanager
def _redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port, stopped on exit; yields its URL.

    Raises:
        _NoRedis: ``redis-server`` is not installed, or did not answer.
    """
    import redis

    exe = shutil.which("redis-server")
    if exe is None:
        raise _NoRedis("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"redis://127.0.0.1:{port}/0"
            client = redis.Redis.from_url(url, socket_connect_timeout=1)
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise _NoRedis(
                            f"redis-server on port {port} did not answer (exit code {proc.poll()})"
                        ) from None
                    time.sleep(0.05)  # polling a child's readiness, nothing to wait on
            client.close()
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _redis_rows(quick: bool) -> list[Row]:
    m, rounds = (20, 2) if quick else (500, 5)
    try:
        with _redis_server() as url:
            return _redis_versus(url, m, rounds)
    except _NoRedis as exc:
        print(f"  redis rows skipped: {exc}")
        return []


def _redis_versus(url: str, m: int, rounds: int) -> list[Row]:
    import redis

    from concurry_limits import RedisBackend

    client = redis.Redis.from_url(url)
    pyrate, closers = _pyrate_peers(client, "pyrate")
    try:
        return _versus_peers(
            "Redis",
            lambda algo: LimitSet(
                [CallLimit(1, RATE, algo)], backend=RedisBackend(url, prefix=f"ours-{algo}")
            ),
            _merge(pyrate, _limits_peers(url, "limits")),
            m,
            rounds,
        )
    finally:
        for lim in closers:
            lim.close()
        client.close()


def _interleaved(fns: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Best of ``rounds`` for each measurement, taken in alternation.

    The machine is shared: alternating keeps a burst of load from favouring
    whichever side happened to run in a quiet moment.
    """
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            best[name] = min(best[name], fn())
    return best


def _async_per_call(make: Callable[[], Any], n: int, repeat: int = 5) -> float:
    async def loop() -> float:
        lim = make()
        t0 = time.perf_counter()
        for _ in range(n):
            async with lim:
                pass
        return time.perf_counter() - t0

    return min(asyncio.run(loop()) for _ in range(repeat)) / n


def _ours_async_per_call(ls: LimitSet, n: int, repeat: int = 5) -> float:
    async def loop() -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            async with ls.async_acquire():
                pass
        return time.perf_counter() - t0

    return min(asyncio.run(loop()) for _ in range(repeat)) / n


def _ours(ls: LimitSet, n: int, repeat: int = 5) -> float:
    def once() -> None:
        with ls.acquire():
            pass

    return per_call(once, n, repeat)


def _hammer_threads(ls: LimitSet, threads: int, seconds: float) -> float:
    """Steady-state grants per second achieved by ``threads`` threads."""
    stamps: list[float] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def run() -> None:
        while time.monotonic() < end:
            try:
                acq = ls.acquire({"t": 1}, timeout=max(0.0, end - time.monotonic()))
            except TimeoutError:
                return
            now = time.monotonic()
            acq.update({"t": 1})
            acq.release()
            with lock:
                stamps.append(now)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    stamps.sort()
    lo = stamps[0] + 0.5
    steady = [t for t in stamps if lo <= t < end]
    return len(steady) / (end - lo)


def _proc_rate(ls: LimitSet, seconds: float, q: Any) -> None:
    end = time.monotonic() + seconds
    out = []
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        try:
            acq = ls.acquire({"t": 1}, timeout=left)
        except TimeoutError:
            break
        out.append(time.monotonic())
        acq.update({"t": 1})
        acq.release()
    q.put(out)


def _proc_throughput(ls: LimitSet, n: int, barrier: Any, q: Any) -> None:
    barrier.wait()
    t0 = time.monotonic()
    for _ in range(n):
        with ls.acquire():
            pass
    q.put((t0, time.monotonic()))


def _processes(target: Callable[..., None], args: tuple[Any, ...], k: int) -> list[Any]:
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    q = ctx.Queue()
    extra: tuple[Any, ...] = (ctx.Barrier(k),) if target is _proc_throughput else ()
    procs = [ctx.Process(target=target, args=(*args, *extra, q)) for _ in range(k)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    return results


def _import_seconds(runs: int) -> float:
    """Best of ``runs`` fresh interpreters, with bytecode cached as in any installed venv."""
    import tempfile

    code = "import time; t = time.perf_counter(); import concurry_limits; print(time.perf_counter() - t)"
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        runs = [
            float(
                subprocess.run(
                    [sys.executable, "-c", code], capture_output=True, text=True, env=env
                ).stdout
            )
            for _ in range(runs + 1)
        ]
    return min(runs[1:])


def run(quick: bool) -> list[Row]:
    """Rows for ``benchmarks/run.py``."""
    n = 500 if quick else 10_000
    rounds = 3 if quick else 40  # many short alternating samples: the machine is shared
    pyrate, closers = _pyrate_peers()
    try:
        rows = _versus_peers(
            "in-process",
            lambda algo: LimitSet([CallLimit(1, RATE, algo)]),
            _merge(pyrate, _limits_peers()),
            n,
            rounds,
        )
    finally:
        for lim in closers:
            lim.close()
    rows.append(_async_row(n, rounds))
    rows += _redis_rows(quick)
    rows += _ours_rows(quick, n)
    return rows


def _async_row(n: int, rounds: int) -> Row:
    from aiolimiter import AsyncLimiter

    best = _interleaved(
        {
            "ours": lambda: _ours_async_per_call(
                LimitSet([CallLimit(1, RATE, "leaky_bucket")]), n, repeat=1
            ),
            "aiolimiter": lambda: _async_per_call(lambda: AsyncLimiter(RATE, 1), n, repeat=1),
        },
        rounds,
    )
    return Row(
        "async acquire+release (async with), in-process: leaky bucket",
        best["ours"],
        best["aiolimiter"],
        "aiolimiter.AsyncLimiter (leaky bucket), same rate",
        "seconds",
        at_least=1.0,
    )


def _ours_rows(quick: bool, n: int) -> list[Row]:
    """Ours against ours: the multiprocess backend, contention, accuracy, import time."""
    rows: list[Row] = []
    inproc = {}
    for algo in ALGOS:
        local = LimitSet([CallLimit(1, HUGE, algo)])
        mp_set = LimitSet([CallLimit(1, HUGE, algo)], shared=True, mode="process")
        best = _interleaved(
            {
                "mp": lambda s=mp_set: _ours(s, n // 2, repeat=1),
                "local": lambda s=local: _ours(s, n // 2, repeat=1),
            },
            3 if quick else 10,
        )
        mine, base = best["mp"], best["local"]
        inproc[algo] = base
        rows.append(
            Row(
                f"sync acquire+release, multiprocess backend (1 thread): {TEXT[algo]}",
                mine,
                base,
                f"ours in-process, {TEXT[algo]}",
                "seconds",
                note="the cost of sharing the state between processes",
            )
        )
        mp_set.close()
        local.close()

    ls = LimitSet([RateLimit("t", 1, HUGE)])

    def with_update() -> None:
        with ls.acquire({"t": 1}) as acq:
            acq.update({"t": 1})

    calls = LimitSet([CallLimit(1, HUGE)])

    def call_limit() -> None:
        with calls.acquire():
            pass

    best = _interleaved(
        {
            "update": lambda: per_call(with_update, n, repeat=1),
            "call": lambda: per_call(call_limit, n, repeat=1),
        },
        3 if quick else 10,
    )
    rows.append(
        Row(
            "sync acquire+update+release, in-process: token bucket RateLimit",
            best["update"],
            best["call"],
            "ours, acquire+release of a token bucket CallLimit (no update)",
            "seconds",
            note="what reporting usage costs",
        )
    )

    k, m = 4, (2_000 if quick else 100_000)
    mp_set = LimitSet([CallLimit(1, HUGE)], shared=True, mode="process")
    spans = _processes(_proc_throughput, (mp_set, m), k)
    throughput = k * m / (max(b for _, b in spans) - min(a for a, _ in spans))
    mp_set.close()
    local = LimitSet([CallLimit(1, HUGE)])
    thread_spans: list[tuple[float, float]] = []
    barrier = threading.Barrier(k)

    def in_thread() -> None:
        barrier.wait()
        t0 = time.monotonic()
        for _ in range(m):
            with local.acquire():
                pass
        thread_spans.append((t0, time.monotonic()))

    pool = [threading.Thread(target=in_thread) for _ in range(k)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    threads_rate = k * m / (max(b for _, b in thread_spans) - min(a for a, _ in thread_spans))
    for rate, baseline in (
        (threads_rate, "ours in-process, 4 threads"),
        (1.0 / inproc["token_bucket"], "ours in-process, 1 thread"),
    ):
        rows.append(
            Row(
                "throughput, 4 processes on one shared set: token bucket",
                throughput,
                rate,
                baseline,
                "per_second",
                at_least=0.2,
                note="within 5x of in-process",
            )
        )

    seconds = 1.5 if quick else 3.0
    for algo in ("token_bucket", "sliding_window"):
        rate = _hammer_threads(LimitSet([RateLimit("t", 0.1, 5, algo)]), 8, seconds)
        rows.append(
            Row(
                f"rate achieved by 8 threads on a 50/s {TEXT[algo]}",
                rate,
                50.0,
                "the limit, 50/s",
                "per_second",
                at_least=0.9,
                at_most=1.05,
            )
        )
    shared = LimitSet([RateLimit("t", 0.1, 5)], shared=True, mode="process")
    stamps = sorted(t for part in _processes(_proc_rate, (shared, seconds), 4) for t in part)
    lo, hi = stamps[0] + 0.5, stamps[-1]
    rows.append(
        Row(
            "rate achieved by 4 processes on a 50/s token bucket",
            len([t for t in stamps if lo <= t <= hi]) / (hi - lo),
            50.0,
            "the limit, 50/s",
            "per_second",
            at_least=0.9,
            at_most=1.05,
        )
    )
    shared.close()

    rows.append(
        Row(
            "import concurry_limits, fresh interpreter",
            _import_seconds(2 if quick else 7),
            0.030,
            "30 ms",
            "seconds",
            at_least=1.0,
        )
    )
    return rows
