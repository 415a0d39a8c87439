from __future__ import annotations

import pickle
import subprocess
import sys

import concurry_retry


def test_all_is_complete_and_public_module_is_set() -> None:
    public = {n for n in dir(concurry_retry) if not n.startswith("_")} - {"annotations"}
    assert set(concurry_retry.__all__) == public
    for name in concurry_retry.__all__:
        assert getattr(concurry_retry, name).__module__ == "concurry_retry", name


def test_enum_and_errors_pickle_by_public_path() -> None:
    assert b"concurry_retry._" not in pickle.dumps(concurry_retry.RetryAlgorithm.Linear)
    err = concurry_retry.RetryValidationError(1, [0], ["e"], "m")
    assert b"concurry_retry._" not in pickle.dumps(err)


def test_import_is_light() -> None:
    code = (
        "import sys, concurry_retry;"
        "heavy = {'asyncio', 'inspect', 'logging', 'random', 'multiprocessing', 'dataclasses', 'typing'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
