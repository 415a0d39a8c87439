"""Losing a Ray node, on a real two-node local cluster (Ray's ``cluster_utils``).

The cluster runs in a child process of its own: a driver joins one Ray session
per process, and the suite's session (``ray_session``) is a single node. The
child has its own Ray temp dir, so the address file its cluster writes is not
seen by another process starting Ray meanwhile. It finds the cluster through
``RAY_ADDRESS`` (the embedded session joins it), places an actor and a task on
the second node, removes that node with both running, and reports what each
call ended with.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

CHILD = """
import json, os, sys, time

import ray
from ray.cluster_utils import Cluster

from concurry_workers import TaskWorker, Worker

MARKER = sys.argv[1]


class Held(Worker):
    def node(self) -> str:
        return ray.get_runtime_context().get_node_id()

    def hold(self, seconds: float) -> float:
        time.sleep(seconds)  # a call still running when its node is lost
        return seconds


def started_then_held(path: str, seconds: float) -> str:
    open(path, "w").close()
    time.sleep(seconds)  # a task still running when its node is lost
    return ray.get_runtime_context().get_node_id()


def outcome(future) -> dict:
    started = time.monotonic()
    try:
        return {"value": repr(future.result(timeout=60))}
    except BaseException as exc:  # the outcome under test, whatever it is
        return {
            "error": type(exc).__name__,
            "message": str(exc).splitlines()[0],
            "seconds": time.monotonic() - started,
        }


# a lost node is noticed within about a second (Ray's default is about 15 s)
health = {"health_check_period_ms": 200, "health_check_failure_threshold": 3}
cluster = Cluster(
    initialize_head=True, head_node_args={"num_cpus": 0, "_system_config": health}
)
try:
    doomed = cluster.add_node(num_cpus=2, resources={"doomed": 2})
    os.environ["RAY_ADDRESS"] = cluster.address  # no ray.init: the embedded session
    actor = Held.options(mode="ray", resources={"doomed": 1}).init()
    tasks = TaskWorker.options(mode="ray", resources={"doomed": 1}).init()
    report = {"actor_node": actor.node().result(timeout=60) == doomed.node_id}
    running = actor.hold(60)
    queued = [actor.hold(0) for _ in range(3)]
    task = tasks.submit(started_then_held, MARKER, 60)
    deadline = time.monotonic() + 60
    while not os.path.exists(MARKER) and time.monotonic() < deadline:
        time.sleep(0.02)  # polling the task's start, with a deadline
    report["task_started"] = os.path.exists(MARKER)
    cluster.remove_node(doomed, allow_graceful=False)
    report["calls"] = [outcome(f) for f in [running, *queued]]
    report["task"] = outcome(task)
    report["later_call"] = outcome(actor.hold(0))
    actor.stop()
    tasks.stop()
    print("REPORT", json.dumps(report), flush=True)
finally:
    ray.shutdown()
    cluster.shutdown()
"""


@pytest.mark.timeout(300)
def test_losing_the_node_fails_the_calls_of_its_actor_and_task_promptly(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    # short: Ray's socket paths under it must fit in 107 bytes
    ray_tmp = tempfile.mkdtemp(prefix="cr", dir="/tmp")
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env.update(RAY_TMPDIR=ray_tmp, RAY_ENABLE_UV_RUN_RUNTIME_ENV="0")
    try:
        child = subprocess.run(
            [sys.executable, str(script), str(tmp_path / "task-started")],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    lines = [line for line in child.stdout.splitlines() if line.startswith("REPORT ")]
    assert child.returncode == 0 and lines, (
        child.returncode,
        child.stdout[-3000:],
        child.stderr[-3000:],
    )
    report = json.loads(lines[-1].split(" ", 1)[1])
    assert report["actor_node"] and report["task_started"], report
    for call in [*report["calls"], report["later_call"]]:
        assert call.get("error") == "WorkerDiedError", report
        assert call["message"].startswith("Ray actor died"), report
        assert call["seconds"] < 30, report  # the lost node is noticed, not waited out
    task = report["task"]
    assert task.get("error") == "WorkerDiedError", report
    assert "task died" in task["message"] and "node" in task["message"], report
    assert task["seconds"] < 30, report
