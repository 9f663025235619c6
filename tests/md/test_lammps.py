"""LAMMPS Pedone against the project's numba Pedone oracle and pymatgen's Ewald sum.

The numba oracle (``ionflux.md.pedone``) and LAMMPS (``pair_style pedone`` + ``coul/dsf``) define
the model with two documented constant differences, added back here analytically:

- the oracle cuts the short-range terms in shifted-force form, E - E(Rs) - (r - Rs) E'(Rs);
  LAMMPS cuts them plainly: per pair within Rs, -E(Rs) + (r - Rs) E'(Rs) (and its force);
- LAMMPS' coul/dsf self energy holds an extra -k q_i^2 Rc f_c / 2 per ion (f_c the DSF force
  shift), a constant at fixed composition (forces unaffected).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from ase import Atoms
from ase.neighborlist import neighbor_list

from ionflux.errors import AnalysisError, InputError
from ionflux.md.lammps import AmorphousSchedule, LammpsSettings, PedoneLammps, amorphous_lammps
from ionflux.md.lammps import _check as check_run
from ionflux.md.library import amorphous_snapshot_files
from ionflux.md.pedone import COULOMB_EV_A, PEDONE_CHARGES, PEDONE_PAIRS, PedoneModel
from ionflux.md.pedone import _cutoff_constants as cutoff_constants


@pytest.fixture(scope="module")
def cell():
    from ionflux.io import read_trajectory

    traj = read_trajectory(amorphous_snapshot_files()["BaTi2O5"])
    # a triclinic shear of a real melt-quenched cell also tests LAMMPS' cell rotation
    shear = np.array([[1.0, 0.0, 0.0], [0.12, 1.0, 0.0], [-0.07, 0.05, 1.0]])
    return list(traj.species), traj.cells[0] @ shear, traj.positions[0] @ shear


def _oracle(symbols, cell, positions, **kwargs):
    model = PedoneModel.for_elements(symbols, **kwargs)
    energy, forces = model.energy_forces(positions, cell, model.type_indices(symbols))
    return model, energy, forces


def _lammps(symbols, cell, positions, **settings):
    md = PedoneLammps(symbols, cell, positions, LammpsSettings(**settings))
    try:
        return md.energy_forces()
    finally:
        md.close()


def test_published_parameters():
    """Pedone et al., J. Phys. Chem. B 110, 11780 (2006), Table 1 (D eV, a 1/Å, r0 Å, C eV Å^12)."""
    assert PEDONE_PAIRS[("Ba", "O")] == (0.065011, 1.547596, 3.393410, 5.0)
    assert PEDONE_PAIRS[("Ti", "O")] == (0.024235, 2.254703, 2.708943, 1.0)
    assert PEDONE_PAIRS[("O", "O")] == (0.042395, 1.379316, 3.618701, 22.0)
    assert PEDONE_CHARGES == {"O": -1.2, "Ba": 1.2, "Ti": 2.4}


def test_lammps_dsf_matches_numba_oracle(cell):
    symbols, lattice, positions = cell
    model, e_oracle, f_oracle = _oracle(symbols, lattice, positions)
    e_lmp, f_lmp = _lammps(symbols, lattice, positions, coulomb="dsf", dsf_alpha=model.alpha,
                           cutoff_coulomb=model.cutoff_coulomb, cutoff_short=model.cutoff_short)
    types = model.type_indices(symbols)
    _, coul_f, sr_e, sr_f = cutoff_constants(model.D, model.a, model.r0, model.C, model.alpha,
                                             model.cutoff_coulomb, model.cutoff_short)
    atoms = Atoms(symbols, positions=positions, cell=lattice, pbc=True)
    i, j, d, vec = neighbor_list("ijdD", atoms, model.cutoff_short)
    ti, tj = types[i], types[j]
    shift_energy = 0.5 * np.sum(-sr_e[ti, tj] + (d - model.cutoff_short) * sr_f[ti, tj])
    shift_forces = np.zeros_like(positions)
    np.add.at(shift_forces, i, (sr_f[ti, tj] / d)[:, None] * vec)
    q = model.charges[types]
    self_energy = -0.5 * model.cutoff_coulomb * coul_f * COULOMB_EV_A * np.sum(q**2)

    assert abs(e_lmp + shift_energy - self_energy - e_oracle) < 1e-3  # of ~1300 eV
    assert np.abs(f_lmp + shift_forces - f_oracle).max() < 1e-5
    # the forces are not trivially small: the comparison has teeth
    assert np.abs(f_oracle).max() > 1.0


def test_lammps_ewald_coulomb_matches_pymatgen(cell):
    from pymatgen.analysis.ewald import EwaldSummation
    from pymatgen.core import Lattice, Structure

    symbols, lattice, positions = cell
    e_long, f_long = _lammps(symbols, lattice, positions, coulomb="long", kspace="ewald",
                             kspace_accuracy=1e-8)
    e_dsf, f_dsf = _lammps(symbols, lattice, positions, coulomb="dsf")
    structure = Structure(Lattice(lattice), symbols, positions, coords_are_cartesian=True,
                          site_properties={"charge": [PEDONE_CHARGES[s] for s in symbols]})
    ewald = EwaldSummation(structure, acc_factor=12.0, compute_forces=True)
    # Coulomb alone from the oracle (Morse and r^-12 switched off), DSF self term as LAMMPS
    model = PedoneModel.for_elements(symbols)
    coulomb_only = dataclasses.replace(model, D=np.zeros_like(model.D), C=np.zeros_like(model.C))
    e_coul_dsf, f_coul_dsf = coulomb_only.energy_forces(positions, lattice,
                                                        model.type_indices(symbols))
    _, coul_f, _, _ = cutoff_constants(model.D, model.a, model.r0, model.C, model.alpha,
                                       model.cutoff_coulomb, model.cutoff_short)
    q = model.charges[model.type_indices(symbols)]
    e_coul_dsf += -0.5 * model.cutoff_coulomb * coul_f * COULOMB_EV_A * np.sum(q**2)

    # both LAMMPS runs share the Pedone short-range part exactly: it cancels
    assert abs((e_long - e_dsf) - (ewald.total_energy - e_coul_dsf)) < 2e-3
    assert np.abs((f_long - f_dsf) - (ewald.forces - f_coul_dsf)).max() < 2e-3


def test_langevin_melt_reaches_its_temperature_and_stores_unwrapped_frames():
    schedule = AmorphousSchedule(temperature_K=2500.0, melt_temperature_K=3500.0,
                                 melt_steps=500, quench_steps=500, equilibrate_steps=1000,
                                 production_steps=2000, frame_every=100)
    run = amorphous_lammps("BaTiO3", 60, schedule, seed=5)
    assert not run.partial, run.stop_reason
    assert run.n_frames == 21
    assert run.times_fs[-1] == pytest.approx(2000.0)
    # mean kinetic temperature over 21 frames of 60 atoms: within ~3 standard errors
    assert abs(np.mean(run.kinetic_temperatures_K) - 2500.0) < 300.0
    traj = run.to_trajectory()
    step = np.linalg.norm(np.diff(traj.positions, axis=0), axis=2).max()
    assert step < 0.35 * traj.cells[0][0, 0]  # continuous, never wrapped by a cell length
    assert np.isfinite(run.potential_energies_eV).all()


def test_convergence_check_ends_production_early_as_a_complete_run():
    schedule = AmorphousSchedule(temperature_K=2500.0, melt_steps=200, quench_steps=200,
                                 equilibrate_steps=200, production_steps=5000, frame_every=100)
    seen: list[int] = []

    def enough(run):
        seen.append(run.n_frames)
        return "enough frames" if run.n_frames >= 21 else None

    run = amorphous_lammps("BaTiO3", 60, schedule, seed=5, converged=enough,
                           check_every_frames=10)
    # checked after 10 and 20 production intervals (11 and 21 frames with the t = 0 frame)
    assert seen == [11, 21]
    assert not run.partial and run.n_frames == 21
    assert run.metadata["converged"] == {"reason": "enough frames", "production_fs": 2000.0}
    with pytest.raises(InputError, match="check_every_frames"):
        amorphous_lammps("BaTiO3", 60, schedule, converged=enough)


def test_overlapping_atoms_stop_a_run():
    lattice = np.eye(3) * 10.0
    positions = np.array([[1.0, 1.0, 1.0], [1.4, 1.0, 1.0], [5.0, 5.0, 5.0], [7.0, 2.0, 6.0],
                          [3.0, 8.0, 2.0]])
    md = PedoneLammps(["Ti", "O", "O", "Ba", "O"], lattice, positions)
    try:
        md.energy_forces()
        with pytest.raises(AnalysisError, match="overlapping"):
            check_run(md, "test")
    finally:
        md.close()


def test_uncovered_element_is_refused():
    with pytest.raises(InputError, match="no parameters for Sr"):
        PedoneLammps(["Sr", "O"], np.eye(3) * 5.0, np.array([[0.0, 0, 0], [2.5, 2.5, 2.5]]))
