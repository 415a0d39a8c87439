"""Suite-wide configuration. Imports no concurry package (nor Ray, nor the redis
client) at import time, so that each package's tests can run with only that
package installed.

``ray_session`` lives here so that every suite (tests/ray, and the ray mode of the
workers suites) shares one local Ray, started once per test session when a test
first asks for it and shut down at the end.

``redis_url`` starts a redis-server for the Redis backend tests when a test first
asks for it: a child of this pytest process (of each xdist worker that needs
one), on a free port of 127.0.0.1, stopped at the end of the session (also when
the session is interrupted), unless ``CONCURRY_TEST_REDIS_URL`` names a server.

At the end of the session, ``_no_process_outlives_the_session`` fails the
session's last test when a process started by the tests is still running.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def ray_session() -> Iterator[Any]:
    """The Ray module, with a local session of 2 CPUs running."""
    # Ray workers must use this interpreter, not `uv run` in a copy of the directory.
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    import ray

    started: set[int] = set()
    if not ray.is_initialized():
        # Ray workers import what the test modules define by reference (helpers in
        # tests/workers, tests/limits): give them the driver's import path.
        # (Ray's own processes, started here, inherit the environment of this moment.)
        before = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(entry for entry in sys.path if entry)
        others = set(running_descendants(os.getpid()))
        try:
            # a new local one: never a cluster another test process started meanwhile
            ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="ERROR")
        finally:
            if before is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = before
        started = set(running_descendants(os.getpid())) - others
    try:
        yield ray
    finally:
        ray.shutdown()
        # Some of Ray's helpers (dashboard, log monitor) take seconds to exit after
        # shutdown() returns on a busy machine: let them, before the session's check.
        _wait_until_gone(started, RAY_EXIT_GRACE)


RAY_EXIT_GRACE = 30.0  # seconds Ray's own processes get to exit after ray.shutdown()


def _wait_until_gone(pids: set[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        table = _process_table()
        if not any(pid in table and table[pid][1] != "Z" for pid in pids):
            return
        time.sleep(0.05)  # polling processes that are exiting


# -- Redis ----------------------------------------------------------------------------------
REDIS_START_TIMEOUT = 15.0  # seconds for a new redis-server to answer PING
REDIS_STOP_TIMEOUT = 5.0  # seconds between SIGTERM and SIGKILL


class RedisServer:
    """A throwaway redis-server: a child of this process on a free loopback port,
    persisting nothing, in a temporary directory of its own.

    Args:
        executable: Path of redis-server.
    """

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.dir = tempfile.mkdtemp(prefix="concurry-test-redis-")
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        """The server's log file."""
        return Path(self.dir) / "redis.log"

    def start(self) -> None:
        """Start the server and wait until it answers.

        Raises:
            RuntimeError: It exited or did not answer within ``REDIS_START_TIMEOUT``
                (three ports tried: another process may take a free port first).
        """
        for _ in range(3):
            self.port = _free_loopback_port()
            # The server dies with this process even when it is killed outright
            # (SIGKILL skips every finalizer): setpriv asks the kernel for that. The
            # signal comes when the *thread* that started it ends, so main thread only.
            watch = (
                shutil.which("setpriv")
                if threading.current_thread() is threading.main_thread()
                else None
            )
            argv = [
                *([watch, "--pdeathsig", "TERM"] if watch else []),
                self.executable,
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--dir", self.dir,
                "--logfile", str(self.log),
            ]  # fmt: skip
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            deadline = time.monotonic() + REDIS_START_TIMEOUT
            while self.proc.poll() is None and time.monotonic() < deadline:
                if _redis_answers(self.port):
                    return
                time.sleep(0.05)  # polling a server that is starting up
            self.stop(keep_dir=True)
        tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else "(no log)"
        raise RuntimeError(
            f"redis-server did not start on 127.0.0.1 (3 ports tried); its log:\n{tail}"
        )

    def stop(self, keep_dir: bool = False) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and reap it; remove its directory."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(REDIS_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_answers(port: int) -> bool:
    """True when a Redis server on 127.0.0.1:port answers PING (no client library needed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _redis_unavailable_reason() -> str:
    reason = "redis-server is not installed (not on PATH)"
    marker = ROOT / ".redis" / "unavailable"  # written by `scripts/redis.sh install`
    if marker.exists():
        reason += f": {marker.read_text().strip()}"
    return (
        f"{reason}; `make test` installs it with apt-get when run as root, or set "
        "CONCURRY_TEST_REDIS_URL to a server of yours"
    )


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a Redis server for the Redis backend tests.

    ``CONCURRY_TEST_REDIS_URL`` when set (nothing is started); else a redis-server
    started for this session and stopped at its end. Skips, saying why, when
    redis-server is not installed.
    """
    given = os.environ.get("CONCURRY_TEST_REDIS_URL")
    if given:
        yield given
        return
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip(_redis_unavailable_reason())
    server = RedisServer(executable)
    # An interrupted session may skip fixture teardown; the interpreter still exits.
    atexit.register(server.stop)
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
        atexit.unregister(server.stop)


# -- no process outlives the session -------------------------------------------------------
LEFTOVER_GRACE = 5.0  # seconds the session's processes get to exit after its teardown


def _process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state letter) of every process, read from /proc."""
    table: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            table[int(entry)] = (int(fields[1]), fields[0])
    return table


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            raw = fh.read()
    except OSError:
        return "(exited)"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip() or "(no command line)"


def _lifetime_helpers() -> set[int]:
    """Helpers that live as long as this interpreter by design and end at its exit:
    concurry's fork server and multiprocessing's resource tracker and fork server.
    (The processes *they* started are still checked.)"""
    pids: set[int] = set()
    fork_server = sys.modules.get("concurry_workers._backends._forkserver")
    proc = getattr(getattr(fork_server, "_server", None), "_proc", None)
    if proc is not None:
        pids.add(proc.pid)
    tracker = sys.modules.get("multiprocessing.resource_tracker")
    pid = getattr(getattr(tracker, "_resource_tracker", None), "_pid", None)
    if pid:
        pids.add(pid)
    mp_fork_server = sys.modules.get("multiprocessing.forkserver")
    pid = getattr(getattr(mp_fork_server, "_forkserver", None), "_forkserver_pid", None)
    if pid:
        pids.add(pid)
    return pids


def running_descendants(root: int) -> dict[int, int]:
    """Descendants of ``root`` still running (zombies excluded): pid -> parent pid,
    leaving out ``_lifetime_helpers`` but not what they started."""
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    helpers = _lifetime_helpers() if root == os.getpid() else set()
    found: dict[int, int] = {}
    todo = [root]
    while todo:
        parent = todo.pop()
        for pid in children.get(parent, ()):
            todo.append(pid)
            if pid not in helpers and table[pid][1] != "Z":
                found[pid] = parent
    return found


@pytest.fixture(scope="session", autouse=True)
def _no_process_outlives_the_session() -> Iterator[None]:
    """Fail the session's last test when a process the tests started still runs
    after every other session fixture (Ray, Redis ...) is torn down.

    Autouse and session-scoped in the top conftest, it is set up before any
    fixture a test asks for, so it is torn down after them all. Under xdist it
    runs in each worker, over that worker's descendants (the controller runs no
    tests). Processes that are exiting get ``LEFTOVER_GRACE`` seconds; those still
    running then are named in the failure, and killed.
    """
    yield
    deadline = time.monotonic() + LEFTOVER_GRACE
    left = running_descendants(os.getpid())
    while left and time.monotonic() < deadline:
        time.sleep(0.05)  # polling processes that are exiting
        left = running_descendants(os.getpid())
    if not left:
        return
    lines = [f"  pid {pid} (parent {parent}): {_command_line(pid)}" for pid, parent in left.items()]
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)  # do not let them outlive the session after all
        except ProcessLookupError:
            pass
    pytest.fail(
        f"{len(left)} process(es) started by the tests still ran {LEFTOVER_GRACE:g} s after "
        "the session's teardown (no process may outlive the test suite; now killed):\n"
        + "\n".join(lines),
        pytrace=False,
    )
