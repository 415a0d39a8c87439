"""The Ray session ray-mode workers use: the user's, or an embedded local one.

If the user called ``ray.init(...)`` (a cluster address, say), that session is
used as it is; so is the cluster ``RAY_ADDRESS`` names, Ray's own way to point a
program at one. Otherwise the first ray-mode worker starts a local Ray sized to
the machine, quiet and without a dashboard, and Ray shuts it down at exit. It
is always a new one (``address="local"``): a bare ``ray.init()`` would join
whatever cluster was last started on the machine (``ray start``, a test
cluster), with other resources, or fail for the ``num_cpus`` it is given.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["ensure_ray"]

_lock = threading.Lock()


def ensure_ray() -> Any:
    """Import Ray, start a local session if none is running, and return the module."""
    import os
    import sys

    if "ray" not in sys.modules:
        # Ray's `uv run` hook would start each Ray worker with `uv run` in a copy of the
        # working directory, where the driver's virtual environment is not found; the
        # embedded session's workers use the driver's interpreter instead.
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    import ray

    if ray.is_initialized():
        return ray
    with _lock:
        if not ray.is_initialized():
            import logging

            quiet: dict[str, Any] = {
                "logging_level": logging.WARNING,
                "configure_logging": True,
                "ignore_reinit_error": True,
            }
            if os.environ.get("RAY_ADDRESS"):
                ray.init(**quiet)  # the cluster's own resources
            else:
                ray.init(
                    address="local",
                    num_cpus=os.cpu_count() or 1,
                    include_dashboard=False,
                    **quiet,
                )
    return ray
