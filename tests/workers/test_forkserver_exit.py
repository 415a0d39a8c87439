"""The fork server is reaped at interpreter exit: no ``ResourceWarning`` that it is
"still running", no server left behind (real scripts under ``-X dev``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = """
import os
from concurry_workers import TaskWorker
from concurry_workers._backends import _forkserver

def square(x):
    return x * x

with TaskWorker.options(mode="process").init() as w:
    assert w.submit(square, 3).result(timeout=60) == 9
with TaskWorker.options(mode="process", on_demand=True, max_workers=2).init() as pool:
    assert list(pool.map(square, range(4))) == [0, 1, 4, 9]
first = _forkserver._server._proc.pid
if {shutdown_twice}:  # shut down by hand: the next worker starts a new server
    _forkserver._server.shutdown()
    assert _stat(first) == "gone", _stat(first)  # reaped, not left a zombie
    w = TaskWorker.options(mode="process").init()
    assert w.submit(square, 4).result(timeout=60) == 16
    w.stop()
left_running = TaskWorker.options(mode="process").init()  # ended by the exit hooks
assert left_running.submit(square, 5).result(timeout=60) == 25
print(first, _forkserver._server._proc.pid, flush=True)
"""


def _stat(pid: int) -> str:
    """The process state letter of ``pid`` ("Z": a zombie), or "gone"."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


@pytest.mark.parametrize("again", [False, True], ids=["one-server", "shutdown-then-new-server"])
def test_exit_reaps_the_fork_server_without_a_resource_warning(tmp_path: Path, again: bool) -> None:
    script = tmp_path / "script.py"
    helper = textwrap.dedent(
        """
        def _stat(pid):
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    return fh.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                return "gone"
        """
    )
    script.write_text(helper + SCRIPT.replace("{shutdown_twice}", str(again)))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", str(script)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ResourceWarning" not in proc.stderr, proc.stderr
    assert "still running" not in proc.stderr, proc.stderr
    first, last = (int(pid) for pid in proc.stdout.split())
    assert (first != last) is again
    # reaped by the script before it exited: not running, and not a zombie handed to init
    assert _stat(last) == "gone", (last, _stat(last))
    assert _stat(first) == "gone", (first, _stat(first))
