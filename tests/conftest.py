"""Suite-wide configuration. Imports no concurry package, so that each package's
tests can run with only that package installed."""

from __future__ import annotations
