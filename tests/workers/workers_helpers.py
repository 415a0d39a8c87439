"""Helpers shared by the workers tests: the modes they run on, bounded runs, checks
of worker processes (a worker process is our child, or the child of our fork
server; a Ray worker is Ray's), a file-based event, and the skip of a ray case over
a known Ray backend bug."""

from __future__ import annotations

import importlib.util
import os
import signal
import threading
import time
from typing import Any

import pytest

from concurry_futures import wait

LOCAL_MODES = ["sync", "thread", "process", "asyncio"]
# `make test-workers` installs concurry-workers alone: ray mode only when it is there.
HAS_RAY = importlib.util.find_spec("concurry_ray") is not None
MODES = LOCAL_MODES + (["ray"] if HAS_RAY else [])


class FileEvent:
    """A one-shot event over a marker file, for a worker in another process of this
    machine (a Ray worker: it shares no memory and no authkey with the test process)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def set(self) -> None:
        with open(self.path, "w"):
            pass

    def is_set(self) -> bool:
        return os.path.exists(self.path)

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.is_set():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)  # polling the marker file another process creates
        return True


def run_bounded(fn: Any, limit: float, what: str) -> float:
    """Run ``fn()`` in a daemon thread; fail if it does not return within ``limit`` s."""
    box: dict[str, BaseException] = {}

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="test-bounded", daemon=True)
    t0 = time.monotonic()
    thread.start()
    thread.join(limit)
    elapsed = time.monotonic() - t0
    if thread.is_alive():
        pytest.fail(f"{what} did not return within {limit} s")
    if "error" in box:
        raise box["error"]
    return elapsed


def quiet_stop(worker: Any, timeout: float = 2.0) -> None:
    """Cleanup: stop a worker, bounded, without masking the test's own failure."""
    if worker is None:
        return
    thread = threading.Thread(target=_stop_ignoring_errors, args=(worker, timeout), daemon=True)
    thread.start()
    thread.join(timeout + 15)


def _stop_ignoring_errors(worker: Any, timeout: float) -> None:
    try:
        worker.stop(timeout=timeout)
    except BaseException:
        pass


def _stat(pid: int) -> tuple[str, int] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def _is_fork_server(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"forkserver" in fh.read()
    except OSError:
        return False


def is_child_alive(pid: int) -> bool:
    """True while ``pid`` runs (not a zombie) as a worker child of this process.

    Under forkserver the worker is a child of the fork server, itself our child.
    """
    stat = _stat(pid)
    if stat is None or stat[0] == "Z":
        return False
    me, parent = os.getpid(), stat[1]
    if parent == me:
        return True
    grand = _stat(parent)
    return grand is not None and grand[1] == me and _is_fork_server(parent)


def is_alive(pid: int) -> bool:
    """True while ``pid`` runs (not a zombie), whoever its parent is (a Ray worker)."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def kill_if_ours(pid: int | None) -> None:
    if pid is not None and is_child_alive(pid):
        os.kill(pid, signal.SIGKILL)


def settle(futures: list[Any], timeout: float, what: str) -> None:
    """Wait until every future is done; fail naming how many stayed pending."""
    try:
        wait(futures, timeout=timeout)
        return
    except TimeoutError:
        pass
    pending = [i for i, f in enumerate(futures) if not f.done()]
    pytest.fail(
        f"{what}: {len(pending)} of {len(futures)} futures still pending after "
        f"{timeout} s (first pending indices: {pending[:15]})"
    )


def _children() -> set[int]:
    """Live worker processes of this test process: its children, and the children of
    its fork servers (process workers are forked by a fork server, not by us)."""
    parents: dict[str, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents.setdefault(fields[1], []).append(entry)
    me = str(os.getpid())
    pids = set()
    for child in parents.get(me, []):
        if not _is_helper(child):
            pids.add(int(child))
        elif _is_fork_server(int(child)):
            pids.update(int(grandchild) for grandchild in parents.get(child, []))
    return pids


def _is_helper(pid: str) -> bool:
    # multiprocessing's process-wide helpers (fork server, resource tracker) live on
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read()
    except OSError:
        return False
    return b"forkserver" in cmdline or b"resource_tracker" in cmdline
