"""PollingAlgorithm and the four strategies; ReturnWhen and the constants."""

from __future__ import annotations

import concurrent.futures as cf
from typing import Any

import pytest

from concurry_futures import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    AdaptivePolling,
    ExponentialPolling,
    FixedPolling,
    PollingAlgorithm,
    ProgressivePolling,
    ReturnWhen,
    polling_strategy,
)


def test_constants_match_concurrent_futures() -> None:
    assert (ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION) == (
        cf.ALL_COMPLETED,
        cf.FIRST_COMPLETED,
        cf.FIRST_EXCEPTION,
    )
    assert ReturnWhen.ALL_COMPLETED == "ALL_COMPLETED"


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("all", ReturnWhen.ALL_COMPLETED),
        ("ALL_COMPLETED", ReturnWhen.ALL_COMPLETED),
        ("all-completed", ReturnWhen.ALL_COMPLETED),
        ("First", ReturnWhen.FIRST_COMPLETED),
        ("first completed", ReturnWhen.FIRST_COMPLETED),
        ("exception", ReturnWhen.FIRST_EXCEPTION),
        (ReturnWhen.FIRST_EXCEPTION, ReturnWhen.FIRST_EXCEPTION),
    ],
)
def test_return_when_is_string_friendly(text: Any, member: ReturnWhen) -> None:
    assert ReturnWhen(text) is member


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("fixed", PollingAlgorithm.Fixed),
        ("ADAPTIVE", PollingAlgorithm.Adaptive),
        ("Exponential", PollingAlgorithm.Exponential),
        ("pro-gressive", PollingAlgorithm.Progressive),
        (PollingAlgorithm.Fixed, PollingAlgorithm.Fixed),
    ],
)
def test_polling_algorithm_is_string_friendly(text: Any, member: PollingAlgorithm) -> None:
    assert PollingAlgorithm(text) is member


def test_unknown_enum_values_list_the_choices() -> None:
    with pytest.raises(
        ValueError, match="unknown PollingAlgorithm 'bogus'; valid choices: 'fixed'"
    ):
        PollingAlgorithm("bogus")
    with pytest.raises(ValueError, match="unknown ReturnWhen 3"):
        ReturnWhen(3)  # type: ignore[arg-type]


def test_polling_strategy_factory() -> None:
    assert isinstance(polling_strategy("fixed"), FixedPolling)
    assert isinstance(polling_strategy(PollingAlgorithm.Adaptive), AdaptivePolling)
    assert isinstance(polling_strategy("exponential"), ExponentialPolling)
    assert isinstance(polling_strategy("progressive", checks_per_level=2), ProgressivePolling)
    mine = FixedPolling(0.5)
    assert polling_strategy(mine) is mine
    with pytest.raises(ValueError, match="options cannot be combined"):
        polling_strategy(mine, interval=1)


def test_fixed() -> None:
    s = FixedPolling(0.02)
    s.record_no_completion()
    s.record_completion()
    assert s.get_next_interval() == 0.02
    with pytest.raises(ValueError, match="interval must be > 0, got 0"):
        FixedPolling(0)


def test_adaptive_speeds_up_and_slows_down_within_bounds() -> None:
    s = AdaptivePolling(min_interval=0.001, max_interval=0.1, initial_interval=0.01)
    start = s.get_next_interval()
    s.record_no_completion()
    assert s.get_next_interval() > start
    for _ in range(100):
        s.record_no_completion()
    assert s.get_next_interval() == 0.1
    for _ in range(100):
        s.record_completion()
    assert s.get_next_interval() == 0.001
    s.reset()
    assert s.get_next_interval() == start
    with pytest.raises(ValueError, match="max_interval must be >= min_interval"):
        AdaptivePolling(min_interval=1, max_interval=0.5)
    with pytest.raises(ValueError, match="speedup must be in"):
        AdaptivePolling(speedup=2)


def test_exponential_grows_and_resets_on_completion() -> None:
    s = ExponentialPolling(initial_interval=0.01, max_interval=0.05, factor=2)
    seen = []
    for _ in range(4):
        seen.append(s.get_next_interval())
        s.record_no_completion()
    assert seen == [0.01, 0.02, 0.04, 0.05]
    s.record_completion()
    assert s.get_next_interval() == 0.01
    with pytest.raises(ValueError, match="factor must be > 1"):
        ExponentialPolling(factor=1)


def test_progressive_steps_through_levels() -> None:
    s = ProgressivePolling(levels=(0.01, 0.02, 0.03), checks_per_level=2)
    seen = []
    for _ in range(7):
        seen.append(s.get_next_interval())
        s.record_no_completion()
    assert seen == [0.01, 0.01, 0.02, 0.02, 0.03, 0.03, 0.03]
    s.record_completion()
    assert s.get_next_interval() == 0.01
    with pytest.raises(ValueError, match="levels must be increasing"):
        ProgressivePolling(levels=(0.2, 0.1))
    with pytest.raises(ValueError, match="checks_per_level must be >= 1"):
        ProgressivePolling(checks_per_level=0)
    assert "ProgressivePolling(levels=" in repr(s)
