"""Every script in examples/ runs to completion (they assert their own results).

Each script runs as a user would run it, in a subprocess of its own; the ones
with a command-line choice run once per choice (start method, mode). A script
that does not finish in time is killed with its whole process group, so
nothing it started (worker processes, a local Ray) outlives the test.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HAS_RAY = importlib.util.find_spec("ray") is not None

# (script, arguments, seconds it may take); each id is "<script>" or "<script>-<choice>"
RUNS: list[tuple[str, tuple[str, ...], float]] = [
    ("quickstart.py", (), 90),
    ("futures_tour.py", (), 60),
    ("limits_quickstart.py", (), 60),
    ("retry_tour.py", (), 60),
    ("workers_quickstart.py", (), 90),
    ("http_rate_limited.py", (), 60),
    ("pipeline.py", (), 60),
    ("cpu_batch.py", (), 90),
    ("cpu_batch.py", ("--start-method", "spawn"), 90),
    ("cpu_batch.py", ("--start-method", "forkserver"), 90),
    ("laptop_to_ray.py", ("--mode", "thread"), 60),
    ("laptop_to_ray.py", ("--mode", "process"), 60),
    # one Ray run: its local Ray takes ~10 s to start (much more on a loaded machine)
    ("laptop_to_ray.py", ("--mode", "ray"), 240),
]


def _id(run: tuple[str, tuple[str, ...], float]) -> str:
    script, args, _ = run
    return "-".join([script, *(arg for arg in args if not arg.startswith("--"))])


def _group(pgid: int) -> list[str]:
    """The processes still in process group ``pgid``, as "pid command" (Linux /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        # "pid (command) state ppid pgrp ...": the command may contain spaces and ")"
        command = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(f"{stat.parent.name} {command}")
    return members


def _leftovers(pgid: int, grace: float = 15.0) -> list[str]:
    """Processes the script started that are still alive ``grace`` s after it exited."""
    if not Path("/proc/self/stat").exists():
        return []
    deadline = time.monotonic() + grace
    while (members := _group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.1)  # polling for children that are already on their way out
    return members


def _run(script: str, args: tuple[str, ...], seconds: float) -> tuple[int, str, str, list[str]]:
    """Run a script; return its exit code, output, and what it left running."""
    # Output goes to files, not pipes: a process the script left behind would hold a
    # pipe open, and reading it would wait for that process instead of the script.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, str(EXAMPLES / script), *args],
            stdout=out,
            stderr=err,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
            start_new_session=True,  # its own process group, so all it started can be ended
        )
        timed_out = False
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        leftovers = _leftovers(proc.pid)
        if leftovers:
            os.killpg(proc.pid, signal.SIGKILL)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if timed_out:
        pytest.fail(
            f"{script} {' '.join(args)} did not finish in {seconds} s:\n"
            f"{stdout[-2000:]}{stderr[-4000:]}"
        )
    return proc.returncode, stdout, stderr, leftovers


def test_every_example_is_run() -> None:
    """A script added to examples/ must be added to RUNS (with its choices) too."""
    assert {path.name for path in EXAMPLES.glob("*.py")} == {script for script, _, _ in RUNS}


@pytest.mark.parametrize(
    "run",
    [pytest.param(run, id=_id(run), marks=pytest.mark.timeout(run[2] + 30)) for run in RUNS],
)
def test_example_runs(run: tuple[str, tuple[str, ...], float]) -> None:
    script, args, seconds = run
    if "ray" in args and not HAS_RAY:
        pytest.skip("ray mode needs concurry[ray]")
    returncode, stdout, stderr, leftovers = _run(script, args, seconds)
    assert returncode == 0, stdout[-2000:] + stderr[-4000:]
    assert stdout.strip(), f"{script} printed nothing"
    assert not leftovers, f"{script} {' '.join(args)} left processes running: {leftovers}"
