"""pyace: the calculator against the basis evaluated independently, finite differences, the
linear fit recovering a known potential, gamma from the calculator against numpy, QC stops."""

from __future__ import annotations

import numpy as np
import pytest
from ace_bases import SMALL_BASIS
from ase import Atoms

from ionflux.errors import InputError
from ionflux.io import read_trajectory
from ionflux.md.ace import (
    AceMDSettings,
    design_rows,
    fit_linear_ace,
    frame_gamma,
    gamma_per_atom,
    load_active_set,
    load_potential,
    run_ace_md,
    standin_potential_files,
)
from ionflux.md.library import amorphous_snapshot_files


def _cell(formula: str, frame: int = 0) -> Atoms:
    traj = read_trajectory(amorphous_snapshot_files()[formula])
    return Atoms(traj.species, positions=traj.positions[frame], cell=traj.cells[frame],
                 pbc=True)


@pytest.fixture(scope="module")
def standin():
    yaml_path, asi_path = standin_potential_files()
    return load_potential(yaml_path, asi_path)


def test_standin_is_labelled(standin):
    assert "STAND-IN" in standin.metadata["label"]
    assert "Pedone" in standin.metadata["label"]


def test_calculator_matches_basis_projections_and_finite_differences(standin):
    atoms = _cell("BaTi2O5")
    atoms.calc = standin.calculator()
    energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    # independent route: B-projections and their gradients times the coefficients
    e_row, f_rows = design_rows(standin.basis, atoms)
    coeffs = np.asarray(standin.basis.basis_coeffs)
    assert energy == pytest.approx(e_row @ coeffs, rel=1e-10)
    assert np.abs(forces.ravel() - f_rows @ coeffs).max() < 1e-8
    # forces are -dE/dx (central differences, h = 1e-4 Å)
    h = 1e-4
    for i, k in [(0, 0), (17, 1), (40, 2), (80, 0)]:
        shifted = []
        for sign in (1, -1):
            probe = atoms.copy()
            probe.positions[i, k] += sign * h
            probe.calc = standin.calculator()
            shifted.append(probe.get_potential_energy())
        assert -(shifted[0] - shifted[1]) / (2 * h) == pytest.approx(forces[i, k], abs=2e-5)
    assert np.abs(forces).max() > 0.5


def test_linear_fit_recovers_a_known_potential():
    from pyace import ACEBBasisSet, PyACECalculator, create_multispecies_basis_config

    teacher = ACEBBasisSet(create_multispecies_basis_config(SMALL_BASIS))
    rng = np.random.default_rng(3)
    teacher.basis_coeffs = rng.normal(0.0, 0.5, len(teacher.basis_coeffs))
    structures = [_cell(f, k) for f in ("BaTiO3", "BaTi4O9", "Ba2TiO4") for k in (0, 2)]
    energies, forces = [], []
    for atoms in structures:
        atoms.calc = PyACECalculator(teacher)
        energies.append(atoms.get_potential_energy())
        forces.append(atoms.get_forces().copy())
        atoms.calc = None
    fit = fit_linear_ace(structures, energies, forces, basis_config=SMALL_BASIS, ridge=1e-10)
    assert fit.force_rmse_eV_A < 1e-6 * fit.force_std_eV_A
    assert fit.energy_rmse_eV_per_atom < 1e-8
    assert max(abs(v) for v in fit.e0_eV.values()) < 1e-6  # the teacher has no offsets
    held_out = _cell("BaTi5O11", 4)
    held_out.calc = PyACECalculator(fit.basis)
    reference = held_out.copy()
    reference.calc = PyACECalculator(teacher)
    assert np.abs(held_out.get_forces() - reference.get_forces()).max() < 1e-6



def test_weighted_fit_solves_the_weighted_least_squares_of_numpy():
    """Structure weights against an independent weighted least squares (numpy lstsq on the
    explicitly weighted rows): labels no basis reproduces, so the weights matter."""
    from pyace import ACEBBasisSet, create_multispecies_basis_config

    from ionflux.md.ace import composition_row

    structures = [_cell(f, k) for f in ("BaTiO3", "Ba2TiO4") for k in (0, 2)]
    rng = np.random.default_rng(4)
    energies = [float(rng.normal(0, 5)) for _ in structures]
    forces = [rng.normal(0.0, 1.0, (len(a), 3)) for a in structures]
    weights = [1.0, 0.3, 2.0, 0.7]
    ridge, energy_weight = 1e-3, 10.0
    fit = fit_linear_ace(structures, energies, forces, basis_config=SMALL_BASIS, ridge=ridge,
                         energy_weight=energy_weight, weights=weights)
    basis = ACEBBasisSet(create_multispecies_basis_config(SMALL_BASIS))
    elements = list(basis.elements_name)
    blocks, targets = [], []
    for atoms, e, f, w in zip(structures, energies, forces, weights, strict=True):
        e_row, f_rows = design_rows(basis, atoms)
        n = len(atoms)
        blocks.append(w * np.hstack([f_rows, np.zeros((3 * n, len(elements)))]))
        targets.append(w * f.ravel())
        blocks.append(w * energy_weight * np.hstack([e_row / n, composition_row(atoms, elements)])
                      [None, :])
        targets.append(np.array([w * energy_weight * e / n]))
    size = blocks[0].shape[1]
    blocks.append(np.sqrt(ridge) * np.eye(size))
    targets.append(np.zeros(size))
    expected = np.linalg.lstsq(np.vstack(blocks), np.concatenate(targets), rcond=None)[0]
    n_func = size - len(elements)
    assert np.allclose(fit.basis.basis_coeffs, expected[:n_func], rtol=1e-6, atol=1e-8)
    assert [fit.e0_eV[el] for el in elements] == pytest.approx(expected[n_func:], rel=1e-6)
    # equal weights are the unweighted fit; weights are checked
    plain = fit_linear_ace(structures, energies, forces, basis_config=SMALL_BASIS, ridge=ridge)
    same = fit_linear_ace(structures, energies, forces, basis_config=SMALL_BASIS, ridge=ridge,
                          weights=[1.0] * 4)
    assert np.allclose(plain.basis.basis_coeffs, same.basis.basis_coeffs)
    assert not np.allclose(plain.basis.basis_coeffs, fit.basis.basis_coeffs, rtol=1e-3)
    with pytest.raises(InputError, match="positive weight"):
        fit_linear_ace(structures, energies, forces, basis_config=SMALL_BASIS,
                       weights=[1.0, 0.0, 1.0, 1.0])


def test_gamma_of_calculator_equals_numpy_from_projections(standin):
    atoms = _cell("BaTiO3", 3)
    calc = standin.calculator()
    atoms.calc = calc
    atoms.get_potential_energy()
    inverse = load_active_set(standin.active_set_path, standin.basis)
    by_numpy = gamma_per_atom(standin.basis, inverse, atoms)
    assert np.allclose(calc.results["gamma"], by_numpy, rtol=1e-6, atol=1e-9)
    assert frame_gamma(calc) == pytest.approx(by_numpy.max())
    # a compressed cell is far outside the training data: gamma grows well above 1
    squeezed = atoms.copy()
    squeezed.set_cell(atoms.cell * 0.8, scale_atoms=True)
    assert gamma_per_atom(standin.basis, inverse, squeezed).max() > 5 * max(by_numpy.max(), 1)


def test_md_stops_above_the_gamma_threshold_and_keeps_frames(standin):
    atoms = _cell("BaTiO3", 4)
    settings = AceMDSettings(temperature_K=1500.0, steps=20, frame_every=5, gamma_warn=0.2,
                             gamma_stop=1e9, seed=2)
    run = run_ace_md(atoms, standin, settings)
    assert not run.partial and run.n_frames == 5
    assert len(run.warnings) == 5 and "above 0.2" in run.warnings[0]
    stats = run.metadata["gamma"]
    assert stats["max"] == pytest.approx(max(run.gamma_max))
    stopped = run_ace_md(atoms, standin, AceMDSettings(
        temperature_K=1500.0, steps=20, frame_every=5, gamma_warn=0.1, gamma_stop=0.2, seed=2))
    assert stopped.partial and stopped.n_frames == 1
    assert "above the stop threshold 0.2" in stopped.stop_reason


def test_bad_potential_and_uncovered_elements(tmp_path, standin):
    bad = tmp_path / "broken.yaml"
    bad.write_text("elements: [Ba\nfunctions: 3\n")
    with pytest.raises(InputError, match="not a pyace B-basis potential"):
        load_potential(bad)
    with pytest.raises(InputError, match="not found"):
        load_potential(tmp_path / "missing.yaml")
    atoms = Atoms("SrO", positions=[[0, 0, 0], [2, 2, 2]], cell=np.eye(3) * 6, pbc=True)
    with pytest.raises(InputError, match="does not cover Sr"):
        run_ace_md(atoms, standin, AceMDSettings(steps=2, frame_every=1))


class _NanAfter:
    """ASE calculator that delegates to pyace's and returns NaN energies from call ``n`` on."""

    def __init__(self, inner, n: int) -> None:
        self.inner, self.n, self.calls = inner, n, 0

    def get_potential_energy(self, atoms=None, force_consistent=False):
        self.calls += 1
        energy = self.inner.get_potential_energy(atoms)
        return float("nan") if self.calls >= self.n else energy

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_md_stops_on_nan_energy_and_keeps_the_good_frames(monkeypatch):
    yaml_path, _ = standin_potential_files()
    plain = load_potential(yaml_path)  # no active set: the blow-up check alone
    inner_factory = plain.calculator
    monkeypatch.setattr(type(plain), "calculator", lambda self: _NanAfter(inner_factory(), 3))
    run = run_ace_md(_cell("BaTiO3", 4), plain, AceMDSettings(
        temperature_K=1500.0, steps=20, frame_every=5, seed=2))
    assert run.partial and run.n_frames == 2
    assert "step 10 (10 fs): potential energy is nan" in run.stop_reason


def test_md_stops_when_atoms_overlap(standin):
    atoms = _cell("BaTiO3", 4)
    atoms.positions[1] = atoms.positions[0] + [0.3, 0.0, 0.0]
    run = run_ace_md(atoms, standin, AceMDSettings(temperature_K=1500.0, steps=10,
                                                   frame_every=5, seed=2))
    assert run.partial and run.n_frames == 0
    assert "0.30 Å apart (atoms overlapping" in run.stop_reason
