"""Timer / TimerError."""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta

import pytest

from concurry_futures import Timer, TimerError


def test_context_manager_logs_start_and_completion() -> None:
    lines: list[str] = []
    with Timer("load", logger=lines.append) as t:
        pass
    assert len(lines) == 2
    assert re.fullmatch(
        r"\(load\) Started at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}( \S+)?\.\.\.", lines[0]
    )
    assert re.fullmatch(
        r"\(load\) \.\.\.completed in \d+(\.\d{1,2})? (nano|micro|milli)?seconds\.", lines[1]
    )
    assert t.time_taken_ns > 0 and not t.is_running


def test_start_stop_and_units() -> None:
    t = Timer(logger=False).start()
    assert t.is_running
    deadline = time.perf_counter() + 0.02
    while time.perf_counter() < deadline:  # a measured busy interval, not synchronisation
        pass
    t.stop()
    sec = t.time_taken_sec
    assert 0.02 <= sec < 5
    assert t.time_taken_ms == pytest.approx(sec * 1e3)
    assert t.time_taken_us == pytest.approx(sec * 1e6)
    assert t.time_taken_ns == pytest.approx(sec * 1e9)
    assert isinstance(t.time_taken_td, timedelta)
    assert t.time_taken_td.total_seconds() == pytest.approx(sec, rel=1e-3)
    assert t.time_taken_str.endswith("milliseconds")
    assert t.time_taken_human == t.time_taken_str


def test_second_start_and_stop_before_start_are_timer_errors() -> None:
    t = Timer(logger=False)
    with pytest.raises(TimerError, match="Timer has not been started"):
        t.stop()
    with pytest.raises(TimerError, match="not been started"):
        _ = t.time_taken_sec
    t.start()
    with pytest.raises(TimerError, match="Timer has already been started"):
        t.start()
    t.stop()
    with pytest.raises(TimerError, match="already been stopped"):
        t.stop()


@pytest.mark.parametrize("kwargs", [{"silent": True}, {"logger": False}])
def test_silent_prints_and_logs_nothing(
    kwargs: dict[str, object],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with Timer("quiet", **kwargs):  # type: ignore[arg-type]
        pass
    assert capsys.readouterr() == ("", "")
    assert caplog.records == []


def test_silent_wins_over_a_logger() -> None:
    lines: list[str] = []
    with Timer("x", logger=lines.append, silent=True):
        pass
    assert lines == []


@pytest.mark.parametrize("kwargs", [{}, {"logger": None}])
def test_default_logger_prints(
    kwargs: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    with Timer("job", **kwargs):  # type: ignore[arg-type]
        pass
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert out[0].startswith("(job) Started at") and out[1].startswith("(job) ...completed in")


def test_logging_logger_object_is_accepted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with Timer("obj", logger=logging.getLogger("mine")):
        pass
    assert {r.name for r in caplog.records} == {"mine"}


def test_index_prefix_is_zero_padded() -> None:
    lines: list[str] = []
    with Timer("step", logger=lines.append, i=5, max_i=10):
        pass
    assert lines[0].startswith("[05/10] (step) Started at")
    assert lines[1].startswith("[05/10] (step) ...completed in")
    assert Timer(i=7, logger=False).prefix == "[7] "
    assert Timer(i=3, max_i=100, logger=False).prefix == "[003/100] "


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="i must be an int >= 0"):
        Timer(i=-1)
    with pytest.raises(TypeError, match="logger must be"):
        Timer(logger=3)


def test_human_formats() -> None:
    t = Timer(logger=False)
    t._start_ns, t._end_ns = 0, int(65.2e9)
    assert t.time_taken_human == t.time_taken_str == "1.09 minutes"
    t._end_ns = int((2 * 3600 + 3 * 60 + 4) * 1e9)
    assert t.time_taken_str == "2.05 hours"
    t._end_ns = int(10.4e6)
    assert t.time_taken_str == "10.4 milliseconds"
    t._end_ns = 500
    assert t.time_taken_str == "500 nanoseconds"
