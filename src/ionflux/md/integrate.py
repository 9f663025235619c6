"""Velocity-Verlet and Langevin (BAOAB) integration of the Pedone model, compiled with numba.

Units: positions Å, velocities Å/fs, masses amu, energies eV, time fs, temperature K.
BAOAB is the Langevin splitting of B. Leimkuhler and C. Matthews, Appl. Math. Res. Express
2013, 34-56: half kick, half drift, exact Ornstein-Uhlenbeck velocity update, half drift, half
kick. With friction 0 it is velocity Verlet (NVE). The random numbers come from a numpy
``Generator`` so that a seed reproduces a run bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from ionflux.md.pedone import EV_PER_A_AMU_TO_A_PER_FS2, PedoneModel, image_shift_vectors
from ionflux.md.pedone import _energy_forces as _pedone_energy_forces
from ionflux.units import KB_EV_PER_K

#: Noise is drawn for this many steps at a time (memory: steps x atoms x 3 doubles).
_NOISE_BLOCK_STEPS = 500


@dataclass
class MDState:
    """Positions (Å, continuous: never wrapped), velocities (Å/fs) and current forces (eV/Å)."""

    positions: np.ndarray
    velocities: np.ndarray
    forces: np.ndarray
    energy: float
    time_fs: float = 0.0


def kinetic_energy(velocities: np.ndarray, masses: np.ndarray) -> float:
    """Kinetic energy (eV) of velocities in Å/fs and masses in amu."""
    return float(0.5 * np.sum(masses[:, None] * velocities**2) / EV_PER_A_AMU_TO_A_PER_FS2)


def kinetic_temperature(velocities: np.ndarray, masses: np.ndarray) -> float:
    """Instantaneous temperature (K) with 3N - 3 degrees of freedom (momentum removed)."""
    dof = 3 * len(masses) - 3
    return 2.0 * kinetic_energy(velocities, masses) / (dof * KB_EV_PER_K)


def maxwell_boltzmann(masses: np.ndarray, temperature_K: float,
                      rng: np.random.Generator) -> np.ndarray:
    """Velocities (Å/fs) drawn at ``temperature_K`` with zero total momentum."""
    sigma = np.sqrt(KB_EV_PER_K * temperature_K / masses * EV_PER_A_AMU_TO_A_PER_FS2)
    v = rng.standard_normal((len(masses), 3)) * sigma[:, None]
    v -= (masses[:, None] * v).sum(axis=0) / masses.sum()
    return v


@dataclass
class Integrator:
    """Runs the Pedone model on one cell with fixed composition and volume."""

    model: PedoneModel
    cell: np.ndarray
    types: np.ndarray
    masses: np.ndarray
    timestep_fs: float = 1.0

    def __post_init__(self) -> None:
        self.cell = np.ascontiguousarray(self.cell, dtype=np.float64)
        self._inv_cell = np.linalg.inv(self.cell)
        self._shifts = image_shift_vectors(
            self.cell, max(self.model.cutoff_coulomb, self.model.cutoff_short))

    def energy_forces(self, positions: np.ndarray) -> tuple[float, np.ndarray]:
        m = self.model
        return _pedone_energy_forces(np.ascontiguousarray(positions), self.cell, self._inv_cell,
                                     self.types, m.charges, m.D, m.a, m.r0, m.C, m.alpha,
                                     m.cutoff_coulomb, m.cutoff_short, self._shifts)

    def start(self, positions: np.ndarray, velocities: np.ndarray) -> MDState:
        energy, forces = self.energy_forces(positions)
        return MDState(np.array(positions, dtype=np.float64), np.array(velocities, dtype=float),
                       forces, energy)

    def relax(self, positions: np.ndarray, steps: int = 300,
              max_move_A: float = 0.1) -> np.ndarray:
        """Steepest descent with a capped step: removes overlaps of a random packing."""
        x = np.array(positions, dtype=np.float64)
        for _ in range(steps):
            _, f = self.energy_forces(x)
            fmax = np.abs(f).max()
            if fmax < 1e-3:
                break
            x += f * min(max_move_A / fmax, 0.01)
        return x

    def run(self, state: MDState, n_steps: int, temperature_K: float | tuple[float, float],
            friction_per_fs: float, rng: np.random.Generator | None = None) -> MDState:
        """Advance ``state`` by ``n_steps``; temperature may ramp linearly (start, end).

        ``friction_per_fs = 0`` gives velocity-Verlet NVE dynamics (temperature ignored).
        """
        t0, t1 = (temperature_K, temperature_K) if np.isscalar(temperature_K) \
            else temperature_K
        m = self.model
        done = 0
        while done < n_steps:
            block = min(_NOISE_BLOCK_STEPS, n_steps - done)
            if friction_per_fs > 0:
                if rng is None:
                    raise ValueError("a Langevin run needs a random generator")
                noise = rng.standard_normal((block, len(self.masses), 3))
            else:
                noise = np.zeros((block, 0, 3))
            temps = t0 + (t1 - t0) * (done + np.arange(block) + 0.5) / n_steps
            energy = _baoab(state.positions, state.velocities, state.forces, self.masses,
                            self.timestep_fs, friction_per_fs, temps, noise, self.cell,
                            self._inv_cell, self.types, m.charges, m.D, m.a, m.r0, m.C,
                            m.alpha, m.cutoff_coulomb, m.cutoff_short, self._shifts)
            state.energy = energy
            state.time_fs += block * self.timestep_fs
            done += block
        return state


@numba.njit(cache=True)
def _baoab(x, v, f, masses, dt, gamma, temps, noise, cell, inv_cell, types, charges, D, a, r0,
           C, alpha, rc_coul, rc_short, shifts):
    """In-place BAOAB steps; returns the potential energy (eV) after the last step."""
    n = x.shape[0]
    inv_m = np.empty(n)
    for i in range(n):
        inv_m[i] = EV_PER_A_AMU_TO_A_PER_FS2 / masses[i]
    c1 = math.exp(-gamma * dt)
    c2 = math.sqrt(1.0 - c1 * c1)
    energy = 0.0
    for step in range(temps.shape[0]):
        for i in range(n):
            for k in range(3):
                v[i, k] += 0.5 * dt * f[i, k] * inv_m[i]
                x[i, k] += 0.5 * dt * v[i, k]
        if gamma > 0.0:
            kt = KB_EV_PER_K * temps[step]
            for i in range(n):
                sigma = math.sqrt(kt * inv_m[i])
                for k in range(3):
                    v[i, k] = c1 * v[i, k] + c2 * sigma * noise[step, i, k]
        for i in range(n):
            for k in range(3):
                x[i, k] += 0.5 * dt * v[i, k]
        energy, f_new = _pedone_energy_forces(x, cell, inv_cell, types, charges, D, a, r0, C,
                                              alpha, rc_coul, rc_short, shifts)
        for i in range(n):
            for k in range(3):
                f[i, k] = f_new[i, k]
                v[i, k] += 0.5 * dt * f[i, k] * inv_m[i]
    return energy
