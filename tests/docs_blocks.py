"""Run the python blocks of a docs page, in order, in one namespace.

The blocks execute like the cells of a notebook, in the test's process. A test
that checks a page puts this folder on ``sys.path`` and calls
:func:`run_python_blocks`; a failing block is reported with its number and the
page's own line numbers, and workers a failed block left running are stopped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ```python blocks of a markdown text, each with the line its code starts on."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def _stop_what_is_left(namespace: dict[str, Any]) -> None:
    """Stop the workers a failed block left running (a page's own code stops its workers)."""
    from concurry_workers import Executor, WorkerPool, WorkerProxy
    from concurry_workers._task import LazyTask

    for value in list(namespace.values()):
        if isinstance(value, (WorkerProxy, WorkerPool, LazyTask)):
            value.stop(timeout=10)
        elif isinstance(value, Executor):
            value.shutdown(wait=True)


def run_python_blocks(page: Path, module: str, *, at_least: int) -> dict[str, Any]:
    """Execute every python block of ``page`` in order in one namespace; return it.

    Args:
        page: The markdown file.
        module: ``__name__`` of the namespace: a name nothing can import, so that
            pickling ships what the page defines by value, as for a user's
            ``__main__`` or notebook.
        at_least: The fewest blocks the page must have (a guard against a
            pattern that silently matches nothing).
    """
    blocks = python_blocks(page.read_text())
    assert len(blocks) >= at_least, (
        f"expected {at_least}+ blocks in {page.name}, found {len(blocks)}"
    )
    namespace: dict[str, Any] = {"__name__": module}
    try:
        for number, (line, code) in enumerate(blocks, 1):
            # padded so tracebacks name the page's own line numbers
            compiled = compile("\n" * (line - 1) + code, str(page), "exec")
            try:
                exec(compiled, namespace)
            except BaseException as exc:
                raise AssertionError(
                    f"docs/{page.name}: python block {number} of {len(blocks)} "
                    f"(line {line}) failed: {exc!r}"
                ) from exc
    finally:
        _stop_what_is_left(namespace)
    return namespace
