"""The Pedone potential: analytic pair energies, forces = -grad E, Newton's third law, NVE."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Element
from scipy.special import erfc

from ionflux.errors import InputError
from ionflux.md.integrate import Integrator, kinetic_energy, kinetic_temperature, maxwell_boltzmann
from ionflux.md.meltquench import random_packing
from ionflux.md.pedone import COULOMB_EV_A, PEDONE_CHARGES, PEDONE_PAIRS, PedoneModel

ALPHA, RC, RS = 0.25, 8.0, 5.5


def reference_pair_energy(el1: str, el2: str, r: float) -> float:
    """Independent evaluation of the documented formula (scipy erfc, no shared code)."""
    qq = COULOMB_EV_A * PEDONE_CHARGES[el1] * PEDONE_CHARGES[el2]

    def coul(x: float) -> float:
        return erfc(ALPHA * x) / x

    dcoul_rc = -erfc(ALPHA * RC) / RC**2 - 2 * ALPHA / np.sqrt(np.pi) * np.exp(
        -(ALPHA * RC) ** 2) / RC
    energy = qq * (coul(r) - coul(RC) - dcoul_rc * (r - RC)) if r < RC else 0.0
    params = PEDONE_PAIRS.get((el1, el2)) or PEDONE_PAIRS.get((el2, el1))
    if params and r < RS:
        D, a, r0, C = params

        def sr(x: float) -> float:
            return D * (np.exp(-2 * a * (x - r0)) - 2 * np.exp(-a * (x - r0))) + C / x**12

        h = 1e-6
        dsr_rs = (sr(RS + h) - sr(RS - h)) / (2 * h)
        energy += sr(r) - sr(RS) - dsr_rs * (r - RS)
    return energy


def small_cell(rng: np.random.Generator, triclinic: bool = False):
    symbols = ["Ba"] * 4 + ["Ti"] * 4 + ["O"] * 12
    length = (len(symbols) * 15.0) ** (1 / 3)  # 6.7 Å: cutoffs reach past the nearest images
    cell = np.eye(3) * length
    if triclinic:
        cell[1, 0] = 0.9
        cell[2, 0] = -0.6
        cell[2, 1] = 1.1
    model = PedoneModel.for_elements(symbols)
    positions = random_packing(symbols, cell, rng, min_separation_A=1.7)
    return model, symbols, cell, positions


@pytest.mark.parametrize(("el1", "el2", "r"), [
    ("Ba", "O", 2.7), ("Ti", "O", 1.95), ("O", "O", 2.8), ("Ba", "Ti", 3.6),
    ("Ti", "Ti", 3.1), ("Ba", "O", 6.0), ("O", "O", 7.9)])
def test_pair_energy_matches_the_published_form(el1, el2, r):
    model = PedoneModel.for_elements(["Ba", "Ti", "O"])
    got = model.pair_energy(el1, el2, np.array([r]))[0]
    # The fast erfc is accurate to 1.5e-7 absolute: ~1e-5 eV on these charges.
    assert got == pytest.approx(reference_pair_energy(el1, el2, r), abs=2e-5)


def test_isolated_pair_in_a_large_box_gives_pair_energy_and_opposite_forces():
    model = PedoneModel.for_elements(["Ti", "O"])
    cell = np.eye(3) * 40.0
    positions = np.array([[1.0, 1.0, 1.0], [1.0 + 1.9, 1.0, 1.0]])
    energy, forces = model.energy_forces(positions, cell, model.type_indices(["Ti", "O"]))
    self_energy = -(erfc(ALPHA * RC) / (2 * RC) + ALPHA / np.sqrt(np.pi)) * COULOMB_EV_A * (
        2.4**2 + 1.2**2)
    assert energy == pytest.approx(reference_pair_energy("Ti", "O", 1.9) + self_energy,
                                   abs=2e-5)
    # At 1.9 Å the Ti-O pair attracts: force on Ti points to +x, on O to -x.
    assert forces[0, 0] > 1.0
    np.testing.assert_allclose(forces[0], -forces[1], atol=1e-12)


@pytest.mark.parametrize("triclinic", [False, True])
def test_forces_are_minus_the_energy_gradient(rng, triclinic):
    model, symbols, cell, positions = small_cell(rng, triclinic)
    types = model.type_indices(symbols)
    _, forces = model.energy_forces(positions, cell, types)
    h = 1e-4
    numeric = np.zeros_like(forces)
    for i in range(len(symbols)):
        for k in range(3):
            plus, minus = positions.copy(), positions.copy()
            plus[i, k] += h
            minus[i, k] -= h
            numeric[i, k] = -(model.energy_forces(plus, cell, types)[0]
                              - model.energy_forces(minus, cell, types)[0]) / (2 * h)
    assert np.abs(forces).max() > 0.5  # a real test: forces are not all tiny
    np.testing.assert_allclose(forces, numeric, atol=2e-4)


def test_energy_is_invariant_under_lattice_translations_of_atoms(rng):
    model, symbols, cell, positions = small_cell(rng, triclinic=True)
    types = model.type_indices(symbols)
    e0, f0 = model.energy_forces(positions, cell, types)
    moved = positions + np.array([1, -2, 3]) @ cell
    e1, f1 = model.energy_forces(moved, cell, types)
    assert e1 == pytest.approx(e0, abs=1e-9)
    np.testing.assert_allclose(f1, f0, atol=1e-9)


def test_newtons_third_law_total_force_vanishes(rng):
    model, symbols, cell, positions = small_cell(rng, triclinic=True)
    _, forces = model.energy_forces(positions, cell, model.type_indices(symbols))
    assert np.abs(forces).max() > 0.5
    np.testing.assert_allclose(forces.sum(axis=0), 0.0, atol=1e-9)


def test_ase_calculator_agrees_with_ase_numerical_forces(rng):
    from ase import Atoms
    from ase.calculators.fd import calculate_numerical_forces

    from ionflux.md.calculator import PedoneCalculator

    model, symbols, cell, positions = small_cell(rng)
    atoms = Atoms(symbols, positions=positions, cell=cell, pbc=True)
    atoms.calc = PedoneCalculator()
    energy, _ = model.energy_forces(positions, cell, model.type_indices(symbols))
    assert atoms.get_potential_energy() == pytest.approx(energy, abs=1e-10)
    numeric = calculate_numerical_forces(atoms, eps=1e-4)
    np.testing.assert_allclose(atoms.get_forces(), numeric, atol=2e-4)


def test_unknown_element_is_a_one_line_error():
    with pytest.raises(InputError, match="no parameters for Si"):
        PedoneModel.for_elements(["Si", "O"])


def _nve_energies(rng, timestep_fs: float, duration_fs: float) -> np.ndarray:
    model, symbols, cell, positions = small_cell(rng)
    masses = np.array([Element(s).atomic_mass for s in symbols])
    md = Integrator(model, cell, model.type_indices(symbols), masses, timestep_fs=timestep_fs)
    positions = md.relax(positions, steps=200)
    state = md.start(positions, maxwell_boltzmann(masses, 1500.0, rng))
    totals = []
    chunk = max(1, round(10.0 / timestep_fs))
    for _ in range(int(duration_fs / (chunk * timestep_fs))):
        md.run(state, chunk, 0.0, friction_per_fs=0.0)
        totals.append(state.energy + kinetic_energy(state.velocities, masses))
    return np.array(totals)


def test_nve_conserves_energy_with_second_order_error():
    # Same initial state for both time steps (same seed); velocity Verlet's energy error
    # shrinks four-fold when the step is halved.
    coarse = _nve_energies(np.random.default_rng(7), 1.0, 1000.0)
    fine = _nve_energies(np.random.default_rng(7), 0.5, 1000.0)
    n_atoms = 20
    assert np.ptp(coarse) / n_atoms < 2e-3  # eV/atom over 1 ps at 1500 K
    drift = abs(coarse[-1] - coarse[0])
    assert drift / n_atoms < 1e-3
    ratio = coarse.std() / fine.std()
    assert 2.5 < ratio < 6.0, ratio


@pytest.mark.slow
def test_langevin_thermostat_holds_the_target_temperature():
    rng = np.random.default_rng(3)
    model, symbols, cell, positions = small_cell(rng)
    masses = np.array([Element(s).atomic_mass for s in symbols])
    md = Integrator(model, cell, model.type_indices(symbols), masses, timestep_fs=1.0)
    state = md.start(md.relax(positions, steps=200), maxwell_boltzmann(masses, 300.0, rng))
    md.run(state, 1000, 1200.0, friction_per_fs=0.02, rng=rng)  # heat up from 300 K
    temps = []
    for _ in range(300):
        md.run(state, 10, 1200.0, friction_per_fs=0.02, rng=rng)
        temps.append(kinetic_temperature(state.velocities, masses))
    # 20 atoms: single samples scatter by ~20 %; the mean over 3 ps is good to a few %.
    assert np.mean(temps) == pytest.approx(1200.0, rel=0.08)
