"""Run every ``benchmarks/bench_*.py`` and report ratios against same-run baselines.

Usage: ``python benchmarks/run.py [--quick] [topic ...]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("topics", nargs="*", help="only these topics (bench_<topic>.py)")
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    files = sorted(HERE.glob("bench_*.py"))
    if args.topics:
        files = [f for f in files if f.stem.removeprefix("bench_") in args.topics]
    (HERE / "results").mkdir(exist_ok=True)
    for path in files:
        topic = path.stem.removeprefix("bench_")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        # registered, so that process pools can pickle the module's functions by name
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        print(f"\n== {topic} ==")
        rows = module.run(quick=args.quick)
        print(f"{'benchmark':<52} {'ours':>12} {'baseline':>12}  ratio  baseline / goal")
        for r in rows:
            print(
                f"{r.name:<52} {r.ours:>12.4g} {r.baseline:>12.4g} {r.ratio:>6.2f}x"
                f"  {r.baseline_name}{'  [' + r.goal + ']' if r.goal else ''}"
            )
        out = HERE / "results" / f"{topic}.json"
        out.write_text(json.dumps([r.as_dict() for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
