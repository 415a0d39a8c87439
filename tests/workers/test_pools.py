"""Pool behaviour suite (issue 9): the same checks on thread and process pools of
1, 2 and 8 workers (and ray pools of 1 and 2), then back-pressure, load balancing and
worker deaths.

Written from the spec, against the public API only: ``options(...).init(...)``,
``pool.method(...)`` futures, ``stop()``, the context manager and
``get_pool_stats()``. Workers tell who ran a call by returning their identity
(process id and instance id); calls are held busy on a per-worker gate
(``pool_helpers``), never by sleeping in the test.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pool_helpers import (
    SLOW_START,
    Oops,
    Probe,
    T,
    done_count,
    make_board,
    pid_of,
    stats_when,
    wait_until,
)
from workers_helpers import HAS_RAY, quiet_stop, run_bounded

from concurry_futures import wait
from concurry_workers import WorkerDiedError, WorkerStoppedError

MODES = ["thread", "process"]
# Ray actors take seconds each to start: ray pools of 1 and 2 only, and only when
# concurry-ray is installed (`make test-workers` runs without it)
RAY_SHAPES = [("ray", 1), ("ray", 2)] if HAS_RAY else []
SHAPES = [(mode, n) for mode in MODES for n in (1, 2, 8)] + RAY_SHAPES
POOL_SHAPES = [(mode, n) for mode, n in SHAPES if n > 1]  # shapes that have pool stats


def _ids(shape: tuple[str, int]) -> str:
    return f"{shape[0]}-x{shape[1]}"


@pytest.fixture(params=SHAPES, ids=_ids)
def shape(request: pytest.FixtureRequest) -> tuple[str, int]:
    """(mode, max_workers): thread and process pools of 1, 2 and 8 workers, ray of 1, 2."""
    return _in_session(request)


@pytest.fixture(params=POOL_SHAPES, ids=_ids)
def pool_shape(request: pytest.FixtureRequest) -> tuple[str, int]:
    """(mode, max_workers) with max_workers > 1: real pools."""
    return _in_session(request)


def _in_session(request: pytest.FixtureRequest) -> tuple[str, int]:
    if request.param[0] == "ray":  # the session's one local Ray, started on first use
        request.getfixturevalue("ray_session")
    return request.param  # type: ignore[no-any-return]


def _zeros(n: int) -> list[int]:
    return [0] * n


# -- 1. the behaviour suite over thread/process x 1/2/8 --------------------------------


def test_results_correct_and_round_robin_spreads_evenly(shape, no_leaks):
    mode, n = shape
    # room for every call (5 per worker), so round robin is not bent by back-pressure
    with Probe.options(
        mode=mode, max_workers=n, max_queued_tasks=5, load_balancing="round_robin"
    ).init() as pool:
        futures = [pool.square(i) for i in range(5 * n)]
        results = [f.result(timeout=T) for f in futures]
    assert [value for _, value in results] == [i * i for i in range(5 * n)]
    per_worker = collections.Counter(who for who, _ in results)
    assert len(per_worker) == n, per_worker
    assert set(per_worker.values()) == {5}, per_worker


def test_pool_stats_fields_and_counts(pool_shape, no_leaks):
    mode, n = pool_shape
    # room for every call (4 per worker), so round robin is not bent by back-pressure
    pool = Probe.options(
        mode=mode, max_workers=n, max_queued_tasks=6, load_balancing="round_robin"
    ).init()
    try:
        expected = {
            "total_workers": n,
            "max_workers": n,
            "on_demand": False,
            "load_balancing": "round_robin",
            "max_queued_tasks": 6,
            "active_calls": _zeros(n),
            "queued_calls": _zeros(n),
            "total_calls": _zeros(n),
            "pool_queued": 0,
            "on_demand_active": 0,
            "load_balancer": {"algorithm": "round_robin", "total_dispatched": 0},
            "stopped": False,
        }
        before = pool.get_pool_stats()
        assert {key: before.get(key, "<missing>") for key in expected} == expected  # more is fine
        futures = [pool.square(i) for i in range(4 * n)]
        assert [f.result(timeout=T)[1] for f in futures] == [i * i for i in range(4 * n)]
        after = stats_when(pool, lambda s: s["active_calls"] == _zeros(n), "no active call")
        assert after["queued_calls"] == _zeros(n)
        assert after["total_calls"] == [4] * n  # round robin: equal shares, summing to 4n
        assert after["pool_queued"] == 0
        assert after["load_balancer"] == {"algorithm": "round_robin", "total_dispatched": 4 * n}
        assert after["stopped"] is False
        pool.stop(timeout=T)
        assert pool.get_pool_stats()["stopped"] is True
    finally:
        quiet_stop(pool)


def test_stop_cancels_waiting_calls_and_finishes_the_running_ones(shape, tmp_path, no_leaks):
    mode, n = shape
    board = make_board(mode, tmp_path)
    pool = Probe.options(mode=mode, max_workers=n, max_queued_tasks=1).init()
    stopper = None
    try:
        running = [pool.hold(board, i) for i in range(n)]  # one per worker, each fills it
        board.wait_started(n)
        waiting = [pool.square(i) for i in range(2 * n)]  # client-side: every worker is full
        assert done_count(waiting) == 0
        stopper = threading.Thread(target=pool.stop, kwargs={"timeout": T}, name="test-stop")
        stopper.start()
        try:
            wait(waiting, timeout=T)  # stop() cancels them without waiting for the running calls
        except TimeoutError:
            pytest.fail(f"stop() left {2 * n - done_count(waiting)} waiting calls pending")
        finally:
            board.open_all()
        assert all(f.cancelled() for f in waiting), [
            f.done() and not f.cancelled() for f in waiting
        ]
        for f in waiting:
            with pytest.raises(CancelledError):
                f.result(timeout=0)
        stopper.join(T + 5)
        assert not stopper.is_alive(), "stop() did not return once the running calls finished"
        assert sorted(f.result(timeout=T)[1] for f in running) == list(range(n))
        assert sorted(token for _, token in board.marks()) == list(range(n))  # no waiting call ran
    finally:
        board.open_all()
        quiet_stop(pool)


def test_calls_after_stop_raise(shape, no_leaks):
    mode, n = shape
    pool = Probe.options(mode=mode, max_workers=n).init()
    assert pool.square(3).result(timeout=T)[1] == 9
    pool.stop(timeout=T)
    pool.stop(timeout=T)  # idempotent
    with pytest.raises(RuntimeError, match=r"Worker (pool )?is stopped"):
        pool.square(1)
    with pytest.raises(WorkerStoppedError):
        pool.who()


def test_context_manager_stops_the_pool(shape, no_leaks):
    mode, n = shape
    with pytest.raises(ZeroDivisionError), Probe.options(mode=mode, max_workers=n).init() as pool:
        assert [pool.square(i).result(timeout=T)[1] for i in range(n)] == [i * i for i in range(n)]
        1 / 0  # noqa: B018
    with pytest.raises(RuntimeError, match=r"Worker (pool )?is stopped"):
        pool.square(1)


def test_retries_run_inside_each_worker(shape, no_leaks):
    mode, n = shape
    with Probe.options(
        mode=mode, max_workers=n, num_retries=2, retry_wait=0.001, retry_jitter=0
    ).init() as pool:
        # one call per worker (round robin), each failing its first 2 attempts there
        results = [f.result(timeout=T) for f in [pool.flaky(f"k{i}", 2) for i in range(n)]]
        assert [attempt for _, attempt in results] == [3] * n
        assert len({who for who, _ in results}) == n
        with pytest.raises(ValueError, match="attempt 3 of hopeless"):
            pool.flaky("hopeless", 5).result(timeout=T)
        if n > 1:
            stats = stats_when(pool, lambda s: sum(s["active_calls"]) == 0, "no active call")
            assert sum(stats["total_calls"]) == n + 1  # retries are not new pool calls


def test_exceptions_come_back_with_their_type(shape, no_leaks):
    mode, n = shape
    with Probe.options(mode=mode, max_workers=n).init() as pool:
        futures = [pool.fail(str(i)) for i in range(n)]  # one on each worker
        for i, f in enumerate(futures):
            with pytest.raises(Oops, match=f"oops {i}"):
                f.result(timeout=T)
        with pytest.raises(KeyError):
            pool.fail("key").result(timeout=T)
        assert pool.square(2).result(timeout=T)[1] == 4  # the pool still serves


def test_blocking_pool_returns_values(shape, no_leaks):
    mode, n = shape
    with Probe.options(mode=mode, max_workers=n, blocking=True).init() as pool:
        results = [pool.square(i) for i in range(2 * n)]
        assert [value for _, value in results] == [i * i for i in range(2 * n)]
        assert len({who for who, _ in results}) == n
        with pytest.raises(Oops):
            pool.fail("x")


# -- 2. pool-level back-pressure ----------------------------------------------------------


@pytest.mark.parametrize("queued", [1, 2])
@pytest.mark.parametrize("mode", MODES)
def test_back_pressure_holds_calls_in_the_pool_queue(mode, queued, tmp_path, no_leaks):
    n, extra = 2, 5
    board = make_board(mode, tmp_path)
    pool = Probe.options(
        mode=mode, max_workers=n, max_queued_tasks=queued, load_balancing="round_robin"
    ).init()
    try:
        holds = [pool.hold(board, i) for i in range(n * queued)]  # fills every worker
        first, second = (who for who, _ in board.wait_started(n)[:n])
        assert first != second
        stats_when(pool, lambda s: s["active_calls"] == [queued] * n, f"{queued} active each")

        t0 = time.monotonic()
        extras = [pool.square(i) for i in range(extra)]
        assert time.monotonic() - t0 < 1.0, "submitting to a full pool blocked the caller"
        assert done_count(extras) == 0
        stats = stats_when(pool, lambda s: s["pool_queued"] == extra, f"pool_queued == {extra}")
        assert stats["active_calls"] == [queued] * n  # never above max_queued_tasks
        not_started = stats["queued_calls"]  # checked last, so the rest still runs

        board.open(first)  # free one worker; the other stays busy
        try:
            results = [f.result(timeout=T) for f in extras]
        except TimeoutError:
            pytest.fail(
                f"{extra - done_count(extras)} waiting calls did not go to the freed worker "
                f"(stats: {pool.get_pool_stats()})"
            )
        assert [value for _, value in results] == [i * i for i in range(extra)]
        assert {who for who, _ in results} == {first}
        busy = [f for f in holds if not f.done()]
        assert len(busy) == queued  # the other worker's calls are still held
        stats = stats_when(pool, lambda s: sorted(s["active_calls"]) == [0, queued], "one idle")
        assert max(stats["active_calls"]) <= queued and stats["pool_queued"] == 0
        assert sorted(stats["total_calls"]) == [queued, queued + extra]

        board.open(second)
        assert {f.result(timeout=T)[0] for f in busy} == {second}
        assert not_started == [queued - 1] * n  # of each worker's calls, one was running
    finally:
        board.open_all()
        quiet_stop(pool)


# -- 3. load balancing with one worker kept busy -----------------------------------------


@contextlib.contextmanager
def one_worker_busy(mode: str, folder: Path, **options: Any) -> Iterator[tuple[Any, ...]]:
    """A pool of ``mode`` whose first call holds one worker busy until the board opens.

    Yields ``(pool, board, hold, busy)``: the held call's future and that worker's identity.
    """
    board = make_board(mode, folder)
    pool = Probe.options(mode=mode, **options).init()
    try:
        hold = pool.hold(board, 0)
        yield pool, board, hold, board.wait_started(1)[0][0]
    finally:
        board.open_all()
        quiet_stop(pool)


@pytest.mark.parametrize("mode", MODES)
def test_least_active_avoids_the_busy_worker(mode, tmp_path, no_leaks):
    n = 3
    with one_worker_busy(mode, tmp_path, max_workers=n, load_balancing="least_active") as held:
        pool, board, hold, busy = held
        seen: collections.Counter[str] = collections.Counter()
        for _ in range(6):
            # the others idle as far as the pool can tell: one active call in all
            stats_when(pool, lambda s: sum(s["active_calls"]) == 1, "only the held call active")
            batch = [pool.square(i) for i in range(n - 1)]
            seen.update(f.result(timeout=T)[0] for f in batch)
        assert busy not in seen, seen
        assert len(seen) == n - 1 and set(seen.values()) == {6}, seen
        assert not hold.done()
        board.open_all()
        assert hold.result(timeout=T)[0] == busy


@pytest.mark.parametrize("mode", MODES)
def test_round_robin_makes_progress_past_a_full_worker(mode, tmp_path, no_leaks):
    n, calls = 3, 9
    with one_worker_busy(
        mode, tmp_path, max_workers=n, max_queued_tasks=1, load_balancing="round_robin"
    ) as held:
        pool, board, hold, busy = held
        futures = [pool.square(i) for i in range(calls)]
        # the round-robin turn of the full worker must not stall every call behind it
        try:
            wait(futures, timeout=5)
        except TimeoutError:
            pass
        finished = [f for f in futures if f.done()]
        assert len(finished) >= calls * (n - 1) // n, (
            f"only {len(finished)} of {calls} calls finished while one worker was full"
        )
        assert busy not in {f.result(timeout=0)[0] for f in finished}
        assert not hold.done()
        board.open_all()
        assert [f.result(timeout=T)[1] for f in futures] == [i * i for i in range(calls)]
        assert hold.result(timeout=T)[0] == busy


@pytest.mark.parametrize("mode", MODES)
def test_least_total_evens_out_totals(mode, tmp_path, no_leaks):
    n = 3
    with one_worker_busy(mode, tmp_path, max_workers=n, load_balancing="least_total") as held:
        pool, board, hold, busy = held
        # the busy worker has the highest total, so the next n-1 calls go elsewhere
        others = [pool.square(i).result(timeout=T)[0] for i in range(n - 1)]
        assert busy not in others and len(set(others)) == n - 1
        board.open_all()
        assert hold.result(timeout=T)[0] == busy
        futures = [pool.square(i) for i in range(3 * n)]  # submitted at once
        counts = collections.Counter(f.result(timeout=T)[0] for f in futures)
        assert set(counts.values()) == {3} and len(counts) == n, counts
        stats = stats_when(pool, lambda s: sum(s["active_calls"]) == 0, "no active call")
        assert stats["total_calls"] == [4] * n
        assert stats["load_balancing"] == "least_total"


def test_random_pool_spreads_calls_statistically(no_leaks):
    import random

    n, calls = 4, 400
    random.seed(20240917)  # the pool draws from the module-level random
    with Probe.options(
        mode="thread", max_workers=n, max_queued_tasks=calls, load_balancing="random"
    ).init() as pool:
        futures = [pool.who() for _ in range(calls)]
        counts = collections.Counter(f.result(timeout=T) for f in futures)
        stats = stats_when(pool, lambda s: sum(s["active_calls"]) == 0, "no active call")
    assert len(counts) == n, counts
    for count in counts.values():
        assert 0.15 * calls <= count <= 0.35 * calls, counts
    assert sorted(counts.values()) != [calls // n] * n, "random looks like round robin"
    assert sorted(stats["total_calls"]) == sorted(counts.values())
    assert stats["load_balancer"] == {"algorithm": "random", "total_dispatched": calls}


# -- 4. a pool process killed mid-task -------------------------------------------------


def _outcome(future: Any) -> str:
    try:
        future.result(timeout=T)
        return "ok"
    except WorkerDiedError:
        return "died"


def test_killed_worker_fails_only_its_own_calls(tmp_path, no_leaks):
    n, queued, extra = 2, 2, 3
    board = make_board("process", tmp_path)
    pool = Probe.options(mode="process", max_workers=n, max_queued_tasks=queued).init()
    try:
        holds = [pool.hold(board, i) for i in range(n * queued)]
        victim, survivor = (who for who, _ in board.wait_started(n)[:n])
        extras = [pool.square(i) for i in range(extra)]  # waiting in the pool queue
        os.kill(pid_of(victim), signal.SIGKILL)
        wait_until(lambda: done_count(holds) >= queued, T, "the victim's calls failing")
        dead = [f for f in holds if f.done()]
        for f in dead:  # only the victim's own in-flight calls
            with pytest.raises(WorkerDiedError, match=r"-9|SIGKILL") as info:
                f.result(timeout=0)
            assert info.value.exitcode == -signal.SIGKILL
        board.open_all()
        alive = [f for f in holds if f not in dead]
        assert {f.result(timeout=T)[0] for f in alive} == {survivor}
        outcomes = [_outcome(f) for f in extras]
        assert outcomes == ["ok"] * extra, "calls waiting in the pool were failed with the victim"
        assert [f.result(timeout=0)[1] for f in extras] == [i * i for i in range(extra)]

        # every new call succeeds, and soon one is served by a replacement (a new pid)
        known = {pid_of(victim), pid_of(survivor)}

        def replacement_served() -> bool:
            pids = {pid_of(f.result(timeout=T)) for f in [pool.who() for _ in range(2 * n)]}
            assert pid_of(victim) not in pids
            return bool(pids - known)

        wait_until(replacement_served, T, "a call served by a replacement worker")
    finally:
        board.open_all()
        quiet_stop(pool)


def _kill_a_worker_slow_to_replace(pool: Any, board: Any, folder: Path) -> str:
    """Kill the worker running a held call once ``<folder>/slow`` makes every new worker
    take SLOW_START s to start; return its identity once its call reports the death."""
    hold = pool.hold(board, 0)
    victim: str = board.wait_started(1)[0][0]
    (folder / "slow").touch()
    os.kill(pid_of(victim), signal.SIGKILL)
    with pytest.raises(WorkerDiedError):
        hold.result(timeout=T)
    return victim


def test_submit_after_a_death_never_waits_for_the_replacement(tmp_path, no_leaks):
    n = 2
    board = make_board("process", tmp_path / "board")
    (tmp_path / "board").mkdir()
    pool = Probe.options(mode="process", max_workers=n).init(str(tmp_path))
    try:
        victim = _kill_a_worker_slow_to_replace(pool, board, tmp_path)
        t0 = time.monotonic()
        futures = [pool.who() for _ in range(2 * n)]  # one of them lands on the dead slot
        elapsed = time.monotonic() - t0
        assert elapsed < 1.0, f"submitting took {elapsed:.2f} s: it waited for a process start"
        assert all(pid_of(f.result(timeout=T + SLOW_START)) != pid_of(victim) for f in futures)
    finally:
        board.open_all()
        quiet_stop(pool, timeout=T)


def test_stop_racing_a_replacement_leaves_no_process(tmp_path, no_leaks):
    for round_ in range(9):
        folder = tmp_path / f"round{round_}"
        folder.mkdir()
        _kill_then_stop(folder, round_ % 3)


def _kill_then_stop(folder: Path, variant: int) -> None:
    """Kill a worker, then stop the pool: at once (0), right after new calls (1), or
    after new calls made once the death is known (2, they start a replacement)."""
    board = make_board("process", folder)
    pool = Probe.options(mode="process", max_workers=2).init()
    futures: list[Any] = []
    try:
        hold = pool.hold(board, 0)
        os.kill(pid_of(board.wait_started(1)[0][0]), signal.SIGKILL)
        if variant == 2:
            with pytest.raises(WorkerDiedError):
                hold.result(timeout=T)
        if variant:
            futures = [pool.who() for _ in range(4)]
        run_bounded(lambda: pool.stop(timeout=T), T + 5, f"stop() (variant {variant})")
    finally:
        board.open_all()
        quiet_stop(pool)
    _settled([*futures, hold])


def _settled(futures: list[Any]) -> None:
    """Each future has an outcome (a result, a death, a cancellation); none stays pending."""
    for f in futures:
        try:
            f.result(timeout=T)
        except (WorkerDiedError, CancelledError, WorkerStoppedError):
            pass


def test_stop_during_a_slow_replacement_leaves_no_process(tmp_path, no_leaks):
    for round_ in range(2):
        folder = tmp_path / f"round{round_}"
        (folder / "board").mkdir(parents=True)
        _stop_while_replacing(folder)


def _stop_while_replacing(folder: Path) -> None:
    board = make_board("process", folder / "board")
    pool = Probe.options(mode="process", max_workers=2).init(str(folder))
    futures: list[Any] = []
    try:
        _kill_a_worker_slow_to_replace(pool, board, folder)
        submitter = threading.Thread(  # today's submit may itself wait for the start
            target=lambda: futures.extend(pool.who() for _ in range(4)), daemon=True
        )
        submitter.start()
        wait_until(
            lambda: any(p.name.startswith("starting-") for p in folder.iterdir()),
            T,
            "a replacement worker starting",
        )
        run_bounded(lambda: pool.stop(timeout=1), T + SLOW_START, "stop() during a start")
        submitter.join(T + SLOW_START)
        assert not submitter.is_alive(), "a submit never returned"
    finally:
        board.open_all()
        quiet_stop(pool)
    _settled(futures)


@pytest.mark.parametrize(
    ("options", "eager"),
    [
        ({"max_queued_tasks": None, "load_balancing": "round_robin"}, False),
        ({"max_queued_tasks": None, "load_balancing": "least_total"}, False),
        ({"max_queued_tasks": None, "load_balancing": "least_active"}, True),
        ({"max_queued_tasks": 3, "load_balancing": "round_robin"}, True),
    ],
    ids=["round_robin", "least_total", "least_active", "capped"],
)
def test_workers_learn_whether_admission_waits_on_finished_calls(options, eager, no_leaks):
    """``eager_release``: a ray worker defers noticing calls nobody waits for unless
    the pool admits (a cap) or routes (least_active) by the calls finishing."""
    from pool_helpers import Probe

    with Probe.options(mode="thread", max_workers=2, **options).init() as pool:
        link = pool._link
        assert link.eager_release is (options["max_queued_tasks"] is not None)
        slots = link.transport._slots
        assert [slot.adapter.eager_release for slot in slots] == [eager, eager]
