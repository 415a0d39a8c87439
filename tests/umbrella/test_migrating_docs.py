"""docs/migrating.md runs as written: its python blocks, in order, in one namespace.

The page shows a user of the original concurry migrating (sync and thread
workers only), so each of its claims is checked by running it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from docs_blocks import DOCS, run_python_blocks


def test_the_migrating_page_runs() -> None:
    run_python_blocks(DOCS / "migrating.md", "concurry_migrating_docs_page", at_least=12)
