"""Many HTTP calls from a pool of workers under one shared rate limit.

The script starts its own HTTP server on 127.0.0.1 (a free port, standard
library ``http.server`` on a thread) that notes the arrival time of every
request. Then:

1. a pool of 8 thread workers makes 200 GETs with ``urllib``, all sharing one
   ``LimitSet`` of 50 requests per second, with a progress bar;
2. one asyncio worker makes 100 GETs concurrently on its event loop
   (``async def`` methods, ``async_acquire``), under the same kind of limit.

Each part checks, from the server's own timestamps, that every request
arrived and that the rate held (with a generous margin for a busy machine):
the default algorithm is a token bucket, so the first 50 go at once (the
bucket starts full) and the rest follow at 50 per second.

Run: ``uv run --no-sync python examples/http_rate_limited.py`` (about 6 s).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from concurry import CallLimit, LimitSet, Worker, gather

RATE = 50  # requests per second, shared by every worker of a pool


class RecordingServer(ThreadingHTTPServer):
    """A local HTTP server that answers ``GET /<n>`` and notes when each request came."""

    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 drops bursts of connections

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)  # port 0: the OS picks a free one
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(5)

    def take_arrivals(self) -> list[float]:
        with self.lock:
            arrivals, self.arrivals = sorted(self.arrivals), []
        return arrivals


class _Handler(BaseHTTPRequestHandler):
    server: RecordingServer

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.arrivals.append(time.monotonic())
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep the example's output readable
        pass


class Fetcher(Worker):
    """An HTTP client; every worker of the pool draws on the pool's one ``LimitSet``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def get(self, path: str) -> dict:
        with (
            self.limits.acquire(timeout=60),  # one call from the shared budget
            urllib.request.urlopen(self.base_url + path, timeout=30) as response,
        ):
            return json.loads(response.read())


class AsyncFetcher(Worker):
    """The same client written with ``async def``: its calls overlap on one event loop."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def get(self, path: str) -> dict:
        async with self.limits.async_acquire(timeout=60):
            reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                writer.write(f"GET {path} HTTP/1.0\r\nHost: {self.host}\r\n\r\n".encode())
                await writer.drain()
                raw = await reader.read()
            finally:
                writer.close()
                await writer.wait_closed()
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200"), head[:80]
        return json.loads(body)


def check_rate(label: str, arrivals: list[float], n: int, elapsed: float) -> None:
    """Print when the requests came and assert that the limit held."""
    assert len(arrivals) == n, (label, len(arrivals), n)
    start = arrivals[0]
    per_second = Counter(int(t - start) for t in arrivals)
    print(f"{label}: {n} requests in {elapsed:.2f} s; arrivals per second at the server:")
    for second in sorted(per_second):
        print(
            f"  {second}-{second + 1} s: {per_second[second]:>3} {'#' * (per_second[second] // 2)}"
        )
    # a token bucket of RATE lets RATE through at once, then one every 1/RATE s:
    # the requests beyond the first RATE cannot all arrive in less than (n - RATE) / RATE s
    span = arrivals[-1] - start
    least = (n - RATE) / RATE
    # and no 1 s interval sees more than the burst plus one second's refill (2 x RATE);
    # the margins are for a busy machine, where arrivals lag their grants unevenly
    busiest = max(
        sum(1 for t in arrivals[i:] if t < arrivals[i] + 1.0) for i in range(len(arrivals))
    )
    print(
        f"  busiest 1 s interval: {busiest} (bound {2 * RATE}); "
        f"beyond the burst: {(n - RATE) / span:.1f} requests/s (limit {RATE})"
    )
    assert span >= 0.9 * least, f"{label}: {n} requests arrived within {span:.2f} s < {least} s"
    assert busiest <= 2.2 * RATE, f"{label}: {busiest} requests arrived within 1 s"


def threads_part(server: RecordingServer) -> None:
    n = 200
    limits = LimitSet([CallLimit(window=1, capacity=RATE)])
    pool = Fetcher.options(mode="thread", max_workers=8, limits=limits).init(server.url)
    try:
        started = time.monotonic()
        futures = [pool.get(f"/{i}") for i in range(n)]
        replies = gather(futures, progress={"desc": "GET (8 threads)", "unit": "req"}, timeout=60)
        elapsed = time.monotonic() - started
    finally:
        pool.stop()
    assert replies == [{"path": f"/{i}"} for i in range(n)], "a reply is missing or wrong"
    check_rate("8 thread workers", server.take_arrivals(), n, elapsed)


def asyncio_part(server: RecordingServer) -> None:
    n = 100
    limits = LimitSet([CallLimit(window=1, capacity=RATE)])
    host, port = server.server_address[:2]
    with AsyncFetcher.options(mode="asyncio", limits=limits).init(host, port) as fetcher:
        started = time.monotonic()
        futures = [fetcher.get(f"/async/{i}") for i in range(n)]
        replies = gather(futures, progress={"desc": "GET (asyncio)", "unit": "req"}, timeout=60)
        elapsed = time.monotonic() - started
    assert replies == [{"path": f"/async/{i}"} for i in range(n)], "a reply is missing or wrong"
    check_rate("1 asyncio worker", server.take_arrivals(), n, elapsed)


def main() -> None:
    with RecordingServer() as server:
        print(f"test server on {server.url}, shared limit {RATE} requests/s")
        threads_part(server)
        asyncio_part(server)
    print("every response arrived and the rate held")


if __name__ == "__main__":
    main()
