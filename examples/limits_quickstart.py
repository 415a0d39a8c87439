"""concurry-limits in one screen: a call rate, a token budget and a connection cap.

Run: ``uv run --no-sync python examples/limits_quickstart.py`` (about 2 seconds).
"""

from __future__ import annotations

import threading
import time

from concurry_limits import CallLimit, LimitSet, RateLimit, ResourceLimit, limited

limits = LimitSet(
    [
        CallLimit(per="second", capacity=10),  # 10 calls/s (burst of 10)
        RateLimit("tokens", per="second", capacity=500),  # 500 tokens/s
        ResourceLimit("connections", 3),  # at most 3 at once
    ],
    config={"api_key": "demo"},
)
in_flight = 0
peak = 0
lock = threading.Lock()


def fake_api_call(prompt: str) -> int:
    """Pretend to call an API; report how many tokens it really used."""
    global in_flight, peak
    with limits.acquire(requested={"tokens": 40}, timeout=30) as acq:
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        used = 10 + len(prompt)  # fewer than the 40 requested: the rest is refunded
        time.sleep(0.01)  # the "network"
        with lock:
            in_flight -= 1
        acq.update(usage={"tokens": used})
        return used


@limited(CallLimit(per="second", capacity=5))
def tick(i: int) -> int:
    return i


def main() -> None:
    start = time.monotonic()
    threads = [threading.Thread(target=fake_api_call, args=(f"prompt {i}",)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    print(f"20 calls at 10/s (burst 10) took {elapsed:.2f} s; peak connections {peak}")
    stats = limits.get_stats()
    print(f"tokens available now: {stats['tokens']['available']:.0f} of 500")
    start = time.monotonic()
    print("decorated:", [tick(i) for i in range(7)], f"in {time.monotonic() - start:.2f} s")


if __name__ == "__main__":
    main()
