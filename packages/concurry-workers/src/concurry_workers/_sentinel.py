"""The ``_NO_ARG`` sentinel: "this option was not given, use the next source"."""

from __future__ import annotations

from typing import Any

__all__ = ["_NO_ARG", "_NO_ARG_TYPE"]


class _NO_ARG_TYPE:
    """Type of the ``_NO_ARG`` singleton, distinct from ``None`` (which is a valid value)."""

    _instance: _NO_ARG_TYPE | None = None

    def __new__(cls) -> _NO_ARG_TYPE:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "_NO_ARG"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> tuple[Any, ...]:
        return (_NO_ARG_TYPE, ())


#: Marks an option that was not given, so the next source (decorator, class
#: keywords, global config) decides its value.
_NO_ARG = _NO_ARG_TYPE()
