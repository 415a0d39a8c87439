"""Imported only inside the multiprocessing fork server, as one of its preloads.

A fork-server child normally starts by running the parent's main script
again (``multiprocessing.spawn.prepare`` with ``init_main_from_path``): that
costs a full execution of the script per worker (about 10 ms for a small
one, far more for a real one) and re-runs any unguarded top-level code.
concurry's worker children never need it: the worker class, its functions
and everything they refer to from ``__main__`` travel by value (cloudpickle).
So for children named ``concurry-process-*`` the hook drops the main-module
entries from the preparation data; every other child of the same fork server
(the application's own ``multiprocessing`` work) is prepared unchanged.
"""

from __future__ import annotations

import multiprocessing.spawn as _spawn
from collections.abc import Mapping
from typing import Any

__all__ = ["CHILD_PREFIX"]

#: Name prefix of concurry's worker processes (``ProcessBackend`` uses it).
CHILD_PREFIX = "concurry-process-"

_MAIN_KEYS = ("init_main_from_path", "init_main_from_name")


def _install() -> None:
    original = _spawn.prepare
    if getattr(original, "__concurry_hook__", False):
        return

    def prepare(data: Mapping[str, Any]) -> None:
        if str(data.get("name", "")).startswith(CHILD_PREFIX):
            data = {key: value for key, value in data.items() if key not in _MAIN_KEYS}
        original(data)

    prepare.__concurry_hook__ = True  # type: ignore[attr-defined]
    _spawn.prepare = prepare


_install()
