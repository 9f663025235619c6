"""Synthetic trajectories with an exactly known centre-of-mass-frame Onsager matrix.

Model: every frame, each atom takes a Gaussian step (per Cartesian component)

    dr_a = sqrt(2 dt) * [ sqrt(D0_s(a)) xi_a + sum_k w_{s(a),k} eta_k + e_s(a) (+/-) zeta_p(a) ]

with independent unit normal noises: xi_a of the atom itself (self diffusion D0, Å^2/fs), eta_k
shared by every atom of the cell with a species-dependent weight w (collective modes that couple
species, of either sign), and zeta_p shared with opposite signs by the two atoms of a fixed pair of
like atoms (an "exchange" mode: like ions hindering each other, which makes distinct terms
negative). Writing the per-step covariance of all atom displacements as 2 dt W W^T, the
centre-of-mass projection P = I - 1 mu^T (mu_a = m_a / M) and the species indicator S, the
increments are independent in time, so every correlation function is exactly linear and

    L = S P W W^T P^T S^T / (kB T V),     L_ii^self = sum_{a in i} (P W W^T P^T)_aa / (kB T V),

in 1/(eV Å fs) before unit conversion. Optionally each atom also carries a bounded
Ornstein-Uhlenbeck "vibration" u_a (variance sigma^2 per component, correlation time tau): it bends
the MSD at short lags, as rattling in a cage does in real MD, MSD(t) = 6 D t + 6 sigma^2 (1 -
exp(-t / tau)), but adds nothing to any long-time slope, so L stays exact and a fit that starts
too early is biased. Positions are finally wrapped into a triclinic cell so
readers and the unwrapping step are exercised too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.signal
from pydantic import BaseModel
from pymatgen.core import Element

from ionflux.io.trajectory import Trajectory, TrajectorySource, species_order
from ionflux.units import A2_PER_FS_TO_CM2_PER_S, INV_EV_A_FS_TO_INV_EV_CM_S, KB_EV_PER_K


class SyntheticTruth(BaseModel):
    """Exact transport coefficients of a :class:`SyntheticSystem` (units as in TransportDoc)."""

    species: list[str]
    temperature_K: float
    volume_A3: float
    L: list[list[float]]
    L_self: list[float]
    L_distinct: list[list[float]]
    correlation_factor: dict[str, float]
    D_self_cm2_s: dict[str, float]


@dataclass(frozen=True)
class SyntheticSystem:
    """Parameters of the correlated-Brownian model.

    Attributes:
        counts: atoms per element.
        self_diffusion_A2_fs: D0 of the independent noise of each element (Å^2/fs).
        collective_modes: weights w (sqrt(Å^2/fs)) of each shared mode on each element.
        exchange_A2_fs: e^2 (Å^2/fs) of the pairwise anti-correlated mode of each element.
        vibration_A2: sigma^2 (Å^2 per component) of the bounded vibration of each element.
        vibration_time_fs: correlation time of the vibration (fs).
        cell: lattice vectors as rows (Å).
    """

    counts: dict[str, int]
    self_diffusion_A2_fs: dict[str, float]
    collective_modes: tuple[dict[str, float], ...] = ()
    exchange_A2_fs: dict[str, float] = field(default_factory=dict)
    vibration_A2: dict[str, float] = field(default_factory=dict)
    vibration_time_fs: float = 500.0
    cell: tuple[tuple[float, float, float], ...] = ((10.2, 0.0, 0.0), (1.1, 9.9, 0.0),
                                                    (0.7, 0.9, 10.4))
    temperature_K: float = 1500.0
    frame_interval_fs: float = 50.0

    @property
    def species(self) -> list[str]:
        return species_order(self.counts)

    @property
    def atom_species(self) -> list[str]:
        return [el for el in self.species for _ in range(self.counts[el])]

    @property
    def volume_A3(self) -> float:
        return float(np.linalg.det(np.array(self.cell)))

    def loadings(self) -> np.ndarray:
        """W: (n_atoms, n_sources) weights on independent unit noises, sqrt(Å^2/fs)."""
        atoms = self.atom_species
        n = len(atoms)
        columns = [np.diag([np.sqrt(self.self_diffusion_A2_fs.get(el, 0.0)) for el in atoms])]
        if self.collective_modes:
            columns.append(np.array([[mode.get(el, 0.0) for mode in self.collective_modes]
                                     for el in atoms]))
        for a, b, amplitude in self._exchange_pairs():
            column = np.zeros((n, 1))
            column[a], column[b] = amplitude, -amplitude
            columns.append(column)
        return np.hstack(columns)

    def _exchange_pairs(self) -> list[tuple[int, int, float]]:
        pairs = []
        atoms = self.atom_species
        for el, e2 in self.exchange_A2_fs.items():
            members = [i for i, s in enumerate(atoms) if s == el]
            pairs += [(members[i], members[i + 1], np.sqrt(e2))
                      for i in range(0, len(members) - 1, 2)]
        return pairs

    def _vibration(self, rng: np.random.Generator, n_frames: int, atoms: list[str]
                   ) -> np.ndarray:
        sigma = np.sqrt([self.vibration_A2.get(el, 0.0) for el in atoms])[:, None]
        keep = np.exp(-self.frame_interval_fs / self.vibration_time_fs)
        kick = np.sqrt(1.0 - keep**2)
        noise = rng.standard_normal((n_frames, len(atoms), 3))
        forcing = kick * sigma * noise
        forcing[0] = sigma * noise[0]  # stationary start
        # u[t] = keep * u[t-1] + forcing[t], as one recursive filter along time
        return scipy.signal.lfilter([1.0], [1.0, -keep], forcing, axis=0)

    def truth(self) -> SyntheticTruth:
        """The exact centre-of-mass-frame coefficients of this model."""
        atoms = self.atom_species
        species = self.species
        masses = np.array([float(Element(el).atomic_mass) for el in atoms])
        mu = masses / masses.sum()
        projection = np.eye(len(atoms)) - np.outer(np.ones(len(atoms)), mu)
        pw = projection @ self.loadings()
        covariance = pw @ pw.T  # per-step covariance / (2 dt), Å^2/fs
        indicator = np.array([[1.0 if s == el else 0.0 for s in atoms] for el in species])
        scale = INV_EV_A_FS_TO_INV_EV_CM_S / (KB_EV_PER_K * self.temperature_K * self.volume_A3)
        L = indicator @ covariance @ indicator.T * scale
        per_atom = np.diag(covariance)
        L_self = indicator @ per_atom * scale
        D = indicator @ per_atom / indicator.sum(axis=1) * A2_PER_FS_TO_CM2_PER_S
        distinct = L - np.diag(L_self)
        return SyntheticTruth(
            species=species, temperature_K=self.temperature_K, volume_A3=self.volume_A3,
            L=L.tolist(), L_self=L_self.tolist(), L_distinct=distinct.tolist(),
            correlation_factor={el: float(distinct[k, k] / L_self[k])
                                for k, el in enumerate(species)},
            D_self_cm2_s={el: float(D[k]) for k, el in enumerate(species)})

    def generate(self, n_frames: int, seed: int | None = None, wrap: bool = True
                 ) -> Trajectory:
        """A trajectory of ``n_frames`` frames drawn from the model (positions wrapped)."""
        rng = np.random.default_rng(seed)
        atoms = self.atom_species
        n = len(atoms)
        cell = np.array(self.cell, dtype=float)
        scale = np.sqrt(2.0 * self.frame_interval_fs)
        d0 = np.array([self.self_diffusion_A2_fs.get(el, 0.0) for el in atoms])
        steps = rng.standard_normal((n_frames - 1, n, 3)) * (scale * np.sqrt(d0))[None, :, None]
        if self.collective_modes:
            weights = np.array([[mode.get(el, 0.0) for mode in self.collective_modes]
                                for el in atoms]) * scale
            shared = rng.standard_normal((n_frames - 1, len(self.collective_modes), 3))
            steps += np.einsum("ak,tkc->tac", weights, shared)
        pairs = self._exchange_pairs()
        if pairs:
            noise = rng.standard_normal((n_frames - 1, len(pairs), 3))
            for p, (a, b, amplitude) in enumerate(pairs):
                steps[:, a] += scale * amplitude * noise[:, p]
                steps[:, b] -= scale * amplitude * noise[:, p]
        positions = np.empty((n_frames, n, 3))
        positions[0] = rng.random((n, 3)) @ cell
        np.cumsum(steps, axis=0, out=positions[1:])
        positions[1:] += positions[0]
        if self.vibration_A2:
            positions += self._vibration(rng, n_frames, atoms)
        if wrap:
            fractional = positions @ np.linalg.inv(cell)
            positions = (fractional - np.floor(fractional)) @ cell
        return Trajectory(positions=positions, species=tuple(atoms), cells=cell,
                          unwrapped=not wrap, frame_interval_fs=self.frame_interval_fs,
                          temperature_K=self.temperature_K,
                          source=TrajectorySource(reader="synthetic",
                                                  path=f"synthetic(seed={seed})"))


def barium_titanate_like(n_formula_units: int = 12) -> SyntheticSystem:
    """A BaTiO3-like cell with cross-species coupling and negative f_Ba (magnitudes of a melt)."""
    n = n_formula_units
    return SyntheticSystem(
        counts={"Ba": n, "Ti": n, "O": 3 * n},
        self_diffusion_A2_fs={"Ba": 2.0e-5, "Ti": 1.5e-5, "O": 6.0e-5},
        collective_modes=({"Ba": 1.2e-3, "Ti": -0.8e-3},
                          {"Ti": 0.6e-3, "O": 0.5e-3},
                          {"Ba": 0.5e-3, "O": -0.4e-3}),
        exchange_A2_fs={"Ba": 1.0e-5, "O": 1.0e-5},
    )


def validation_system(n_formula_units: int = 4) -> SyntheticSystem:
    """The cell ``ionflux transport synthetic`` writes: BaTiO3-like, negative f_Ba, with every
    species pair strongly coupled (|correlation| of the species' centre-of-mass walks >= 0.4).

    The relative standard error of a total L_ij does not shrink with trajectory length (the fit
    window grows with the blocks) but with replicates and with that correlation; this cell with
    four replicates of 20,000 frames passes the 20 %/40 % rules in 20 of 20 seeds tried, while
    :func:`barium_titanate_like` (L_Ti_O nearly uncorrelated) fails them in 3 of 20.
    """
    n = n_formula_units
    return SyntheticSystem(
        counts={"Ba": n, "Ti": n, "O": 3 * n},
        self_diffusion_A2_fs={"Ba": 2.0e-5, "Ti": 1.5e-5, "O": 2.0e-5},
        collective_modes=({"Ba": 1.2e-3, "Ti": -0.8e-3},
                          {"Ti": 1.2e-3, "O": 0.6e-3},
                          {"Ba": 0.5e-3, "O": -0.4e-3}),
        exchange_A2_fs={"Ba": 1.0e-5, "O": 1.0e-5},
    )
