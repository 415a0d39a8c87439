"""Run the python blocks of a docs page as tests.

Every ```python block of a page runs, one of three ways, chosen by an HTML
comment on the line before the fence (blank lines between are allowed):

* no mark: the block runs in the test's process, in one namespace shared with
  the page's other unmarked blocks, in order, like the cells of a notebook;
* ``<!-- script -->``: the block is a whole program and runs on its own in a
  fresh interpreter (``python file.py``), as a user runs it. Blocks with
  ``if __name__ == "__main__":`` and blocks that define classes for process
  workers must be scripts (:func:`missing_script_marks` finds them);
* ``<!-- not-run: reason -->``: the block is deliberately not runnable (a
  signature, a fragment); the reason is required (:func:`bad_marks`).

``<!-- ray -->`` marks a notebook block that needs Ray: it runs only when the
caller says Ray is available (the test session's Ray must then be running).

A failing block is reported with its number and the page's own line numbers,
and workers a failed block left running are stopped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)```python[ \t]*\n(?P<code>.*?)^(?P=indent)```[ \t]*$",
    re.DOTALL | re.MULTILINE,
)
MARK = re.compile(r"^\s*<!--\s*(?P<kind>[a-z-]+)\s*(?::(?P<reason>.*?))?-->\s*$")
#: The marks a block may carry.
KINDS = ("not-run", "script", "ray")
#: What makes a block a whole program: a main guard, or a class for process workers.
_MAIN_GUARD = re.compile(r"""if\s+__name__\s*==\s*["']__main__["']""")
_CLASS = re.compile(r"^\s*class\s", re.MULTILINE)
_PROCESS = re.compile(r"""mode\s*=\s*["']process["']""")


@dataclass(frozen=True)
class Block:
    """One python block of a page.

    Attributes:
        number: 1-based position among the page's python blocks.
        line: The page line the code starts on.
        code: The code, dedented.
        kind: ``""`` (notebook), ``"script"``, ``"not-run"`` or ``"ray"``.
        reason: The text after ``:`` in the mark ("" when none).
    """

    number: int
    line: int
    code: str
    kind: str
    reason: str


def _mark_before(text: str, start: int) -> tuple[str, str]:
    """The mark (kind, reason) on the nearest non-blank line before offset ``start``."""
    for previous in reversed(text[:start].splitlines()):
        if previous.strip():
            match = MARK.match(previous)
            if match is None:
                return "", ""
            return match["kind"], (match["reason"] or "").strip()
    return "", ""


def page_blocks(page: Path) -> list[Block]:
    """Every ```python block of ``page``, with its mark."""
    text = page.read_text()
    blocks = []
    for number, match in enumerate(BLOCK.finditer(text), 1):
        kind, reason = _mark_before(text, match.start())
        line = text.count("\n", 0, match.start("code")) + 1
        blocks.append(Block(number, line, textwrap.dedent(match["code"]), kind, reason))
    return blocks


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ```python blocks of a markdown text, each with the line its code starts on."""
    return [
        (text.count("\n", 0, m.start("code")) + 1, textwrap.dedent(m["code"]))
        for m in BLOCK.finditer(text)
    ]


def bad_marks(page: Path) -> list[str]:
    """Problems with the page's marks: unknown kinds, a not-run without a reason."""
    problems = []
    for block in page_blocks(page):
        where = f"docs/{page.name} block {block.number} (line {block.line})"
        if block.kind and block.kind not in KINDS:
            problems.append(f"{where}: unknown mark {block.kind!r}; marks are {KINDS}")
        if block.kind == "not-run" and not block.reason:
            problems.append(f"{where}: <!-- not-run --> needs a reason: <!-- not-run: why -->")
    return problems


def missing_script_marks(page: Path) -> list[str]:
    """Blocks that must run as scripts (a main guard, a process-worker class) but are not marked so."""
    problems = []
    for block in page_blocks(page):
        if block.kind in ("script", "not-run"):
            continue
        if _MAIN_GUARD.search(block.code) or (
            _CLASS.search(block.code) and _PROCESS.search(block.code)
        ):
            problems.append(
                f"docs/{page.name} block {block.number} (line {block.line}) is a program "
                f"(a main guard or a class for process workers): mark it <!-- script -->"
            )
    return problems


def _stop_what_is_left(namespace: dict[str, Any]) -> None:
    """Stop the workers a failed block left running (a page's own code stops its workers)."""
    from concurry_workers import Executor, WorkerPool, WorkerProxy
    from concurry_workers._task import LazyTask

    for value in list(namespace.values()):
        if isinstance(value, (WorkerProxy, WorkerPool, LazyTask)):
            value.stop(timeout=10)
        elif isinstance(value, Executor):
            value.shutdown(wait=True)


def run_python_blocks(
    page: Path, module: str, *, at_least: int, ray: bool = True
) -> dict[str, Any]:
    """Execute the notebook blocks of ``page`` in order in one namespace; return it.

    Blocks marked ``script`` or ``not-run`` are left out (see :func:`run_script_blocks`);
    blocks marked ``ray`` run only when ``ray`` is true.

    Args:
        page: The markdown file.
        module: ``__name__`` of the namespace: a name nothing can import, so that
            pickling ships what the page defines by value, as for a user's
            ``__main__`` or notebook.
        at_least: The fewest python blocks the page must have (a guard against a
            pattern that silently matches nothing).
        ray: Whether Ray is available (blocks marked ``ray`` run only then).
    """
    blocks = page_blocks(page)
    assert len(blocks) >= at_least, (
        f"expected {at_least}+ blocks in {page.name}, found {len(blocks)}"
    )
    namespace: dict[str, Any] = {"__name__": module}
    try:
        for block in blocks:
            if block.kind in ("script", "not-run") or (block.kind == "ray" and not ray):
                continue
            try:
                # padded so tracebacks name the page's own line numbers
                compiled = compile("\n" * (block.line - 1) + block.code, str(page), "exec")
                exec(compiled, namespace)
            except BaseException as exc:
                raise AssertionError(
                    f"docs/{page.name}: python block {block.number} of {len(blocks)} "
                    f"(line {block.line}) failed: {exc!r}"
                ) from exc
    finally:
        _stop_what_is_left(namespace)
    return namespace


def run_script(block: Block, page: Path, *, timeout: float = 120) -> str:
    """Run one block as ``python script.py`` in a fresh interpreter; return its stdout.

    Raises:
        AssertionError: The script failed or timed out (with its output).
    """
    with tempfile.TemporaryDirectory(prefix="concurry-docs-") as folder:
        script = Path(folder) / f"{page.stem}_block{block.number}.py"
        script.write_text(block.code)
        env = {**os.environ, "NO_COLOR": "1"}
        try:
            proc = subprocess.run(
                [sys.executable, str(script)],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=folder,
                env=env,
            )
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(
                f"docs/{page.name} block {block.number} (line {block.line}) ran over {timeout} s"
            ) from exc
    assert proc.returncode == 0, (
        f"docs/{page.name} block {block.number} (line {block.line}) exited with "
        f"{proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )
    return proc.stdout


def run_script_blocks(page: Path) -> int:
    """Run every block of ``page`` marked ``script``; return how many ran."""
    scripts = [block for block in page_blocks(page) if block.kind == "script"]
    for block in scripts:
        run_script(block, page)
    return len(scripts)
