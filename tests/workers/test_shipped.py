"""Functions and classes of ``__main__`` travel to a process worker by value once, then
by token (``_pickling.Shipped``): correct on every start method, and an item that fails
to pickle does not leave the child without an object it was promised."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import sys
import threading

from concurry_workers import SerializationError, TaskWorker, Worker


def double(x):
    return 2 * x


class Point:
    def __init__(self, x):
        self.x = x


def norm(p):
    return p.x if isinstance(p, Point) else None


class Holder(Worker):
    def apply(self, fn, x):
        return fn(x)


if __name__ == "__main__":
    method = sys.argv[1]
    tasks = TaskWorker.options(mode="process", mp_context=method).init()
    assert [tasks.submit(double, i).result(30) for i in range(5)] == [0, 2, 4, 6, 8]
    assert list(tasks.map(double, range(50), chunksize=7)) == [2 * i for i in range(50)]
    assert [tasks.submit(norm, Point(i)).result(30) for i in range(3)] == [0, 1, 2]
    tasks.stop()

    # the first call carrying `double` fails to pickle (a lock): the next one still works
    fresh = TaskWorker.options(mode="process", mp_context=method).init()
    try:
        fresh.submit(double, threading.Lock()).result(30)
    except SerializationError:
        pass
    else:
        raise SystemExit("a lock argument should not pickle")
    assert fresh.submit(double, 21).result(30) == 42
    fresh.stop()

    # a pool: every worker gets the bytes once, from its own record
    pool = Holder.options(mode="process", mp_context=method, max_workers=3).init()
    assert [f.result(30) for f in [pool.apply(double, i) for i in range(12)]] == [
        2 * i for i in range(12)
    ]
    pool.stop()
    print("ok")
"""


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_main_objects_shipped_once_per_child(method: str, tmp_path) -> None:
    script = tmp_path / "main_script.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), method], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
