"""Alias of `concurry.core.worker.base_worker` kept for code written against the older layout; lazy."""

from concurry._exports import lazy_module

__all__, __getattr__, __dir__ = lazy_module(__name__, ["Worker", "worker"])
