"""docs/ray.md runs as written: its python blocks, in order, in one namespace.

The blocks execute like the cells of a notebook, in this process, in the test
session's Ray. Their namespace is a module name nothing can import, so Ray's
cloudpickle ships the classes and functions the page defines by value, as it
does for a user's ``__main__`` or notebook.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from concurry_workers import WorkerPool, WorkerProxy
from concurry_workers._task import LazyTask

PAGE = Path(__file__).resolve().parents[2] / "docs" / "ray.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
MODULE = "concurry_ray_docs_page"


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ```python blocks of a markdown text, each with the line its code starts on."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def _stop_what_is_left(namespace: dict[str, Any]) -> None:
    """Stop the workers a failed block left running (the page's last block stops them)."""
    for value in namespace.values():
        if isinstance(value, (WorkerProxy, WorkerPool, LazyTask)):
            value.stop(timeout=10)


def test_the_ray_page_runs(ray_session) -> None:
    blocks = python_blocks(PAGE.read_text())
    assert len(blocks) >= 10, f"expected a block per section of {PAGE.name}, found {len(blocks)}"
    assert MODULE not in sys.modules
    namespace: dict[str, Any] = {"__name__": MODULE}
    try:
        for number, (line, code) in enumerate(blocks, 1):
            # padded so tracebacks name the page's own line numbers
            compiled = compile("\n" * (line - 1) + code, str(PAGE), "exec")
            try:
                exec(compiled, namespace)
            except BaseException as exc:
                raise AssertionError(
                    f"docs/{PAGE.name}: python block {number} of {len(blocks)} "
                    f"(line {line}) failed: {exc!r}"
                ) from exc
    finally:
        _stop_what_is_left(namespace)
