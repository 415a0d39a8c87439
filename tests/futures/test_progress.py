"""ProgressBar over tqdm, and the progress= argument of wait/gather."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from typing import Any

import pytest

from concurry_futures import MissingPluginError, ProgressBar, gather, wait

from .conftest import GATE_TIMEOUT, Maker, concurrent_done
from .terminal_stream import Terminal


def _out(buf: io.StringIO) -> str:
    return buf.getvalue()


def test_iterating_yields_the_items_and_counts_them() -> None:
    buf = io.StringIO()
    bar = ProgressBar(range(5), desc="Items", file=buf)
    assert list(bar) == [0, 1, 2, 3, 4]
    assert bar.n == 5 and bar.total == 5
    text = _out(buf)
    assert "Items" in text and "5/5" in text and "row" in text


def test_update_set_total_set_description_close() -> None:
    buf = io.StringIO()
    bar = ProgressBar(total=10, unit="file", file=buf)
    for _ in range(4):
        bar.update()
    bar.update(2)
    bar.set_total(20)
    bar.set_description("Copying")
    bar.close()
    bar.close()  # idempotent
    assert bar.n == 6 and bar.total == 20
    assert "Copying" in _out(buf) and "6/20" in _out(buf) and "file" in _out(buf)


@pytest.mark.parametrize(
    ("method", "rgb"), [("success", "76;175;80"), ("failure", "229;57;53"), ("stop", "158;158;158")]
)
def test_endings_colour_the_bar(method: str, rgb: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # colour on a terminal only (plain text elsewhere: test_progress_plain.py)
    monkeypatch.delenv("NO_COLOR", raising=False)
    with Terminal() as terminal:
        bar = ProgressBar(total=2, file=terminal.stream)
        bar.update(1)
        getattr(bar, method)()
        text = terminal.output()
    assert rgb in text and "1/2" in text


def test_color_option_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    with Terminal() as terminal:
        bar = ProgressBar(total=1, color="#010203", file=terminal.stream)
        bar.update(1)
        bar.close()
        assert "1;2;3" in terminal.output()


@pytest.mark.parametrize("bad", [0, -1, 0.5, True])
def test_miniters_below_one_is_a_value_error(bad: Any) -> None:
    with pytest.raises(ValueError, match="miniters must be >= 1"):
        ProgressBar(total=1, miniters=bad)


def test_unknown_style_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="style must be one of auto, std, notebook, ray"):
        ProgressBar(total=1, style="fancy")


def test_ray_style_without_the_plugin_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    # stand in for an install without the ray plugin, whatever this venv has
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **_: [])
    with pytest.raises(MissingPluginError, match=r"concurry\[ray\]"):
        ProgressBar(total=1, style="ray")


def test_disable_draws_nothing() -> None:
    buf = io.StringIO()
    bar = ProgressBar(range(3), disable=True, file=buf)
    assert list(bar) == [0, 1, 2]
    bar.success()
    assert _out(buf) == ""


def test_notebook_style_falls_back_to_text_when_widgets_are_disabled() -> None:
    code = (
        "import io, os; os.environ['CONCURRY_DISABLE_IPYWIDGETS'] = '1'\n"
        "from concurry_futures import ProgressBar\n"
        "b = ProgressBar(total=1, style='notebook', file=io.StringIO())\n"
        "print(type(b._bar).__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "tqdm.std"


def test_updates_are_batched_in_a_hot_loop() -> None:
    buf = io.StringIO()
    bar = ProgressBar(total=200_000, file=buf, mininterval=0)
    calls = 0
    inner = bar._bar.update

    def counting(n: int = 1) -> Any:
        nonlocal calls
        calls += 1
        return inner(n)

    bar._bar.update = counting
    for _ in range(200_000):
        bar.update()
    bar.close()
    assert bar.n == 200_000
    assert calls < 2_000, f"tqdm.update called {calls} times for 200k updates"


def test_iterating_a_bar_batches_its_updates_too() -> None:
    # the hot-loop cost is per-item work, so bound the tqdm calls, not the wall clock
    n = 200_000
    bar = ProgressBar(range(n), file=io.StringIO(), mininterval=0)
    calls = 0
    inner = bar._bar.update

    def counting(k: int = 1) -> Any:
        nonlocal calls
        calls += 1
        return inner(k)

    bar._bar.update = counting
    seen = 0
    for i in bar:
        assert i == seen
        seen += 1
    assert seen == n and bar.n == n
    assert calls < 2_000, f"tqdm.update called {calls} times for {n} items"


def test_wait_progress_true_and_dict(capsys: pytest.CaptureFixture[str]) -> None:
    done, _ = wait([1, 2, 3], progress=True)
    assert len(done) == 3
    err = capsys.readouterr().err
    assert "3/3" in err
    buf = io.StringIO()
    gather([1, 2], progress={"desc": "Mine", "file": buf})
    assert "Mine" in _out(buf) and "2/2" in _out(buf)


def test_progress_callable_sees_every_completion(make: Maker) -> None:
    jobs = [make(i) for i in range(4)]
    seen: list[tuple[int, int, float]] = []
    first_report = threading.Event()

    def report(c: int, t: int, e: float) -> None:
        seen.append((c, t, e))
        first_report.set()

    def release_one_by_one() -> None:
        assert first_report.wait(GATE_TIMEOUT)
        for j in jobs:
            j.release()
            j.future.result(timeout=GATE_TIMEOUT)

    threading.Thread(target=release_one_by_one).start()
    gather([concurrent_done(0), *[j.future for j in jobs]], progress=report, timeout=GATE_TIMEOUT)
    counts = [c for c, _, _ in seen]
    assert counts == sorted(counts) and counts[-1] == 5
    assert counts[0] == 1  # the already-done one is reported first
    assert all(t == 5 for _, t, _ in seen) and all(e >= 0 for _, _, e in seen)


def test_progress_bar_instance_and_failure_colour(
    make: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    with Terminal() as terminal:
        bar = ProgressBar(file=terminal.stream)
        bad = make(ValueError("x"))
        bad.release()
        with pytest.raises(ValueError):
            gather([bad.future], progress=bar)
        assert "229;57;53" in terminal.output()


@pytest.mark.parametrize("bad", [3, "yes", 1.5, object()], ids=["int", "str", "float", "object"])
def test_bad_progress_is_a_value_error(bad: Any) -> None:
    with pytest.raises(ValueError, match="progress must be None, a bool, a dict"):
        wait([1], progress=bad)


def test_progress_iter_mode() -> None:
    seen: list[int] = []
    out = list(gather([1, 2, 3], iter=True, progress=lambda c, t, e: seen.append(c)))
    assert len(out) == 3 and seen == [1, 2, 3]


def test_bar_catches_up_when_the_rate_drops() -> None:
    bar = ProgressBar(total=100_000, file=io.StringIO(), mininterval=0)
    for _ in range(50_000):  # fast burst grows the batch
        bar.update()
    assert bar._bar.n >= 50_000 - 1000  # never more than one capped batch behind
    bar.close()


def test_wait_pushes_each_completion_to_the_bar(make: Maker) -> None:
    jobs = [make(i) for i in range(3)]
    bar = ProgressBar(file=io.StringIO(), mininterval=0)
    counts: list[int] = []
    inner = bar._bar.update

    def spy(n: int = 1) -> Any:
        result = inner(n)
        counts.append(bar._bar.n)
        return result

    bar._bar.update = spy

    def release_in_turn() -> None:
        for j in jobs:
            j.release()
            j.future.result(timeout=GATE_TIMEOUT)

    threading.Thread(target=release_in_turn).start()
    wait([j.future for j in jobs], progress=bar, timeout=GATE_TIMEOUT)
    assert counts[-1] == 3 and counts == sorted(counts)


def test_iter_stopped_early_greys_the_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    with Terminal() as terminal:
        it = gather([1, 2, 3], iter=True, progress={"file": terminal.stream})
        assert next(it) == (0, 1)
        it.close()
        assert "158;158;158" in terminal.output()
