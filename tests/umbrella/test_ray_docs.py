"""docs/ray.md runs as written: its python blocks, in order, in one namespace.

The blocks execute like the cells of a notebook, in this process, in the test
session's Ray. Their namespace is a module name nothing can import, so Ray's
cloudpickle ships the classes and functions the page defines by value, as it
does for a user's ``__main__`` or notebook.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from docs_blocks import DOCS, run_python_blocks

MODULE = "concurry_ray_docs_page"


def test_the_ray_page_runs(ray_session) -> None:
    assert MODULE not in sys.modules
    run_python_blocks(DOCS / "ray.md", MODULE, at_least=10)
