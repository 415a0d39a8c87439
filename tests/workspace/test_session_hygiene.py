"""The test session cleans up after itself (tests/conftest.py): the Redis server it
starts is its own child on a free loopback port and is stopped at the end, also
when the session is interrupted or killed; a process a test leaves running fails
the session, named by pid and command line."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


def _state(pid: int) -> str:
    """The state letter of ``pid`` ("Z": zombie), or "gone"."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def _children(parent: int) -> dict[int, str]:
    """Running children of ``parent``: pid -> command line (from ps)."""
    listing = subprocess.run(
        ["ps", "-o", "pid=,stat=,args=", "--ppid", str(parent)], capture_output=True, text=True
    ).stdout
    rows = (line.split(None, 2) for line in listing.splitlines() if line.strip())
    return {int(pid): args for pid, stat, args in rows if not stat.startswith("Z")}


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _state(pid) in ("gone", "Z"):
            return True
        time.sleep(0.05)  # polling a process that is exiting
    return _state(pid) in ("gone", "Z")


def _signal_state() -> str:
    """This process's ignored and blocked signal masks (what a child inherits)."""
    with open("/proc/self/status") as fh:
        return " ".join(line.strip() for line in fh if line.startswith(("SigIgn", "SigBlk")))


def _session(tmp_path: Path, body: str, **env: str) -> subprocess.Popen[str]:
    """A pytest session of its own over ``body`` (a test module), with the suite's conftest."""
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(body))
    environ = {k: v for k, v in os.environ.items() if k != "CONCURRY_TEST_REDIS_URL"}
    argv = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:randomly", "-p", "no:xdist"]
    return subprocess.Popen(
        [*argv, "-p", "no:cacheprovider", "test_inner.py"],
        cwd=tmp_path,
        env={**environ, **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


HOLD = """
import faulthandler
import signal
import sys

def test_hold(redis_url):
    # a session still running 90 s on writes every thread's stack and exits
    faulthandler.dump_traceback_later(90, exit=True)
    # Ctrl-C as in a terminal: the outer test process may have SIGINT ignored or
    # blocked when it starts this session (inherited; then no KeyboardInterrupt)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print("READY", redis_url, flush=True)
    sys.stdin.readline()  # until the outer test interrupts this session
"""


def test_the_sessions_redis_server_is_its_child_on_a_free_loopback_port(redis_url: str) -> None:
    if os.environ.get("CONCURRY_TEST_REDIS_URL"):
        pytest.skip("CONCURRY_TEST_REDIS_URL names a server: the session starts none")
    url = urlparse(redis_url)
    assert url.hostname == "127.0.0.1" and url.port
    ours = [cmd.split() for cmd in _children(os.getpid()).values() if "redis-server" in cmd]
    # redis-server shows its address as its command line
    assert [Path(cmd[0]).name for cmd in ours] == ["redis-server"], ours
    assert ours[0][1:] == [f"127.0.0.1:{url.port}"], ours


@pytest.mark.timeout(180)
@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM", "SIGKILL"], ids=["int", "term", "kill"])
def test_an_interrupted_session_stops_its_redis_server(tmp_path: Path, signum: str) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    if signum != "SIGINT" and shutil.which("setpriv") is None:
        pytest.skip("without setpriv (util-linux) only a session that runs its teardown stops it")
    session = _session(tmp_path, HOLD)
    try:
        assert session.stdout is not None
        seen = []
        for line in session.stdout:
            seen.append(line)
            if line.startswith("READY"):
                break
        assert seen and seen[-1].startswith("READY"), "".join(seen)
        port = urlparse(seen[-1].split()[1]).port
        (server,) = (p for p, cmd in _children(session.pid).items() if f":{port}" in cmd)
        session.send_signal(getattr(signal, signum))
        # read while waiting (a full pipe must not block it); one that hangs is ended
        # at 90 s by its watchdog
        rest = session.communicate(timeout=120)[0]
        assert "most recent call first" not in rest, (
            f"the session did not end within 90 s of {signum}; its output after READY, "
            f"with the stacks of its threads:\n{rest}"
        )
        if signum == "SIGINT":  # ended by the signal, not by its input closing
            assert "KeyboardInterrupt" in rest, (rest, _signal_state())
        assert _gone_within(server, 10), (signum, server, _state(server))
    finally:
        if session.poll() is None:
            session.kill()
            session.wait()


def test_a_given_redis_url_is_used_and_nothing_is_started(redis_url: str, tmp_path: Path) -> None:
    body = """
    import os

    def test_given(redis_url):
        assert redis_url == os.environ["CONCURRY_TEST_REDIS_URL"]
        kids = os.popen(f"ps -o cmd= --ppid {os.getpid()}").read()
        assert "redis-server" not in kids, kids
    """
    session = _session(tmp_path, body, CONCURRY_TEST_REDIS_URL=redis_url)
    out, _ = session.communicate(timeout=120)
    assert session.returncode == 0, out
    assert "1 passed" in out, out


def test_a_process_left_running_fails_the_session_by_pid_and_command(tmp_path: Path) -> None:
    body = """
    import subprocess

    def test_leaves_a_process():
        child = subprocess.Popen(["sleep", "97"])
        print("LEFT", child.pid, flush=True)

    def test_after():
        pass
    """
    session = _session(tmp_path, body)
    out, _ = session.communicate(timeout=120)
    assert session.returncode == 1, out
    pid = next(int(line.split()[1]) for line in out.splitlines() if line.startswith("LEFT"))
    assert f"pid {pid} (parent {session.pid}): sleep 97" in out, out
    assert "still ran 5 s after the session's teardown" in out, out
    assert "2 passed, 1 error" in out, out
    assert _gone_within(pid, 5), _state(pid)  # killed by the check, not left behind
