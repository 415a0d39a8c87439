"""Process-mode failure paths: dead children, pickling failures, stuck calls."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from concurry_workers import SerializationError, Worker, WorkerDiedError

T = 30


class Victim(Worker):
    def pid(self):
        return os.getpid()

    def nap(self, seconds):
        time.sleep(seconds)
        return "rested"

    def stuck(self, started, ignore_sigterm=False):
        if ignore_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        open(started, "w").close()
        time.sleep(60)

    def die(self, code):
        os._exit(code)

    def echo(self, value):
        return value

    def unpicklable_result(self):
        import threading

        return threading.Lock()

    def unpicklable_error(self):
        class Local(Exception):
            def __init__(self, a, b):
                super().__init__(a)

        raise Local("odd", "args")

    def fail(self):
        raise ValueError("remote failure")

    def unpicklable_exception(self):
        import threading

        raise ValueError(threading.Lock())

    def result_that_cannot_load(self):
        return _loads_badly()


def _loads_badly():
    """An object that pickles fine but raises when unpickled (on the other side)."""

    def explode():
        raise RuntimeError("cannot load me")

    class Bad:
        def __reduce__(self):
            return (explode, ())

    return Bad()


class DiesInInit(Worker):
    def __init__(self):
        os._exit(7)


@pytest.mark.parametrize("queued", [None, 2])  # also calls held client-side
def test_killed_child_fails_pending_at_once(queued, no_leaks):
    w = Victim.options(mode="process", max_queued_tasks=queued).init()
    try:
        pid = w.pid().result(timeout=T)
        pending = [w.nap(20) for _ in range(6)]
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        for f in pending:
            with pytest.raises(WorkerDiedError, match=r"exit code -9"):
                f.result(timeout=T)
        assert time.monotonic() - t0 < 10  # detected via the sentinel, not a timeout
        with pytest.raises(WorkerDiedError):
            w.echo(1).result(timeout=T)
    finally:
        w.stop()


def test_os_exit_in_method(no_leaks):
    with Victim.options(mode="process").init() as w:
        with pytest.raises(WorkerDiedError, match="exit code 3") as info:
            w.die(3).result(timeout=T)
        assert info.value.exitcode == 3


def test_child_dying_in_init_is_reported_at_once(no_leaks):
    t0 = time.monotonic()
    with pytest.raises(WorkerDiedError, match="start-up with exit code 7"):
        DiesInInit.options(mode="process").init()
    assert time.monotonic() - t0 < 20


def test_unpicklable_argument_fails_only_that_call(pickling_mode, no_leaks):
    import threading

    with Victim.options(mode=pickling_mode).init() as w:
        with pytest.raises(SerializationError, match="could not be pickled"):
            w.echo(threading.Lock()).result(timeout=T)
        assert w.echo(5).result(timeout=T) == 5


def test_unpicklable_result_fails_only_that_call(pickling_mode, no_leaks):
    with Victim.options(mode=pickling_mode).init() as w:
        with pytest.raises(SerializationError, match="result of unpicklable_result"):
            w.unpicklable_result().result(timeout=T)
        assert w.echo(6).result(timeout=T) == 6


def test_exception_that_cannot_be_rebuilt(pickling_mode, no_leaks):
    with Victim.options(mode=pickling_mode).init() as w:
        with pytest.raises(SerializationError, match="Local: odd"):
            w.unpicklable_error().result(timeout=T)
        assert w.echo(7).result(timeout=T) == 7


def test_exception_that_cannot_be_pickled(pickling_mode, no_leaks):
    with Victim.options(mode=pickling_mode).init() as w:
        with pytest.raises(SerializationError, match=r"ValueError.*could not be pickled"):
            w.unpicklable_exception().result(timeout=T)
        assert w.echo(8).result(timeout=T) == 8


def test_values_that_fail_to_unpickle_fail_only_their_call(pickling_mode, no_leaks):
    with Victim.options(mode=pickling_mode, max_queued_tasks=None).init() as w:
        calls = [w.echo(1), w.echo(_loads_badly()), w.echo(3)]  # likely one batch
        assert calls[0].result(timeout=T) == 1
        with pytest.raises(SerializationError, match="could not be unpickled"):
            calls[1].result(timeout=T)
        assert calls[2].result(timeout=T) == 3
        with pytest.raises(SerializationError, match="result of result_that_cannot_load"):
            w.result_that_cannot_load().result(timeout=T)
        assert w.echo(9).result(timeout=T) == 9


def test_remote_traceback_is_the_cause(pickling_mode, no_leaks):
    from concurry_workers import RemoteTraceback

    with Victim.options(mode=pickling_mode).init() as w:
        with pytest.raises(ValueError, match="remote failure") as info:
            w.fail().result(timeout=T)
        cause = info.value.__cause__
        assert isinstance(cause, RemoteTraceback)
        assert "in fail" in str(cause)


def test_stuck_method_is_terminated_by_stop_timeout(tmp_path, no_leaks):
    started = str(tmp_path / "started")
    w = Victim.options(mode="process").init()
    stuck = w.stuck(started)
    deadline = time.monotonic() + T
    while not os.path.exists(started):
        assert time.monotonic() < deadline
        time.sleep(0.005)  # waiting for the child to announce the call started
    t0 = time.monotonic()
    w.stop(timeout=0.5)
    assert time.monotonic() - t0 < 15
    with pytest.raises(WorkerDiedError, match="terminated by stop"):
        stuck.result(timeout=T)


def wait_for_file(path):
    deadline = time.monotonic() + T
    while not os.path.exists(path):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.005)  # waiting for the child to announce the call started


@pytest.mark.parametrize("ignore_sigterm", [False, True])
def test_stop_without_timeout_uses_the_configured_one(tmp_path, ignore_sigterm, no_leaks):
    from concurrent.futures import CancelledError

    from concurry_workers import temp_config

    started = str(tmp_path / "started")
    with temp_config(process_stop_timeout=0.3):
        w = Victim.options(mode="process", max_queued_tasks=None).init()
    stuck = w.stuck(started, ignore_sigterm)
    behind = [w.echo(i) for i in range(3)]  # already in the child, never run
    wait_for_file(started)
    t0 = time.monotonic()
    w.stop(timeout=None)  # None: the configured stop timeout, not "wait forever"
    assert time.monotonic() - t0 < 15
    with pytest.raises(WorkerDiedError, match="terminated by stop"):
        stuck.result(timeout=T)
    for f in behind:
        assert f.cancelled()
        with pytest.raises(CancelledError):
            f.result(timeout=0)


def test_config_refuses_an_unbounded_stop_timeout():
    from concurry_workers import global_config, temp_config

    for bad in (None, float("inf"), -1):
        with pytest.raises(ValueError, match="stop_timeout"), temp_config(process_stop_timeout=bad):
            pass
    with pytest.raises(ValueError, match="stop_timeout"):
        Victim.options(mode="process", stop_timeout=None)
    assert global_config.process.stop_timeout == 30.0


@pytest.mark.parametrize("context", ["fork", "spawn", "forkserver"])
def test_mp_contexts_and_closures(context, no_leaks):
    factor = 3

    class Local(Worker):  # defined inside a function: travels by value
        def scale(self, fn, x):
            return fn(x) * factor

    with Local.options(mode="process", mp_context=context).init() as w:
        assert w.scale(lambda v: v + 1, 1).result(timeout=T) == 6


def test_stop_does_not_wait_for_an_argument_that_never_arrives(no_leaks):
    from concurrent.futures import CancelledError, Future

    from concurry_futures import ConcurrentFuture

    never: Future = Future()
    w = Victim.options(mode="process").init()
    stuck = w.echo(ConcurrentFuture(never))
    later = w.echo(2)
    t0 = time.monotonic()
    w.stop(timeout=None)
    assert time.monotonic() - t0 < 15
    for f in (stuck, later):
        with pytest.raises(CancelledError):
            f.result(timeout=T)


def test_argument_future_resolved_by_the_parent_dispatcher(no_leaks):
    from concurrent.futures import Future

    from concurry_futures import ConcurrentFuture

    raw: Future = Future()
    with Victim.options(mode="process").init() as w:
        t0 = time.monotonic()
        fut = w.echo([ConcurrentFuture(raw)])
        assert time.monotonic() - t0 < 5  # the caller is not blocked
        raw.set_result("ready")
        assert fut.result(timeout=T) == ["ready"]


def test_interpreter_exits_with_a_stuck_worker_never_stopped(tmp_path, no_leaks):
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "stuck_at_exit.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, signal, sys, time
            from concurry_workers import Worker

            class Stubborn(Worker):
                def ok(self):
                    return 1

                def stuck(self, started):
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
                    open(started, "w").close()
                    time.sleep(120)

            if __name__ == "__main__":
                started = sys.argv[1]
                w = Stubborn.options(mode="process").init()
                assert w.ok().result(timeout=60) == 1
                w.stuck(started)
                w.ok()  # queued behind the stuck call
                deadline = time.monotonic() + 60
                while not os.path.exists(started) and time.monotonic() < deadline:
                    time.sleep(0.005)  # the child announces it ignores SIGTERM now
                print("bye", flush=True)
            """
        )
    )
    started = str(tmp_path / "started")
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, str(script), started], capture_output=True, text=True, timeout=90
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "bye" and os.path.exists(started)
    assert time.monotonic() - t0 < 30  # not the 120 s of the stuck call


class TakesArg(Worker):
    def __init__(self, value):
        self.value = value


def test_unpicklable_init_argument_fails_init_and_leaves_no_process(pickling_mode, no_leaks):
    import threading

    with pytest.raises(SerializationError, match="init arguments could not be pickled"):
        TakesArg.options(mode=pickling_mode).init(threading.Lock())


def test_script_without_main_guard_gets_a_clear_start_up_error(tmp_path):
    script = tmp_path / "no_guard.py"
    script.write_text(
        "from concurry_workers import Worker\n"
        "class W(Worker):\n"
        "    def f(self):\n"
        "        return 1\n"
        "w = W.options(mode='process', mp_context='spawn').init()\n"
        "print(w.f().result(timeout=30))\n"
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.returncode != 0
    assert "WorkerDiedError" in proc.stderr
    assert "if __name__ == '__main__':" in proc.stderr
