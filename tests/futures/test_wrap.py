"""wrap_future, the adapter plug-in hook, and the import/dependency rules."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

import concurry_futures
from concurry_futures import (
    AsyncioFuture,
    BaseFuture,
    ConcurrentFuture,
    MissingPluginError,
    SyncFuture,
    _wrap,
    register_future_adapter,
    wrap_future,
)

SRC = Path(concurry_futures.__file__).parent


def test_base_future_is_returned_unchanged() -> None:
    fut = SyncFuture(1)
    assert wrap_future(fut) is fut


def test_concurrent_future_is_wrapped() -> None:
    raw: Future[int] = Future()
    w = wrap_future(raw)
    assert isinstance(w, ConcurrentFuture) and w.future is raw


def test_plain_values_become_sync_futures() -> None:
    for value in (None, 3, "s", [1, 2], {"a": 1}):
        w = wrap_future(value)
        assert isinstance(w, SyncFuture) and w.result() == value


def test_asyncio_future_and_coroutine_are_wrapped_inside_a_loop() -> None:
    async def double(x: int) -> int:
        return 2 * x

    async def main() -> tuple[Any, Any]:
        af = wrap_future(asyncio.get_running_loop().create_future())
        cf = wrap_future(double(4))
        assert isinstance(af, AsyncioFuture) and isinstance(cf, AsyncioFuture)
        af.future.set_result("a")
        return await af, await cf

    assert asyncio.run(main()) == ("a", 8)


def test_coroutine_without_a_running_loop_is_a_runtime_error() -> None:
    async def nothing() -> None:
        return None

    coro = nothing()
    with pytest.raises(RuntimeError, match="without a running event loop"):
        wrap_future(coro)
    coro.close()


class _Foreign:
    def __init__(self, value: Any) -> None:
        self.value = value


def test_registered_adapter_wraps_foreign_kinds() -> None:
    def adapter(obj: Any) -> BaseFuture | None:
        return SyncFuture(obj.value * 10) if isinstance(obj, _Foreign) else None

    assert register_future_adapter(adapter) is adapter
    register_future_adapter(adapter)
    try:
        assert _wrap._adapters.count(adapter) == 1
        assert wrap_future(_Foreign(2)).result() == 20
        assert wrap_future(5).result() == 5
    finally:
        _wrap._adapters.remove(adapter)


def test_adapter_returning_a_non_future_is_a_type_error() -> None:
    def bad(obj: Any) -> Any:
        return 1 if isinstance(obj, _Foreign) else None

    register_future_adapter(bad)
    try:
        with pytest.raises(TypeError, match="must return a BaseFuture or None"):
            wrap_future(_Foreign(1))
    finally:
        _wrap._adapters.remove(bad)


def test_register_non_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="adapter must be callable"):
        register_future_adapter(3)  # type: ignore[arg-type]


def test_unhandled_ray_object_ref_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    ObjectRef = type("ObjectRef", (), {"__module__": "ray._raylet_lookalike"})
    # stand in for an install without the ray plugin, whatever this venv has
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **_: [])
    monkeypatch.setattr(_wrap, "_adapters", [])
    monkeypatch.setattr(_wrap, "_entry_points_loaded", False)
    with pytest.raises(MissingPluginError, match=r"concurry\[ray\]"):
        wrap_future(ObjectRef())


def test_import_is_light_and_never_imports_ray() -> None:
    code = (
        "import sys, concurry_futures as c\n"
        "heavy = [m for m in ('asyncio', 'tqdm', 'ray', 'concurry_ray', 'multiprocessing')"
        " if m in sys.modules]\n"
        "c.wrap_future(1); c.wrap_future(object())\n"
        "print(heavy, 'ray' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[] False"


def test_source_never_imports_ray_or_other_concurry_packages() -> None:
    bad = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            bad += [f"{path.name}: {n}" for n in names if n.split(".")[0] in _FORBIDDEN]
    assert not bad


_FORBIDDEN = {"ray", "concurry_ray", "concurry_workers", "concurry", "morphic"}


def test_public_names_live_at_the_package_path() -> None:
    for name in concurry_futures.__all__:
        obj = getattr(concurry_futures, name)
        if isinstance(obj, type) or callable(obj):
            assert obj.__module__ == "concurry_futures", name
    assert sorted(concurry_futures.__all__) == sorted(
        n for n in dir(concurry_futures) if not n.startswith("_") and n != "annotations"
    )


def test_adapter_entry_points_are_read_only_for_ray_objects() -> None:
    code = (
        "from concurry_futures import _wrap, wrap_future\n"
        "wrap_future(1); wrap_future(object())\n"
        "before = _wrap._entry_points_loaded\n"
        "Ref = type('Thing', (), {'__module__': 'ray.somewhere'})\n"
        "wrap_future(Ref())\n"
        "print(before, _wrap._entry_points_loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]
