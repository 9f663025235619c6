"""Distilling a fast potential from a universal MLIP teacher: sampled melts, teacher labels.

A universal MLIP (SevenNet-0, :mod:`ionflux.md.mlip`) costs ~0.5-1 s per MD step at 100 atoms,
too slow for the nanosecond melts transport needs. Distillation fits a cheap linear potential to
the teacher's energies and forces on configurations that cover the melts it will run:

1. **Sampling** (:func:`sample_condition`): every bundled amorphous cell
   (``ionflux/data/amorphous``) at each temperature and volume strain of a :class:`SamplingPlan`,
   run with the classical Pedone model in LAMMPS (cheap, and its melts explore the same
   coordination chemistry); a few frames per condition, far enough apart to be uncorrelated.
   Later rounds add frames of the distilled potential's own MD (active learning, see
   :mod:`ionflux.md.distil_fit`), because a Pedone melt is not the teacher's melt.
2. **Labels** (:class:`LabelStore`): the teacher's energy (eV) and forces (eV/Å) of every frame,
   one extended-XYZ file per condition written atomically, so an interrupted labelling run
   continues where it stopped and a file is either complete or absent.

Everything labelled is universal-potential grade, not DFT: the teacher's label travels with
every frame and every fit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ionflux.errors import InputError

#: Volume strains of the plan (factors on the bundled cell's volume, which is the crystal's
#: x 1.10): +-6 % covers the density change of these melts between 1500 and 3000 K.
DEFAULT_VOLUME_SCALES = (0.94, 1.0, 1.06)
DEFAULT_TEMPERATURES_K = (1500.0, 2000.0, 2500.0, 3000.0)
LABELS_MANIFEST = "labels.json"


@dataclass(frozen=True)
class SamplingPlan:
    """Which melts are sampled: compositions x temperatures (K) x volume scales, and how
    (Pedone MD in LAMMPS, 1 fs steps: equilibrate, then one frame every ``frame_spacing_steps``).
    """

    compositions: tuple[str, ...] = ()
    temperatures_K: tuple[float, ...] = DEFAULT_TEMPERATURES_K
    volume_scales: tuple[float, ...] = DEFAULT_VOLUME_SCALES
    frames_per_condition: int = 2
    equilibrate_steps: int = 2000
    frame_spacing_steps: int = 500
    seed: int = 1

    def __post_init__(self) -> None:
        if not self.temperatures_K or min(self.temperatures_K) <= 0:
            raise InputError("distillation: temperatures must be positive")
        if not self.volume_scales or min(self.volume_scales) <= 0:
            raise InputError("distillation: volume scales must be positive")
        if self.frames_per_condition < 1 or self.frame_spacing_steps < 1 \
                or self.equilibrate_steps < 0:
            raise InputError("distillation: need frames_per_condition >= 1, "
                             "frame_spacing_steps >= 1 and equilibrate_steps >= 0")


@dataclass(frozen=True)
class Condition:
    """One sampled melt: composition, temperature (K), volume scale, and where frames come
    from (``pedone`` or ``<potential> round <k>``)."""

    formula: str
    temperature_K: float
    volume_scale: float
    source: str = "pedone"

    @property
    def key(self) -> str:
        tag = self.source.replace(" ", "-")
        return f"{self.formula}_{self.temperature_K:g}K_v{self.volume_scale:g}_{tag}"


def conditions(plan: SamplingPlan, available: Iterable[str]) -> list[Condition]:
    """The plan's conditions, in a fixed order; an unknown composition is an error."""
    available = sorted(available)
    formulas = plan.compositions or tuple(available)
    unknown = [f for f in formulas if f not in available]
    if unknown:
        raise InputError(f"distillation: no bundled cell for {', '.join(unknown)}; have "
                         f"{', '.join(available)}")
    return [Condition(f, t, v) for f in formulas for t in plan.temperatures_K
            for v in plan.volume_scales]


def scaled(atoms: Any, volume_scale: float) -> Any:
    """A copy of ``atoms`` with cell and positions scaled isotropically to ``volume_scale``
    times the volume."""
    out = atoms.copy()
    out.set_cell(out.cell.array * volume_scale ** (1.0 / 3.0), scale_atoms=True)
    return out


def sample_condition(atoms: Any, condition: Condition, plan: SamplingPlan,
                     seed: int) -> list[Any]:
    """Frames (ASE atoms, wrapped) of a Pedone LAMMPS melt of ``atoms`` at the condition."""
    from ase import Atoms

    from ionflux.md.lammps import LammpsSettings, PedoneLammps

    start = scaled(atoms, condition.volume_scale)
    symbols = start.get_chemical_symbols()
    md = PedoneLammps(symbols, start.cell.array, start.positions, LammpsSettings(), seed=seed)
    frames = []
    try:
        md.velocities(condition.temperature_K)
        md.thermostat("langevin", condition.temperature_K, condition.temperature_K)
        md.run(plan.equilibrate_steps)
        for _ in range(plan.frames_per_condition):
            md.run(plan.frame_spacing_steps)
            frame = Atoms(symbols, positions=md.positions(), cell=start.cell.array, pbc=True)
            frame.wrap()
            frames.append(frame)
    finally:
        md.close()
    return frames


#: Largest accepted difference (meV/atom) between a teacher's fresh energy of a frame of its own
#: MD run and the energy the run stored: positions are written to 1e-6 Å, so anything above
#: this means a different teacher (model, version or settings) ran the MD.
TEACHER_MD_ENERGY_TOLERANCE_MEV_ATOM = 0.5


def run_frame(run: Any, index: int) -> Any:
    """Frame ``index`` of an :class:`ionflux.md.run.MDRun` as ASE atoms, wrapped into the cell."""
    from ase import Atoms

    frame = Atoms(run.symbols, positions=run.positions[index], cell=run.cell, pbc=True)
    frame.wrap()
    return frame


def teacher_md_frames(run: Any, n_frames: int, label: str = "teacher run"
                      ) -> tuple[list[Any], list[float]]:
    """``n_frames`` frames (ASE atoms, wrapped) spread evenly over a teacher's own MD run
    (an :class:`ionflux.md.run.MDRun` after equilibration) and the potential energies (eV) the
    run stored for them.

    These are the configurations the teacher's melt visits, which neither Pedone melts nor the
    distilled potential's own melts sample (the fit is judged on this melt's dynamics).
    """
    from ionflux.structure.bonds import sample_frames

    picks = sample_frames(run.n_frames, n_frames, label)
    return [run_frame(run, k) for k in picks], \
        [float(run.potential_energies_eV[k]) for k in picks]


def most_extrapolated_frames(run: Any, grade: Callable[[Any], float], n_frames: int,
                             stride: int = 1) -> tuple[list[Any], list[float], list[float]]:
    """The ``n_frames`` frames of a teacher's MD run (every ``stride``-th graded) on which a
    fitted potential extrapolates most: ``grade`` maps wrapped ASE atoms to the potential's
    largest per-atom extrapolation grade. Returns the frames, the run's stored energies (eV)
    and their grades, in time order.

    Active learning on the teacher's own melt: rare configurations the teacher visits (in
    these melts, close Ti-Ti contacts) are where a fit that sampled its own melts fails.
    """
    if n_frames < 1 or stride < 1:
        raise InputError("most extrapolated frames: need n_frames >= 1 and stride >= 1")
    grades = {k: float(grade(run_frame(run, k))) for k in range(0, run.n_frames, stride)}
    picks = sorted(sorted(grades, key=grades.__getitem__)[-n_frames:])
    return [run_frame(run, k) for k in picks], \
        [float(run.potential_energies_eV[k]) for k in picks], [grades[k] for k in picks]


def check_teacher_energies(stored_eV: Sequence[float], labelled_eV: Sequence[float],
                           n_atoms: int, label: str = "teacher run",
                           tolerance_meV_atom: float = TEACHER_MD_ENERGY_TOLERANCE_MEV_ATOM
                           ) -> float:
    """The largest |labelled - stored| energy (meV/atom); an InputError above the tolerance
    (the frames came from another teacher's MD)."""
    if len(stored_eV) != len(labelled_eV):
        raise InputError(f"{label}: {len(labelled_eV)} labelled energies for "
                         f"{len(stored_eV)} frames (the teacher dropped non-finite frames)")
    diff = np.abs(np.asarray(labelled_eV, float) - np.asarray(stored_eV, float))
    worst = float(diff.max()) * 1000.0 / n_atoms if diff.size else 0.0
    if worst > tolerance_meV_atom:
        raise InputError(f"{label}: the teacher's energies differ from the run's stored ones by "
                         f"up to {worst:.2f} meV/atom (limit {tolerance_meV_atom:g}): the run "
                         "was made by another teacher or model version")
    return worst


@dataclass
class LabelStore:
    """Teacher-labelled frames in ``folder``: one ``<condition key>.extxyz`` per condition
    (energy in ``info["energy"]``, eV; forces in ``arrays["forces"]``, eV/Å) and
    ``labels.json`` with the teacher's record."""

    folder: Path
    teacher: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)

    def path(self, condition: Condition) -> Path:
        return self.folder / f"{condition.key}.extxyz"

    def has(self, condition: Condition) -> bool:
        return self.path(condition).is_file()

    def write(self, condition: Condition, frames: Sequence[Any],
              energies_eV: Sequence[float], forces_eV_A: Sequence[np.ndarray]) -> Path:
        """Store one condition's labelled frames atomically."""
        from ase.calculators.singlepoint import SinglePointCalculator
        from ase.io import write

        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = self.folder / LABELS_MANIFEST
        record = {"teacher": self.teacher, "note": "labels are universal-potential grade, "
                                                   "not DFT"}
        if manifest.is_file():
            old = json.loads(manifest.read_text())
            if old.get("teacher", {}).get("model") != self.teacher.get("model"):
                raise InputError(f"{self.folder}: labelled by {old.get('teacher')}, not by "
                                 f"{self.teacher.get('model')}; use a new folder")
        else:
            manifest.write_text(json.dumps(record, indent=1))
        out = []
        for frame, energy, forces in zip(frames, energies_eV, forces_eV_A, strict=True):
            labelled = frame.copy()
            labelled.info.update({"formula": condition.formula,
                                  "temperature_K": condition.temperature_K,
                                  "volume_scale": condition.volume_scale,
                                  "source": condition.source})
            labelled.calc = SinglePointCalculator(labelled, energy=float(energy),
                                                  forces=np.asarray(forces, dtype=float))
            out.append(labelled)
        path = self.path(condition)
        tmp = path.with_name(path.name + ".tmp")
        write(tmp, out, format="extxyz")
        os.replace(tmp, path)
        return path

    def load_condition(self, condition: Condition) -> list[Any]:
        """The labelled frames of one stored condition."""
        from ase.io import read

        if not self.has(condition):
            raise InputError(f"{self.folder}: nothing labelled for {condition.key}")
        return read(self.path(condition), index=":", format="extxyz")

    def load(self) -> list[Any]:
        """Every labelled frame, in file-name order (energies and forces on ``.calc``)."""
        from ase.io import read

        frames = []
        for path in sorted(self.folder.glob("*.extxyz")):
            frames.extend(read(path, index=":", format="extxyz"))
        if not frames:
            raise InputError(f"{self.folder}: no labelled frames")
        return frames


def label_conditions(todo: Sequence[tuple[Condition, list[Any]]], calculator: Any,
                     store: LabelStore,
                     progress: Callable[[Condition, int, int], None] | None = None,
                     check: Callable[[Condition, list[float]], None] | None = None) -> int:
    """Label every frame of each not-yet-stored condition with ``calculator``; returns the
    number of frames labelled now. A frame whose labels are not finite is dropped (and said).
    ``check`` sees a condition's energies (eV) before they are stored and may refuse them by
    raising (nothing of that condition is written)."""
    done = 0
    for k, (condition, frames) in enumerate(todo):
        if store.has(condition):
            continue
        energies, forces, kept = [], [], []
        for frame in frames:
            work = frame.copy()
            work.calc = calculator
            energy = float(work.get_potential_energy())
            force = np.array(work.get_forces(), dtype=float)
            if not (np.isfinite(energy) and np.isfinite(force).all()):
                print(f"{condition.key}: teacher returned non-finite labels; frame dropped")
                continue
            energies.append(energy)
            forces.append(force)
            kept.append(frame)
        if kept:
            if check is not None:
                check(condition, energies)
            store.write(condition, kept, energies, forces)
            done += len(kept)
        if progress is not None:
            progress(condition, k + 1, len(todo))
    return done


def plan_record(plan: SamplingPlan) -> dict[str, Any]:
    return asdict(plan)
