"""ACE potentials through pyace (PyPI ``python-ace``): loading, MD with gamma QC, linear fits.

MD: ASE's Langevin driver (fixed volume) with pyace's ``PyACECalculator``. With an active set
(``.asi``, the MaxVol-selected B-projections of the training data per element), every stored
frame carries its extrapolation grade gamma: for each atom, the largest |coefficient| of its
B-projection expressed in the active set's basis, so gamma <= 1 inside the training data and
grows with extrapolation (Lysogorskiy et al., Phys. Rev. Mater. 7, 043801 (2023)). The run
warns above ``gamma_warn`` = 5 and stops above ``gamma_stop`` = 100, the thresholds of the
published Ba-Ti-O study; both are settings and are recorded in the output.

Stand-in potential: no Ba-Ti-O ACE potential is available offline, so
:func:`fit_linear_ace` fits the linear coefficients of a pyace B-basis by least squares to
energies and forces of classical (Pedone-model) configurations. Such a potential reproduces a
classical model, not DFT; it is labelled so in its file's metadata, in every sidecar written
with it and in the README, and is only a stand-in for exercising the ACE path.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ionflux.errors import AnalysisError, InputError
from ionflux.md.run import MDRun, file_sha256, package_versions, record_frame

#: Extrapolation-grade thresholds of the published study: warn above, stop above.
GAMMA_WARN = 5.0
GAMMA_STOP = 100.0

STANDIN_LABEL = ("STAND-IN: linear ACE fitted to the classical Pedone model "
                 "(not DFT; not the published ACE potential)")


def _pyace() -> Any:
    try:
        import pyace
    except ImportError as exc:
        raise InputError("pyace is not installed: pip install python-ace==0.4.0rc1 "
                         f"(or ionflux[md]): {exc}") from None
    return pyace


@dataclass
class AcePotential:
    """A loaded B-basis ACE potential, optionally with its active set."""

    path: Path
    basis: Any
    elements: list[str]
    sha256: str
    active_set_path: Path | None = None
    active_set_sha256: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.metadata.get("name") or self.path.name

    def calculator(self, with_active_set: bool = True) -> Any:
        """A fresh pyace ASE calculator (with the active set if there is one, unless
        ``with_active_set`` is False: then it reports no extrapolation grade)."""
        from pyace import PyACECalculator

        calc = PyACECalculator(self.basis)
        if self.active_set_path is not None and with_active_set:
            try:
                calc.set_active_set(str(self.active_set_path))
            except Exception as exc:  # pyace raises RuntimeError/ValueError on bad files
                raise InputError(f"{self.active_set_path}: not an active set for "
                                 f"{self.path.name}: {' '.join(str(exc).split())}") from None
        return calc

    def check_elements(self, symbols: Sequence[str]) -> None:
        missing = sorted(set(symbols) - set(self.elements))
        if missing:
            raise InputError(f"{self.path.name}: the potential does not cover "
                             f"{', '.join(missing)} (covers {', '.join(self.elements)})")


def load_potential(path: str | Path, active_set: str | Path | None = None) -> AcePotential:
    """Load a B-basis ``.yaml`` potential (and ``.asi`` active set); clear errors if not."""
    pyace = _pyace()
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: potential file not found")
    try:
        basis = pyace.ACEBBasisSet(str(path))
    except Exception as exc:  # pyace raises several types on malformed YAML
        raise InputError(f"{path}: not a pyace B-basis potential: "
                         f"{' '.join(str(exc).split())[:200]}") from None
    meta = {str(k): str(v) for k, v in dict(basis.metadata).items()}
    pot = AcePotential(path=path, basis=basis, elements=list(basis.elements_name),
                       sha256=file_sha256(path), metadata=meta)
    if active_set is not None:
        asi = Path(active_set)
        if not asi.is_file():
            raise InputError(f"{asi}: active-set file not found")
        pot.active_set_path, pot.active_set_sha256 = asi, file_sha256(asi)
        pot.calculator()  # fails early on a mismatched active set
    return pot


@dataclass(frozen=True)
class AceMDSettings:
    """Langevin NVT with an ACE potential (fs, K)."""

    temperature_K: float = 1500.0
    steps: int = 1000
    frame_every: int = 10
    timestep_fs: float = 1.0
    friction_per_fs: float = 0.01
    gamma_warn: float = GAMMA_WARN
    gamma_stop: float = GAMMA_STOP
    seed: int = 1

    def __post_init__(self) -> None:
        if not self.temperature_K > 0 or not self.timestep_fs > 0 or \
                not self.friction_per_fs > 0:
            raise InputError("ACE MD: temperature, time step and friction must be positive")
        if self.frame_every < 1 or self.steps < self.frame_every:
            raise InputError(f"ACE MD: need frame_every >= 1 and steps >= frame_every (steps "
                             f"{self.steps}, frame every {self.frame_every})")
        if not 0 < self.gamma_warn <= self.gamma_stop:
            raise InputError("ACE MD: need 0 < gamma_warn <= gamma_stop")


def frame_gamma(calc: Any) -> float:
    """Largest per-atom extrapolation grade of the calculator's last evaluation (computed now
    by a calculator that makes it on demand, such as the distilled potential's)."""
    if hasattr(calc, "extrapolation_grade"):
        gamma = calc.extrapolation_grade()
    else:
        gamma = np.asarray(calc.results.get("gamma", []), dtype=float)
    return float(gamma.max()) if gamma.size else float("nan")


def run_ace_md(atoms: Any, potential: AcePotential, settings: AceMDSettings,
               progress: Callable[[int, int], None] | None = None,
               velocities_from: float | None = None, calculator: Any | None = None) -> MDRun:
    """Langevin MD of ``atoms`` (ASE, periodic) with ``potential``; frames every
    ``frame_every`` steps starting at step 0. A run that blows up or extrapolates beyond
    ``gamma_stop`` ends early as a partial run with the reason. ``calculator`` replaces the
    potential's own (e.g. the potential on top of a reference model); it must report the
    potential's extrapolation grade in ``results["gamma"]`` or by ``extrapolation_grade()``
    (see :func:`frame_gamma`)."""
    from ase import units
    from ase.constraints import FixCom
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import Stationary

    try:  # ASE >= 3.29 renamed it
        from ase.md.velocitydistribution import thermalize_momenta
    except ImportError:
        from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalize_momenta

    potential.check_elements(atoms.get_chemical_symbols())
    if not all(atoms.pbc):
        raise InputError("ACE MD: the cell must be periodic in all directions")
    atoms = atoms.copy()
    calc = calculator if calculator is not None else potential.calculator()
    atoms.calc = calc
    rng = np.random.default_rng(settings.seed)
    thermalize_momenta(atoms, temperature_K=velocities_from or settings.temperature_K, rng=rng)
    Stationary(atoms)
    # the centre of mass stays put (the transport analysis works in that frame anyway)
    atoms.set_constraint(FixCom())
    dyn = Langevin(atoms, timestep=settings.timestep_fs * units.fs,
                   temperature_K=settings.temperature_K,
                   friction=settings.friction_per_fs / units.fs, fixcm=False, rng=rng)
    with_gamma = potential.active_set_path is not None
    run = MDRun(symbols=atoms.get_chemical_symbols(), cell=atoms.cell.array.copy(),
                positions=[], times_fs=[], temperature_K=settings.temperature_K,
                kinetic_temperatures_K=[], potential_energies_eV=[],
                gamma_max=[] if with_gamma else None)
    run.metadata = {"md_engine": "ASE Langevin + pyace", "potential": potential.name,
                    "potential_sha256": potential.sha256,
                    "active_set_sha256": potential.active_set_sha256,
                    "versions": package_versions("python-ace", "ase", "ionflux"),
                    "settings": settings.__dict__.copy()}
    n_frames = settings.steps // settings.frame_every + 1
    start = time.perf_counter()
    for k in range(n_frames):
        if k:
            dyn.run(settings.frame_every)
        step = k * settings.frame_every
        where = f"step {step} ({step * settings.timestep_fs:g} fs)"
        stop = record_frame(run, atoms, step, settings.timestep_fs)
        if stop:
            run.partial, run.stop_reason = True, stop
            break
        if with_gamma:
            g = frame_gamma(calc)
            run.gamma_max.append(g)
            if g > settings.gamma_stop:
                run.partial = True
                run.stop_reason = (f"{where}: extrapolation grade gamma = {g:.3g} above the "
                                   f"stop threshold {settings.gamma_stop:g}")
                break
            if g > settings.gamma_warn:
                run.warnings.append(f"{where}: gamma = {g:.3g} above {settings.gamma_warn:g}")
        if progress is not None:
            progress(step, settings.steps)
    run.metadata["wall_s"] = time.perf_counter() - start
    if with_gamma:
        run.metadata["gamma"] = run.gamma_statistics(settings.gamma_warn, settings.gamma_stop)
    return run


# -- stand-in fit ---------------------------------------------------------------------------

#: Basis of the stand-in: 3 elements, linear embedding, 5 Å cut-off, ranks 1-3.
STANDIN_BASIS: dict[str, Any] = {
    "deltaSplineBins": 0.001,
    "elements": ["Ba", "O", "Ti"],
    "embeddings": {"ALL": {"npot": "FinnisSinclairShiftedScaled", "fs_parameters": [1, 1],
                           "ndensity": 1}},
    "bonds": {"ALL": {"radbase": "ChebExpCos", "radparameters": [5.25], "rcut": 5.0,
                      "dcut": 0.01, "NameOfCutoffFunction": "cos"}},
    "functions": {"ALL": {"nradmax_by_orders": [6, 2, 1], "lmax_by_orders": [0, 2, 1]}},
}


@dataclass
class LinearFit:
    """Fitted basis, per-element reference energies (eV) and training errors."""

    basis: Any
    e0_eV: dict[str, float]
    energy_rmse_eV_per_atom: float
    force_rmse_eV_A: float
    force_std_eV_A: float
    n_structures: int
    n_atoms: int


def design_rows(basis: Any, atoms: Any) -> tuple[np.ndarray, np.ndarray]:
    """Energy row (sum of B-projections over atoms, n_func) and force rows (3N x n_func):
    E = row @ c and F = rows @ c for a linear-embedding B-basis with coefficients c."""
    from pyace import ACEBEvaluator, ACECalculator
    from pyace.atomicenvironment import aseatoms_to_atomicenvironment

    # keep the evaluator referenced: the calculator does not own it (freeing it segfaults)
    evaluator = ACEBEvaluator(basis)
    calc = ACECalculator(evaluator)
    ae = aseatoms_to_atomicenvironment(atoms, cutoff=basis.cutoffmax,
                                       elements_mapper_dict=basis.elements_to_index_map)
    calc.compute(ae, compute_projections=True, compute_b_grad=True)
    shifts, n_func = [], 0
    for rank1, rankn in zip(basis.basis_rank1, basis.basis, strict=True):
        shifts.append(n_func)
        n_func += len(rank1) + len(rankn)
    energy = np.zeros(n_func)
    for species, proj in zip(ae.species_type, calc.projections, strict=False):
        energy[shifts[species]:shifts[species] + len(proj)] += proj
    forces = np.array(calc.forces_bfuncs).transpose(0, 2, 1).reshape(-1, n_func)
    return energy, forces


def composition_row(atoms: Any, elements: list[str]) -> np.ndarray:
    """Atom fraction of each of ``elements`` in ``atoms``: the columns of the per-element
    reference energies in a per-atom energy row."""
    symbols = np.array(atoms.get_chemical_symbols())
    return np.array([(symbols == el).sum() / len(atoms) for el in elements])


def fit_linear_ace(structures: Sequence[Any], energies_eV: Sequence[float],
                   forces_eV_A: Sequence[np.ndarray], basis_config: dict | None = None,
                   energy_weight: float = 10.0, ridge: float = 1e-6,
                   metadata: dict[str, str] | None = None,
                   rows: Callable[[Any, Any], tuple[np.ndarray, np.ndarray]] | None = None,
                   weights: Sequence[float] | None = None) -> LinearFit:
    """Least-squares fit of the linear B-basis coefficients (and one reference energy per
    element) to energies (eV) and forces (eV/Å).

    Rows: per-atom energies weighted by ``energy_weight`` (eV/atom vs eV/Å) and force
    components; a ridge term ``ridge`` |c|^2 keeps unsampled functions at zero. ``rows``
    replaces :func:`design_rows` (same signature), e.g. by a cached version. ``weights``
    multiplies each structure's rows (energy and forces; default 1); the training errors
    reported are then weighted the same way.
    """
    from pyace import ACEBBasisSet, create_multispecies_basis_config

    from ionflux.md.least_squares import BlockLeastSquares

    bconf = create_multispecies_basis_config(basis_config or STANDIN_BASIS)
    basis = ACEBBasisSet(bconf)
    elements = list(basis.elements_name)
    n_el = len(elements)
    # force rows go straight into the block solver (never all in memory); energy rows are
    # one per structure and are kept for the training error
    w = np.ones(len(structures)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(structures),) or not (w > 0).all():
        raise InputError("linear ACE fit: need one positive weight per structure")
    rows_e, comp = [], []
    solver: BlockLeastSquares | None = None
    n_force = 0.0
    for atoms, forces, wk in zip(structures, forces_eV_A, w, strict=True):
        e_row, f_rows = (rows or design_rows)(basis, atoms)
        if solver is None:
            solver = BlockLeastSquares(e_row.size + n_el)
        rows_e.append(e_row / len(atoms))
        comp.append(composition_row(atoms, elements))
        target = np.asarray(forces, dtype=float).ravel()
        solver.add(wk * np.hstack([f_rows, np.zeros((target.size, n_el))]), wk * target)
        n_force += wk ** 2 * target.size
    if solver is None:
        raise AnalysisError("linear ACE fit: no structures")
    n_func = rows_e[0].size
    e_target = np.array([e / len(a) for e, a in zip(energies_eV, structures, strict=True)])
    solver.add(np.hstack([np.array(rows_e), np.array(comp)]) * (energy_weight * w)[:, None],
               e_target * energy_weight * w)
    solver.add(math.sqrt(ridge) * np.eye(n_func + n_el), np.zeros(n_func + n_el))
    solution, residual = solver.solve()
    coeffs, e0 = solution[:n_func], solution[n_func:]
    basis.basis_coeffs = coeffs
    e_pred = np.array(rows_e) @ coeffs + np.array(comp) @ e0
    # the force part of the residual: total minus the energy and ridge rows' parts
    force_ss = residual ** 2 - np.sum((energy_weight * w * (e_pred - e_target)) ** 2) \
        - ridge * float(solution @ solution)
    meta = {"label": STANDIN_LABEL, **(metadata or {}),
            "reference_energies_eV": ",".join(f"{el}={v:.8f}"
                                              for el, v in zip(elements, e0, strict=True))}
    bconf = basis.to_BBasisConfiguration()
    stored = bconf.metadata  # pyace's MapStringString: set items, then assign back
    for key, value in meta.items():
        stored[key] = value
    bconf.metadata = stored
    basis = ACEBBasisSet(bconf)
    return LinearFit(basis=basis, e0_eV=dict(zip(elements, e0.tolist(), strict=True)),
                     energy_rmse_eV_per_atom=float(np.sqrt(np.average((e_pred - e_target) ** 2,
                                                                      weights=w ** 2))),
                     force_rmse_eV_A=math.sqrt(max(force_ss, 0.0) / n_force),
                     force_std_eV_A=_force_std(forces_eV_A), n_structures=len(structures),
                     n_atoms=int(sum(len(s) for s in structures)))


def _force_std(forces_eV_A: Sequence[np.ndarray]) -> float:
    return float(np.concatenate([np.asarray(f, dtype=float).ravel() for f in forces_eV_A]).std())


def build_active_set(basis: Any, structures: Sequence[Any]) -> dict[int, np.ndarray]:
    """Pseudo-inverse of the MaxVol active set per species type (pyace's active learning)."""
    from pyace.activelearning import (
        compute_A_active_inverse,
        compute_active_set,
        compute_B_projections,
    )

    projections = compute_B_projections(basis, list(structures))
    counts = {st: len(p) for st, p in projections.items()}
    n_func = {st: p.shape[1] for st, p in projections.items()}
    short = [st for st in counts if counts[st] < n_func[st]]
    if short:
        names = [basis.elements_name[st] for st in short]
        raise AnalysisError(f"active set: fewer atomic environments than basis functions for "
                            f"{', '.join(names)}; add training structures")
    return compute_A_active_inverse(compute_active_set(projections))


def save_active_set(path: str | Path, basis: Any, inverse: dict[int, np.ndarray]) -> Path:
    from pyace.activelearning import save_active_inverse_set

    save_active_inverse_set(str(path), inverse, elements_name=list(basis.elements_name))
    return Path(path)


class GammaGrader:
    """Extrapolation grade of every atom from the B-projections, in numpy: max_k |(B_i
    A^-1)_k| with A^-1 the active-set inverse of atom i's element, one matrix product per
    element. pyace's own grade gives the same numbers but multiplies atom by atom; with
    2337 functions per element it costs 20-30x more (measured: ~1.2 s against ~0.05 s per
    100-atom frame), which made it most of an MD step's cost."""

    def __init__(self, basis: Any, inverse: dict[int, np.ndarray]) -> None:
        from pyace import ACEBEvaluator, ACECalculator

        self.basis = basis
        self.inverse = {st: np.ascontiguousarray(a, dtype=float) for st, a in inverse.items()}
        # keep the evaluator referenced: the calculator does not own it (freeing it segfaults)
        self._evaluator = ACEBEvaluator(basis)
        self._calculator = ACECalculator(self._evaluator)

    def __call__(self, atoms: Any) -> np.ndarray:
        from pyace.atomicenvironment import aseatoms_to_atomicenvironment

        env = aseatoms_to_atomicenvironment(atoms, cutoff=self.basis.cutoffmax,
                                            elements_mapper_dict=self.basis.elements_to_index_map)
        self._calculator.compute(env, compute_projections=True)
        projections = self._calculator.projections
        # the environment lists the atoms first, then their periodic images
        species = np.asarray(env.species_type)[:len(projections)]
        grade = np.empty(len(projections))
        for st in np.unique(species):
            rows = np.flatnonzero(species == st)
            block = np.array([projections[i] for i in rows], dtype=float)
            grade[rows] = np.abs(block @ self.inverse[int(st)]).max(axis=1)
        return grade


def gamma_per_atom(basis: Any, inverse: dict[int, np.ndarray], atoms: Any) -> np.ndarray:
    """Extrapolation grade of every atom of ``atoms`` (see :class:`GammaGrader`)."""
    return GammaGrader(basis, inverse)(atoms)


def load_active_set(path: str | Path, basis: Any) -> dict[int, np.ndarray]:
    """The per-species inverse active set of an ``.asi`` file, keyed by the basis' species
    index."""
    data = np.load(str(path))
    out = {}
    for st, el in enumerate(basis.elements_name):
        if el not in data:
            raise InputError(f"{path}: no active set for {el}")
        out[st] = np.asarray(data[el])
    return out


def standin_potential_files() -> tuple[Path, Path]:
    """The bundled STAND-IN potential (``.yaml``) and its active set (``.asi``)."""
    from importlib.resources import files

    folder = files("ionflux") / "data" / "ace"
    yaml_path = Path(str(folder / "BaTiO_pedone_standin.yaml"))
    asi_path = Path(str(folder / "BaTiO_pedone_standin.asi"))
    if not yaml_path.is_file() or not asi_path.is_file():
        raise InputError("the bundled stand-in ACE potential is missing from ionflux/data/ace "
                         "(was the package installed without its data?)")
    return yaml_path, asi_path
