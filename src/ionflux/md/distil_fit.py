"""Fitting and judging a distilled linear ACE potential (teacher labels -> pyace B-basis).

Held-out errors are measured on whole sampled conditions (a composition at one temperature and
volume) that the fit never saw, so frames of one melt cannot sit on both sides of the split.
A fit is accepted only if its held-out force RMSE is at most :data:`FORCE_LIMIT_EV_A`.

The limit is the disagreement between two universal MLIPs trained on the same DFT data:
SevenNet-0 and CHGNet 0.3.0 differ by 0.25 eV/Å RMS on Pedone melt frames (measured before
this module existed) and by 0.18 eV/Å on 8 frames of the 1750 K BaTi2O5 SevenNet-0 run
(docs/md-engines.md). A distilled model within that distance of its teacher adds about as much
error as the choice of teacher does. The limit was set after a first trial fit had given 0.24
eV/Å, so it is not independent of that trial; the tighter 0.18 would refuse every fit made so
far. It is recorded in every manifest; :func:`check_fit` refuses a fit above it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

from ionflux.errors import AnalysisError, InputError
from ionflux.md.ace import STANDIN_BASIS

#: Largest accepted held-out force RMSE (eV/Å): the SevenNet-0 vs CHGNet disagreement.
FORCE_LIMIT_EV_A = 0.25

#: Basis of the distilled potential: the stand-in's (3 elements, linear embedding, 5 Å
#: cut-off) with ranks 1-4 and more radial and angular functions.
DISTIL_BASIS: dict[str, Any] = {
    **STANDIN_BASIS,
    "functions": {"ALL": {"nradmax_by_orders": [12, 6, 3, 1],
                          "lmax_by_orders": [0, 3, 2, 1]}},
}


def condition_of(frame: Any) -> tuple[str, float, float, str]:
    info = frame.info
    return (str(info["formula"]), float(info["temperature_K"]), float(info["volume_scale"]),
            str(info.get("source", "pedone")))


#: How held-out conditions are chosen. "seeded": a seeded draw over each composition's sorted
#: conditions (the shipped fit's), so adding a condition can move others between the sets;
#: "stable": a condition is held out when a hash of (seed, its key) falls below the fraction,
#: so active-learning rounds keep every earlier condition on its side and held-out errors of
#: successive rounds stay comparable. A composition with none below gets its lowest.
SPLIT_METHODS = ("seeded", "stable")

#: Frame sources that only ever train: configurations made on purpose (close contacts,
#: :mod:`ionflux.md.close_contacts`), not melts. They are never held out, so the held-out
#: errors and the force limit stay measured on melt conditions the fit never saw, and adding
#: them leaves every melt condition on its side of the split (seeded or stable).
TRAINING_ONLY_SOURCES = ("close contacts",)


def is_training_only(frame: Any) -> bool:
    """Whether ``frame`` comes from a :data:`TRAINING_ONLY_SOURCES` source."""
    return condition_of(frame)[3].startswith(TRAINING_ONLY_SOURCES)


#: How training-only frames are weighted in the fit. "relative" (the default): a frame's rows
#: are multiplied by the melt frames' force RMS over its own, so the fit asks the same relative
#: force accuracy of a close-contact frame (whose contact ions carry 10-60 eV/Å) as of a melt
#: frame rather than spending the basis on the largest forces; "equal": weight 1 like a melt
#: frame. A modelling choice; the manifest records it and the weights (docs/md-engines.md
#: shows both fits).
TRAINING_ONLY_WEIGHTINGS = ("relative", "equal")


def frame_weights(frames: Sequence[Any], weighting: str = "relative") -> np.ndarray:
    """Fit weight of each of ``frames``: 1 for melt frames, training-only frames as
    ``weighting`` says (:data:`TRAINING_ONLY_WEIGHTINGS`)."""
    if weighting not in TRAINING_ONLY_WEIGHTINGS:
        raise InputError(f"training-only weighting {weighting!r} not one of "
                         f"{', '.join(TRAINING_ONLY_WEIGHTINGS)}")
    made = np.array([is_training_only(f) for f in frames], dtype=bool)
    weights = np.ones(len(frames))
    if weighting == "equal" or not made.any() or made.all():
        return weights

    def rms(group: Iterable[Any]) -> float:
        return float(np.sqrt(np.mean(np.concatenate([f.get_forces().ravel() for f in group])
                                     ** 2)))

    melt_rms = rms(f for f, m in zip(frames, made, strict=True) if not m)
    for k in np.flatnonzero(made):
        weights[k] = melt_rms / rms([frames[k]])
    return weights


def _stable_rank(seed: int, condition: tuple) -> float:
    import hashlib

    digest = hashlib.sha256(f"{seed}|{condition!r}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def split_held_out(frames: Sequence[Any], fraction: float = 0.2, seed: int = 0,
                   method: str = "seeded") -> tuple[list[Any], list[Any]]:
    """Training and held-out frames: per composition, about ``fraction`` of its conditions (at
    least one) held out whole, chosen as ``method`` says (:data:`SPLIT_METHODS`); frames of
    :data:`TRAINING_ONLY_SOURCES` always train."""
    if method not in SPLIT_METHODS:
        raise InputError(f"held-out split: unknown method {method!r} (one of "
                         f"{', '.join(SPLIT_METHODS)})")
    by_condition: dict[tuple, list[Any]] = defaultdict(list)
    for frame in frames:
        by_condition[condition_of(frame)].append(frame)
    by_formula: dict[str, list[tuple]] = defaultdict(list)
    for cond in sorted(by_condition):
        if not cond[3].startswith(TRAINING_ONLY_SOURCES):
            by_formula[cond[0]].append(cond)
    rng = np.random.default_rng(seed)
    held: set[tuple] = set()
    for formula in sorted(by_formula):
        conds = by_formula[formula]
        if len(conds) < 2:
            continue
        if method == "stable":
            ranks = {c: _stable_rank(seed, c) for c in conds}
            chosen = [c for c in conds if ranks[c] < fraction]
            if not chosen or len(chosen) == len(conds):  # keep one on each side
                chosen = [min(conds, key=ranks.get)]
            held.update(chosen)
            continue
        n = max(1, round(fraction * len(conds)))
        picks = rng.choice(len(conds), size=n, replace=False)
        held.update(conds[i] for i in picks)
    train = [f for c in sorted(by_condition) if c not in held for f in by_condition[c]]
    test = [f for c in sorted(by_condition) if c in held for f in by_condition[c]]
    return train, test


@dataclass
class HeldOutErrors:
    """Errors of a potential against teacher labels, overall and per composition."""

    force_rmse_eV_A: float
    force_std_eV_A: float
    energy_rmse_meV_atom: float
    n_frames: int
    per_composition: dict[str, dict[str, float]]

    def as_dict(self) -> dict[str, Any]:
        return {"force_rmse_eV_A": round(self.force_rmse_eV_A, 4),
                "force_std_eV_A": round(self.force_std_eV_A, 4),
                "energy_rmse_meV_atom": round(self.energy_rmse_meV_atom, 2),
                "n_frames": self.n_frames, "per_composition": self.per_composition}


def evaluate(calculator: Any, frames: Sequence[Any], e0_eV: dict[str, float]) -> HeldOutErrors:
    """Force and energy errors of ``calculator`` (an ASE calculator whose energy excludes the
    per-element references ``e0_eV``) against the labels on ``frames``; per composition also
    the spread (standard deviation) of the per-atom energy error, its offset removed."""
    df: dict[str, list[np.ndarray]] = defaultdict(list)
    ft: dict[str, list[np.ndarray]] = defaultdict(list)
    de: dict[str, list[float]] = defaultdict(list)
    for frame in frames:
        formula = condition_of(frame)[0]
        target_e = frame.get_potential_energy()
        target_f = frame.get_forces()
        work = frame.copy()
        work.calc = calculator
        energy = work.get_potential_energy() + sum(e0_eV[s] for s in
                                                   work.get_chemical_symbols())
        df[formula].append((work.get_forces() - target_f).ravel())
        ft[formula].append(target_f.ravel())
        de[formula].append((energy - target_e) / len(work))
    per = {}
    for formula in sorted(df):
        d = np.concatenate(df[formula])
        per[formula] = {"force_rmse_eV_A": round(float(np.sqrt(np.mean(d ** 2))), 4),
                        "force_std_eV_A": round(float(np.concatenate(ft[formula]).std()), 4),
                        "energy_rmse_meV_atom": round(
                            1000 * float(np.sqrt(np.mean(np.square(de[formula])))), 2),
                        # the part of the energy error that moves a melt between
                        # configurations (a constant offset does not)
                        "energy_spread_meV_atom": round(1000 * float(np.std(de[formula])), 2),
                        "n_frames": len(de[formula])}
    all_d = np.concatenate([np.concatenate(v) for v in df.values()])
    all_t = np.concatenate([np.concatenate(v) for v in ft.values()])
    all_e = np.concatenate([np.asarray(v) for v in de.values()])
    return HeldOutErrors(force_rmse_eV_A=float(np.sqrt(np.mean(all_d ** 2))),
                         force_std_eV_A=float(all_t.std()),
                         energy_rmse_meV_atom=1000 * float(np.sqrt(np.mean(all_e ** 2))),
                         n_frames=len(frames), per_composition=per)


def check_fit(errors: HeldOutErrors, limit_eV_A: float = FORCE_LIMIT_EV_A) -> None:
    """Refuse a fit whose held-out force RMSE exceeds the limit (eV/Å)."""
    if not errors.force_rmse_eV_A <= limit_eV_A:
        worst = max(errors.per_composition.items(), key=lambda kv: kv[1]["force_rmse_eV_A"])
        raise AnalysisError(
            f"distilled fit refused: held-out force RMSE {errors.force_rmse_eV_A:.3f} eV/Å "
            f"exceeds the limit {limit_eV_A:g} eV/Å (worst: {worst[0]}, "
            f"{worst[1]['force_rmse_eV_A']:.3f} eV/Å); add labelled frames or a larger basis")


#: Reference model under the fitted correction: the Pedone model (DSF Coulomb, the project's
#: numba implementation). Its C/r^12 core keeps atoms apart where the labels are thin (a plain
#: linear ACE fitted to these labels let two atoms of a BaTi2O5 melt reach 0.23 Å within 1 ps
#: at 1750 K); held-out errors are the same with or without it (0.241 vs 0.242 eV/Å, measured).
REFERENCE = "pedone-dsf"


def reference_calculator(name: str) -> Any:
    """The ASE calculator of reference model ``name``."""
    if name != REFERENCE:
        raise InputError(f"unknown reference model {name!r}; have {REFERENCE!r}")
    from ionflux.md.calculator import PedoneCalculator

    return PedoneCalculator()


def residual_labels(frame: Any, reference: Any | None) -> tuple[float, np.ndarray]:
    """The teacher's energy (eV) and forces (eV/Å) on ``frame`` minus those of the
    ``reference`` calculator (unchanged without one): what the ACE part is fitted to."""
    energy, forces = frame.get_potential_energy(), frame.get_forces()
    if reference is None:
        return energy, forces
    work = frame.copy()
    work.calc = reference
    return energy - work.get_potential_energy(), forces - work.get_forces()


class DistilledCalculator(Calculator):
    """ASE calculator: a fitted linear ACE (``ace``, a pyace calculator) plus its reference
    model; energy (eV, without the per-element reference energies) and forces (eV/Å) are the
    sums.

    The extrapolation grade costs more than the forces (measured at 100 atoms: 0.05 s with
    :class:`ionflux.md.ace.GammaGrader` for the 2337-function basis, against 0.03 s for its
    forces). With ``grader`` (the potential's active set) ``ace`` carries none and
    :meth:`extrapolation_grade` computes it on demand for the last evaluated structure, so MD
    pays for it on stored frames only; without ``grader``, ``ace`` has the active set and
    every evaluation puts pyace's grade in ``results["gamma"]``."""

    implemented_properties = ("energy", "free_energy", "forces")

    def __init__(self, ace: Any, reference: str | None, grader: Any | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ace = ace
        self.grader = grader
        self.reference = reference_calculator(reference) if reference is not None else None

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        work = self.atoms.copy()
        work.calc = self.ace
        energy = work.get_potential_energy()
        forces = work.get_forces().copy()
        # without an active set pyace still reports a grade (zeros): not one to keep
        gamma = self.ace.results.get("gamma") if self.grader is None else None
        if self.reference is not None:
            work.calc = self.reference
            energy += work.get_potential_energy()
            forces += work.get_forces()
        self.results = {"energy": energy, "free_energy": energy, "forces": forces}
        if gamma is not None:
            self.results["gamma"] = np.asarray(gamma)

    @classmethod
    def for_potential(cls, potential: Any, reference: str | None) -> DistilledCalculator:
        """``potential`` (an AcePotential) on top of ``reference``; with an active set, its
        extrapolation grade is computed on demand."""
        from ionflux.md.ace import GammaGrader, load_active_set

        if potential.active_set_path is None:
            return cls(potential.calculator(), reference)
        # load_potential has already checked the active set against the basis
        grader = GammaGrader(potential.basis,
                             load_active_set(potential.active_set_path, potential.basis))
        return cls(potential.calculator(with_active_set=False), reference, grader=grader)

    def extrapolation_grade(self) -> np.ndarray:
        """Per-atom extrapolation grade of the last evaluated structure."""
        if self.grader is None or "gamma" in self.results:
            return np.asarray(self.results.get("gamma", []), dtype=float)
        if self.atoms is None:
            raise InputError("extrapolation grade asked before any evaluation")
        self.results["gamma"] = self.grader(self.atoms)
        return self.results["gamma"]


class CachedRows:
    """:func:`ionflux.md.ace.design_rows` kept on disk per (frame, basis) hash (float64
    ``.npz``), so a refit computes rows only for frames it has not seen."""

    def __init__(self, folder: str | Path, basis_config: dict[str, Any]) -> None:
        import hashlib
        import json

        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.basis_key = hashlib.sha256(json.dumps(basis_config, sort_keys=True)
                                        .encode()).hexdigest()[:16]

    def __call__(self, basis: Any, atoms: Any) -> tuple[np.ndarray, np.ndarray]:
        import hashlib
        import os

        from ionflux.md.ace import design_rows

        digest = hashlib.sha256(self.basis_key.encode())
        for array in (atoms.numbers, atoms.positions, atoms.cell.array):
            digest.update(np.ascontiguousarray(array).tobytes())
        path = self.folder / f"{digest.hexdigest()[:32]}.npz"
        if path.is_file():
            with np.load(path) as stored:
                return stored["energy"], stored["forces"]
        energy, forces = design_rows(basis, atoms)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, energy=energy, forces=forces)
        os.replace(tmp, path)
        return energy, forces


#: What every distilled potential says it is, in its file, its manifest and every sidecar.
DISTILLED_LABEL = ("DISTILLED: linear ACE fitted to {teacher} labels (universal-potential "
                   "grade, not DFT)")


@dataclass
class DistilledFit:
    """A fitted potential (pyace basis with coefficients), its active set and its record."""

    basis: Any
    active_set: dict[int, np.ndarray]
    manifest: dict[str, Any]


def fit_distilled(frames: Sequence[Any], teacher: dict[str, Any],
                  basis_config: dict[str, Any] | None = None, held_out_fraction: float = 0.2,
                  seed: int = 0, limit_eV_A: float = FORCE_LIMIT_EV_A,
                  reference: str | None = REFERENCE,
                  row_cache: str | Path | None = None, ridge: float = 1e-6,
                  energy_weight: float = 10.0, split_method: str = "stable",
                  training_only_weighting: str = "relative") -> DistilledFit:
    """Fit a linear ACE to teacher-labelled ``frames`` (on top of the ``reference`` model, or
    alone with None), measure it on held-out conditions and refuse it above ``limit_eV_A``;
    the manifest records teacher, reference, frames, basis and errors. ``row_cache`` is a
    folder keeping each frame's design rows between refits (active learning adds frames)."""
    from pyace import PyACECalculator

    from ionflux.md.ace import build_active_set, fit_linear_ace
    from ionflux.md.close_contacts import shortest_pair_distances

    basis_config = basis_config or DISTIL_BASIS
    train, test = split_held_out(frames, held_out_fraction, seed, split_method)
    if not test:
        raise AnalysisError("distilled fit: no held-out conditions (need >= 2 conditions for "
                            "some composition)")
    label = DISTILLED_LABEL.format(teacher=teacher.get("label", teacher.get("teacher", "?")))
    ref = None if reference is None else reference_calculator(reference)
    energies, forces = zip(*(residual_labels(f, ref) for f in train), strict=True)
    weights = frame_weights(train, training_only_weighting)
    fit = fit_linear_ace(train, energies, forces, basis_config=basis_config, ridge=ridge,
                         energy_weight=energy_weight,
                         metadata={"label": label, "name": "Ba-Ti-O distilled linear ACE",
                                   "teacher": str(teacher.get("label", "")),
                                   "reference_model": str(reference)},
                         rows=None if row_cache is None else CachedRows(row_cache, basis_config),
                         weights=weights)
    fitted = DistilledCalculator(PyACECalculator(fit.basis), reference)
    errors = evaluate(fitted, test, fit.e0_eV)
    made = [f for f in train if is_training_only(f)]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for frame in frames:
        formula, _, _, source = condition_of(frame)
        counts[formula][source] += 1
    manifest = {
        "label": label, "teacher": teacher, "basis": basis_config, "reference_model": reference,
        "n_functions": len(fit.basis.basis_coeffs), "reference_energies_eV": fit.e0_eV,
        "frames": {f: dict(c) for f, c in sorted(counts.items())},
        "n_train_frames": len(train), "n_held_out_frames": len(test),
        "held_out_fraction": held_out_fraction, "split_seed": seed,
        "split_method": split_method,
        "train": {"force_rmse_eV_A": round(fit.force_rmse_eV_A, 4),
                  "energy_rmse_meV_atom": round(1000 * fit.energy_rmse_eV_per_atom, 2)},
        "held_out": errors.as_dict(), "force_limit_eV_A": limit_eV_A, "ridge": ridge,
        "energy_weight": energy_weight,
    }
    # the edge of the melt data: where MD that leaves the domain usually leaves it
    manifest["shortest_pair_distances_A"] = {
        f"{a}-{b}": round(d, 4) for (a, b), d in sorted(shortest_pair_distances(
            [f for f in train if not is_training_only(f)]).items())}
    if made:
        # training errors, not a test: how closely the fit follows the teacher where it was
        # given made configurations
        made_errors = evaluate(fitted, made, fit.e0_eV).as_dict()
        manifest["training_only"] = {
            "sources": sorted({condition_of(f)[3] for f in made}), "n_frames": len(made),
            "force_rmse_eV_A": made_errors["force_rmse_eV_A"],
            "force_std_eV_A": made_errors["force_std_eV_A"],
            "weighting": training_only_weighting,
            "weights_min_median_max": [round(float(q), 4) for q in np.quantile(
                [w for f, w in zip(train, weights, strict=True) if is_training_only(f)],
                [0.0, 0.5, 1.0])]}
    check_fit(errors, limit_eV_A)
    return DistilledFit(basis=fit.basis, active_set=build_active_set(fit.basis, train),
                        manifest=manifest)


@dataclass
class SettingScan:
    """Force RMSE (eV/Å) on inner-validation conditions of fits with each ridge term and
    energy weight, keyed ``(energy_weight, ridge)``, and the setting with the smallest."""

    basis: dict[str, Any]
    validation_force_rmse_eV_A: dict[tuple[float, float], float]
    chosen: tuple[float, float]
    n_fit_frames: int
    n_validation_frames: int


def scan_fit_settings(frames: Sequence[Any], basis_config: dict[str, Any] | None = None,
                      ridges: Sequence[float] = (1e-8, 1e-6, 1e-4, 1e-2),
                      energy_weights: Sequence[float] = (10.0,),
                      held_out_fraction: float = 0.2, seed: int = 0, validation_seed: int = 1,
                      reference: str | None = REFERENCE,
                      row_cache: str | Path | None = None,
                      split_method: str = "stable") -> SettingScan:
    """Choose the ridge term and energy weight of :func:`fit_distilled` by inner validation.

    The training conditions of :func:`split_held_out` (``seed``) are split again
    (``validation_seed``, whole conditions); every setting is fitted on one part and judged by
    its force RMSE on the other. The held-out conditions are never used, so the held-out error
    of the chosen fit stays a test. The fits solve the same weighted least squares as
    :func:`ionflux.md.ace.fit_linear_ace` through its normal equations, built once for all
    settings.
    """
    from pyace import ACEBBasisSet, create_multispecies_basis_config

    from ionflux.md.ace import composition_row, design_rows

    basis_config = basis_config or DISTIL_BASIS
    train, _ = split_held_out(frames, held_out_fraction, seed, split_method)
    fit_frames, validation = split_held_out(train, held_out_fraction, validation_seed,
                                            split_method)
    if not validation:
        raise AnalysisError("setting scan: no validation conditions (need >= 3 conditions for "
                            "some composition)")
    basis = ACEBBasisSet(create_multispecies_basis_config(basis_config))
    elements = list(basis.elements_name)
    rows = design_rows if row_cache is None else CachedRows(row_cache, basis_config)
    ref = None if reference is None else reference_calculator(reference)

    def targets(frame: Any) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray]:
        e_row, f_rows = rows(basis, frame)
        energy, forces = residual_labels(frame, ref)
        n = len(frame)
        return e_row / n, composition_row(frame, elements), energy / n, f_rows, forces.ravel()

    n_func = len(basis.basis_coeffs)
    size = n_func + len(elements)
    gram_e, gram_f = np.zeros((size, size)), np.zeros((size, size))
    rhs_e, rhs_f = np.zeros(size), np.zeros(size)
    for frame in fit_frames:
        e_row, comp, e_target, f_rows, f_target = targets(frame)
        a = np.concatenate([e_row, comp])
        gram_e += np.outer(a, a)
        rhs_e += a * e_target
        gram_f[:n_func, :n_func] += f_rows.T @ f_rows
        rhs_f[:n_func] += f_rows.T @ f_target
    checks = [targets(frame)[3:] for frame in validation]
    errors: dict[tuple[float, float], float] = {}
    for weight in energy_weights:
        for ridge in ridges:
            gram = weight ** 2 * gram_e + gram_f + ridge * np.eye(size)
            coeffs = np.linalg.solve(gram, weight ** 2 * rhs_e + rhs_f)[:n_func]
            misfit = np.concatenate([f_rows @ coeffs - f_target for f_rows, f_target in checks])
            errors[(float(weight), float(ridge))] = float(np.sqrt(np.mean(misfit ** 2)))
    return SettingScan(basis=basis_config, validation_force_rmse_eV_A=errors,
                       chosen=min(errors, key=errors.get), n_fit_frames=len(fit_frames),
                       n_validation_frames=len(validation))


def shipped_potential() -> Path:
    """Folder of the distilled potential bundled with ionflux (``ionflux/data/distilled``)."""
    from importlib.resources import files

    folder = Path(str(files("ionflux") / "data" / "distilled"))
    if not (folder / "manifest.json").is_file():
        raise InputError("the bundled distilled potential is missing from "
                         "ionflux/data/distilled (was the package installed without its data?)")
    return folder


def distilled_potential(folder: str | Path | None = None, active_set: str | Path | None = None,
                        with_active_set: bool = True) -> tuple[Any, dict[str, Any]]:
    """The distilled potential in ``folder`` (default: the bundled one) as an
    :class:`ionflux.md.ace.AcePotential`, with ``active_set`` or else its own (rebuilt from its
    labels if not shipped) unless ``with_active_set`` is False, and its manifest."""
    import json

    from ionflux.md.ace import load_potential

    folder = shipped_potential() if folder is None else Path(folder)
    manifest_path = folder / "manifest.json"
    yaml_path = folder / "BaTiO_distilled.yaml"
    for path in (manifest_path, yaml_path):
        if not path.is_file():
            raise InputError(f"{folder}: not a distilled potential (no {path.name}); fit one "
                             "with scripts/distil_potential.py fit")
    manifest = json.loads(manifest_path.read_text())
    if not with_active_set:
        return load_potential(yaml_path), manifest
    if active_set is None:
        active_set = active_set_path(folder, manifest, load_potential(yaml_path).basis)
    return load_potential(yaml_path, active_set=active_set), manifest


def training_shortest_distances(folder: str | Path | None = None
                                ) -> dict[tuple[str, str], float]:
    """Shortest distance (Å) of each element pair in the melt frames a distilled potential was
    trained on (its manifest's record, or measured on its ``labels.npz`` for fits made before
    the manifest kept it; default: the bundled potential)."""
    import json

    from ionflux.md.close_contacts import shortest_pair_distances

    folder = shipped_potential() if folder is None else Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    if "shortest_pair_distances_A" in manifest:
        return {tuple(k.split("-")): float(v)
                for k, v in manifest["shortest_pair_distances_A"].items()}
    train, _ = split_held_out(load_labels(folder / LABELS_FILE), manifest["held_out_fraction"],
                              manifest["split_seed"], manifest.get("split_method", "seeded"))
    return shortest_pair_distances(f for f in train if not is_training_only(f))


def load_distilled(folder: str | Path | None = None) -> tuple[Any, dict[str, Any]]:
    """An ASE calculator for the distilled potential in ``folder`` (default: the bundled one;
    extrapolation grade on demand, :meth:`DistilledCalculator.extrapolation_grade`) and its
    record for MD manifests: label, teacher, file hashes, held-out errors."""
    from ionflux.md.run import package_versions

    potential, manifest = distilled_potential(folder)
    record = {"teacher": "distilled", "label": manifest["label"],
              "model": f"{potential.path.name} sha256:{potential.sha256[:12]}",
              "distilled_from": manifest["teacher"].get("label"),
              "held_out_force_rmse_eV_A": manifest["held_out"]["force_rmse_eV_A"],
              "active_set_sha256": potential.active_set_sha256,
              "versions": package_versions("python-ace", "ase", "ionflux"),
              "reference_model": manifest.get("reference_model")}
    return DistilledCalculator.for_potential(potential, manifest.get("reference_model")), record


LABELS_FILE = "labels.npz"


def save_labels(path: str | Path, frames: Sequence[Any]) -> Path:
    """All labelled frames in one compressed ``.npz`` (positions Å, cells Å, energies eV,
    forces eV/Å, float64; the condition of every frame), so a shipped potential carries its
    training data: its active set is rebuilt from them and anyone can refit."""
    import os

    sizes = np.array([len(f) for f in frames])
    columns = {
        "n_atoms": sizes,
        "numbers": np.concatenate([f.numbers for f in frames]),
        "positions": np.concatenate([f.positions for f in frames]),
        "cells": np.array([f.cell.array for f in frames]),
        "energies": np.array([f.get_potential_energy() for f in frames]),
        "forces": np.concatenate([f.get_forces() for f in frames]),
        "formula": np.array([condition_of(f)[0] for f in frames]),
        "temperature_K": np.array([condition_of(f)[1] for f in frames]),
        "volume_scale": np.array([condition_of(f)[2] for f in frames]),
        "source": np.array([condition_of(f)[3] for f in frames]),
    }
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **columns)
    os.replace(tmp, path)
    return path


def load_labels(path: str | Path) -> list[Any]:
    """The frames of :func:`save_labels`, energies and forces on ``.calc``."""
    from ase import Atoms
    from ase.calculators.singlepoint import SinglePointCalculator

    with np.load(path, allow_pickle=False) as data:
        ends = np.cumsum(data["n_atoms"])
        starts = ends - data["n_atoms"]
        frames = []
        for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
            frame = Atoms(numbers=data["numbers"][a:b], positions=data["positions"][a:b],
                          cell=data["cells"][k], pbc=True)
            frame.info.update({"formula": str(data["formula"][k]),
                               "temperature_K": float(data["temperature_K"][k]),
                               "volume_scale": float(data["volume_scale"][k]),
                               "source": str(data["source"][k])})
            frame.calc = SinglePointCalculator(frame, energy=float(data["energies"][k]),
                                               forces=data["forces"][a:b].copy())
            frames.append(frame)
    return frames


def active_set_path(folder: Path, manifest: dict[str, Any], basis: Any) -> Path:
    """The potential's active set: ``folder``'s ``.asi`` if present, else rebuilt once from its
    training frames (``labels.npz``, the manifest's split) into the user cache."""
    from ionflux.md.ace import build_active_set, save_active_set
    from ionflux.md.run import file_sha256
    from ionflux.thermo.data import cache_dir

    local = folder / "BaTiO_distilled.asi"
    if local.is_file():
        return local
    labels = folder / LABELS_FILE
    if not labels.is_file():
        raise InputError(f"{folder}: neither BaTiO_distilled.asi nor {LABELS_FILE} to build "
                         "the active set from")
    digest = file_sha256(folder / "BaTiO_distilled.yaml")[:16]
    cached = cache_dir() / "distilled" / f"{digest}.asi"
    if not cached.is_file():
        train, _ = split_held_out(load_labels(labels), manifest["held_out_fraction"],
                                  manifest["split_seed"],
                                  manifest.get("split_method", "seeded"))
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(cached.name + ".tmp")
        save_active_set(tmp, basis, build_active_set(basis, train))
        tmp.replace(cached)
    return cached
