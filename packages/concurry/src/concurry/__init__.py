"""concurry: write a class once, run it as an actor anywhere.

This umbrella package ships no behaviour of its own. It re-exports the
documented API of ``concurry-futures``, ``concurry-limits``, ``concurry-retry``,
``concurry-workers`` and (when installed) ``concurry-ray``, lazily, so that
``import concurry`` stays fast and imports nothing heavy until a name is used.
"""

from __future__ import annotations

from concurry._exports import EXPORTS, lazy_module

__version__ = "0.1.0"

__all__, __getattr__, __dir__ = lazy_module(__name__, EXPORTS)
