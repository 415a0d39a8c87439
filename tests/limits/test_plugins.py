"""Plugin lookup by entry point, with real distributions on a temporary path.

Each test writes a ``*.dist-info`` folder (METADATA and entry_points.txt) and the
module its entry point names into a temporary directory put on ``sys.path``, so
``importlib.metadata`` finds a real installed entry point. Group and module
names are unique per test because loaded plugins stay cached for the process.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import uuid
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import concurry_limits
from concurry_limits import (
    InProcessBackend,
    LimitSet,
    LimitValidationError,
    PluginNotFoundError,
    RateLimit,
    register_backend,
)
from concurry_limits.plugins import load_plugin


@pytest.fixture
def unique() -> str:
    return f"p{uuid.uuid4().hex[:12]}"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on ``sys.path``; modules imported from it are forgotten afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if getattr(sys.modules[name], "__file__", "").startswith(str(tmp_path)):
            del sys.modules[name]


def install(site: Path, dist: str, group: str, entries: dict[str, str], code: str) -> None:
    """Write distribution ``dist`` publishing ``entries`` in ``group``, and module ``dist``."""
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entries.items())
    (info / "entry_points.txt").write_text(f"[{group}]\n{lines}")
    (site / f"{dist}.py").write_text(code)


def test_load_plugin_loads_a_real_entry_point_once(site: Path, unique: str) -> None:
    group = f"concurry.test.{unique}"
    install(site, unique, group, {"demo": f"{unique}:Thing"}, "class Thing:\n    pass\n")
    assert [ep.name for ep in entry_points(group=group)] == ["demo"]
    thing = load_plugin(group, "demo", "pip install demo")
    assert thing.__name__ == "Thing" and thing.__module__ == unique
    # cached: the distribution may even disappear, the loaded object stays the same
    (site / f"{unique}-1.0.dist-info" / "entry_points.txt").write_text(f"[{group}]\n")
    assert load_plugin(group, "demo", "pip install demo") is thing


def test_missing_plugin_names_group_name_and_hint(unique: str) -> None:
    group = f"concurry.test.{unique}"
    with pytest.raises(PluginNotFoundError) as info:
        load_plugin(group, "ray", "pip install concurry[ray]")
    err = info.value
    assert isinstance(err, LookupError)
    assert (err.group, err.name, err.install_hint) == (group, "ray", "pip install concurry[ray]")
    message = str(err)
    assert f"'{group}'" in message and "'ray'" in message and "pip install concurry[ray]" in message
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is PluginNotFoundError and str(again) == message


def test_a_plugin_installed_after_a_miss_is_found(site: Path, unique: str) -> None:
    group = f"concurry.test.{unique}"
    with pytest.raises(PluginNotFoundError):
        load_plugin(group, "late", "install it")
    install(site, unique, group, {"late": f"{unique}:VALUE"}, "VALUE = 42\n")
    assert load_plugin(group, "late", "install it") == 42


def test_a_plugin_whose_module_is_broken_raises_its_import_error(site: Path, unique: str) -> None:
    group = f"concurry.test.{unique}"
    install(site, unique, group, {"bad": f"{unique}:X"}, "import no_such_module_xyz\n")
    with pytest.raises(ModuleNotFoundError, match="no_such_module_xyz"):
        load_plugin(group, "bad", "install it")


def test_limit_backend_found_by_entry_point(site: Path, unique: str) -> None:
    code = (
        "from concurry_limits import InProcessBackend\n\n"
        "class SharedDemo(InProcessBackend):\n"
        "    name = 'shareddemo'\n"
    )
    install(site, unique, "concurry.limit_backends", {unique: f"{unique}:SharedDemo"}, code)
    ls = LimitSet([RateLimit("tokens", 1, 10)], backend=unique)
    assert type(ls.backend).__name__ == "SharedDemo"
    with ls.acquire({"tokens": 4}) as acq:
        acq.update({"tokens": 4})
    assert ls.get_stats()["tokens"]["capacity"] == 10


def test_limit_backend_plugin_must_build_a_backend(site: Path, unique: str) -> None:
    install(site, unique, "concurry.limit_backends", {unique: f"{unique}:make"}, "make = dict\n")
    with pytest.raises(LimitValidationError, match=rf"backend '{unique}' must build a Backend"):
        LimitSet([RateLimit("tokens", 1, 10)], backend=unique)


def test_ray_backend_without_plugin_says_what_to_install() -> None:
    # a child without site-packages sees no installed 'ray' plugin, whatever this venv holds
    src = str(Path(concurry_limits.__file__).parents[1])
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from concurry_limits import LimitSet, LimitValidationError, RateLimit\n"
        "for kwargs in ({'backend': 'ray'}, {'backend': 'Ray'}, {'shared': True, 'mode': 'ray'}):\n"
        "    try:\n"
        "        LimitSet([RateLimit('tokens', 1, 10)], **kwargs)\n"
        "    except LimitValidationError as exc:\n"
        "        print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code, src], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3, out.stdout
    for line in lines:
        assert "backend" in line and "is not registered" in line
        assert "'concurry.limit_backends'" in line and "pip install concurry[ray]" in line


def test_unknown_backend_lists_the_choices() -> None:
    with pytest.raises(
        LimitValidationError, match=r"unknown backend 'nope'; valid choices: .*redis"
    ):
        LimitSet([RateLimit("tokens", 1, 10)], backend="nope")


def test_registered_backend_wins_over_entry_point(site: Path, unique: str) -> None:
    install(site, unique, "concurry.limit_backends", {unique: f"{unique}:make"}, "make = dict\n")
    register_backend(unique, InProcessBackend)
    assert type(LimitSet([RateLimit("tokens", 1, 10)], backend=unique).backend) is InProcessBackend
