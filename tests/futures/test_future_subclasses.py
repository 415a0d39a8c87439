"""``concurrent.futures.Future`` subclasses that bring their own behaviour.

A subclass with a ``_wait_many`` classmethod is offered the pending futures of
a ``wait`` / ``gather`` made only of its own kind (ray-mode calls wait with
``ray.wait`` this way); one that overrides ``result()`` is read through it.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any, ClassVar

import pytest

from concurry_futures import ReturnWhen, gather, wait

T = 30


class Batched(Future):  # type: ignore[type-arg]
    """Settles every future it is offered, in the waiting thread, with its ``value``."""

    offered: ClassVar[list[tuple[int, Any, Any]]] = []

    def __init__(self, value: int) -> None:
        super().__init__()
        self.value = value

    @classmethod
    def _wait_many(cls, futures: list[Batched], timeout: float | None, return_when: Any) -> None:
        cls.offered.append((len(futures), timeout, return_when))
        for future in futures:
            future.set_result(future.value)


class Idle(Future):  # type: ignore[type-arg]
    """Offered the futures, does nothing but say so."""

    called = threading.Event()

    @classmethod
    def _wait_many(cls, futures: list[Idle], timeout: float | None, return_when: Any) -> None:
        cls.called.set()


class Doubling(Future):  # type: ignore[type-arg]
    def result(self, timeout: float | None = None) -> Any:
        return 2 * super().result(timeout)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    Batched.offered.clear()
    Idle.called.clear()


def test_gather_offers_the_pending_futures_of_one_kind_to_their_class() -> None:
    futures = [Batched(i) for i in range(5)]
    assert gather(futures, timeout=T) == list(range(5))
    assert len(Batched.offered) == 1
    count, timeout, return_when = Batched.offered[0]
    assert count == 5 and 0 < timeout <= T
    assert ReturnWhen(return_when) is ReturnWhen.FIRST_EXCEPTION


def test_wait_offers_them_with_its_own_condition() -> None:
    futures = [Batched(i) for i in range(3)]
    done, not_done = wait(futures, timeout=T, return_when=ReturnWhen.ALL_COMPLETED)
    assert len(done) == 3 and not not_done
    assert [ReturnWhen(r) for _, _, r in Batched.offered] == [ReturnWhen.ALL_COMPLETED]


def test_finished_futures_are_not_offered() -> None:
    settled = Batched(1)
    settled.set_result(1)
    assert gather([settled], timeout=T) == [1]
    assert Batched.offered == []


def test_a_mix_of_kinds_is_not_offered() -> None:
    plain: Future[int] = Future()
    with pytest.raises(TimeoutError, match="0 of 2"):
        wait([Batched(1), plain], timeout=0)
    assert Batched.offered == []


def test_a_class_that_does_not_settle_them_leaves_the_usual_wait() -> None:
    futures = [Idle() for _ in range(3)]

    def settle() -> None:
        Idle.called.wait(T)
        for i, future in enumerate(futures):
            future.set_result(i)

    thread = threading.Thread(target=settle)
    thread.start()
    try:
        assert gather(futures, timeout=T) == [0, 1, 2]
        assert Idle.called.is_set()
    finally:
        thread.join(T)


def test_a_result_override_is_what_gather_and_iteration_return() -> None:
    futures = [Doubling() for _ in range(3)]
    for i, future in enumerate(futures):
        future.set_result(i)
    assert gather(futures, timeout=T) == [0, 2, 4]
    assert sorted(v for _, v in gather(futures, iter=True, timeout=T)) == [0, 2, 4]
