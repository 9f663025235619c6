"""Distillation: a tiny potential refitted from a few labelled frames against a known teacher,
held-out splits by whole condition, the force limit, resumable labels, and MD stopped by the
frame check with its frames kept."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ace_bases import SMALL_BASIS
from ase import Atoms

from ionflux.errors import AnalysisError, InputError
from ionflux.io import read_trajectory
from ionflux.md.library import amorphous_snapshot_files

pytest.importorskip("pyace")

from ionflux.md.distil import (
    Condition,
    LabelStore,
    check_teacher_energies,
    label_conditions,
    most_extrapolated_frames,
    scaled,
    teacher_md_frames,
)
from ionflux.md.distil_fit import (
    fit_distilled,
    load_distilled,
    scan_fit_settings,
    split_held_out,
)

TEACHER = {"teacher": "known-ace", "model": "random-coefficients", "label": "known ACE (test)"}


def _frames(formula: str) -> list[Atoms]:
    traj = read_trajectory(amorphous_snapshot_files()[formula])
    return [Atoms(traj.species, positions=p, cell=c, pbc=True)
            for p, c in zip(traj.positions, traj.cells, strict=True)]


@pytest.fixture(scope="module")
def known_teacher():
    """A random-coefficient ACE in the same basis family: the fit can recover it exactly."""
    from pyace import ACEBBasisSet, PyACECalculator, create_multispecies_basis_config

    basis = ACEBBasisSet(create_multispecies_basis_config(SMALL_BASIS))
    basis.basis_coeffs = np.random.default_rng(5).normal(0.0, 0.3, len(basis.basis_coeffs))
    return PyACECalculator(basis)


@pytest.fixture(scope="module")
def store(tmp_path_factory, known_teacher):
    """Labels of 2 compositions x 2 volume scales x 2 frames by the known teacher."""
    folder = tmp_path_factory.mktemp("labels")
    labels = LabelStore(folder, TEACHER)
    todo = []
    for formula in ("BaTiO3", "BaTi2O5"):
        frames = _frames(formula)
        for k, scale in enumerate((0.97, 1.03)):
            todo.append((Condition(formula, 1500.0, scale),
                         [scaled(f, scale) for f in frames[2 * k:2 * k + 2]]))
    assert label_conditions(todo, known_teacher, labels) == 8
    return labels


def test_labels_are_stored_per_condition_and_not_redone(store, known_teacher):
    frames = store.load()
    assert len(frames) == 8 and {f.info["formula"] for f in frames} == {"BaTiO3", "BaTi2O5"}
    # energies and forces are the teacher's, to the written precision
    probe = frames[3].copy()
    probe.calc = known_teacher
    assert probe.get_potential_energy() == pytest.approx(frames[3].get_potential_energy(),
                                                         rel=1e-7)
    assert np.abs(probe.get_forces() - frames[3].get_forces()).max() < 1e-5
    # a rerun labels nothing new: stored conditions are skipped
    cond = Condition("BaTiO3", 1500.0, 0.97)
    assert label_conditions([(cond, _frames("BaTiO3")[:2])], known_teacher, store) == 0
    other = LabelStore(store.folder, {**TEACHER, "model": "another"})
    with pytest.raises(InputError, match="use a new folder"):
        other.write(Condition("BaTiO3", 2000.0, 1.0), _frames("BaTiO3")[:1], [0.0],
                    [np.zeros((len(_frames("BaTiO3")[0]), 3))])


def test_frames_of_the_teachers_own_run_are_labelled_only_if_its_energies_agree(
        tmp_path, known_teacher):
    from ionflux.md.run import MDRun

    frames = _frames("BaTiO3")
    energies = []
    for frame in frames:
        work = frame.copy()
        work.calc = known_teacher
        energies.append(float(work.get_potential_energy()))
    n_atoms = len(frames[0])
    run = MDRun(symbols=frames[0].get_chemical_symbols(), cell=frames[0].cell.array,
                positions=[f.positions for f in frames], times_fs=[10.0 * k for k in
                                                                   range(len(frames))],
                temperature_K=1750.0, kinetic_temperatures_K=[1750.0] * len(frames),
                potential_energies_eV=energies)
    picked, stored = teacher_md_frames(run, 3)
    # spread over the whole run: its first and last frames, the run's own energies
    assert stored[0] == energies[0] and stored[-1] == energies[-1] and len(picked) == 3
    store = LabelStore(tmp_path, TEACHER)
    same = Condition("BaTiO3", 1750.0, 1.0, "known md")
    assert label_conditions([(same, picked)], known_teacher, store,
                            check=lambda _, e: check_teacher_energies(stored, e, n_atoms)) == 3
    # a run whose stored energies are 1 meV/atom off was made by another teacher: refused,
    # and nothing of it is written
    other = Condition("BaTiO3", 2000.0, 1.0, "known md")
    shifted = [e + 0.001 * n_atoms for e in stored]
    with pytest.raises(InputError, match="another teacher"):
        label_conditions([(other, picked)], known_teacher, store,
                         check=lambda _, e: check_teacher_energies(shifted, e, n_atoms))
    assert store.has(same) and not store.has(other)


def test_the_most_extrapolated_frames_of_a_run_are_chosen_by_their_grade():
    from ionflux.md.run import MDRun

    frames = _frames("BaTiO3")
    run = MDRun(symbols=frames[0].get_chemical_symbols(), cell=frames[0].cell.array,
                positions=[f.positions for f in frames],
                times_fs=[10.0 * k for k in range(len(frames))], temperature_K=1750.0,
                kinetic_temperatures_K=[1750.0] * len(frames),
                potential_energies_eV=[-float(k) for k in range(len(frames))])

    def closest_contact(atoms) -> float:  # a grade that is large where atoms come close
        return 1.0 / atoms.get_all_distances(mic=True)[np.triu_indices(len(atoms), 1)].min()

    grades = [closest_contact(f) for f in frames]
    expected = sorted(np.argsort(grades)[-2:])
    picked, energies, chosen = most_extrapolated_frames(run, closest_contact, 2)
    # the two highest-graded frames, in time order, with the run's own energies
    assert energies == [-float(k) for k in expected]
    assert chosen == pytest.approx([grades[k] for k in expected])
    assert np.allclose(picked[0].positions, frames[expected[0]].get_positions(wrap=True))
    # with a stride only every other frame is a candidate
    _, energies, _ = most_extrapolated_frames(run, closest_contact, 1, stride=2)
    assert -energies[0] % 2 == 0
    with pytest.raises(InputError, match="stride >= 1"):
        most_extrapolated_frames(run, closest_contact, 1, stride=0)


def test_energy_spread_removes_a_constant_offset_but_not_a_varying_error(store):
    from ase.calculators.calculator import Calculator, all_changes

    from ionflux.md.distil_fit import evaluate

    frames = [f for f in store.load() if f.info["formula"] == "BaTiO3"]
    labels = {round(float(f.positions.sum()), 6): f for f in frames}

    class Shifted(Calculator):  # the labels, each frame's energy off by a chosen amount
        implemented_properties = ("energy", "forces")

        def __init__(self, shift_per_atom):
            super().__init__()
            self.shift_per_atom = shift_per_atom

        def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
            super().calculate(atoms, properties, system_changes)
            frame = labels[round(float(self.atoms.positions.sum()), 6)]
            self.results = {"energy": frame.get_potential_energy()
                            + self.shift_per_atom(frame) * len(frame),
                            "forces": frame.get_forces()}

    zero = {"Ba": 0.0, "Ti": 0.0, "O": 0.0}
    constant = evaluate(Shifted(lambda f: 0.004), frames, zero).per_composition["BaTiO3"]
    assert constant["energy_rmse_meV_atom"] == pytest.approx(4.0)
    assert constant["energy_spread_meV_atom"] == pytest.approx(0.0, abs=1e-6)
    # +-2 meV/atom alternating: spread 2, whatever the mean
    alternating = evaluate(Shifted(lambda f: 0.003 + 0.002 * (-1) ** frames.index(f)),
                           frames, zero).per_composition["BaTiO3"]
    assert alternating["energy_spread_meV_atom"] == pytest.approx(2.0, rel=1e-6)
    assert constant["force_rmse_eV_A"] == 0.0


def test_held_out_split_keeps_whole_conditions_apart(store):
    frames = store.load()
    train, test = split_held_out(frames, fraction=0.2, seed=0)
    key = lambda f: (f.info["formula"], f.info["volume_scale"])  # noqa: E731
    assert {key(f) for f in train}.isdisjoint({key(f) for f in test})
    assert len(train) + len(test) == len(frames)
    # every composition with >= 2 conditions has one held out
    assert {f.info["formula"] for f in test} == {"BaTiO3", "BaTi2O5"}


def _condition_frame(formula: str, temperature: float, source: str) -> Atoms:
    """A placeholder frame that only carries its condition (for split tests)."""
    atoms = Atoms("BaTiO3", positions=np.zeros((5, 3)), cell=np.eye(3) * 4, pbc=True)
    atoms.info.update(formula=formula, temperature_K=temperature, volume_scale=1.0,
                      source=source)
    return atoms


@pytest.mark.parametrize("method", ["seeded", "stable"])
def test_both_splits_hold_out_whole_conditions_and_the_stable_one_keeps_its_choices(method):
    first = [_condition_frame(f, t, "pedone") for f in ("BaTiO3", "BaTi2O5")
             for t in (1500.0, 2000.0, 2500.0, 3000.0, 3500.0, 4000.0, 4500.0, 5000.0)]
    later = first + [_condition_frame(f, t, f"round {r}") for r in (1, 2, 3)
                     for f in ("BaTiO3", "BaTi2O5") for t in (1750.0, 2250.0)]

    def held(frames):
        return {(f.info["formula"], f.info["temperature_K"], f.info["source"])
                for f in split_held_out(frames, 0.2, 0, method)[1]}

    before, after = held(first), held(later)
    for split in (before, after):  # every composition on both sides
        assert {c[0] for c in split} == {"BaTiO3", "BaTi2O5"}
        assert all(sum(c[0] == f for c in split) < 8 for f in ("BaTiO3", "BaTi2O5"))
    old_conditions = {(f.info["formula"], f.info["temperature_K"], f.info["source"])
                      for f in first}
    if method == "stable":  # adding conditions moves none of the earlier ones
        assert after & old_conditions == before
    with pytest.raises(InputError, match="unknown method"):
        split_held_out(first, 0.2, 0, "random")



@pytest.mark.parametrize("method", ["seeded", "stable"])
def test_close_contact_frames_always_train_and_move_no_melt_condition(method):
    melts = [_condition_frame(f, t, "pedone") for f in ("BaTiO3", "BaTi2O5")
             for t in (1500.0, 2000.0, 2500.0, 3000.0, 3500.0)]
    contacts = [_condition_frame(f, 2000.0, "close contacts 0.8-1") for f in ("BaTiO3", "BaTi2O5")
                for _ in range(3)]
    key = lambda f: (f.info["formula"], f.info["temperature_K"], f.info["source"])  # noqa: E731
    _, held_before = split_held_out(melts, 0.2, 0, method)
    # a composition with melts and a training-only condition still holds out a melt
    train, held = split_held_out(melts + contacts, 0.2, 0, method)
    assert {key(f) for f in held} == {key(f) for f in held_before}
    assert sum(f.info["source"].startswith("close contacts") for f in train) == 6
    assert not any(f.info["source"].startswith("close contacts") for f in held)



def test_close_contact_frames_are_weighted_to_the_melts_relative_force_accuracy():
    from ase.calculators.singlepoint import SinglePointCalculator

    from ionflux.md.distil_fit import frame_weights

    def frame(source: str, force: float) -> Atoms:
        atoms = Atoms("Ti2", positions=[[0, 0, 0], [2, 0, 0]], cell=np.eye(3) * 6, pbc=True)
        atoms.info.update(formula="Ti", temperature_K=2000.0, volume_scale=1.0, source=source)
        atoms.calc = SinglePointCalculator(atoms, energy=0.0,
                                           forces=[[force, 0, 0], [-force, 0, 0]])
        return atoms

    # melt force RMS: sqrt((2 * 1^2 + 2 * 3^2) / 12) = sqrt(20 / 12)
    frames = [frame("pedone", 1.0), frame("pedone", 3.0), frame("close contacts 0.8-1", 10.0)]
    melt_rms = np.sqrt(20 / 12)
    own_rms = np.sqrt(200 / 6)
    assert frame_weights(frames) == pytest.approx([1.0, 1.0, melt_rms / own_rms])
    assert frame_weights(frames, "equal") == pytest.approx([1.0, 1.0, 1.0])
    with pytest.raises(InputError, match="weighting"):
        frame_weights(frames, "by-hand")


def test_refit_recovers_the_known_teacher_on_held_out_frames(store, known_teacher, tmp_path):
    fit = fit_distilled(store.load(), TEACHER, basis_config=SMALL_BASIS, reference=None)
    held = fit.manifest["held_out"]
    # the teacher lies in the basis: held-out errors vanish (not just "small")
    assert held["force_rmse_eV_A"] < 1e-4 * held["force_std_eV_A"]
    assert held["energy_rmse_meV_atom"] < 1e-3
    assert fit.manifest["n_held_out_frames"] == 4
    assert "DISTILLED" in fit.manifest["label"] and "not DFT" in fit.manifest["label"]
    # saved and reloaded, the potential gives the teacher's forces on a new frame
    from ionflux.md.ace import save_active_set

    fit.basis.to_BBasisConfiguration().save(str(tmp_path / "BaTiO_distilled.yaml"))
    save_active_set(tmp_path / "BaTiO_distilled.asi", fit.basis, fit.active_set)
    (tmp_path / "manifest.json").write_text(json.dumps(fit.manifest))
    calc, record = load_distilled(tmp_path)
    new = _frames("Ba2TiO4")[0]
    new.calc = calc
    reference = new.copy()
    reference.calc = known_teacher
    assert np.abs(new.get_forces() - reference.get_forces()).max() < 1e-4  # teacher: ~2 eV/Å
    assert record["teacher"] == "distilled" and record["distilled_from"] == "known ACE (test)"



def test_close_contacts_train_but_leave_the_held_out_set_and_the_domain_edge_alone(
        store, known_teacher, tmp_path):
    from ionflux.md.close_contacts import (
        parse_contacts,
        place_contacts,
        shortest_pair_distances,
    )
    from ionflux.md.distil_fit import LABELS_FILE, save_labels, training_shortest_distances

    melts = store.load()
    shortest = shortest_pair_distances(melts)
    made = [place_contacts(f, [("Ti", "Ti", 0.85 * shortest[("Ti", "Ti")])], shortest)
            for f in melts[:2]]
    contacts = LabelStore(tmp_path / "labels", TEACHER)
    label_conditions([(Condition("BaTiO3", 2000.0, 1.0, "close contacts 0.8-1"), made)],
                     known_teacher, contacts)
    frames = melts + contacts.load()
    plain = fit_distilled(melts, TEACHER, basis_config=SMALL_BASIS, reference=None)
    fit = fit_distilled(frames, TEACHER, basis_config=SMALL_BASIS, reference=None)
    # same held-out melts as without the contacts; the contacts trained (teacher in the basis)
    assert fit.manifest["n_held_out_frames"] == plain.manifest["n_held_out_frames"]
    assert fit.manifest["training_only"]["n_frames"] == 2
    assert fit.manifest["training_only"]["force_rmse_eV_A"] \
        < 1e-4 * fit.manifest["training_only"]["force_std_eV_A"]
    # the recorded domain edge is the melts': the contact is closer than it
    recorded = fit.manifest["shortest_pair_distances_A"]
    assert recorded == plain.manifest["shortest_pair_distances_A"]
    contact = parse_contacts(made[0])[0][3]
    assert contact < recorded["Ti-Ti"]
    # a fit whose manifest predates the record gets the same edge from its labels
    manifest = {k: v for k, v in fit.manifest.items() if k != "shortest_pair_distances_A"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    save_labels(tmp_path / LABELS_FILE, frames)
    measured = training_shortest_distances(tmp_path)
    assert {f"{a}-{b}": round(d, 4) for (a, b), d in measured.items()} == recorded


def test_setting_scan_judges_on_training_conditions_only_and_solves_the_same_fit(
        tmp_path, known_teacher):
    from pyace import PyACECalculator

    from ionflux.md.ace import fit_linear_ace

    # 2 compositions x 4 volumes: 1 held out per composition, then 1 of the 3 left validates
    labels = LabelStore(tmp_path / "labels", TEACHER)
    for formula in ("BaTiO3", "BaTi2O5"):
        frame = _frames(formula)[0]
        label_conditions([(Condition(formula, 1500.0, v), [scaled(frame, v)])
                          for v in (0.96, 0.99, 1.02, 1.05)], known_teacher, labels)
    frames = labels.load()
    # the teacher plus noise-free Pedone-free labels: the basis holds them exactly, so the
    # error grows with the ridge term and the smallest wins
    scan = scan_fit_settings(frames, SMALL_BASIS, ridges=(1e-8, 1e-2, 10.0),
                             energy_weights=(3.0, 10.0), reference=None)
    assert (scan.n_fit_frames, scan.n_validation_frames) == (4, 2)
    errors = scan.validation_force_rmse_eV_A
    assert scan.chosen[1] == 1e-8 and errors[scan.chosen] < 1e-5
    assert errors[(10.0, 10.0)] > 100 * errors[(10.0, 1e-8)]
    # the held-out conditions are not among those fitted or judged
    train, test = split_held_out(frames, 0.2, 0, "stable")
    fit_part, judged = split_held_out(train, 0.2, 1, "stable")
    held = {(f.info["formula"], f.info["volume_scale"]) for f in test}
    assert held.isdisjoint({(f.info["formula"], f.info["volume_scale"])
                            for f in [*fit_part, *judged]})
    # an independent solver (fit_linear_ace's least squares) gives the same validation error
    fit = fit_linear_ace(fit_part, [f.get_potential_energy() for f in fit_part],
                         [f.get_forces() for f in fit_part], basis_config=SMALL_BASIS,
                         energy_weight=3.0, ridge=1e-2)
    calc = PyACECalculator(fit.basis)
    misfit = []
    for frame in judged:
        work = frame.copy()
        work.calc = calc
        misfit.append((work.get_forces() - frame.get_forces()).ravel())
    misfit = np.concatenate(misfit)
    assert np.sqrt(np.mean(misfit ** 2)) == pytest.approx(errors[(3.0, 1e-2)], rel=1e-6)


def test_a_fit_above_the_force_limit_is_refused_with_its_numbers(store):
    from ionflux.md.calculator import PedoneCalculator

    # the same frames labelled by the Pedone model: a 4.5 Å basis of this size cannot hold
    # its long-range Coulomb forces, so the held-out error is finite and the fit is refused
    frames = []
    for frame in store.load():
        work = frame.copy()
        work.calc = PedoneCalculator()
        frames.append(work)
    with pytest.raises(AnalysisError, match=r"held-out force RMSE \d+\.\d+ eV/Å exceeds the "
                                            r"limit 0.001 eV/Å \(worst: BaTi"):
        fit_distilled(frames, TEACHER, basis_config=SMALL_BASIS, limit_eV_A=1e-3,
                      reference=None)


def test_the_correction_on_top_of_the_reference_model_is_recovered(store, known_teacher):
    """Teacher = Pedone + the known ACE: a fit on top of the Pedone reference recovers it."""
    from ase.calculators.calculator import Calculator, all_changes

    from ionflux.md.calculator import PedoneCalculator

    class Sum(Calculator):
        implemented_properties = ("energy", "forces")

        def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
            super().calculate(atoms, properties, system_changes)
            parts = [PedoneCalculator(), known_teacher]
            work = [self.atoms.copy() for _ in parts]
            for w, calc in zip(work, parts, strict=True):
                w.calc = calc
            self.results = {"energy": sum(w.get_potential_energy() for w in work),
                            "forces": sum(w.get_forces() for w in work)}

    frames = []
    for frame in store.load():
        work = frame.copy()
        work.calc = Sum()
        frames.append(work)
    fit = fit_distilled(frames, TEACHER, basis_config=SMALL_BASIS)
    held = fit.manifest["held_out"]
    assert fit.manifest["reference_model"] == "pedone-dsf"
    assert held["force_rmse_eV_A"] < 1e-4 * held["force_std_eV_A"]
    # without the reference the same basis cannot hold the Pedone part
    with pytest.raises(AnalysisError, match="exceeds the limit"):
        fit_distilled(frames, TEACHER, basis_config=SMALL_BASIS, reference=None,
                      limit_eV_A=0.01)


def test_load_distilled_names_the_missing_file(tmp_path):
    with pytest.raises(InputError, match="not a distilled potential"):
        load_distilled(tmp_path)


def test_active_set_is_rebuilt_from_shipped_labels(store, tmp_path, monkeypatch):
    """A potential shipped without its (large) .asi rebuilds it from its labels: same gamma."""
    from ionflux.md.ace import save_active_set
    from ionflux.md.distil_fit import load_labels, save_labels

    monkeypatch.setenv("IONFLUX_CACHE_DIR", str(tmp_path / "cache"))
    frames = store.load()
    fit = fit_distilled(frames, TEACHER, basis_config=SMALL_BASIS, reference=None)
    with_asi, without = tmp_path / "with", tmp_path / "without"
    for folder in (with_asi, without):
        folder.mkdir()
        fit.basis.to_BBasisConfiguration().save(str(folder / "BaTiO_distilled.yaml"))
        (folder / "manifest.json").write_text(json.dumps(fit.manifest))
        save_labels(folder / "labels.npz", frames)
    save_active_set(with_asi / "BaTiO_distilled.asi", fit.basis, fit.active_set)
    again = load_labels(without / "labels.npz")
    assert [f.info for f in again] == [f.info for f in frames]
    assert np.array_equal(again[5].get_forces(), frames[5].get_forces())
    probe = _frames("BaTi2O5")[4]
    gammas = []
    for folder in (with_asi, without):
        calc, _ = load_distilled(folder)
        work = probe.copy()
        work.calc = calc
        work.get_potential_energy()
        gammas.append(calc.extrapolation_grade())
    assert gammas[0].max() > 0.1
    assert np.allclose(gammas[0], gammas[1], rtol=1e-8)
    assert len(list((tmp_path / "cache" / "distilled").glob("*.asi"))) == 1


CANDIDATES = Path(__file__).parents[2] / "runs"


@pytest.mark.parametrize("which", ["shipped", "distil-contacts"])
def test_shipped_potential_reproduces_its_recorded_held_out_errors(which):
    """The bundled potential (and the candidates in runs/), evaluated
    independently on its own held-out frames, gives the errors its manifest records, below the
    limit, and says what it is."""
    from pyace import PyACECalculator

    from ionflux.md.ace import load_potential
    from ionflux.md.distil_fit import (
        FORCE_LIMIT_EV_A,
        DistilledCalculator,
        evaluate,
        load_labels,
        shipped_potential,
    )

    folder = shipped_potential() if which == "shipped" else CANDIDATES / which
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "not DFT" in manifest["label"] and manifest["teacher"]["model"] == "7net-0"
    potential = load_potential(folder / "BaTiO_distilled.yaml")
    assert "DISTILLED" in potential.metadata["label"]
    _, held = split_held_out(load_labels(folder / "labels.npz"), manifest["held_out_fraction"],
                             manifest["split_seed"], manifest.get("split_method", "seeded"))
    assert len(held) == manifest["n_held_out_frames"]
    calc = DistilledCalculator(PyACECalculator(potential.basis), manifest["reference_model"])
    errors = evaluate(calc, held, manifest["reference_energies_eV"])
    recorded = manifest["held_out"]
    assert errors.force_rmse_eV_A == pytest.approx(recorded["force_rmse_eV_A"], abs=1e-3)
    assert errors.energy_rmse_meV_atom == pytest.approx(recorded["energy_rmse_meV_atom"],
                                                        abs=0.05)
    assert errors.force_rmse_eV_A <= FORCE_LIMIT_EV_A < 0.2 * errors.force_std_eV_A


def test_cli_runs_the_distilled_potential_on_its_reference_model():
    """`ionflux md run --potential distilled` must add the Pedone reference (the ACE alone is
    only the correction); the stand-in runs alone."""
    from ionflux.cli.md import _calculator, _potential
    from ionflux.md.calculator import PedoneCalculator

    distilled = _potential("distilled", None, no_active_set=True)
    calc = _calculator(distilled)
    frame = _frames("BaTi2O5")[0]
    parts = []
    for part in (distilled.calculator(), PedoneCalculator()):
        work = frame.copy()
        work.calc = part
        parts.append(work.get_forces())
    frame.calc = calc
    assert np.abs(frame.get_forces() - (parts[0] + parts[1])).max() < 1e-9
    assert np.abs(parts[1]).max() > 1.0  # the reference is not a negligible part
    assert _calculator(_potential("standin", None, no_active_set=True)) is None


def test_extrapolation_grade_on_demand_changes_nothing_but_the_cost():
    """MD with the grade computed on stored frames only (numpy, one product per element) gives
    the same frames, and the same grades to rounding, as with pyace's grade at every step (the
    active set changes no force)."""
    from ionflux.md.ace import AceMDSettings, load_potential, run_ace_md, standin_potential_files
    from ionflux.md.distil_fit import REFERENCE, DistilledCalculator

    potential = load_potential(*standin_potential_files())
    every_step = DistilledCalculator(potential.calculator(), REFERENCE)
    on_demand = DistilledCalculator.for_potential(potential, REFERENCE)
    assert on_demand.grader is not None and every_step.grader is None
    settings = AceMDSettings(temperature_K=2000.0, steps=30, frame_every=10, timestep_fs=2.0,
                             seed=3)
    start = _frames("BaTiO3")[0]
    runs = [run_ace_md(start, potential, settings, calculator=calc)
            for calc in (every_step, on_demand)]
    np.testing.assert_array_equal(np.array(runs[0].positions), np.array(runs[1].positions))
    np.testing.assert_allclose(runs[0].gamma_max, runs[1].gamma_max, rtol=1e-7)
    assert len(runs[1].gamma_max) == 4 and min(runs[1].gamma_max) > 0
    # the grade belongs to the last evaluated structure, and asking twice costs nothing new
    grade = on_demand.extrapolation_grade()
    assert on_demand.extrapolation_grade() is grade
