"""String-friendly enums: ``ExecutionMode`` and ``LoadBalancingAlgorithm``.

Each accepts its member, its name, its value or an alias, case-insensitively
and ignoring ``_``, ``-`` and spaces: ``ExecutionMode("Threads")``,
``ExecutionMode("proc")``, ``LoadBalancingAlgorithm("least-active")``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = ["ExecutionMode", "LoadBalancingAlgorithm"]


def _norm(text: str) -> str:
    return text.lower().replace("_", "").replace("-", "").replace(" ", "")


class _FriendlyEnum(StrEnum):
    """A ``str`` enum whose lookup also accepts names and aliases (see module doc)."""

    @classmethod
    def _aliases(cls) -> dict[str, tuple[str, ...]]:
        return {}

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            key = _norm(value)
            for member in cls:
                keys = (member.name, member.value, *cls._aliases().get(member.name, ()))
                if key in {_norm(k) for k in keys}:
                    return member
        choices = ", ".join(repr(m.value) for m in cls)
        prefix = cls._invalid_prefix(value)
        raise ValueError(
            f"{prefix}{value!r} is not a valid {cls.__name__}; choose one of {choices}"
        )

    @classmethod
    def _invalid_prefix(cls, value: object) -> str:
        """Text put before the "is not a valid" message (a phrase users match on)."""
        return ""

    def __str__(self) -> str:
        return self.value


class ExecutionMode(_FriendlyEnum):
    """Where a worker runs its methods.

    Members (aliases): ``Sync`` ("sync", "synchronous"), ``Threads`` ("thread",
    "threads"), ``Processes`` ("process", "processes", "proc"), ``Asyncio``
    ("asyncio", "async"), ``Ray`` ("ray").
    """

    Sync = "sync"
    Threads = "thread"
    Processes = "process"
    Asyncio = "asyncio"
    Ray = "ray"

    @classmethod
    def _invalid_prefix(cls, value: object) -> str:
        return "Invalid mode: "  # the original concurry's phrase

    @classmethod
    def _aliases(cls) -> dict[str, tuple[str, ...]]:
        return {
            "Sync": ("synchronous",),
            "Threads": ("threads",),
            "Processes": ("processes", "proc"),
            "Asyncio": ("async",),
        }


class LoadBalancingAlgorithm(_FriendlyEnum):
    """How a pool picks the worker for the next call.

    Members (aliases): ``RoundRobin`` ("round_robin", "rr"), ``LeastActiveLoad``
    ("least_active", "active"), ``LeastTotalLoad`` ("least_total", "total"),
    ``Random`` ("random", "rand").
    """

    RoundRobin = "round_robin"
    LeastActiveLoad = "least_active"
    LeastTotalLoad = "least_total"
    Random = "random"

    @classmethod
    def _aliases(cls) -> dict[str, tuple[str, ...]]:
        return {
            "RoundRobin": ("rr",),
            "LeastActiveLoad": ("active", "least_active_load"),
            "LeastTotalLoad": ("total", "least_total_load"),
            "Random": ("rand",),
        }
