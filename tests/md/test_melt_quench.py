"""Melt-quench set-up (cell size, density), reproducibility and the extended-XYZ round trip."""

from __future__ import annotations

import json
from importlib.resources import files

import numpy as np
import pytest

from ionflux.errors import InputError
from ionflux.io import read_trajectory
from ionflux.md import MeltQuenchSchedule, cell_composition, melt_quench, mp_volume_per_atom
from ionflux.md.extxyz import write_extxyz

TINY = MeltQuenchSchedule(temperature_K=1500.0, melt_temperature_K=3000.0, melt_steps=100,
                          quench_steps=100, equilibrate_steps=100, n_frames=3, frame_every=50,
                          relax_steps=50)


def mp_entry(formula: str) -> dict:
    data = json.loads((files("ionflux") / "data" / "ba-ti-o" / "thermo.json").read_text())
    return next(e for e in data["entries"] if e["formula"] == formula)


@pytest.mark.parametrize(("formula", "atoms", "expected_n"), [
    ("BaTiO3", 100, 100), ("Ba6Ti17O40", 100, 126), ("Ba2Ti9O20", 100, 93),
    ("Ba4Ti13O30", 100, 94), ("BaTi2O5", 100, 96)])
def test_cell_holds_the_whole_number_of_formula_units_nearest_the_target(formula, atoms,
                                                                        expected_n):
    _, symbols = cell_composition(formula, atoms)
    assert len(symbols) == expected_n
    assert symbols[0] == "Ba" and symbols[-1] == "O"


def test_volume_is_the_mp_value_or_the_molar_mix_on_the_bao_tio2_line():
    volume, source = mp_volume_per_atom("BaTiO3")
    assert volume == pytest.approx(mp_entry("BaTiO3")["volume_per_atom"])
    assert "mp-" in source
    # Ba4TiO6 = Ba3TiO5 + BaO by moles: V = (9 v(Ba3TiO5) + 2 v(BaO)) / 11 per atom.
    expected = (9 * mp_entry("Ba3TiO5")["volume_per_atom"]
                + 2 * mp_entry("BaO")["volume_per_atom"]) / 11
    volume, source = mp_volume_per_atom("Ba4TiO6")
    assert volume == pytest.approx(expected, rel=1e-12)
    assert "Ba3TiO5" in source and "BaO" in source


def test_bad_compositions_are_one_line_errors():
    with pytest.raises(InputError, match="no Pedone parameters for Si"):
        cell_composition("SiO2", 100)
    with pytest.raises(InputError, match="not charge neutral"):
        cell_composition("BaO2", 100)
    with pytest.raises(InputError, match="cannot hold one formula unit"):
        cell_composition("Ba6Ti17O40", 20)


def test_same_seed_same_cell_and_extxyz_round_trip(tmp_path):
    a = melt_quench("BaTiO3", target_atoms=20, seed=5, schedule=TINY)
    b = melt_quench("BaTiO3", target_atoms=20, seed=5, schedule=TINY)
    c = melt_quench("BaTiO3", target_atoms=20, seed=6, schedule=TINY)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.allclose(a.positions, c.positions)
    # density: 20 atoms at 1.10 x the MP volume per atom of BaTiO3
    assert np.linalg.det(a.cell) == pytest.approx(
        20 * 1.10 * mp_entry("BaTiO3")["volume_per_atom"], rel=1e-12)

    path = write_extxyz(tmp_path / "a.extxyz.gz", a, wrapped=True)
    traj = read_trajectory(path)
    assert traj.species == tuple(a.symbols)
    assert traj.temperature_K == 1500.0
    assert not traj.unwrapped
    np.testing.assert_allclose(traj.times_fs, [0.0, 50.0, 100.0])
    frac = traj.positions @ np.linalg.inv(a.cell)
    assert frac.min() >= 0.0 and frac.max() < 1.0
    # wrapped positions are the continuous ones shifted by whole lattice vectors
    shift = (a.positions - traj.positions) @ np.linalg.inv(a.cell)
    np.testing.assert_allclose(shift, np.rint(shift), atol=1e-8)

    path = write_extxyz(tmp_path / "a_unwrapped.extxyz", a, wrapped=False)
    traj = read_trajectory(path)
    assert traj.unwrapped
    np.testing.assert_allclose(traj.positions, a.positions, atol=1e-8)
