"""The update loop's machine code loaded without numba: same results as numba's own code, bit
for bit; the cached object file is reused, checked and rebuilt; helpers equal their loops."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_ca_automaton import T1, T2, toy_table

from ionflux.ca import updates
from ionflux.ca.automaton import initial_state, run_automaton
from ionflux.ca.settings import AutomatonSettings

#: run_automaton of the toy chemistry (A:B = 1:2, seed 5, grid 8, 2 realisations, inertia 1)
#: as numba's compiled loop gave it before the loop was loaded without numba (main at 602aa6a):
#: events per realisation, swaps, and the SHA-256 of the phase amounts' bytes.
PINNED = {
    "reference": ([[134, 62, 84, 55, 166, 61, 1, 52], [138, 67, 83, 55, 159, 56, 2, 39]],
                  [11, 8], "fa12f038b1026490"),
    "off": ([[142, 72, 79, 41, 180, 50, 4, 55], [131, 69, 80, 52, 132, 51, 1, 39]], [0, 0],
            "25ce5061267a9e66"),
}


@pytest.fixture
def kernel_cache(tmp_path, monkeypatch):
    """An empty kernel cache, and a fresh load of the machine code for the test."""
    monkeypatch.setenv("IONFLUX_CACHE_DIR", str(tmp_path))
    updates.native.cache_clear()
    yield tmp_path / "kernels"
    updates.native.cache_clear()


def _run(rule: str):
    table = toy_table(volumes={"A": 1.3, "B": 0.7, "C": 2.1, "D": 2.9, "E": 3.2})
    return run_automaton(table, {"A": 1, "B": 2}, [(T1, 3.0), (T2, 2.0)], grid=8,
                         realisations=2, seed=5,
                         settings=AutomatonSettings(inertia=1.0, cell_swaps=rule))


def _digest(result) -> tuple:
    return (result.events.tolist(), result.swaps.tolist(),
            hashlib.sha256(result.moles.tobytes()).hexdigest()[:16])


@pytest.mark.parametrize("rule", ["reference", "off"])
def test_machine_code_reproduces_numbas_results_bit_for_bit(kernel_cache, rule):
    assert _digest(_run(rule)) == PINNED[rule]  # built, written, loaded
    assert len(list(kernel_cache.glob("ca-updates-*.o"))) == 1
    updates.native.cache_clear()
    assert _digest(_run(rule)) == PINNED[rule]  # loaded from the cache file


def test_numba_fallback_gives_the_same_results(kernel_cache, monkeypatch):
    def broken(ll):
        raise OSError("no LLVM here")

    monkeypatch.setattr(updates, "_target_machine", broken)
    with pytest.warns(RuntimeWarning, match="using numba"):
        result = _run("reference")
    assert _digest(result) == PINNED["reference"]


def test_a_damaged_cache_file_is_rebuilt_not_loaded(kernel_cache):
    _run("off")
    (path,) = kernel_cache.glob("ca-updates-*.o")
    blob = path.read_bytes()
    path.write_bytes(blob[:-40] + bytes(40))  # same length, last bytes zeroed
    updates.native.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to numba: rebuilt and loaded
        assert _digest(_run("off")) == PINNED["off"]
    assert updates._read_object(path) is not None  # written again, whole


def test_the_automaton_runs_without_importing_numba(kernel_cache):
    _run("off")  # fills the cache
    code = ("import sys; from test_ca_updates import _run; _run('off'); "
            "print('numba' in sys.modules)")
    # the ionflux under test (not necessarily the installed one) and this folder
    path = os.pathsep.join([str(Path(updates.__file__).parents[2]), str(Path(__file__).parent)])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": path,
                                          "IONFLUX_CACHE_DIR": str(kernel_cache.parent)})
    assert out.stdout.strip() == "False"


def test_argument_kinds_match_the_kernel_signatures():
    from ionflux.ca.kernel import ENTRY_ARGS, TOTALS_ARGS

    for key, args in (("updates", ENTRY_ARGS), ("totals", TOTALS_ARGS)):
        kinds = "".join("f" if t.name == "float64" else "i" if t.name in ("int64", "uint64")
                        else "p" for _, t in args)
        assert kinds == updates.ARG_KINDS[key]


def test_neighbour_table_is_the_six_periodic_face_neighbours():
    grid = 4
    nbr = updates.neighbour_table(grid)
    assert nbr.dtype == np.int32 and nbr.shape == (grid ** 3, 6)
    for x in range(grid):
        for y in range(grid):
            for z in range(grid):
                cell = (x * grid + y) * grid + z
                expect = [(((x + dx) % grid) * grid + (y + dy) % grid) * grid + (z + dz) % grid
                          for dx, dy, dz in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0),
                                             (0, 0, 1), (0, 0, -1))]
                assert nbr[cell].tolist() == expect


def test_phase_moles_is_the_sum_in_cell_order():
    table = toy_table()
    phase, amount = initial_state(table, {"A": 1, "B": 3}, 5, np.random.default_rng(2), 1)
    amount = amount * np.random.default_rng(3).uniform(0.5, 1.5, amount.size)
    expect = [0.0] * table.n_phases
    for p, a in zip(phase.tolist(), amount.tolist(), strict=True):
        expect[p] += a
    assert updates.phase_moles(phase, amount, table.n_phases).tolist() == expect
    with pytest.raises(ValueError, match=r"phase indices outside 0\.\.0"):
        updates.phase_moles(phase, amount, 1)


def test_arrays_the_loop_writes_must_have_its_dtype():
    table = toy_table()
    phase, amount = initial_state(table, {"A": 1, "B": 1}, 3, np.random.default_rng(2), 1)
    events = np.zeros(len(table.labels), np.int64)
    rng = np.ones(4, np.uint64)
    with pytest.raises(ValueError, match="phase: need a writeable C-contiguous int16"):
        updates.TableUpdates(table, 0, phase.astype(np.int64), amount,
                             updates.neighbour_table(3), 1.0, 1.0, events, rng)
    with pytest.raises(ValueError, match="events: need 8 elements"):
        updates.TableUpdates(table, 0, phase, amount, updates.neighbour_table(3), 1.0, 1.0,
                             events[:-1], rng)


def test_an_unwritable_cache_folder_is_no_error(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("IONFLUX_CACHE_DIR", str(blocked))  # kernels/ cannot be created in it
    updates.native.cache_clear()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # built and loaded from memory, not numba's fallback
            assert _digest(_run("off")) == PINNED["off"]
    finally:
        updates.native.cache_clear()
    assert list(tmp_path.iterdir()) == [blocked]
