"""Alias of the original ``concurry.config``; lazy."""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_workers import global_config as global_config
    from concurry_workers import temp_config as temp_config

__all__, __getattr__, __dir__ = lazy_module(__name__, ["global_config", "temp_config"])
