"""A tiny string-friendly `Enum` base (SPEC section 1), kept stdlib-only."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = ["FriendlyEnum", "set_aliases"]


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch not in "_- ")


class FriendlyEnum(StrEnum):
    """A string enum that also accepts its member names and aliases.

    ``Kind("first")``, ``Kind("First-Completed")`` and ``Kind(Kind.FIRST)``
    all give the same member: matching ignores case, ``_``, ``-`` and spaces.
    Unknown values raise `ValueError` listing the valid choices.
    """

    @classmethod
    def _missing_(cls, value: Any) -> Any:
        if isinstance(value, str):
            table: dict[str, Any] = cls.__dict__.get("_lookup") or {}
            if not table:
                for member in cls:
                    table[_norm(member.name)] = member
                    table[_norm(member.value)] = member
                    for alias in cls.__dict__.get("_alias_names", {}).get(member.name, ()):
                        table[_norm(alias)] = member
                cls._lookup = table  # type: ignore[attr-defined]
            found = table.get(_norm(value))
            if found is not None:
                return found
        choices = ", ".join(repr(m.value) for m in cls)
        raise ValueError(f"unknown {cls.__name__} {value!r}; valid choices: {choices}")


def set_aliases(cls: type[FriendlyEnum], **aliases: tuple[str, ...]) -> None:
    """Attach alias strings to the members of ``cls`` (member name -> aliases)."""
    cls._alias_names = aliases  # type: ignore[attr-defined]
    cls._lookup = {}  # type: ignore[attr-defined]
