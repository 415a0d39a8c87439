"""Run the ``benchmarks/bench_*.py`` topics and record their ratios against same-run baselines.

Usage: ``python benchmarks/run.py [--quick] [--no-record] [topic ...]``

Each topic's rows replace that topic's rows in ``benchmarks/results/latest.json``
(the other topics keep theirs), with the date, the machine and this command;
then ``benchmarks/render.py`` rewrites ``benchmarks/results/latest.md``,
``docs/benchmarks.md`` and the README's benchmark table from that file.
``--quick`` (or ``CONCURRY_BENCH_QUICK=1``) runs smoke-test sizes, recorded
as such: placeholder numbers that only show the benchmarks run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import render  # noqa: E402  (benchmarks/ is not a package)
from _harness import Row  # noqa: E402


def _topics() -> dict[str, Path]:
    return {path.stem.removeprefix("bench_"): path for path in sorted(HERE.glob("bench_*.py"))}


def _command(argv: list[str]) -> str:
    """The exact command, as the Makefile names it or as run here."""
    return os.environ.get("CONCURRY_BENCH_COMMAND") or shlex.join(
        ["uv", "run", "--no-sync", "python", "benchmarks/run.py", *argv]
    )


def _print_rows(rows: list[Row]) -> None:
    width = max([len("benchmark"), *(len(r.name) for r in rows)])
    print(f"{'benchmark':<{width}} {'ours':>11} {'baseline':>11}   ratio  met   baseline; goal")
    for r in rows:
        met = "info" if r.met is None else ("yes" if r.met else "NO")
        print(
            f"{r.name:<{width}} {render.fmt_value(r.ours, r.unit):>11} "
            f"{render.fmt_value(r.baseline, r.unit):>11} {r.ratio:>7.2f}x  {met:<4}  "
            f"{r.baseline_name}{'; ' + r.goal if r.goal else ''}"
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("topics", nargs="*", help="only these topics (bench_<topic>.py)")
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("CONCURRY_BENCH_QUICK", "") not in ("", "0"),
        help="smoke-test sizes (also CONCURRY_BENCH_QUICK=1)",
    )
    parser.add_argument(
        "--no-record", action="store_true", help="print only: leave the results file alone"
    )
    args = parser.parse_args(argv)
    topics = _topics()
    unknown = [t for t in args.topics if t not in topics]
    if unknown:
        parser.error(f"unknown topic(s) {', '.join(unknown)}; the topics are {', '.join(topics)}")
    chosen = args.topics or list(topics)
    command = _command(argv)
    results = render.load()
    for topic in chosen:
        path = topics[topic]
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        # registered, so that process pools can pickle the module's functions by name
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        print(f"\n== {topic}{' (quick)' if args.quick else ''} ==", flush=True)
        t0 = time.perf_counter()
        rows = module.run(quick=args.quick)
        seconds = time.perf_counter() - t0
        _print_rows(rows)
        if not args.no_record:
            results = render.record(
                results,
                topic,
                [r.as_dict() for r in rows],
                quick=args.quick,
                command=command,
                seconds=seconds,
            )
            render.save(results)  # after each topic: a later failure keeps this one
    if not args.no_record:
        print(f"\nrecorded in {render.RESULTS.relative_to(render.ROOT)}")
        for changed in render.write_all(results):
            print(f"wrote {changed.relative_to(render.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
