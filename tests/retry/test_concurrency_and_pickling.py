from __future__ import annotations

import pickle
import threading
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pytest

from concurry_retry import RetryConfig, retry

_local = threading.local()


@retry(num_retries=3, retry_wait=0, retry_on=ConnectionError)
def per_thread_flaky(failures: int) -> str:
    """Fails ``failures`` times per thread, then returns the thread's name."""
    count = getattr(_local, "count", 0) + 1
    _local.count = count
    if count <= failures:
        raise ConnectionError(count)
    _local.count = 0
    return threading.current_thread().name


def test_one_decorated_function_from_many_threads() -> None:
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(per_thread_flaky, [i % 4 for i in range(200)], timeout=30))
    assert len(results) == 200 and all(results)


def test_decorated_function_pickles_by_reference() -> None:
    back = pickle.loads(pickle.dumps(per_thread_flaky))
    assert back is per_thread_flaky


class _IndexLike:
    """Stands in for numpy integers: not an ``int``, but has ``__index__``."""

    def __index__(self) -> int:
        return 2


def test_integer_like_and_real_numbers_are_accepted() -> None:
    c = RetryConfig(num_retries=_IndexLike(), retry_wait=Fraction(1, 4))  # type: ignore[arg-type]
    assert c.num_retries == 2 and type(c.num_retries) is int
    assert c.retry_wait == 0.25 and type(c.retry_wait) is float


def test_mangled_notes_do_not_hide_the_error() -> None:
    err = OSError("real")
    err.__notes__ = "not a list"  # type: ignore[attr-defined]

    @retry(num_retries=1, retry_wait=0)
    def f() -> None:
        raise err

    with pytest.raises(OSError, match="real"):
        f()
