"""The benchmark figures in the README, the docs and latest.md come from the committed results.

``benchmarks/results/latest.json`` is what ``make bench`` writes; every page
showing a figure is rendered from it by ``benchmarks/render.py``. These tests
fail when a page differs from what the committed file renders (a figure typed
by hand, or a results file committed without re-rendering), and check the
renderer's own rules: goals, single-topic updates and the README markers.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def render() -> ModuleType:
    return _load("render")


@pytest.fixture(scope="module")
def harness() -> Iterator[ModuleType]:
    # _harness imports only the standard library
    yield _load("_harness")


@pytest.fixture(scope="module")
def committed(render: ModuleType) -> dict[str, Any]:
    results = render.load()
    assert results["topics"], f"{render.RESULTS} has no topics: run `make bench`"
    return results


MACHINE = {
    "cpu_model": "Test CPU @ 2.00GHz",
    "cores": 2,
    "usable_cores": 2,
    "memory_gib": 7.8,
    "os": "Test OS, Linux 6.1",
    "python": "CPython 3.11.7",
}


def _row(harness: ModuleType, name: str, ours: float, baseline: float, **kw: Any) -> dict[str, Any]:
    return harness.Row(name, ours, baseline, f"base of {name}", "seconds", **kw).as_dict()


# -- the committed files -----------------------------------------------------------


@pytest.mark.parametrize("page", ["README.md", "docs/benchmarks.md", "latest.md"], ids=str)
def test_page_is_rendered_from_the_committed_results(
    render: ModuleType, committed: dict[str, Any], page: str
) -> None:
    path, expected = {
        "README.md": (
            render.README,
            lambda text: render.replace_section(text, render.render_readme_section(committed)),
        ),
        "docs/benchmarks.md": (render.DOCS_PAGE, lambda _: render.render_docs(committed)),
        "latest.md": (render.RESULTS_MD, lambda _: render.render_results_md(committed)),
    }[page]
    text = path.read_text()
    assert text == expected(text), (
        f"{path.relative_to(ROOT)} differs from what benchmarks/results/latest.json renders: "
        "run `python benchmarks/render.py` (never edit benchmark figures by hand)"
    )


def test_committed_results_name_date_machine_command_and_every_row_field(
    committed: dict[str, Any],
) -> None:
    for topic, run in committed["topics"].items():
        for field in ("date", "quick", "command", "machine", "rows"):
            assert field in run, f"topic {topic} lacks {field!r}"
        assert "benchmarks/run.py" in run["command"] or run["command"].startswith("make bench")
        for field in ("cpu_model", "cores", "memory_gib", "os", "python"):
            assert run["machine"].get(field), f"topic {topic}: machine lacks {field!r}"
        assert run["rows"], f"topic {topic} has no rows"
        for row in run["rows"]:
            for field in ("name", "ours", "baseline", "baseline_name", "ratio", "goal", "met"):
                assert field in row, f"topic {topic}, row {row.get('name')!r} lacks {field!r}"


def test_every_benchmark_topic_has_committed_rows(committed: dict[str, Any]) -> None:
    topics = {p.stem.removeprefix("bench_") for p in BENCHMARKS.glob("bench_*.py")}
    assert topics == set(committed["topics"])


def test_check_mode_reports_nothing_stale(render: ModuleType, committed: dict[str, Any]) -> None:
    assert render.stale(committed) == []


# -- the renderer --------------------------------------------------------------------


def test_row_goal_and_verdict(harness: ModuleType) -> None:
    faster = harness.Row("x", 1.0, 2.0, "b", "seconds", at_least=1.0)
    assert (faster.ratio, faster.goal, faster.met) == (2.0, "ratio >= 1", True)
    slower = harness.Row("x", 100.0, 50.0, "b", "per_second", at_least=0.9, at_most=1.05)
    assert (slower.ratio, slower.met) == (2.0, False)
    assert slower.goal == "0.9 <= ratio <= 1.05"
    info = harness.Row("x", 1.0, 1.0, "b", "seconds")
    assert (info.goal, info.met) == ("", None)
    with pytest.raises(ValueError, match="unit must be"):
        harness.Row("x", 1.0, 1.0, "b", "minutes")


def test_alternating_rounds_flip_the_order_and_take_minima_or_medians(
    harness: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    clock = [0.0]
    monkeypatch.setattr(harness.time, "perf_counter", lambda: clock[0])
    durations: dict[str, Iterator[float]] = {}

    def side(name: str) -> Any:
        def run() -> None:
            order.append(name)
            clock[0] += next(durations[name])

        return run

    def pair() -> tuple[Any, Any]:
        """Both sides afresh; each run lasts these many (fake) seconds, in its side's order."""
        durations["ours"] = iter([5.0, 1.0, 3.0, 9.0, 2.0])
        durations["theirs"] = iter([4.0, 4.0, 6.0, 8.0, 7.0])
        return side("ours"), side("theirs")

    mine, base = harness.alternate(*pair(), 5)
    assert (mine, base) == ([5.0, 1.0, 3.0, 9.0, 2.0], [4.0, 4.0, 6.0, 8.0, 7.0])
    assert order[:6] == ["ours", "theirs", "theirs", "ours", "ours", "theirs"]
    assert harness.best_of_pair(*pair(), 5) == (1.0, 4.0)
    assert harness.median_of_pair(*pair(), 5) == (3.0, 6.0)


def test_recording_one_topic_keeps_the_other_topics_rows(
    render: ModuleType, harness: ModuleType
) -> None:
    def run(results: dict[str, Any], topic: str, row: str, quick: bool, date: str) -> Any:
        rows = [_row(harness, row, 1.0, 2.0)]
        return render.record(
            results,
            topic,
            rows,
            quick=quick,
            command="make bench",
            seconds=1.0,
            date=date,
            machine_info=MACHINE,
        )

    results = run(render.load(Path("/nonexistent/latest.json")), "ray", "r", False, "2026-01-01")
    results = run(results, "futures", "f", False, "2026-01-01")
    before = json.loads(json.dumps(results))
    rerun = run(results, "ray", "r2", True, "2026-02-02")
    assert rerun["topics"]["futures"] == before["topics"]["futures"]
    assert [r["name"] for r in rerun["topics"]["ray"]["rows"]] == ["r2"]
    assert rerun["topics"]["ray"]["quick"] is True
    assert list(rerun["topics"]) == ["futures", "ray"]  # the reader's order, not run order
    assert results == before  # record() returns a copy


def test_rendered_pages_carry_rows_provenance_and_the_quick_warning(
    render: ModuleType, harness: ModuleType
) -> None:
    rows = [
        _row(harness, "wait | 10k", 1e-3, 2e-3, at_least=1.0),
        _row(harness, "slow one", 3e-6, 1.5e-6, at_least=1.0, note="the goal"),
        _row(harness, "info row", 1.0, 1.0),
    ]
    results = render.record(
        render.load(Path("/nonexistent")),
        "futures",
        rows,
        quick=True,
        command="uv run --no-sync python benchmarks/run.py --quick futures",
        seconds=3.0,
        date="2026-03-04T05:06:07Z",
        machine_info=MACHINE,
    )
    md = render.render_results_md(results)
    assert "2026-03-04T05:06:07Z" in md
    assert "`uv run --no-sync python benchmarks/run.py --quick futures`" in md
    assert "Test CPU @ 2.00GHz, 2 cores, 7.8 GiB RAM, Test OS, Linux 6.1, CPython 3.11.7" in md
    assert (
        "| wait \\| 10k | 1 ms | 2 ms | base of wait \\| 10k | 2.00x | ratio >= 1 | yes |"
    ) in md
    assert "| slow one | 3 µs | 1.5 µs |" in md and "0.50x | ratio >= 1 (the goal) | **no** |" in md
    assert "Placeholder numbers" in md
    readme = render.render_readme_section(results)
    assert readme.startswith(render.START) and readme.endswith(render.END)
    assert "slow one" in readme and "info row" not in readme  # info rows stay in latest.md
    assert "Placeholder numbers" in readme
    full = render.record(
        results,
        "futures",
        rows,
        quick=False,
        command="make bench",
        seconds=3.0,
        machine_info=MACHINE,
    )
    assert "Placeholder" not in render.render_docs(full)


def test_replace_section_keeps_the_rest_and_rejects_bad_markers(render: ModuleType) -> None:
    text = f"intro\n{render.START}\nold table\n{render.END}\noutro\n"
    new = f"{render.START}\nnew\n{render.END}"
    assert render.replace_section(text, new) == f"intro\n{new}\noutro\n"
    for bad in (
        "no markers",
        f"{render.END}\n{render.START}",
        f"{render.START}{render.START}{render.END}",
    ):
        with pytest.raises(ValueError, match="exactly one"):
            render.replace_section(bad, new)


def test_values_are_formatted_in_readable_units(render: ModuleType) -> None:
    assert render.fmt_value(2.5e-6, "seconds") == "2.5 µs"
    assert render.fmt_value(0.0123, "seconds") == "12.3 ms"
    assert render.fmt_value(1.5, "seconds") == "1.5 s"
    assert render.fmt_value(173_400.0, "per_second") == "173k/s"
    assert render.fmt_value(50.01, "per_second") == "50/s"
    assert render.fmt_value(2.2e6, "per_second") == "2.2M/s"


def test_machine_reports_cpu_cores_memory_os_and_python(render: ModuleType) -> None:
    info = render.machine()
    assert info["cores"] >= 1 and info["cpu_model"]
    assert info["python"].endswith(".".join(map(str, sys.version_info[:3])))
    if Path("/proc/meminfo").exists():
        assert info["memory_gib"] > 0
