"""The committed benchmark results and every page rendered from them.

``benchmarks/results/latest.json`` is the one source: per topic, the rows of
its last run with the date, the machine, the exact command and whether it ran
at quick (smoke) size. ``benchmarks/run.py`` updates the topics it ran and
then calls :func:`write_all`, which renders from that file:

- ``benchmarks/results/latest.md``: the same results for people;
- ``docs/benchmarks.md``: the docs page;
- the README section between ``<!-- bench:start -->`` and ``<!-- bench:end -->``.

``tests/workspace/test_bench_results.py`` fails when any of them differs from
what the committed JSON renders, so no figure can be typed by hand or drift.

Usage: ``python benchmarks/render.py`` rewrites the three outputs;
``python benchmarks/render.py --check`` only reports the stale ones (exit 1).
Standard library only: the test imports it without the benchmark dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "latest.json"
RESULTS_MD = HERE / "results" / "latest.md"
README = ROOT / "README.md"
DOCS_PAGE = ROOT / "docs" / "benchmarks.md"
START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
FORMAT = 1
# topics in the order a reader meets the packages; unknown topics follow, sorted
ORDER = ("futures", "limits", "retry", "workers", "pools", "ray")

Results = dict[str, Any]


# ---------------------------------------------------------------- recording


def machine() -> dict[str, Any]:
    """The machine this process runs on: CPU model, cores, memory, OS, Python."""
    info: dict[str, Any] = {
        "cpu_model": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "memory_gib": None,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
                break
    os_release = Path("/etc/os-release")
    if os_release.exists():
        for line in os_release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip().strip('"')
                info["os"] = f"{distro}, {platform.system()} {platform.release()}"
                break
    return info


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def load(path: Path = RESULTS) -> Results:
    """The results file, or an empty one when it does not exist yet.

    Raises:
        ValueError: The file is of another format version.
    """
    if not path.exists():
        return {"format": FORMAT, "topics": {}}
    results: Results = json.loads(path.read_text())
    if results.get("format") != FORMAT:
        raise ValueError(
            f"{path} has format {results.get('format')!r}; this renderer reads format {FORMAT}"
        )
    return results


def record(
    results: Results,
    topic: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    quick: bool,
    command: str,
    seconds: float,
    date: str | None = None,
    machine_info: Mapping[str, Any] | None = None,
) -> Results:
    """A copy of ``results`` with ``topic`` replaced by a new run; other topics kept as they were.

    Args:
        results: What :func:`load` returned.
        topic: The benchmark topic (``bench_<topic>.py``).
        rows: The rows, as ``Row.as_dict()`` gives them.
        quick: Whether the run used the quick (smoke) sizes.
        command: The exact command that ran it.
        seconds: How long the topic took.
        date: ISO time of the run (UTC); now by default.
        machine_info: The machine; :func:`machine` by default.
    """
    load_average = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    run = {
        "date": date or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": quick,
        "command": command,
        "commit": _commit(),
        "seconds": round(seconds, 1),
        "load_average": [round(x, 2) for x in load_average] if load_average else None,
        "machine": dict(machine_info) if machine_info is not None else machine(),
        "rows": [dict(row) for row in rows],
    }
    topics = {**results.get("topics", {}), topic: run}
    return {"format": FORMAT, "topics": {t: topics[t] for t in _ordered(topics)}}


def save(results: Results, path: Path = RESULTS) -> None:
    """Write the results file (stable key order, so diffs show only what changed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def _ordered(topics: Mapping[str, Any]) -> list[str]:
    known = [t for t in ORDER if t in topics]
    return known + sorted(t for t in topics if t not in ORDER)


# ---------------------------------------------------------------- rendering


def fmt_value(value: float, unit: str) -> str:
    """A measurement for people: ``12.3 µs``, ``4.56 ms``, ``1.2 s``; ``34.5k/s``."""
    if unit == "seconds":
        for scale, suffix in ((1e-6, "µs"), (1e-3, "ms")):
            if value < scale * 1000:
                return f"{value / scale:.3g} {suffix}"
        return f"{value:.3g} s"
    for scale, suffix in ((1e6, "M/s"), (1e3, "k/s")):
        if value >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}/s"


def verdict(row: Mapping[str, Any]) -> str:
    """``yes``, ``**no**``, or ``info`` for a row without a goal."""
    met = row.get("met")
    return "info" if met is None else ("yes" if met else "**no**")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _goal(row: Mapping[str, Any]) -> str:
    goal = row.get("goal") or "-"
    return f"{goal} ({row['note']})" if row.get("note") else goal


def _is_quick(results: Results) -> bool:
    return any(run["quick"] for run in results["topics"].values())


def machine_text(info: Mapping[str, Any]) -> str:
    """One line: CPU model, cores, memory, OS, Python."""
    cores = f"{info.get('cores')} cores"
    if info.get("usable_cores") not in (None, info.get("cores")):
        cores += f" ({info['usable_cores']} usable)"
    memory = f"{info['memory_gib']} GiB RAM" if info.get("memory_gib") else "memory unknown"
    return f"{info.get('cpu_model')}, {cores}, {memory}, {info.get('os')}, {info.get('python')}"


def _quick_warning(results: Results) -> list[str]:
    quick = [t for t, run in results["topics"].items() if run["quick"]]
    if not quick:
        return []
    return [
        f"> **Placeholder numbers.** {', '.join(quick)} ran at quick (smoke-test) size "
        "on a busy shared machine; these figures only show that the benchmarks run. "
        "`make bench` replaces them with full-size results.",
        "",
    ]


def _body(results: Results, level: int) -> list[str]:
    """Runs, machines and one table per topic; headings start at ``level``."""
    h = "#" * level
    topics = results["topics"]
    lines = _quick_warning(results)
    machines: list[str] = []
    for run in topics.values():
        text = machine_text(run["machine"])
        if text not in machines:
            machines.append(text)
    lines += [f"{h} Runs", ""]
    lines += [
        "| topic | date (UTC) | size | command | commit | load average (1/5/15 min) | took |",
        "|---|---|---|---|---|---|---|",
    ]
    for topic, run in topics.items():
        load_avg = " / ".join(f"{x:.2f}" for x in run["load_average"] or []) or "-"
        machine_no = (
            f" (machine {machines.index(machine_text(run['machine'])) + 1})"
            if len(machines) > 1
            else ""
        )
        lines.append(
            f"| {topic}{machine_no} | {run['date']} | {'quick' if run['quick'] else 'full'} "
            f"| `{_cell(run['command'])}` | {run['commit'] or '-'} | {load_avg} "
            f"| {run['seconds']:.0f} s |"
        )
    lines += ["", f"{h} Machine", ""]
    if len(machines) == 1:
        lines.append(machines[0])
    else:
        lines += [f"{i}. {text}" for i, text in enumerate(machines, 1)]
    lines.append("")
    for topic, run in topics.items():
        lines += [f"{h} {topic}", ""]
        lines += [
            "| benchmark | ours | baseline | baseline is | ratio | goal | met |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in run["rows"]:
            lines.append(
                f"| {_cell(row['name'])} | {fmt_value(row['ours'], row['unit'])} "
                f"| {fmt_value(row['baseline'], row['unit'])} | {_cell(row['baseline_name'])} "
                f"| {row['ratio']:.2f}x | {_cell(_goal(row))} | {verdict(row)} |"
            )
        lines.append("")
    return lines


_HOW_TO_READ = [
    "Ratio = baseline time / our time (for rates: our rate / the baseline's), so above 1 "
    "means ours is faster. Each row measures ours and its baseline alternately in the "
    "same process (best of several rounds each; for ray mode, the median of many short "
    "rounds), so a noisy moment on a shared machine lands on both sides; absolute "
    "times on such machines are noise, the ratios are the figure. Goals are bounds on "
    "the ratio; `info` rows have none.",
    "",
]


def render_results_md(results: Results) -> str:
    """``benchmarks/results/latest.md``."""
    lines = [
        "# Benchmark results",
        "",
        "<!-- Generated by benchmarks/render.py from latest.json; do not edit. -->",
        "",
        *_HOW_TO_READ,
        *_body(results, 2),
    ]
    return "\n".join(lines).rstrip() + "\n"


def render_docs(results: Results) -> str:
    """``docs/benchmarks.md``."""
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by benchmarks/render.py from benchmarks/results/latest.json; "
        "do not edit. -->",
        "",
        "The benchmarks in `benchmarks/` compare concurry with what a user would "
        "otherwise reach for, like with like: `concurrent.futures` for futures, "
        "executors and pools; tenacity for retries; the fastest peer rate limiter of "
        "the same algorithm (pyrate-limiter, `limits`) for synchronous limits, "
        "aiolimiter for async ones and the same peers' Redis limiters for the Redis "
        "backend; bare Ray actors and tasks for ray mode.",
        "",
        *_HOW_TO_READ,
        "Run them all, or one topic (the other topics' rows stay as they are):",
        "",
        "```bash",
        "make bench",
        "uv run --no-sync python benchmarks/run.py ray",
        "uv run --no-sync python benchmarks/run.py --quick   # smoke sizes",
        "```",
        "",
        "The figures below are `benchmarks/results/latest.json`, the file those commands "
        "write and the repository commits.",
        "",
        *_body(results, 2),
    ]
    return "\n".join(lines).rstrip() + "\n"


def render_readme_section(results: Results) -> str:
    """The README's benchmark table: one line per row with a goal, and where it came from."""
    topics = results["topics"]
    dates = sorted(run["date"][:10] for run in topics.values())
    span = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
    machines = sorted({machine_text(run["machine"]) for run in topics.values()})
    commands = sorted({run["command"] for run in topics.values()})
    lines = [
        START,
        "<!-- Generated by benchmarks/render.py from benchmarks/results/latest.json; "
        "do not edit. -->",
        "",
        *_quick_warning(results),
        f"From [`benchmarks/results/latest.md`](benchmarks/results/latest.md): measured "
        f"{span} on {'; '.join(machines)} with "
        f"{', '.join(f'`{c}`' for c in commands)}. Ratio = baseline time / ours "
        "(above 1 is faster); informational rows are in the results file.",
        "",
        "| topic | benchmark | baseline | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for topic, run in topics.items():
        for row in run["rows"]:
            if row.get("met") is None:
                continue
            lines.append(
                f"| {topic} | {_cell(row['name'])} | {_cell(row['baseline_name'])} "
                f"| {row['ratio']:.2f}x | {_cell(_goal(row))} | {verdict(row)} |"
            )
    lines += ["", END]
    return "\n".join(lines)


def replace_section(text: str, section: str) -> str:
    """``text`` with the part from START to END (inclusive) replaced by ``section``.

    Raises:
        ValueError: The markers are missing, repeated or out of order.
    """
    starts, ends = text.count(START), text.count(END)
    if starts != 1 or ends != 1 or text.index(START) > text.index(END):
        raise ValueError(
            f"expected exactly one {START} followed by one {END}, "
            f"found {starts} start and {ends} end marker(s)"
        )
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    return head + section + tail


def outputs(results: Results, readme_text: str) -> dict[Path, str]:
    """What every rendered file must contain, given the README's current text."""
    return {
        RESULTS_MD: render_results_md(results),
        DOCS_PAGE: render_docs(results),
        README: replace_section(readme_text, render_readme_section(results)),
    }


def stale(results: Results) -> list[Path]:
    """The rendered files that differ from what ``results`` renders."""
    expected = outputs(results, README.read_text())
    return [
        path for path, text in expected.items() if not path.exists() or path.read_text() != text
    ]


def write_all(results: Results) -> list[Path]:
    """Rewrite every rendered file from ``results``; return those that changed."""
    changed = []
    for path, text in outputs(results, README.read_text()).items():
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="only report files that are out of date (exit 1)"
    )
    args = parser.parse_args(argv)
    results = load()
    if not results["topics"]:
        print(f"{RESULTS} has no results yet: run `make bench`", file=sys.stderr)
        return 1
    if args.check:
        out = stale(results)
        for path in out:
            print(f"stale: {path.relative_to(ROOT)} (run python benchmarks/render.py)")
        return 1 if out else 0
    for path in write_all(results):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
