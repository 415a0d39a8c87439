"""Every python block of every docs page runs, and the reference tables match the code.

Unmarked blocks run in this process, page by page, like a notebook
(``tests/docs_blocks.py``); blocks marked ``<!-- script -->`` run as programs in
a fresh interpreter, one test each; ``<!-- not-run: reason -->`` blocks must
give a reason. ``ray.md`` and ``migrating.md`` run in their own tests
(test_ray_docs.py in the session's Ray; test_migrating_docs.py).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from docs_blocks import (
    DOCS,
    bad_marks,
    missing_script_marks,
    page_blocks,
    python_blocks,
    run_python_blocks,
    run_script,
)

ROOT = DOCS.parent
PAGES = sorted(DOCS.rglob("*.md"))
#: Pages whose notebook blocks another test runs.
RUN_ELSEWHERE = {
    "ray.md": ROOT / "tests" / "umbrella" / "test_ray_docs.py",
    "migrating.md": ROOT / "tests" / "umbrella" / "test_migrating_docs.py",
}
NOTEBOOK_PAGES = [
    page
    for page in PAGES
    if page.name not in RUN_ELSEWHERE
    and any(block.kind in ("", "ray") for block in page_blocks(page))
]
SCRIPTS = [(page, block) for page in PAGES for block in page_blocks(page) if block.kind == "script"]


def _id(page: Path) -> str:
    return str(page.relative_to(DOCS))


def test_pages_were_found() -> None:
    names = {_id(page) for page in PAGES}
    assert {"index.md", "pools.md", "configuration.md", "progress.md"} <= names
    assert len(SCRIPTS) >= 4


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_marks_are_valid(page: Path) -> None:
    assert bad_marks(page) == []
    assert missing_script_marks(page) == []


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_every_python_fence_is_a_block(page: Path) -> None:
    """No python code hides from the tests behind another fence spelling."""
    text = page.read_text()
    fences = re.findall(r"^[ \t]*```(py|python3|pycon|python)\b[^\n]*$", text, re.MULTILINE)
    assert all(kind == "python" for kind in fences), f"use ```python, found {fences}"
    assert len(fences) == len(page_blocks(page))


@pytest.mark.parametrize("name", sorted(RUN_ELSEWHERE))
def test_pages_run_elsewhere_have_their_test(name: str) -> None:
    assert f'"{name}"' in RUN_ELSEWHERE[name].read_text()


@pytest.mark.parametrize("page", NOTEBOOK_PAGES, ids=_id)
def test_notebook_blocks_run(page: Path, request: pytest.FixtureRequest) -> None:
    needs_ray = any(block.kind == "ray" for block in page_blocks(page))
    if needs_ray and importlib.util.find_spec("ray") is not None:
        request.getfixturevalue("ray_session")
        ray = True
    else:
        ray = False
    module = "concurry_docs_" + re.sub(r"\W", "_", _id(page))
    run_python_blocks(page, module, at_least=1, ray=ray)


@pytest.mark.parametrize(
    ("page", "block"), SCRIPTS, ids=[f"{_id(p)}-block{b.number}" for p, b in SCRIPTS]
)
def test_script_blocks_run(page: Path, block) -> None:
    run_script(block, page)


def test_future_unwrapping_example_passes_a_future_between_workers() -> None:
    """The unwrapping section has a notebook block (run above) handing worker A's
    future to worker B's method and checking that B received the value."""
    section = (DOCS / "workers.md").read_text().split("## Future unwrapping", 1)[1]
    section = section.split("\n## ", 1)[0]
    codes = [code for _, code in python_blocks(section)]
    assert any("received" in code and "assert" in code for code in codes), codes


# -- pools: the stats table lists exactly the keys get_pool_stats() returns ----------


def _documented_stats_keys() -> list[str]:
    text = (DOCS / "pools.md").read_text()
    section = text.split("## `get_pool_stats()`", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)


@pytest.mark.parametrize("on_demand", [False, True], ids=["persistent", "on_demand"])
def test_pools_page_lists_exactly_the_pool_stats_keys(on_demand: bool) -> None:
    from concurry_workers import Worker

    class Echo(Worker):
        def echo(self, x: int) -> int:
            return x

    pool = Echo.options(mode="thread", max_workers=2, on_demand=on_demand).init()
    try:
        assert pool.echo(1).result(timeout=10) == 1
        keys = list(pool.get_pool_stats())
    finally:
        pool.stop()
    documented = _documented_stats_keys()
    assert len(documented) == len(set(documented)), documented
    assert sorted(documented) == sorted(keys)


# -- configuration: the page is generated from the model and lists every field ------


def _render_config_reference() -> str:
    spec = importlib.util.spec_from_file_location(
        "concurry_docs_config_hook", DOCS / "hooks" / "config_reference.py"
    )
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    page = (DOCS / "configuration.md").read_text()
    assert hook.MARKER in page
    rendered: str = hook.on_page_markdown(page, None, None, None)
    assert hook.MARKER not in rendered
    return rendered


def test_configuration_page_lists_every_section_and_field() -> None:
    from concurry_limits import limit_defaults
    from concurry_workers import global_config

    rendered = _render_config_reference()
    for name, values in global_config.model_dump().items():
        section = rendered.split(f"### `global_config.{name}`", 1)[1].split("\n### ", 1)[0]
        for field in values:
            assert f"`{field}`" in section, f"{name}.{field} missing from the configuration page"
    limits = rendered.split("### `limit_defaults`", 1)[1]
    assert "`algorithm`" in limits and limit_defaults.algorithm.value in limits


# -- the site builds with --strict -------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs not installed")
def test_site_builds_with_strict(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    html = (tmp_path / "configuration" / "index.html").read_text()
    assert "global_config.process" in html and "mp_context" in html
    for name in ("futures", "limits", "retry", "workers"):
        assert f'id="concurry_{name}.' in (tmp_path / "api" / name / "index.html").read_text()
