"""A user of the original concurry migrates their futures, progress and Timer code unchanged.

Timer output on stdout and its members, ``progress=ProgressBar(...)`` wherever
``progress=`` is accepted, the bar's coloured endings with a description,
``set_running_or_notify_cancel``, cancelling an asyncio future whose loop is
idle, and the original's key phrases in error messages.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from concurrent.futures import CancelledError, Future
from datetime import datetime, timedelta
from typing import Any

import pytest

from concurry import (
    AsyncioFuture,
    BaseFuture,
    ConcurrentFuture,
    ProgressBar,
    SyncFuture,
    TaskWorker,
    Timer,
    TimerError,
    async_gather,
    gather,
    wait,
)

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}( \S+)?"
DURATION = r"\d+(\.\d{1,2})? (nano|micro|milli)?seconds"
BAD_PROGRESS = "progress must be None, a bool, a dict of ProgressBar options or a ProgressBar"


def busy(seconds: float) -> None:
    """A measured interval for the timer to time (not synchronisation)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def bar(total: int | None = None, desc: str = "Work") -> tuple[ProgressBar, io.StringIO]:
    out = io.StringIO()
    return ProgressBar(total=total, desc=desc, file=out, style="std", miniters=1), out


# -- Timer ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{}, {"logger": None}])
def test_timer_prints_to_stdout_by_default(
    kwargs: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    timer = Timer(**kwargs)
    assert timer.task == ""
    with timer:
        busy(0.01)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2, lines
    assert re.fullmatch(f"Started at {STAMP}\\.\\.\\.", lines[0])
    assert re.fullmatch(f"\\.\\.\\.completed in {DURATION}\\.", lines[1])


def test_timer_states_datetimes_and_formats(capsys: pytest.CaptureFixture[str]) -> None:
    timer = Timer("load")
    assert not timer.has_started and not timer.has_stopped
    assert timer.start_datetime is None and timer.end_datetime is None
    timer.start()
    assert timer.has_started and not timer.has_stopped
    busy(0.012)
    timer.stop()
    assert timer.has_stopped
    start, end = timer.start_datetime, timer.end_datetime
    assert isinstance(start, datetime) and isinstance(end, datetime)
    assert start.tzinfo is not None and start <= end
    assert re.fullmatch(STAMP, timer.start_time_str) and re.fullmatch(STAMP, timer.end_time_str)
    assert timer.start_time_str.startswith(f"{start:%Y-%m-%d %H:%M:%S}")
    sec = timer.time_taken("s")
    assert 0.012 <= sec < 5
    assert timer.time_taken("ms") == pytest.approx(sec * 1e3)
    assert timer.time_taken("us") == pytest.approx(sec * 1e6)
    assert timer.time_taken("ns") == pytest.approx(sec * 1e9)
    assert isinstance(timer.time_taken("td"), timedelta)
    assert timer.time_taken(str) == timer.time_taken("str") == timer.time_taken_str
    # human-readable, like "12.4 milliseconds": at most 2 decimals, no trailing zeros
    text = timer.time_taken_str
    number, unit = text.split(" ")
    assert re.fullmatch(r"\d+(\.\d?[1-9])?", number), text
    scale = {"milliseconds": 1e3, "seconds": 1.0}[unit]  # seconds only on a stalled machine
    assert float(number) == pytest.approx(sec * scale, abs=0.005)
    out = capsys.readouterr().out
    assert f"(load) ...completed in {text}." in out
    with pytest.raises(ValueError, match="fmt must be one of"):
        timer.time_taken("fortnights")


def test_timer_alert_and_single_line(capsys: pytest.CaptureFixture[str]) -> None:
    with Timer("job") as timer:
        timer.alert("halfway")
        timer.alert()
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(f"\\(job\\) Timer has been running for {DURATION}\\. halfway", lines[1])
    assert re.fullmatch(f"\\(job\\) Timer has been running for {DURATION}\\.", lines[2])
    with Timer("query", single_line=True):
        pass
    (line,) = capsys.readouterr().out.splitlines()
    assert re.fullmatch(f"\\(query\\) Started at {STAMP}, completed in {DURATION}\\.", line)


def test_timer_silences_and_messages(capsys: pytest.CaptureFixture[str]) -> None:
    for quiet in (Timer("a", logger=False), Timer("b", silent=True)):
        with quiet:
            pass
    assert capsys.readouterr().out == ""
    timer = Timer()
    with pytest.raises(TimerError, match="Timer has not been started"):
        timer.stop()
    with pytest.raises(TimerError, match="not been started"):
        timer.alert("too early")
    timer.start()
    with pytest.raises(TimerError, match="Timer has already been started"):
        timer.start()


# -- progress=ProgressBar(...) ----------------------------------------------------------------


def test_wait_and_gather_accept_a_progress_bar_instance() -> None:
    futures = [SyncFuture(i) for i in range(3)]
    waiting, out = bar()
    done, not_done = wait(futures, progress=waiting)
    assert len(done) == 3 and not not_done
    assert waiting.n == 3 and waiting.total == 3 and "3/3" in out.getvalue()
    gathering, out = bar()
    assert gather(futures, progress=gathering) == [0, 1, 2]
    assert gathering.n == 3 and "3/3" in out.getvalue()


def test_async_gather_accepts_a_progress_bar_instance() -> None:
    async def value(i: int) -> int:
        return i

    async def main(progress: ProgressBar) -> list[int]:
        return await async_gather([value(i) for i in range(4)], progress=progress)

    progress, out = bar()
    assert asyncio.run(main(progress)) == [0, 1, 2, 3]
    assert progress.n == 4 and "4/4" in out.getvalue()


def square(x: int) -> int:
    return x * x


def test_map_accepts_a_progress_bar_instance() -> None:
    progress, out = bar()
    with TaskWorker.options(mode="sync").init() as worker:
        assert list(worker.map(square, range(5), progress=progress)) == [0, 1, 4, 9, 16]
        with pytest.raises(ValueError, match=BAD_PROGRESS):
            worker.map(square, range(2), progress="loud")
    assert progress.n == 5 and "5/5" in out.getvalue()
    for call in (wait, gather):
        with pytest.raises(ValueError, match=BAD_PROGRESS):
            call([1, 2], progress="loud")  # one reading of progress= everywhere


def test_progress_bar_endings_take_desc_close_and_append_desc() -> None:
    progress, out = bar(total=3)
    progress.update(3)
    progress.success(desc="done")
    assert progress.desc == "Work done" and "closed=True" in repr(progress)
    assert "Work done" in out.getvalue()

    progress, out = bar(total=4)
    progress.update(1)
    progress.failure("retrying", close=False)  # stays open
    assert progress.desc == "Work retrying" and "closed=False" in repr(progress)
    progress.update(1)
    assert progress.n == 2
    progress.stop("halted", append_desc=False)
    assert progress.desc == "halted" and "closed=True" in repr(progress)
    assert "halted" in out.getvalue()


# -- futures --------------------------------------------------------------------------------------


def test_set_running_or_notify_cancel_is_refused() -> None:
    loop = asyncio.new_event_loop()
    try:
        kinds: list[BaseFuture] = [
            SyncFuture(1),
            ConcurrentFuture(Future()),
            AsyncioFuture(loop.create_future()),
        ]
        for future in kinds:
            with pytest.raises(NotImplementedError, match="manages its own state"):
                future.set_running_or_notify_cancel()
    finally:
        loop.close()


def test_asyncio_future_on_an_idle_loop_cancels_at_once() -> None:
    loop = asyncio.new_event_loop()
    ran: list[str] = []

    async def body() -> None:
        ran.append("body")

    try:
        plain = AsyncioFuture(loop.create_future())
        task = AsyncioFuture(loop.create_task(body()))
        seen: list[BaseFuture] = []
        task.add_done_callback(seen.append)  # added before the cancel
        for future in (plain, task):
            assert future.cancel() is True
            assert future.cancelled() and future.done() and not future.running()
            with pytest.raises(CancelledError):
                future.result(timeout=0)
        assert seen == [task]  # its callbacks ran, though the loop never did
        done, not_done = wait([plain, task], timeout=1)
        assert len(done) == 2 and not not_done
        assert task.cancel() is False  # already cancelled
        loop.run_until_complete(asyncio.sleep(0))  # asyncio finishes cancelling the task
        assert task.future.cancelled() and ran == []  # its coroutine never started
    finally:
        loop.close()


def test_a_timeout_says_the_future_did_not_complete() -> None:
    loop = asyncio.new_event_loop()
    try:
        for future in (ConcurrentFuture(Future()), AsyncioFuture(loop.create_future())):
            with pytest.raises(TimeoutError, match="Future did not complete within timeout"):
                future.result(timeout=0.01)
    finally:
        loop.close()
    own: Future[int] = Future()
    own.set_exception(TimeoutError("the task's own timeout"))
    with pytest.raises(TimeoutError, match="the task's own timeout"):
        ConcurrentFuture(own).result(timeout=0.01)


def test_a_structure_and_extra_futures_cannot_both_be_given() -> None:
    first, second = SyncFuture(1), SyncFuture(2)
    for call in (wait, gather):
        with pytest.raises(ValueError, match="Cannot provide both a structure"):
            call([first], second)
    assert gather(first, second) == [1, 2]  # several single futures are fine
