"""A pipeline of workers that pass futures to each other: fetch -> parse -> store.

Three stages, each a worker (or a pool) in the mode that suits it:

- ``Fetcher``: I/O-bound, a pool of 4 thread workers (here it serves pages from
  memory after a short pause standing in for the network; see
  ``http_rate_limited.py`` for real HTTP);
- ``Parser``: CPU-bound, a pool of 2 process workers that count words;
- ``Store``: one thread worker that owns the results (no lock needed: its
  calls run one at a time).

The script never waits between stages: ``parser.parse(fetcher.fetch(url))``
hands stage A's future straight to stage B, and concurry resolves it before
B's method runs (futures inside lists and dicts too). A failure travels down
the pipeline: a page that cannot be fetched fails its parse and its store
call with the fetcher's own exception. Everything is gathered at the end and
checked against the same work done sequentially.

Run: ``uv run --no-sync python examples/pipeline.py`` (about 3 s).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter

from concurry import Worker, gather

WORDS = ["actor", "future", "limit", "retry", "worker", "pool", "process", "thread", "ray"]
PAGES = {
    f"https://example.test/page/{i}": " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 400))
    for i in range(40)
}
MISSING = "https://example.test/page/404"


class Fetcher(Worker):
    """Stage A: fetches a page (I/O-bound: threads)."""

    def fetch(self, url: str) -> str:
        time.sleep(0.02)  # the network
        if url not in PAGES:
            raise LookupError(f"404 Not Found: {url}")
        return PAGES[url]


class Parser(Worker):
    """Stage B: turns a page into word counts (CPU-bound: processes)."""

    def parse(self, text: str) -> tuple[Counter[str], int]:
        return Counter(re.findall(r"[a-z]+", text.lower())), os.getpid()


class Store(Worker):
    """Stage C: keeps every page's counts; one worker, so its state needs no lock."""

    def __init__(self) -> None:
        self.pages: dict[str, Counter[str]] = {}

    def put(self, url: str, parsed: tuple[Counter[str], int]) -> int:
        counts, _ = parsed
        self.pages[url] = counts
        return sum(counts.values())

    def merge(self, parsed: list[tuple[Counter[str], int]]) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts, _ in parsed:
            total += counts
        return total

    def size(self) -> int:
        return len(self.pages)


def main() -> None:
    urls = [*PAGES, MISSING]
    fetcher = Fetcher.options(mode="thread", max_workers=4).init()
    parser = Parser.options(mode="process", max_workers=2).init()
    store = Store.options(mode="thread").init()
    try:
        started = time.monotonic()
        parsed = {url: parser.parse(fetcher.fetch(url)) for url in urls}  # A's future into B
        stored = {url: store.put(url, parsed[url]) for url in urls}  # B's future into C
        # a list of futures as one argument: resolved element by element before merge runs
        merged = store.merge([parsed[url] for url in PAGES])
        print(f"{3 * len(urls) + 1} calls made in {time.monotonic() - started:.3f} s, none waited")

        outcomes = gather(stored, return_exceptions=True, progress={"desc": "pages"}, timeout=60)
        total = merged.result(timeout=60)
        kept = store.size().result(timeout=60)
        parsers = {pid for _, pid in gather([parsed[url] for url in PAGES], timeout=60)}
        print(f"pipeline done in {time.monotonic() - started:.2f} s")
    finally:
        for worker in (fetcher, parser, store):
            worker.stop()

    failed = {url: o for url, o in outcomes.items() if isinstance(o, BaseException)}
    print(f"{len(outcomes) - len(failed)} pages stored, {kept} in the store; failed: {failed}")
    print(f"parsed in processes {sorted(parsers)} (this one is {os.getpid()})")
    print("most common words:", total.most_common(3))

    assert list(failed) == [MISSING] and isinstance(failed[MISSING], LookupError), failed
    assert "404 Not Found" in str(failed[MISSING])  # the fetcher's own exception, two stages on
    assert kept == len(PAGES)
    assert len(parsers) == 2 and os.getpid() not in parsers, parsers
    expected = {url: len(re.findall(r"[a-z]+", text.lower())) for url, text in PAGES.items()}
    assert {url: n for url, n in outcomes.items() if url != MISSING} == expected
    assert total == sum(
        (Counter(re.findall(r"[a-z]+", t.lower())) for t in PAGES.values()), Counter()
    )


if __name__ == "__main__":
    main()
