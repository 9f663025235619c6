"""Classical melt-quench of amorphous Ba-Ti-O cells with the Pedone potential.

Recipe (every number is a field of :class:`MeltQuenchSchedule`):

1. Cell: cubic, with ~``target_atoms`` atoms (a whole number of formula units) at the
   Materials Project volume per atom of the composition (``data/ba-ti-o/thermo.json``) times
   ``volume_scale`` = 1.10, because a melt-quenched amorphous oxide is less dense than its
   crystal (by roughly 5-15 % for titanates and silicates). A composition without an MP entry
   gets the volume of the molar mix of the two nearest MP compositions on the BaO-TiO2 line
   that bracket it (additive molar volumes, Vegard-like).
2. Atoms placed uniformly at random with a minimum separation, then a capped steepest descent
   removes the worst overlaps.
3. Melt at ``melt_temperature_K`` (Langevin), quench by a linear temperature ramp to the target,
   equilibrate at the target, then store ``n_frames`` frames ``frame_every`` steps apart, all in
   the NVT ensemble (BAOAB Langevin, friction ``friction_per_fs``) at fixed volume.

Positions are continuous in time (never wrapped), times in fs from the start of production.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib.resources import files

import numpy as np
from pymatgen.core import Composition, Element

from ionflux.errors import DataNotFoundError, InputError
from ionflux.io.trajectory import Trajectory, TrajectorySource
from ionflux.md.integrate import Integrator, kinetic_temperature, maxwell_boltzmann
from ionflux.md.pedone import PEDONE_CHARGES, PedoneModel

#: Closest approach (Å) allowed when atoms are placed at random.
_MIN_SEPARATION_A = 1.6
_PLACEMENT_TRIES = 2000


@dataclass(frozen=True)
class MeltQuenchSchedule:
    """Temperatures (K), step counts and integration settings of one melt-quench run."""

    temperature_K: float = 1500.0
    melt_temperature_K: float = 3000.0
    melt_steps: int = 6000
    quench_steps: int = 6000
    equilibrate_steps: int = 6000
    n_frames: int = 5
    frame_every: int = 2000
    timestep_fs: float = 1.0
    friction_per_fs: float = 0.01
    relax_steps: int = 300
    volume_scale: float = 1.10

    def __post_init__(self) -> None:
        for name in ("temperature_K", "melt_temperature_K", "timestep_fs", "volume_scale"):
            if not getattr(self, name) > 0:
                raise InputError(f"melt-quench: {name} must be positive, got {getattr(self, name)}")
        for name in ("melt_steps", "quench_steps", "equilibrate_steps", "relax_steps"):
            if getattr(self, name) < 0:
                raise InputError(f"melt-quench: {name} must be >= 0, got {getattr(self, name)}")
        if self.n_frames < 2:
            raise InputError(f"melt-quench: need at least 2 frames, got {self.n_frames}")
        if self.frame_every < 1:
            raise InputError(f"melt-quench: frame_every must be >= 1, got {self.frame_every}")
        if self.friction_per_fs <= 0:
            raise InputError("melt-quench: the Langevin friction must be positive")

    @property
    def production_steps(self) -> int:
        return (self.n_frames - 1) * self.frame_every


@dataclass
class MeltQuenchResult:
    """Frames of the production stage of one melt-quench run."""

    formula: str
    symbols: list[str]
    cell: np.ndarray
    positions: np.ndarray
    times_fs: np.ndarray
    temperature_K: float
    kinetic_temperatures_K: np.ndarray
    potential_energies_eV: np.ndarray
    seed: int
    schedule: MeltQuenchSchedule
    volume_per_atom_A3: float
    volume_source: str
    log: list[str] = field(default_factory=list)
    engine: str = "ionflux numba (Pedone, DSF Coulomb)"

    def to_trajectory(self) -> Trajectory:
        """The frames as an (unwrapped) ionflux trajectory."""
        return Trajectory(positions=self.positions, species=tuple(self.symbols),
                          cells=self.cell, unwrapped=True, temperature_K=self.temperature_K,
                          times_fs=self.times_fs,
                          source=TrajectorySource(reader="ionflux.md.melt_quench"))

    def metadata(self) -> dict:
        """Settings for provenance notes and file headers."""
        return {"formula": self.formula, "n_atoms": len(self.symbols), "seed": self.seed,
                "volume_per_atom_A3": self.volume_per_atom_A3,
                "volume_source": self.volume_source, "engine": self.engine,
                **asdict(self.schedule)}


def cell_composition(formula: str, target_atoms: int) -> tuple[str, list[str]]:
    """Reduced formula and the symbols of the whole number of formula units closest to
    ``target_atoms`` (cations first, in Ba, Ti, O order)."""
    try:
        comp = Composition(formula)
    except Exception as exc:  # pymatgen raises several types for bad formulas
        raise InputError(f"melt-quench: cannot parse formula {formula!r}: {exc}") from None
    unknown = [el.symbol for el in comp if el.symbol not in PEDONE_CHARGES]
    if unknown:
        raise InputError(f"melt-quench: {formula}: no Pedone parameters for "
                         f"{', '.join(unknown)}")
    reduced = comp.reduced_composition
    fu_atoms = round(reduced.num_atoms)
    if target_atoms < fu_atoms:
        raise InputError(f"melt-quench: {target_atoms} atoms cannot hold one formula unit of "
                         f"{reduced.reduced_formula} ({fu_atoms} atoms)")
    n_fu = max(1, round(target_atoms / fu_atoms))
    order = sorted(reduced.elements, key=lambda el: el.X)
    symbols = [el.symbol for el in order for _ in range(round(reduced[el]) * n_fu)]
    charge = sum(PEDONE_CHARGES[s] for s in symbols)
    if abs(charge) > 1e-9:
        raise InputError(f"melt-quench: {reduced.reduced_formula} is not charge neutral with "
                         f"Pedone charges (net {charge:+.2f} e)")
    return reduced.reduced_formula, symbols


def mp_volume_per_atom(formula: str) -> tuple[float, str]:
    """Volume per atom (Å^3) of a Ba-Ti-O composition from the bundled MP entries.

    Exact reduced formula if present (lowest e_above_hull); otherwise the molar mix of the two
    nearest MP compositions on the BaO-TiO2 line on either side.
    """
    data = json.loads((files("ionflux") / "data" / "ba-ti-o" / "thermo.json").read_text())
    by_formula: dict[str, dict] = {}
    for entry in data["entries"]:
        red = Composition(entry["composition"]).reduced_formula
        if red not in by_formula or entry["e_above_hull_300K"] < \
                by_formula[red]["e_above_hull_300K"]:
            by_formula[red] = entry
    target = Composition(formula)
    red = target.reduced_formula
    if red in by_formula:
        e = by_formula[red]
        return float(e["volume_per_atom"]), f"Materials Project {e['material_id']} ({red})"
    x = _bao_fraction(target)
    if x is None:
        raise DataNotFoundError(f"melt-quench: {red} has no MP volume and is not on the "
                                "BaO-TiO2 line; give the volume per atom explicitly")
    line = []
    for name, e in by_formula.items():
        xe = _bao_fraction(Composition(name))
        if xe is not None:
            line.append((xe, name, e))
    below = max((t for t in line if t[0] < x), key=lambda t: t[0], default=None)
    above = min((t for t in line if t[0] > x), key=lambda t: t[0], default=None)
    if below is None or above is None:
        raise DataNotFoundError(f"melt-quench: no MP compositions bracket {red} on the "
                                "BaO-TiO2 line")
    # Volume per (BaO)_x(TiO2)_(1-x) unit, linear in x; atoms per unit = 2x + 3(1-x).
    def unit_volume(xe: float, e: dict) -> float:
        return e["volume_per_atom"] * (2 * xe + 3 * (1 - xe))

    w = (x - below[0]) / (above[0] - below[0])
    v_unit = (1 - w) * unit_volume(below[0], below[2]) + w * unit_volume(above[0], above[2])
    volume = v_unit / (2 * x + 3 * (1 - x))
    return float(volume), (f"molar mix of Materials Project {below[2]['material_id']} "
                           f"({below[1]}) and {above[2]['material_id']} ({above[1]})")


def _bao_fraction(comp: Composition) -> float | None:
    """x in (BaO)_x(TiO2)_(1-x), or None if ``comp`` is not on that line."""
    ba, ti, o = comp["Ba"], comp["Ti"], comp["O"]
    if ba + ti == 0 or abs(o - (ba + 2 * ti)) > 1e-6 * max(o, 1):
        return None
    return float(ba / (ba + ti))


def random_packing(symbols: list[str], cell: np.ndarray, rng: np.random.Generator,
                   min_separation_A: float = _MIN_SEPARATION_A) -> np.ndarray:
    """Cartesian positions (Å) placed uniformly at random, no two closer than the minimum."""
    inv = np.linalg.inv(cell)
    positions = np.empty((len(symbols), 3))
    for i in range(len(symbols)):
        for _ in range(_PLACEMENT_TRIES):
            trial = rng.random(3) @ cell
            if i == 0:
                break
            d = positions[:i] - trial
            frac = d @ inv
            frac -= np.rint(frac)
            if np.min(np.linalg.norm(frac @ cell, axis=1)) >= min_separation_A:
                break
        else:
            raise InputError(f"melt-quench: could not place atom {i} of {len(symbols)} at least "
                             f"{min_separation_A} Å from the others (cell too small?)")
        positions[i] = trial
    return positions


def melt_quench(formula: str, target_atoms: int = 100, seed: int = 0,
                schedule: MeltQuenchSchedule | None = None,
                volume_per_atom_A3: float | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> MeltQuenchResult:
    """Melt-quench one amorphous cell and return the production frames.

    Args:
        formula: composition, e.g. ``"BaTiO3"`` (elements Ba, Ti, O).
        target_atoms: approximate cell size; rounded to whole formula units.
        seed: seed of every random choice (placement, velocities, Langevin noise).
        schedule: temperatures and step counts (defaults: 1500 K target, 3000 K melt).
        volume_per_atom_A3: crystal volume per atom before ``volume_scale``; default from MP.
        progress: called as ``progress(stage, steps_done, steps_total)`` after each block.
    """
    schedule = schedule or MeltQuenchSchedule()
    reduced, symbols = cell_composition(formula, target_atoms)
    if volume_per_atom_A3 is None:
        v_atom, v_source = mp_volume_per_atom(reduced)
    else:
        if not volume_per_atom_A3 > 0:
            raise InputError(f"melt-quench: volume per atom must be positive, got "
                             f"{volume_per_atom_A3}")
        v_atom, v_source = float(volume_per_atom_A3), "given by the caller"
    length = (len(symbols) * v_atom * schedule.volume_scale) ** (1.0 / 3.0)
    cell = np.eye(3) * length
    rng = np.random.default_rng(seed)
    model = PedoneModel.for_elements(symbols)
    masses = np.array([Element(s).atomic_mass for s in symbols], dtype=float)
    md = Integrator(model=model, cell=cell, types=model.type_indices(symbols), masses=masses,
                    timestep_fs=schedule.timestep_fs)
    log = [f"{reduced}: {len(symbols)} atoms, cubic cell {length:.4f} Å "
           f"({v_atom:.3f} x {schedule.volume_scale:g} Å^3/atom; {v_source})"]

    positions = md.relax(random_packing(symbols, cell, rng), steps=schedule.relax_steps)
    state = md.start(positions, maxwell_boltzmann(masses, schedule.melt_temperature_K, rng))
    gamma = schedule.friction_per_fs
    total = (schedule.melt_steps + schedule.quench_steps + schedule.equilibrate_steps
             + schedule.production_steps)
    done = 0

    def stage(name: str, steps: int, temps: float | tuple[float, float]) -> None:
        nonlocal done
        if steps:
            md.run(state, steps, temps, gamma, rng)
            done += steps
            log.append(f"{name}: {steps} steps, T_kin = "
                       f"{kinetic_temperature(state.velocities, masses):.0f} K, "
                       f"E_pot = {state.energy / len(symbols):.4f} eV/atom")
        if progress is not None:
            progress(name, done, total)

    stage("melt", schedule.melt_steps, schedule.melt_temperature_K)
    stage("quench", schedule.quench_steps,
          (schedule.melt_temperature_K, schedule.temperature_K))
    stage("equilibrate", schedule.equilibrate_steps, schedule.temperature_K)
    frames, kin, epot = [state.positions.copy()], [kinetic_temperature(state.velocities, masses)], \
        [state.energy]
    for _ in range(schedule.n_frames - 1):
        stage("production", schedule.frame_every, schedule.temperature_K)
        frames.append(state.positions.copy())
        kin.append(kinetic_temperature(state.velocities, masses))
        epot.append(state.energy)
    times = np.arange(schedule.n_frames) * schedule.frame_every * schedule.timestep_fs
    return MeltQuenchResult(formula=reduced, symbols=symbols, cell=cell,
                            positions=np.array(frames), times_fs=times,
                            temperature_K=schedule.temperature_K,
                            kinetic_temperatures_K=np.array(kin),
                            potential_energies_eV=np.array(epot), seed=seed, schedule=schedule,
                            volume_per_atom_A3=v_atom, volume_source=v_source, log=log)
