"""concurry's fork server (the default ``mp_context="forkserver"``): real scripts, real kills."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from concurry_workers import Worker, WorkerDiedError
from concurry_workers._backends import _forkserver

T = 30


class Where(Worker):
    def pid(self) -> int:
        return os.getpid()

    def parent(self) -> int:
        return os.getppid()

    def echo(self, x):
        return x


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _run(tmp_path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )


def test_workers_are_children_of_the_fork_server(no_leaks):
    with Where.options(mode="process", mp_context="forkserver").init() as w:
        assert w.parent().result(timeout=T) == _forkserver._server._proc.pid
        assert w.echo([1, "a"]).result(timeout=T) == [1, "a"]


def test_a_script_without_main_guard_works_under_the_fork_server(tmp_path):
    # The child does not run the main script again, so nothing starts twice.
    proc = _run(
        tmp_path,
        """
        from concurry_workers import Worker
        print("top level ran")
        class W(Worker):
            def f(self, x):
                return x * 2
        w = W.options(mode="process", mp_context="forkserver").init()
        print(w.f(21).result(timeout=30))
        w.stop()
        """,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["top", "level", "ran", "42"]


def test_the_fork_server_and_workers_end_with_the_parent(tmp_path):
    # A parent that exits without stopping its worker leaves nothing running.
    proc = _run(
        tmp_path,
        """
        import os
        from concurry_workers import Worker
        from concurry_workers._backends import _forkserver
        class W(Worker):
            def pid(self):
                return os.getpid()
        if __name__ == "__main__":
            w = W.options(mode="process", mp_context="forkserver").init()
            print(w.pid().result(timeout=30), _forkserver._server._proc.pid)
        """,
    )
    assert proc.returncode == 0, proc.stderr
    worker, server = (int(x) for x in proc.stdout.split())
    deadline = time.monotonic() + 10
    while (_alive(worker) or _alive(server)) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling /proc for two processes of another session
    assert not _alive(worker), f"worker {worker} outlived its parent"
    assert not _alive(server), f"fork server {server} outlived its parent"


def test_a_killed_fork_server_fails_its_workers_calls_and_is_restarted(no_leaks):
    w = Where.options(mode="process", mp_context="forkserver").init()
    try:
        pid = w.pid().result(timeout=T)
        server = _forkserver._server._proc
        os.kill(server.pid, signal.SIGKILL)
        server.wait(T)
        # nobody could report the worker's exit any more: the worker is ended at once
        deadline = time.monotonic() + T
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)  # polling /proc for the worker's end
        assert not _alive(pid)
        with pytest.raises(WorkerDiedError):
            w.echo(2).result(timeout=T)
        # the next worker gets a new fork server
        with Where.options(mode="process", mp_context="forkserver").init() as fresh:
            assert fresh.parent().result(timeout=T) == _forkserver._server._proc.pid
            assert _forkserver._server._proc.pid != server.pid
    finally:
        w.stop(1)


class Setter(Worker):
    def __init__(self, event) -> None:
        self.event = event

    def set(self) -> bool:
        self.event.set()
        return True


@pytest.mark.parametrize("on_demand", [False, True])
def test_manager_proxies_work_in_fork_server_children(on_demand: bool, no_leaks) -> None:
    """Children of the fork server carry the parent's authkey, so Manager proxies connect."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Manager() as manager:
        event = manager.Event()
        options = {"on_demand": True, "max_workers": 1} if on_demand else {}
        worker = Setter.options(mode="process", mp_context="forkserver", **options).init(event)
        try:
            assert worker.set().result(timeout=T) is True
            assert event.is_set()
        finally:
            worker.stop(timeout=5)
