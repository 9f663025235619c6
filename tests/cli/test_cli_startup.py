"""`predict` and `query` load what their work needs and nothing else (each command a fresh
interpreter, as typed in a shell): no numba (the automaton's machine code is loaded with
llvmlite), no pymatgen (formulas are read by ionflux.formula), no pydantic-settings, scipy,
maggma or pymongo; and a piped `predict` does not load rich (it would show nothing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ionflux

#: Packages neither command may load.
HEAVY = ("numba", "pymatgen", "pydantic_settings", "scipy", "maggma", "pymongo")


def _run(args: list[str], env: dict[str, str]) -> set[str]:
    """Top-level packages loaded by ``ionflux ARGS`` (checked to exit 0)."""
    code = ("import atexit, json, runpy, sys\n"
            "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + json.dumps(sorted("
            "{m.partition('.')[0] for m in sys.modules})) + '\\n'))\n"
            f"sys.argv = ['ionflux', *{args!r}]\n"
            "runpy.run_module('ionflux', run_name='__main__')\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    line = [x for x in out.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return set(json.loads(line[len("MODULES "):]))


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("startup")
    src = str(Path(ionflux.__file__).parents[1])  # the ionflux under test
    return {**{k: v for k, v in os.environ.items() if not k.startswith("IONFLUX_")},
            "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
            "IONFLUX_DATA_DIR": str(root / "data"), "IONFLUX_CACHE_DIR": str(root / "cache"),
            "IONFLUX_DRIVING_FORCE_CACHE": str(root / "driving_forces.sqlite")}


def test_predict_with_driving_forces_cached_loads_no_heavy_package(env):
    small = ["--profile", "1200K:1", "--grid", "6", "--realisations", "1", "--json"]
    _run(["predict", "--precursors", "BaO=1,TiO2=1", *small], env)  # caches filled
    loaded = _run(["predict", "--precursors", "BaO=1,TiO2=2", *small], env)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    assert "rich" not in loaded and "llvmlite" in loaded


def test_query_loads_no_heavy_package(env):
    _run(["transport", "import", "Ba-Ti-O", "--store", "local"], env)
    loaded = _run(["query", "transport", "--formula", "BaTiO3", "--temperature", "1500"], env)
    assert not loaded & {*HEAVY, "llvmlite", "numba"}, loaded & set(HEAVY)
