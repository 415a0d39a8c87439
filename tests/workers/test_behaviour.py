"""One behaviour suite, run on every mode (sync, thread, process, asyncio, and ray when
concurry-ray is installed)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import CancelledError

import pytest

from concurry_futures import BaseFuture, SyncFuture
from concurry_workers import Worker, WorkerStoppedError

T = 30  # generous timeout for every wait


class Counter(Worker):
    def __init__(self, start: int = 0, *, step: int = 1) -> None:
        self.count = start
        self.step = step

    def incr(self) -> int:
        self.count += self.step
        return self.count

    def echo(self, *args, **kwargs):
        return args, kwargs

    async def aecho(self, value):
        await asyncio.sleep(0)
        return value

    def fail(self, message: str) -> None:
        raise ValueError(message)

    async def afail(self, message: str) -> None:
        raise KeyError(message)

    def exit(self) -> None:
        raise SystemExit(3)

    def interrupt(self) -> None:
        raise KeyboardInterrupt

    async def aexit(self) -> None:
        await asyncio.sleep(0)
        raise SystemExit(4)

    async def ainterrupt(self) -> None:
        await asyncio.sleep(0)
        raise KeyboardInterrupt

    # names that clash with helpers of pydantic models / proxies
    def copy(self):
        return "copy"

    def json(self):
        return "json"

    def validate(self):
        return "validate"

    def options(self):  # shadows Worker.options on instances only
        return "options"

    def dict(self):
        return "dict"

    def model_dump(self):
        return "model_dump"

    def mode(self):
        return "mode"

    def blocking(self):
        return "blocking"


class Plain(Worker):
    def double(self, x):
        return 2 * x

    async def adouble(self, x):
        return 2 * x

    def fail(self, message):
        raise ValueError(message)


class Failing(Worker):
    def __init__(self, message: str) -> None:
        raise ValueError(message)


class Gate(Worker):
    """Blocks in ``hold`` until released (the test drives it with a second worker)."""

    def __init__(self) -> None:
        self.log: list[int] = []

    def hold(self, started: str, release: str) -> str:
        """Announce the start by creating ``started``; return once ``release`` exists."""
        import os
        import time

        open(started, "w").close()
        deadline = time.monotonic() + 30
        while not os.path.exists(release) and time.monotonic() < deadline:
            time.sleep(0.005)  # a cross-process gate: the test creates the file
        return "held"

    def record(self, i: int) -> int:
        self.log.append(i)
        return i

    def get_log(self) -> list[int]:
        return list(self.log)


def test_call_returns_future_and_keeps_state(worker_mode, no_leaks):
    w = Counter.options(mode=worker_mode).init(10, step=2)
    try:
        first = w.incr()
        assert isinstance(first, BaseFuture)
        if worker_mode == "sync":
            assert isinstance(first, SyncFuture)
        assert first.result(timeout=T) == 12
        assert w.incr().result(timeout=T) == 14
        assert w.echo(1, a=2).result(timeout=T) == ((1,), {"a": 2})
    finally:
        w.stop()


def test_calls_run_in_order(worker_mode, no_leaks):
    with Gate.options(mode=worker_mode).init() as w:
        futures = [w.record(i) for i in range(200)]
        assert [f.result(timeout=T) for f in futures] == list(range(200))
        assert w.get_log().result(timeout=T) == list(range(200))


def test_async_methods_work(worker_mode, no_leaks):
    with Counter.options(mode=worker_mode).init() as w:
        assert w.aecho(5).result(timeout=T) == 5
        with pytest.raises(KeyError, match="boom"):
            w.afail("boom").result(timeout=T)


def test_errors_keep_type_and_message(worker_mode, no_leaks):
    with Counter.options(mode=worker_mode).init() as w:
        future = w.fail("nope")
        with pytest.raises(ValueError, match="nope"):
            future.result(timeout=T)
        assert isinstance(future.exception(timeout=T), ValueError)
        assert w.incr().result(timeout=T) == 1  # still serving


def test_system_exit_and_keyboard_interrupt_come_back(worker_mode, no_leaks):
    with Counter.options(mode=worker_mode).init() as w:
        with pytest.raises(SystemExit):
            w.exit().result(timeout=T)
        with pytest.raises(KeyboardInterrupt):
            w.interrupt().result(timeout=T)
        with pytest.raises(SystemExit):  # async methods too (on asyncio: from a task)
            w.aexit().result(timeout=T)
        with pytest.raises(KeyboardInterrupt):
            w.ainterrupt().result(timeout=T)
        assert w.incr().result(timeout=T) == 1
        assert w.aecho(2).result(timeout=T) == 2


def test_init_error_raises_at_init(worker_mode, no_leaks):
    with pytest.raises(ValueError, match="bad config"):
        Failing.options(mode=worker_mode).init("bad config")


def test_blocking_returns_values(worker_mode, no_leaks):
    with Plain.options(mode=worker_mode, blocking="true").init() as w:
        assert w.blocking is True
        assert w.double(2) == 4
        assert w.adouble(3) == 6
        with pytest.raises(ValueError, match="direct"):
            w.fail("direct")


def test_missing_method_is_attribute_error(worker_mode, no_leaks):
    with Counter.options(mode=worker_mode).init() as w:
        with pytest.raises(AttributeError, match="no_such_method"):
            w.no_such_method()
        with pytest.raises(AttributeError):
            w._private()


HELPER_NAMES = ["copy", "json", "validate", "options", "dict", "model_dump", "mode", "blocking"]


def test_helper_names_reach_the_worker(worker_mode, no_leaks):
    # one worker for every name: a worker start is costly in process and ray modes
    with Counter.options(mode=worker_mode).init() as w:
        got = {name: getattr(w, name)().result(timeout=T) for name in HELPER_NAMES}
    assert got == {name: name for name in HELPER_NAMES}


def test_stop_is_idempotent_and_refuses_calls(worker_mode, no_leaks):
    w = Counter.options(mode=worker_mode).init()
    assert w.incr().result(timeout=T) == 1
    w.stop()
    w.stop()
    with pytest.raises(RuntimeError, match="Worker is stopped"):
        w.incr()
    with pytest.raises(WorkerStoppedError):
        w.incr()


def test_context_manager_stops_on_error(worker_mode, no_leaks):
    with pytest.raises(ZeroDivisionError), Counter.options(mode=worker_mode).init() as w:
        1 / 0  # noqa: B018
    with pytest.raises(RuntimeError, match="Worker is stopped"):
        w.incr()


def test_future_arguments_are_unwrapped(worker_mode, no_leaks):
    with (
        Counter.options(mode=worker_mode).init(1) as producer,
        Counter.options(mode=worker_mode).init() as consumer,
    ):
        a = producer.incr()  # 2
        b = producer.incr()  # 3
        out = consumer.echo(a, [b, (a,)], {"k": {b}}, key=[a]).result(timeout=T)
        assert out == ((2, [3, (2,)], {"k": {3}}), {"key": [2]})


def test_failed_future_argument_fails_the_call(worker_mode, no_leaks):
    with Counter.options(mode=worker_mode).init() as w:
        bad = w.fail("upstream")
        with pytest.raises(ValueError, match="upstream"):
            w.echo(bad).result(timeout=T)


def test_unwrap_futures_false_passes_futures(worker_mode, no_leaks):
    with Counter.options(mode=worker_mode, unwrap_futures=False).init() as w:
        f = SyncFuture(7)
        (got,), _ = w.echo(f).result(timeout=T)
        assert isinstance(got, BaseFuture) and got.result(timeout=T) == 7
        if worker_mode not in ("process", "ray"):  # these receive (and return) a copy
            assert got is f


@pytest.mark.parametrize("mode", ["thread", "process", "asyncio"])
def test_caller_does_not_block_on_pending_argument(mode, no_leaks):
    # the worker side waits for the argument; the caller gets its future at once
    from concurrent.futures import Future

    from concurry_futures import ConcurrentFuture

    raw: Future = Future()
    with Counter.options(mode=mode).init() as w:
        t0 = time.monotonic()
        fut = w.echo({"k": [ConcurrentFuture(raw)]})
        assert time.monotonic() - t0 < 5
        assert not fut.done()
        raw.set_result("late")
        assert fut.result(timeout=T) == (({"k": ["late"]},), {})


def test_state_is_isolated_per_worker(worker_mode, no_leaks):
    with (
        Counter.options(mode=worker_mode).init() as a,
        Counter.options(mode=worker_mode).init() as b,
    ):
        assert [a.incr().result(timeout=T) for _ in range(3)] == [1, 2, 3]
        assert b.incr().result(timeout=T) == 1


def test_classes_from_main_travel_to_a_process(tmp_path, no_leaks):
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "main_worker.py"
    script.write_text(
        textwrap.dedent(
            """
            from concurry_workers import TaskWorker, Worker

            class Adder(Worker):  # defined in __main__
                def __init__(self, n):
                    self.n = n

                def add(self, x):
                    return self.n + x

            if __name__ == "__main__":
                offset = 100
                with Adder.options(mode="process", mp_context="spawn").init(1) as w:
                    print(w.add(2).result(timeout=60))
                with TaskWorker.options(mode="process").init() as t:
                    print(t.submit(lambda x: x + offset, 1).result(timeout=60))
            """
        )
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "101"]


def wait_for_file(path, timeout=T):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.005)  # waiting on a file the worker creates (cross-process signal)


@pytest.fixture
def gate_files(tmp_path):
    return str(tmp_path / "started"), str(tmp_path / "release")


def test_stop_cancels_queued_and_finishes_running(queuing_mode, gate_files, no_leaks):
    worker_mode = queuing_mode
    started, release = gate_files
    w = Gate.options(mode=worker_mode, max_queued_tasks=3).init()
    running = w.hold(started, release)
    wait_for_file(started)
    queued = [w.record(i) for i in range(20)]
    stopper = threading.Thread(target=w.stop, kwargs={"timeout": T})
    stopper.start()
    deadline = time.monotonic() + T
    with pytest.raises(RuntimeError, match="Worker is stopped"):
        while time.monotonic() < deadline:  # stop() refuses new calls as soon as it starts
            w.record(-1)
            time.sleep(0.001)
    open(release, "w").close()
    stopper.join(T)
    assert not stopper.is_alive()
    assert running.result(timeout=0) == "held"
    for f in queued:
        assert f.done() and f.cancelled()  # also those already handed to the worker
        with pytest.raises(CancelledError):
            f.result(timeout=0)


def test_cancel_a_queued_call(queuing_mode, gate_files, no_leaks):
    worker_mode = queuing_mode
    started, release = gate_files
    with Gate.options(mode=worker_mode, max_queued_tasks=2).init() as w:
        running = w.hold(started, release)
        queued = [w.record(i) for i in range(5)]
        target = queued[-1]  # held client-side by the submission queue
        assert target.cancel()
        assert target.cancelled()
        open(release, "w").close()
        assert running.result(timeout=T) == "held"
        assert [f.result(timeout=T) for f in queued[:-1]] == [0, 1, 2, 3]
        assert w.get_log().result(timeout=T) == [0, 1, 2, 3]


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_submission_queue_returns_at_once_and_caps_inflight(mode, gate_files, no_leaks):
    started, release = gate_files
    with Gate.options(mode=mode, max_queued_tasks=3).init() as w:
        hold = w.hold(started, release)
        t0 = time.monotonic()
        futures = [w.record(i) for i in range(50)]  # must not block the caller
        assert time.monotonic() - t0 < 5
        assert not futures[-1].done()
        queue = w._link
        assert queue.inflight == 3
        assert queue.waiting == 48
        open(release, "w").close()
        hold.result(timeout=T)
        assert [f.result(timeout=T) for f in futures] == list(range(50))


def test_forgotten_worker_finishes_its_calls_and_exits(worker_mode, no_leaks):
    import gc

    w = Counter.options(mode=worker_mode, max_queued_tasks=2).init()
    futures = [w.incr() for _ in range(10)]
    del w
    gc.collect()
    assert [f.result(timeout=T) for f in futures] == list(range(1, 11))
    # no_leaks checks that the worker's threads and processes are gone


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_submission_queue_under_concurrent_submitters(mode, no_leaks):
    with Counter.options(mode=mode, max_queued_tasks=2).init() as w:
        results: list = []
        lock = threading.Lock()

        def submitter() -> None:
            futures = [w.echo(i) for i in range(300)]
            values = [f.result(timeout=T)[0][0] for f in futures]
            with lock:
                results.append(values)

        threads = [threading.Thread(target=submitter) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(T)
        assert [v for v in results] == [list(range(300))] * 4
        assert w._link.inflight == 0 and w._link.waiting == 0


def test_stop_while_submitting_leaves_no_pending_future(no_leaks):
    w = Counter.options(mode="thread", max_queued_tasks=1).init()
    futures: list = []
    stop_now = threading.Event()

    def submitter() -> None:
        try:
            while True:
                futures.append(w.echo(1))
                if len(futures) == 200:
                    stop_now.set()
        except RuntimeError:
            pass

    thread = threading.Thread(target=submitter)
    thread.start()
    assert stop_now.wait(T)
    w.stop()
    thread.join(T)
    assert not thread.is_alive()
    for f in futures:
        assert f.done()


class Slotted:
    """A plain class whose instances have no ``__dict__`` (and no ``limits`` slot)."""

    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x

    def info(self):
        return type(self.limits).__name__, self.x, isinstance(self, Slotted)


def test_slotted_class_still_gets_limits(worker_mode, no_leaks):
    from concurry_workers import WorkerBuilder

    with WorkerBuilder(Slotted, {"mode": worker_mode}).init(4) as w:
        assert w.info().result(timeout=T) == ("LimitSet", 4, True)


@pytest.mark.parametrize("bad", [-1, "soon", float("inf")])
def test_stop_timeout_must_be_a_finite_number(bad, no_leaks):
    w = Counter.options(mode="thread").init()
    try:
        with pytest.raises(ValueError, match="timeout"):
            w.stop(timeout=bad)
    finally:
        w.stop()


def test_stop_is_bounded_with_a_stuck_call(worker_mode, gate_files, no_leaks):
    from concurry_workers import WorkerDiedError

    started, release = gate_files
    w = Gate.options(mode=worker_mode, max_queued_tasks=2).init()
    box: dict = {}
    if worker_mode == "sync":  # in-line: the stuck call runs in another caller's thread
        caller = threading.Thread(target=lambda: box.setdefault("f", w.hold(started, release)))
        caller.start()
    else:
        box["f"] = w.hold(started, release)
    wait_for_file(started)
    queued = [w.record(i) for i in range(5)] if worker_mode != "sync" else []
    t0 = time.monotonic()
    w.stop(timeout=0.2)
    assert time.monotonic() - t0 < 15
    for f in queued:
        assert f.cancelled()
    open(release, "w").close()
    if worker_mode == "sync":
        caller.join(T)
        assert box["f"].result(timeout=0) == "held"
    elif worker_mode in ("process", "ray"):  # terminated (killed) after the timeout
        with pytest.raises(WorkerDiedError, match="by stop"):
            box["f"].result(timeout=0)  # settled before stop() returned
    else:  # a thread cannot be killed: the call finishes later, on its daemon thread
        assert box["f"].result(timeout=T) == "held"
