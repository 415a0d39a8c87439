"""Progress bars are plain text off a terminal and under ``NO_COLOR``, coloured on a
terminal otherwise (https://no-color.org: any non-empty value turns colour off)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from concurry_futures import ProgressBar, gather

from .conftest import concurrent_done
from .terminal_stream import Terminal

ESC = "\x1b["
GREEN = "\x1b[38;2;76;175;80m"  # tqdm's escape for success()'s #4caf50
ENDINGS = ["success", "failure", "stop"]


def _draw(stream: Any, ending: str) -> None:
    bar = ProgressBar(total=4, desc="Rows", color="#010203", file=stream)
    bar.update(1)
    bar.refresh()
    bar.update(1)
    getattr(bar, ending)("done")


def _string_io(_: Path) -> tuple[Any, Callable[[], str]]:
    buf = io.StringIO()
    return buf, buf.getvalue


def _log_file(tmp: Path) -> tuple[Any, Callable[[], str]]:
    fh = open(tmp / "job.log", "w", encoding="utf-8")  # noqa: SIM115 (closed by read)

    def read() -> str:
        fh.close()
        return (tmp / "job.log").read_text(encoding="utf-8")

    return fh, read


@pytest.mark.parametrize("ending", ENDINGS)
@pytest.mark.parametrize("make", [_string_io, _log_file], ids=["stringio", "log-file"])
def test_off_a_terminal_the_bar_is_plain_text(
    make: Callable[[Path], tuple[Any, Callable[[], str]]],
    ending: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    stream, read = make(tmp_path)
    _draw(stream, ending)
    text = read()
    assert "Rows done" in text and "2/4" in text
    assert ESC not in text, repr(text)


def test_progress_option_of_gather_off_a_terminal_is_plain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    buf = io.StringIO()
    with pytest.raises(ValueError, match="boom"):
        gather(
            [concurrent_done(1), concurrent_done(exc=ValueError("boom"))], progress={"file": buf}
        )
    assert buf.getvalue() and ESC not in buf.getvalue(), repr(buf.getvalue())


def test_off_a_terminal_redraws_at_most_once_a_second_unless_told() -> None:
    # each redraw of a text bar appends a whole line after a carriage return
    assert ProgressBar(total=1, file=io.StringIO())._bar.mininterval == 1.0
    assert ProgressBar(total=1, file=io.StringIO(), mininterval=0)._bar.mininterval == 0
    with Terminal() as terminal:
        assert ProgressBar(total=1, file=terminal.stream)._bar.mininterval == 0.1  # tqdm's


@pytest.mark.parametrize("ending", ENDINGS)
def test_no_color_makes_a_terminal_bar_plain(ending: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    with Terminal() as terminal:
        _draw(terminal.stream, ending)
        text = terminal.output()
    assert "Rows done" in text and "2/4" in text
    assert ESC not in text, repr(text)


@pytest.mark.parametrize("no_color", [None, ""], ids=["unset", "empty"])
def test_on_a_terminal_the_bar_is_coloured(
    no_color: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)  # empty counts as unset
    with Terminal() as terminal:
        _draw(terminal.stream, "success")
        text = terminal.output()
    assert "\x1b[38;2;1;2;3m" in text  # color= while it runs
    assert GREEN in text and "Rows done" in text
