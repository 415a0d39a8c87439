"""A tour of concurry-retry: HTTP retries, output validation, the loop form, async, tests.

Run: uv run --no-sync python examples/retry_tour.py
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from concurry_retry import (
    RetryInfo,
    RetryValidationError,
    retry,
    retrying,
    testing,
)


class FlakyHandler(BaseHTTPRequestHandler):
    """Answers 503 to the first two requests, then 200."""

    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        status = 503 if type(self).hits <= 2 else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b'{"ok": true}' if status == 200 else b"busy")

    def log_message(self, *args: object) -> None:  # keep the tour's output clean
        pass


def transient(exception: BaseException, **ctx: object) -> bool:
    """5xx and connection problems are worth another try; 4xx are not."""
    if isinstance(exception, urllib.error.HTTPError):
        return exception.code >= 500
    return isinstance(exception, (urllib.error.URLError, ConnectionError, TimeoutError))


def report(info: RetryInfo) -> None:
    print(
        f"  attempt {info.attempt}/{info.max_attempts} failed ({info.outcome}); "
        f"waiting {info.wait:.3f}s"
    )


@retry(num_retries=4, retry_on=transient, retry_wait=0.05, retry_max_wait=0.2, before_sleep=report)
def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


replies = iter(["Sure! Here is JSON:", '{"answer": ', '{"answer": 4}'])


@retry(
    num_retries=3, retry_wait=0.01, retry_until=lambda result, **ctx: "answer" in json.loads(result)
)
def ask_llm(prompt: str) -> str:
    return next(replies)


async def main_async() -> None:
    calls = 0

    @retry(num_retries=3, retry_wait=0.01, retry_on=TimeoutError)
    async def fetch() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise TimeoutError("slow upstream")
        return "async ok"

    print("async:", await fetch(), f"after {calls} calls")


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        print("1. HTTP call that gets two 503s:")
        print("  ->", get(f"http://127.0.0.1:{server.server_port}/"))
    finally:
        server.shutdown()
        thread.join(5)

    print("2. LLM output validated with retry_until:", ask_llm("2 + 2?"))
    try:
        retry(num_retries=1, retry_wait=0, retry_until=lambda r, **ctx: r > 10)(lambda: 1)()
    except RetryValidationError as err:
        print("   and when it never validates:", err)

    print("3. the loop form:")
    for attempt in retrying(num_retries=3, retry_wait=0.01, retry_on=OSError):
        with attempt:
            print(f"  attempt {attempt.number}")
            if attempt.number < 2:
                raise OSError("disk busy")

    print("4. async:")
    asyncio.run(main_async())

    print("5. testing switch: a 10 s policy retried 5 times, instantly:")
    calls = []

    @retry(num_retries=5, retry_wait=10.0)
    def slow_to_recover() -> str:
        calls.append(1)
        if len(calls) <= 5:
            raise ConnectionError
        return "recovered"

    with testing():
        print("  ->", slow_to_recover(), f"after {len(calls)} calls")


if __name__ == "__main__":
    main()
