"""Validated methods (``pydantic.validate_call``, ``morphic.validate``) on classes that
cross to a process worker by value: defined in ``__main__`` (a script or a notebook)
or inside a function (issue 8).

The script tests run a real main script in a fresh interpreter under every start
method; the helper tests round-trip ``_pickling`` in this process.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import subprocess
import sys
from typing import Any

import cloudpickle
import morphic
import pydantic
import pytest

from concurry_workers import Worker
from concurry_workers._backends import _wire as wire
from concurry_workers._backends._pickling import Pickler, dumps, dumps_runtime, rebuild_validated
from concurry_workers._runtime import WorkerRuntime

START_METHODS = ["fork", "forkserver", "spawn"]

SCRIPT = '''
"""Validated worker classes defined in __main__, each run in a process worker."""

import json
import sys

import morphic
import pydantic

from concurry_workers import Worker, worker


class Point(pydantic.BaseModel):
    x: int


class PydanticCalls(Worker):
    @pydantic.validate_call
    def __init__(self, base: int) -> None:
        self.base = base

    @pydantic.validate_call
    def add(self, x: int) -> int:
        return self.base + x

    @pydantic.validate_call(validate_return=True)
    def half(self, x: int) -> int:
        return x / 2


class MorphicCalls(Worker):
    @morphic.validate
    def __init__(self, factor: int) -> None:
        self.factor = factor

    # a string annotation naming a global the body never uses: in a notebook
    # the child has no such global unless it travels with the method
    @morphic.validate
    def scale(self, p: "Point") -> int:
        return p.x * self.factor


class TypedCalls(Worker, morphic.Typed):
    factor: int

    @morphic.validate
    def scale(self, x: int) -> int:
        return x * self.factor


@worker
class ModelCalls(pydantic.BaseModel):
    factor: int

    @pydantic.validate_call
    def scale(self, x: int) -> int:
        return x * self.factor


def make_local():
    class Local(Worker):
        @pydantic.validate_call
        def __init__(self, offset: int) -> None:
            self.offset = offset

        @morphic.validate
        def shift(self, x: int) -> int:
            return x + self.offset

    return Local


def outcome(thunk):
    try:
        return ["ok", thunk()]
    except pydantic.ValidationError:
        return ["error", "ValidationError"]
    except Exception as exc:
        return ["error", f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"]


def main(ctx):
    Local = make_local()
    specs = {
        "pydantic": (PydanticCalls, ("1",), {}, [("add", "2"), ("add", "x"), ("half", 4), ("half", 3)]),
        "morphic": (MorphicCalls, (3,), {}, [("scale", {"x": "2"}), ("scale", {"x": "a"})]),
        "typed": (TypedCalls, (), {"factor": 2}, [("scale", "5"), ("scale", "b")]),
        "model": (ModelCalls, (), {"factor": 4}, [("scale", "5"), ("scale", "c")]),
        "local": (Local, ("10",), {}, [("shift", "1"), ("shift", "d")]),
    }
    remote = {
        name: outcome(lambda: cls.options(mode="process", mp_context=ctx).init(*args, **kwargs))
        for name, (cls, args, kwargs, _) in specs.items()
    }
    report = {}
    for name, (cls, args, kwargs, calls) in specs.items():
        kind, proxy = remote[name]
        report[f"{name}.init"] = [kind if kind == "error" else "ok", proxy if kind == "error" else None]
        local = cls(*args, **kwargs)
        for method, arg in calls:
            key = f"{name}.{method}({arg!r})"
            got = outcome(lambda: getattr(proxy, method)(arg).result(timeout=60))
            report[key] = got
            report[key + " locally"] = outcome(lambda: getattr(local, method)(arg))
        if kind == "ok":
            proxy.stop()
    bad = outcome(lambda: PydanticCalls.options(mode="process", mp_context=ctx).init("nope"))
    report["pydantic.init('nope')"] = bad
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
'''

VALIDATION_ERROR = ["error", "ValidationError"]
EXPECTED = {
    "pydantic.init": ["ok", None],
    "pydantic.add('2')": ["ok", 3],
    "pydantic.add('x')": VALIDATION_ERROR,
    "pydantic.half(4)": ["ok", 2],
    "pydantic.half(3)": VALIDATION_ERROR,
    "morphic.init": ["ok", None],
    "morphic.scale({'x': '2'})": ["ok", 6],
    "morphic.scale({'x': 'a'})": VALIDATION_ERROR,
    "typed.init": ["ok", None],
    "typed.scale('5')": ["ok", 10],
    "typed.scale('b')": VALIDATION_ERROR,
    "model.init": ["ok", None],
    "model.scale('5')": ["ok", 20],
    "model.scale('c')": VALIDATION_ERROR,
    "local.init": ["ok", None],
    "local.shift('1')": ["ok", 11],
    "local.shift('d')": VALIDATION_ERROR,
    "pydantic.init('nope')": VALIDATION_ERROR,
}


def _run(argv: list[str], cwd: Any) -> dict[str, Any]:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def _check(report: dict[str, Any]) -> None:
    remote = {key: value for key, value in report.items() if not key.endswith(" locally")}
    assert remote == EXPECTED
    for key, value in report.items():
        if key.endswith(" locally"):
            assert value == report[key.removesuffix(" locally")], key


@pytest.mark.parametrize("start_method", START_METHODS)
def test_validated_classes_in_a_main_script(tmp_path, start_method):
    script = tmp_path / "validated_main.py"
    script.write_text(SCRIPT)
    _check(_run([sys.executable, str(script), start_method], tmp_path))


@pytest.mark.parametrize("start_method", START_METHODS)
def test_validated_classes_in_a_notebook_main(tmp_path, start_method):
    # a notebook kernel runs cells in a __main__ that has no __file__, so a
    # spawn/forkserver child cannot re-import it: every class travels by value
    cell = tmp_path / "cell.py"
    cell.write_text(SCRIPT)
    code = f"exec(compile(open({str(cell)!r}).read(), '<cell>', 'exec'))"
    _check(_run([sys.executable, "-c", code, start_method], tmp_path))


# -- the pickling helper, round-tripped in this process -------------------------------


class Box:
    """A type pydantic only accepts with ``arbitrary_types_allowed`` (morphic's config)."""


class Point(pydantic.BaseModel):
    x: int


@pydantic.validate_call
def double(x: int) -> int:
    """Importable: must keep travelling by reference."""
    return 2 * x


def _make_classes() -> tuple[type, type]:
    class Calc(Worker):
        @pydantic.validate_call
        def __init__(self, base: int) -> None:
            self.base = base

        @pydantic.validate_call
        def add(self, x: int) -> int:
            return self.base + x

        @pydantic.validate_call(validate_return=True)
        def half(self, x: int) -> int:
            return x / 2  # type: ignore[return-value]

        @pydantic.validate_call(config={"strict": True})
        def strict(self, x: int) -> int:
            return x

        @staticmethod
        @pydantic.validate_call
        def twice(x: int) -> int:
            return 2 * x

        @classmethod
        @pydantic.validate_call
        def name(cls, suffix: str) -> str:
            return cls.__name__ + suffix

    class Boxes:
        @morphic.validate
        def put(self, box: Box, count: int = 1) -> list[Box]:
            return [box] * count

        @morphic.validate
        def first(self, points: list[Point]) -> int:
            return points[0].x

    return Calc, Boxes


def test_round_trip_of_a_class_defined_in_a_function():
    calc_cls, _ = _make_classes()
    shipped_add = calc_cls.__dict__["add"]
    copy = pickle.loads(dumps(calc_cls))
    # in the process that defined it, cloudpickle hands back the same class with
    # the shipped attributes set on it again: the methods are the rebuilt ones
    assert copy.__dict__["add"] is not shipped_add
    calc = copy("1")
    assert calc.base == 1
    assert calc.add("2") == 3
    with pytest.raises(pydantic.ValidationError):
        calc.add("x")
    with pytest.raises(pydantic.ValidationError):
        copy("nope")


def test_round_trip_keeps_the_decorator_configuration():
    calc_cls, boxes_cls = _make_classes()
    calc = pickle.loads(dumps(calc_cls))(0)
    assert calc.half(4) == 2
    with pytest.raises(pydantic.ValidationError):
        calc.half(3)  # validate_return survived
    assert calc.strict(3) == 3
    with pytest.raises(pydantic.ValidationError):
        calc.strict("3")  # config={"strict": True} survived
    boxes = pickle.loads(dumps(boxes_cls))()
    box = Box()
    # only valid with morphic's arbitrary_types_allowed: the config came along
    assert boxes.put(box, "2") == [box, box]
    with pytest.raises(pydantic.ValidationError):
        boxes.put(1)
    assert boxes.first([{"x": "5"}]) == 5


def test_static_and_class_methods_round_trip():
    calc_cls, _ = _make_classes()
    copy = pickle.loads(dumps(calc_cls))
    assert copy.twice("4") == 8
    assert copy.name("!") == "Calc!"
    with pytest.raises(pydantic.ValidationError):
        copy.twice("x")
    with pytest.raises(pydantic.ValidationError):
        copy.name(1)


def test_an_importable_validated_function_travels_by_reference():
    payload = dumps(double)
    assert b"rebuild_validated" not in payload
    assert pickle.loads(payload) is double


def test_a_by_value_function_is_rebuilt_not_pickled_with_pydantic_internals():
    def local(x: int) -> int:
        return x * 2

    fn = pydantic.validate_call(local)
    payload = dumps(fn)
    assert b"rebuild_validated" in payload
    assert b"ConfigWrapper" not in payload
    copy = pickle.loads(payload)
    assert copy("1") == 2
    assert copy.__name__ == "local"
    assert copy.raw_function("1") == "11"  # the undecorated function came along


def test_extra_attributes_on_the_wrapper_survive():
    def local(x: int) -> int:
        return x

    fn = pydantic.validate_call(local)
    fn.marker = {"retries": 3}  # type: ignore[attr-defined]
    assert pickle.loads(dumps(fn)).marker == {"retries": 3}


def test_async_validated_function_round_trips():
    async def local(x: int) -> int:
        return x * 3

    copy = pickle.loads(dumps(pydantic.validate_call(local)))
    assert asyncio.run(copy("2")) == 6
    with pytest.raises(pydantic.ValidationError):
        asyncio.run(copy("x"))


def test_string_annotations_ship_the_objects_they_name():
    def local(p: Point, boxes: list[Box]) -> int:  # strings: this module has future annotations
        return p.x

    fn = pydantic.validate_call(config={"arbitrary_types_allowed": True})(local)
    reduced = Pickler(_Sink()).reducer_override(fn)
    assert reduced[0] is rebuild_validated
    namespace = reduced[1][3]
    assert namespace["Point"] is Point
    assert namespace["Box"] is Box


def test_wire_batches_carry_validated_functions():
    def local(x: int) -> int:
        return -x

    fn = pydantic.validate_call(local)
    message, failed = wire.encode_batch(wire.CALLS, [(7, fn)])
    assert failed == []
    [(tag, ok, value)] = wire.decode_batch(message)
    assert (tag, ok) == (7, True)
    assert value("4") == -4


def test_runtime_payload_builds_the_worker():
    calc_cls, _ = _make_classes()
    runtime = WorkerRuntime(calc_cls, ("5",), {})
    invoker = cloudpickle.loads(dumps_runtime(runtime)).build()
    assert invoker.instance.add("1") == 6


class _Sink:
    def write(self, data: bytes) -> int:
        return len(data)


def test_a_module_registered_for_pickling_by_value_ships_its_functions_rebuildable():
    module = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(module)
    try:
        payload = dumps(double)
    finally:
        cloudpickle.unregister_pickle_by_value(module)
    assert b"rebuild_validated" in payload
    assert pickle.loads(payload)("3") == 6
