"""gather: result shapes, failures in input order, completion-order iteration, recurse."""

from __future__ import annotations

import threading
import time
from concurrent.futures import CancelledError, Future
from typing import Any

import pytest

from concurry_futures import SyncFuture, gather

from .conftest import GATE_TIMEOUT, Maker, concurrent_done


def test_list_tuple_set_and_varargs_give_lists_in_input_order() -> None:
    fs = [concurrent_done(i) for i in range(5)]
    assert gather(fs) == [0, 1, 2, 3, 4]
    assert gather(tuple(fs)) == [0, 1, 2, 3, 4]
    assert sorted(gather(set(fs))) == [0, 1, 2, 3, 4]
    assert gather(fs[0], fs[1], 7) == [0, 1, 7]
    assert gather(iter(fs[:2])) == [0, 1]


def test_dict_keeps_its_keys() -> None:
    assert gather({"a": concurrent_done(1), "b": 2, "c": SyncFuture(3)}) == {"a": 1, "b": 2, "c": 3}


def test_single_non_collection_gives_a_one_item_list() -> None:
    assert gather(concurrent_done(5)) == [5]
    assert gather(5) == [5]
    assert gather([]) == [] and gather({}) == {}


def test_results_in_input_order_when_completed_in_reverse(make: Maker) -> None:
    jobs = [make(i) for i in range(5)]

    def release_reversed() -> None:
        for j in reversed(jobs):
            j.release()
            j.future.result(timeout=GATE_TIMEOUT)

    threading.Thread(target=release_reversed).start()
    assert gather([j.future for j in jobs], timeout=GATE_TIMEOUT) == [0, 1, 2, 3, 4]


def test_first_failure_in_input_order_is_raised(make: Maker) -> None:
    first, second = make(KeyError("first")), make(ValueError("second"))
    ok = make(1)
    # The later one in input order fails first in time: it is done before the others start.
    second.release()
    assert isinstance(second.future.exception(timeout=GATE_TIMEOUT), ValueError)
    assert not first.future.done() and not ok.future.done()
    releaser = threading.Thread(target=lambda: (first.release(), ok.release()))
    releaser.start()  # while gather waits, or before: the earlier failure wins either way
    try:
        with pytest.raises(KeyError, match="first"):
            gather([ok.future, first.future, second.future], timeout=GATE_TIMEOUT)
    finally:
        releaser.join(GATE_TIMEOUT)


def test_failure_is_raised_without_waiting_for_later_futures(make: Maker) -> None:
    bad, never = make(ValueError("bad")), make("never")
    bad.release()
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="bad"):
        gather([bad.future, never.future], timeout=GATE_TIMEOUT)
    assert time.monotonic() - t0 < GATE_TIMEOUT / 2


def test_return_exceptions_puts_them_in_their_slots() -> None:
    err = RuntimeError("r")
    cancelled: Future[Any] = Future()
    cancelled.cancel()
    out = gather([concurrent_done(1), concurrent_done(exc=err), cancelled], return_exceptions=True)
    assert out[0] == 1 and out[1] is err and isinstance(out[2], CancelledError)
    out_d = gather({"x": concurrent_done(exc=err)}, return_exceptions=True)
    assert out_d == {"x": err}


def test_cancelled_future_raises_cancelled_error() -> None:
    cancelled: Future[Any] = Future()
    cancelled.cancel()
    with pytest.raises(CancelledError):
        gather([concurrent_done(1), cancelled])


def test_timeout_says_how_many_completed(make: Maker) -> None:
    never = make(0)
    with pytest.raises(
        TimeoutError, match=r"gather timed out after 0.1 s: 1 of 2 futures completed"
    ):
        gather([concurrent_done(1), never.future], timeout=0.1)


def test_iter_yields_in_completion_order(make: Maker) -> None:
    jobs = [make(f"v{i}") for i in range(3)]
    it = gather([j.future for j in jobs], iter=True, timeout=GATE_TIMEOUT)
    order = [2, 0, 1]
    got = []
    for i in order:
        jobs[i].release()
        got.append(next(it))
    assert got == [(2, "v2"), (0, "v0"), (1, "v1")]
    assert list(it) == []


def test_iter_yields_done_ones_first_and_dict_keys(make: Maker) -> None:
    job = make("late")
    it = gather({"a": job.future, "b": concurrent_done("early")}, iter=True, timeout=GATE_TIMEOUT)
    assert next(it) == ("b", "early")
    job.release()
    assert next(it) == ("a", "late")


def test_iter_failures_and_return_exceptions() -> None:
    err = ValueError("v")
    assert list(
        gather([concurrent_done(exc=err), concurrent_done(1)], iter=True, return_exceptions=True)
    ) == [
        (0, err),
        (1, 1),
    ]
    it = gather([concurrent_done(1), concurrent_done(exc=err)], iter=True)
    assert next(it) == (0, 1)
    with pytest.raises(ValueError):
        next(it)


def test_iter_timeout(make: Maker) -> None:
    never = make(0)
    it = gather([concurrent_done(1), never.future], iter=True, timeout=0.1)
    assert next(it) == (0, 1)
    with pytest.raises(TimeoutError, match="1 of 2"):
        next(it)


def test_recurse_on_a_single_list_argument() -> None:
    data = [
        concurrent_done(1),
        [concurrent_done(2), (concurrent_done(3), 4)],
        {"k": concurrent_done(5), "n": {"m": concurrent_done(6)}},
    ]
    assert gather(data, recurse=True) == [1, [2, (3, 4)], {"k": 5, "n": {"m": 6}}]


def test_recurse_on_a_single_dict_argument() -> None:
    data = {"a": [concurrent_done(1), concurrent_done(2)], "b": {"c": concurrent_done(3)}, "d": 4}
    assert gather(data, recurse=True) == {"a": [1, 2], "b": {"c": 3}, "d": 4}


def test_recurse_with_varargs_and_sets() -> None:
    with pytest.raises(ValueError):
        gather([concurrent_done(1)], {concurrent_done(2)}, recurse=True)
    assert gather(concurrent_done(1), (concurrent_done(2),), recurse=True) == [1, (2,)]
    assert gather({concurrent_done(7)}, recurse=True) == [7]


def test_recurse_iter_keys_are_paths() -> None:
    out = dict(gather({"a": [concurrent_done(1), concurrent_done(2)]}, recurse=True, iter=True))
    assert out == {("a", 0): 1, ("a", 1): 2}


def test_recurse_raises_failures_too() -> None:
    with pytest.raises(KeyError):
        gather([[concurrent_done(exc=KeyError())]], recurse=True)
    assert gather([[concurrent_done(exc=KeyError("z"))]], recurse=True, return_exceptions=True)[0][
        0
    ].args == ("z",)


def test_extra_futures_after_a_collection_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Cannot provide both a structure"):
        gather({"a": 1}, 2)


def test_other_iterables_are_collections_but_strings_are_not() -> None:
    from collections import OrderedDict, deque
    from types import MappingProxyType

    fs = {"a": concurrent_done(1), "b": concurrent_done(2)}
    assert gather(fs.values()) == [1, 2]
    assert gather(deque([concurrent_done(1), 2])) == [1, 2]
    assert gather(MappingProxyType(fs)) == {"a": 1, "b": 2}
    assert gather(OrderedDict(fs)) == {"a": 1, "b": 2}
    assert gather(range(3)) == [0, 1, 2]
    assert gather("abc") == ["abc"] and gather(b"xy") == [b"xy"]
    assert gather([deque([concurrent_done(5)]), "s"], recurse=True) == [[5], "s"]
