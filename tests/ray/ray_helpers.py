"""Helpers shared by the concurry-ray tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def settled_within(check: Callable[[], Any], seconds: float) -> bool:
    """Poll ``check`` until it holds or ``seconds`` pass.

    Waits for a state the code under test must reach, with a bound; it never
    stands in for a synchronisation.
    """
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
