"""Limits shared by the workers of a pool (issue 9): the ``limits=`` forms given to a
thread or process pool, checked by what the workers were granted and when.

Workers record grant times with ``time.time()`` (one clock for every process)
and return them; the test computes overlaps and rates from the records.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "limits"))
from limits_mp_helpers import peak_overlap  # a release and a grant at one time: no overlap
from pool_helpers import T
from pool_limits_helpers import Limited

from concurry_limits import CallLimit, LimitSet, RateLimit, ResourceLimit


def _limits(form: str, limits: list[Any]) -> Any:
    return LimitSet(limits) if form == "set" else limits


@pytest.mark.parametrize(("mode", "form"), [("process", "list"), ("thread", "set")])
def test_resource_limit_of_two_across_a_pool_of_four(mode, form, no_leaks):
    limits = _limits(form, [ResourceLimit(key="slots", capacity=2)])
    with Limited.options(mode=mode, max_workers=4, limits=limits).init() as pool:
        futures = [pool.hold_slot(0.08) for _ in range(12)]
        intervals = [f.result(timeout=T) for f in futures]
    assert peak_overlap(intervals) == 2, sorted(intervals)  # never 3; and 2 do run together


@pytest.mark.parametrize(("mode", "form"), [("thread", "set"), ("process", "list")])
def test_rate_limit_of_20_per_second_across_a_pool_of_four(mode, form, no_leaks):
    rate, calls, burst = 20, 70, 20
    limits = _limits(form, [RateLimit(key="rps", window=1, capacity=rate)])
    with Limited.options(mode=mode, max_workers=4, limits=limits).init() as pool:
        futures = [pool.take("rps") for _ in range(calls)]
        granted = sorted(f.result(timeout=T) for f in futures)
    # the bucket starts full (a burst of ``burst``); after it, grants come at the rate
    steady = granted[burst + 5 :]
    measured = (len(steady) - 1) / (steady[-1] - steady[0])
    assert rate * 0.95 <= measured <= rate * 1.05, f"{measured:.2f} grants/s"
    assert granted[-1] - granted[0] >= (calls - burst) / rate * 0.95


@pytest.mark.parametrize("form", ["list", "set"])
@pytest.mark.parametrize("mode", ["thread", "process"])
def test_call_limit_is_one_budget_for_the_whole_pool(mode, form, no_leaks):
    limits = _limits(form, [CallLimit(window=3600, capacity=5)])
    with Limited.options(mode=mode, max_workers=4, limits=limits).init() as pool:
        granted = [f.result(timeout=T) for f in [pool.try_call() for _ in range(12)]]
    assert granted.count(True) == 5, granted  # private budgets would grant all 12


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_list_of_limit_sets_is_a_limit_pool_per_worker_offset_by_index(mode, no_leaks):
    n = 3
    sets = [
        LimitSet([ResourceLimit(key="conn", capacity=100)], config={"name": f"key{i}"})
        for i in range(n)
    ]
    with Limited.options(
        mode=mode, max_workers=n, limits=sets, load_balancing="round_robin"
    ).init() as pool:
        answers = [f.result(timeout=T) for f in [pool.set_names(2 * n) for _ in range(n)]]
    assert len({who for who, _, _ in answers}) == n  # one call on each worker
    assert {kind for _, kind, _ in answers} == {"LimitPool"}
    starts = []
    for _, _, names in answers:
        first = int(names[0][3:])
        starts.append(first)
        assert names == [f"key{(first + k) % n}" for k in range(2 * n)], names  # round robin
    assert sorted(starts) == list(range(n)), starts  # each worker starts at its own index
