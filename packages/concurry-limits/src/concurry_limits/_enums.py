"""String-friendly enums: :class:`RateLimitAlgorithm` and :class:`RateWindow`."""

from __future__ import annotations

from enum import Enum

__all__ = ["RateLimitAlgorithm", "RateWindow"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _norm(text: str) -> str:
    return text.lower().replace("_", "").replace("-", "").replace(" ", "")


class _FriendlyEnum(Enum):
    """Accepts a member, its name, its value or an alias (case, ``_``, ``-`` and spaces ignored)."""

    @classmethod
    def _aliases(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            key = _norm(value)
            for member in cls:
                if key == _norm(member.name) or key == _norm(str(member.value)):
                    return member
            for alias, name in cls._aliases().items():
                if key == _norm(alias):
                    return cls[name]
        choices = ", ".join(m.name for m in cls)
        raise ValueError(f"unknown {cls.__name__} {value!r}; valid choices: {choices}")

    def __str__(self) -> str:
        return self.name


class RateLimitAlgorithm(_FriendlyEnum):
    """The algorithm a :class:`RateLimit` uses; see each algorithm's page in the docs.

    Accepts ``"token_bucket"``/``"token"``, ``"leaky_bucket"``/``"leaky"``,
    ``"sliding_window"``/``"sliding"``, ``"fixed_window"``/``"fixed"`` and ``"gcra"``.
    """

    TokenBucket = "token_bucket"
    LeakyBucket = "leaky_bucket"
    SlidingWindow = "sliding_window"
    FixedWindow = "fixed_window"
    GCRA = "gcra"

    @classmethod
    def _aliases(cls) -> dict[str, Any]:
        return {
            "token": "TokenBucket",
            "leaky": "LeakyBucket",
            "sliding": "SlidingWindow",
            "fixed": "FixedWindow",
        }


class RateWindow(_FriendlyEnum):
    """Named windows for :class:`RateLimit`; ``.to_seconds()`` gives the length.

    Accepts the member, its name, and (case-insensitively) every spelling the
    original concurry accepted: ``"s"``, ``"sec"``, ``"second"``, ``"m"``,
    ``"min"``, ``"minute"``, ``"h"``, ``"hr"``, ``"hour"``, ``"d"``, ``"day"``,
    ``"w"``, ``"wk"``, ``"week"``; each word also in the plural (``"hrs"``) and
    with a ``per_`` prefix (``"per_sec"``, ``"per_minutes"``, ``"per_wk"``).
    """

    Secondly = 1
    Minutely = 60
    Hourly = 3600
    Daily = 86400
    Weekly = 604800

    @classmethod
    def _aliases(cls) -> dict[str, Any]:
        return _WINDOW_ALIASES

    def to_seconds(self) -> float:
        """Length of the window in seconds."""
        return float(self.value)


def _window_aliases() -> dict[str, str]:
    # Single letters stand alone: "ms" or "per_s" would read as something else.
    letters = {"s": "Secondly", "m": "Minutely", "h": "Hourly", "d": "Daily", "w": "Weekly"}
    words = {
        "Secondly": ("sec", "second"),
        "Minutely": ("min", "minute"),
        "Hourly": ("hr", "hour"),
        "Daily": ("day",),
        "Weekly": ("wk", "week"),
    }
    table = dict(letters)
    for name, stems in words.items():
        for stem in stems:
            for word in (stem, stem + "s"):
                table[word] = name
                table["per_" + word] = name
    return table


_WINDOW_ALIASES = _window_aliases()
