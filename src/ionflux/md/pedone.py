"""The Pedone (PMMCS) pair potential for oxides, with a damped shifted-force Coulomb sum.

Energy of a pair of ions i, j at distance r (eV, Å)::

    E_ij(r) = k_e q_i q_j u_DSF(r)                                   (all pairs)
            + D_ij [exp(-2 a_ij (r - r0_ij)) - 2 exp(-a_ij (r - r0_ij))]  (cation-O, O-O)
            + C_ij / r^12                                            (cation-O, O-O)

Parameters: A. Pedone, G. Malavasi, M. C. Menziani, A. N. Cormack and U. Segre, "A new
self-consistent empirical interatomic potential model for oxides, silicates, and silica-based
glasses", J. Phys. Chem. B 110, 11780-11795 (2006), doi:10.1021/jp0611018, Table 1: partial
charges q_O = -1.2, q_Ba = +1.2, q_Ti = +2.4 and the Morse/repulsion terms below. The numbers
were taken from the table as reproduced by the LAMMPS ``pair_style pedone`` documentation (O-O)
and by amorphouspy (BAM, ``pmmcs_potential_params``, Ba-O and Ti-O); cation-cation pairs
interact by Coulomb only, as in the original model. Checked again for the LAMMPS driver
(issue 13): the paper itself could not be opened offline, so the numbers were compared with
three independent reproductions of Table 1 (the LAMMPS documentation's O-O and Ca-O lines and
two public parameter tables that list the whole of Table 1); all agree digit for digit with
the values below (Ba-O 0.065011 eV, 1.547596 1/Å, 3.393410 Å, 5.0 eV Å^12; Ti-O 0.024235,
2.254703, 2.708943, 1.0; O-O 0.042395, 1.379316, 3.618701, 22.0). The 5.5 Å short-range
cut-off is the value commonly run with this model; it was not checked against the paper's
text. ``tests/md/test_lammps.py`` pins the parameters.

Coulomb: the damped shifted-force (DSF) sum of C. J. Fennell and J. D. Gezelter, J. Chem. Phys.
124, 234104 (2006), the ``coul/dsf`` style that LAMMPS users run Pedone glasses with::

    u_DSF(r) = erfc(alpha r)/r - erfc(alpha Rc)/Rc
               + [erfc(alpha Rc)/Rc^2 + 2 alpha/sqrt(pi) exp(-alpha^2 Rc^2)/Rc] (r - Rc),  r < Rc

plus the self term -(erfc(alpha Rc)/(2 Rc) + alpha/sqrt(pi)) k_e q_i^2 per ion. Both the energy
and the force go to zero at Rc, so NVE dynamics conserve energy without Ewald sums. Defaults
alpha = 0.25 1/Å and Rc = 8 Å (as amorphouspy runs Pedone glasses). Images beyond the minimum
image are summed explicitly, so Rc may exceed half the cell.

The short-range (Morse + r^-12) part is cut at 5.5 Å in the shifted-force form
E(r) - E(Rc) - (r - Rc) E'(Rc), so that forces are continuous too. At 5.5 Å the Ba-O term is
-5 meV with a slope of 8 meV/Å, so the shift changes the model by a few meV per pair; it does
not change which structures the melt-quench produces in any way we can detect.

This is a classical, fixed-charge model fitted to crystalline oxides and silicate glasses; it is
used here to make plausible amorphous Ba-Ti-O cells, not to reproduce the ACE machine-learned
potential of the published transport study.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from ionflux.errors import InputError

#: Coulomb constant e^2/(4 pi eps0) in eV Å (CODATA 2018).
COULOMB_EV_A = 14.399645478

#: Partial charges of the Pedone model (units of e).
PEDONE_CHARGES: dict[str, float] = {"O": -1.2, "Ba": 1.2, "Ti": 2.4}

#: Morse well depth D (eV), steepness a (1/Å), minimum r0 (Å) and repulsion C (eV Å^12) of the
#: Pedone model for each pair with oxygen (Pedone et al. 2006, Table 1).
PEDONE_PAIRS: dict[tuple[str, str], tuple[float, float, float, float]] = {
    ("Ba", "O"): (0.065011, 1.547596, 3.393410, 5.0),
    ("Ti", "O"): (0.024235, 2.254703, 2.708943, 1.0),
    ("O", "O"): (0.042395, 1.379316, 3.618701, 22.0),
}

#: Conversion of a force/mass in eV/(Å amu) into an acceleration in Å/fs^2.
EV_PER_A_AMU_TO_A_PER_FS2 = 1.602176634e-19 / (1e-10 * 1.66053906660e-27) * 1e10 / 1e30

_SQRT_PI = math.sqrt(math.pi)


@dataclass(frozen=True)
class PedoneModel:
    """The Pedone potential for a fixed list of elements, as arrays the kernels can use.

    ``types[i]`` indexes ``elements``; ``D``, ``a``, ``r0``, ``C`` are square tables over
    ``elements`` (zero where a pair has no short-range term).
    """

    elements: tuple[str, ...]
    charges: np.ndarray
    D: np.ndarray
    a: np.ndarray
    r0: np.ndarray
    C: np.ndarray
    alpha: float = 0.25
    cutoff_coulomb: float = 8.0
    cutoff_short: float = 5.5

    @classmethod
    def for_elements(cls, elements: list[str] | tuple[str, ...], alpha: float = 0.25,
                     cutoff_coulomb: float = 8.0, cutoff_short: float = 5.5) -> PedoneModel:
        """The model restricted to ``elements`` (each must be O, Ba or Ti)."""
        elements = tuple(dict.fromkeys(elements))
        unknown = [el for el in elements if el not in PEDONE_CHARGES]
        if unknown:
            raise InputError(f"Pedone potential: no parameters for {', '.join(unknown)} "
                             f"(covered: {', '.join(PEDONE_CHARGES)})")
        if not (alpha > 0 and cutoff_coulomb > 0 and cutoff_short > 0):
            raise InputError("Pedone potential: alpha and cutoffs must be positive")
        n = len(elements)
        tables = {name: np.zeros((n, n)) for name in ("D", "a", "r0", "C")}
        tables["a"][:] = 1.0
        for (el1, el2), params in PEDONE_PAIRS.items():
            if el1 in elements and el2 in elements:
                i, j = elements.index(el1), elements.index(el2)
                for name, value in zip(("D", "a", "r0", "C"), params, strict=True):
                    tables[name][i, j] = tables[name][j, i] = value
        charges = np.array([PEDONE_CHARGES[el] for el in elements])
        return cls(elements=elements, charges=charges, alpha=alpha,
                   cutoff_coulomb=cutoff_coulomb, cutoff_short=cutoff_short, **tables)

    def type_indices(self, symbols: list[str] | tuple[str, ...]) -> np.ndarray:
        try:
            return np.array([self.elements.index(s) for s in symbols], dtype=np.int64)
        except ValueError as exc:
            raise InputError(f"Pedone potential: element not in model {self.elements}: "
                             f"{exc}") from None

    def energy_forces(self, positions: np.ndarray, cell: np.ndarray,
                      types: np.ndarray) -> tuple[float, np.ndarray]:
        """Potential energy (eV) and forces (eV/Å) of Cartesian ``positions`` (Å) in ``cell``."""
        positions = np.ascontiguousarray(positions, dtype=np.float64)
        cell = np.ascontiguousarray(cell, dtype=np.float64)
        image_shifts = image_shift_vectors(cell, max(self.cutoff_coulomb, self.cutoff_short))
        return _energy_forces(positions, cell, np.linalg.inv(cell), types, self.charges,
                              self.D, self.a, self.r0, self.C, self.alpha,
                              self.cutoff_coulomb, self.cutoff_short, image_shifts)

    def pair_energy(self, el1: str, el2: str, r: np.ndarray) -> np.ndarray:
        """Energy (eV) of one isolated pair at distances ``r`` (Å), cut-off terms included."""
        i, j = self.elements.index(el1), self.elements.index(el2)
        coul_e, coul_f, sr_e, sr_f = _cutoff_constants(
            self.D, self.a, self.r0, self.C, self.alpha, self.cutoff_coulomb, self.cutoff_short)
        out = np.empty_like(np.asarray(r, dtype=np.float64))
        for k, rk in enumerate(np.asarray(r, dtype=np.float64).ravel()):
            e, _ = _pair(rk, self.charges[i] * self.charges[j] * COULOMB_EV_A,
                         self.D[i, j], self.a[i, j], self.r0[i, j], self.C[i, j],
                         self.alpha, self.cutoff_coulomb, self.cutoff_short, coul_e, coul_f,
                         sr_e[i, j], sr_f[i, j])
            out.flat[k] = e
        return out


def image_shift_vectors(cell: np.ndarray, cutoff: float) -> np.ndarray:
    """Cartesian lattice translations (Å) needed to find every image within ``cutoff``.

    After the minimum-image reduction a fractional offset is at most 1/2, so an image n cells
    away is at least (|n| - 1/2) w_k from the atom, w_k being the cell width perpendicular to
    lattice vector k.
    """
    widths = 1.0 / np.linalg.norm(np.linalg.inv(cell), axis=0)
    # |n| < cutoff / w + 1/2; the floor includes the boundary case, which is harmless.
    reach = np.floor(cutoff / widths + 0.5).astype(int)
    grid = np.stack(np.meshgrid(*[np.arange(-m, m + 1) for m in reach], indexing="ij"),
                    axis=-1).reshape(-1, 3)
    return np.ascontiguousarray(grid @ cell, dtype=np.float64)


@numba.njit(cache=True)
def _erfc_times_gauss(x):
    """erfc(x) exp(x^2) for x >= 0, absolute error of erfc below 1.5e-7.

    Abramowitz & Stegun 7.1.26, as in LAMMPS ``coul/dsf``: it reuses the Gaussian that the
    force needs anyway, which makes a pair about twice as cheap as calling ``math.erfc``.
    """
    t = 1.0 / (1.0 + 0.3275911 * x)
    return t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                + t * (-1.453152027 + t * 1.061405429))))


@numba.njit(cache=True)
def _cutoff_constants(D, a, r0, C, alpha, rc_coul, rc_short):
    """Shift constants: Coulomb (per unit k_e q_i q_j) and short range (per type pair)."""
    coul_e = math.erfc(alpha * rc_coul) / rc_coul
    coul_f = coul_e / rc_coul + 2.0 * alpha / _SQRT_PI * math.exp(-(alpha * rc_coul) ** 2) \
        / rc_coul
    nt = D.shape[0]
    sr_e = np.zeros((nt, nt))
    sr_f = np.zeros((nt, nt))
    for ti in range(nt):
        for tj in range(nt):
            if D[ti, tj] != 0.0:
                exc = math.exp(-a[ti, tj] * (rc_short - r0[ti, tj]))
                sr_e[ti, tj] = D[ti, tj] * (exc * exc - 2.0 * exc) + C[ti, tj] / rc_short**12
                sr_f[ti, tj] = 2.0 * a[ti, tj] * D[ti, tj] * (exc * exc - exc) \
                    + 12.0 * C[ti, tj] / rc_short**13
    return coul_e, coul_f, sr_e, sr_f


@numba.njit(cache=True)
def _pair(r, qq, D, a, r0, C, alpha, rc_coul, rc_short, coul_e, coul_f, sr_e, sr_f):
    """Energy (eV) and -dE/dr (eV/Å) of one pair; ``qq`` is k_e q_i q_j (eV Å)."""
    energy = 0.0
    force = 0.0
    if r < rc_coul:
        gauss = math.exp(-(alpha * r) ** 2)
        erfc_r = _erfc_times_gauss(alpha * r) * gauss
        energy += qq * (erfc_r / r - coul_e + coul_f * (r - rc_coul))
        force += qq * (erfc_r / (r * r) + 2.0 * alpha / _SQRT_PI * gauss / r - coul_f)
    if D != 0.0 and r < rc_short:
        ex = math.exp(-a * (r - r0))
        inv_r12 = 1.0 / (r * r) ** 6
        energy += D * (ex * ex - 2.0 * ex) + C * inv_r12 - sr_e + (r - rc_short) * sr_f
        force += 2.0 * a * D * (ex * ex - ex) + 12.0 * C * inv_r12 / r - sr_f
    return energy, force


@numba.njit(cache=True)
def _add_pair(i, j, dx, dy, dz, forces, qq, D, a, r0, C, alpha, rc_coul, rc_short, coul_e,
              coul_f, sr_e, sr_f):
    """Add the force of one pair (j seen from i at offset d, Å) to ``forces``; return its energy.

    An atom and its own periodic image (i == j) are met twice (+d and -d): half the energy
    each time, and the two forces cancel.
    """
    r = math.sqrt(dx * dx + dy * dy + dz * dz)
    e, f = _pair(r, qq, D, a, r0, C, alpha, rc_coul, rc_short, coul_e, coul_f, sr_e, sr_f)
    if i == j:
        return 0.5 * e
    fr = f / r
    forces[i, 0] -= fr * dx
    forces[i, 1] -= fr * dy
    forces[i, 2] -= fr * dz
    forces[j, 0] += fr * dx
    forces[j, 1] += fr * dy
    forces[j, 2] += fr * dz
    return e


@numba.njit(cache=True)
def _energy_forces(pos, cell, inv_cell, types, charges, D, a, r0, C, alpha, rc_coul,
                   rc_short, shifts):
    """Total energy (eV) and forces (eV/Å); ``shifts`` from :func:`image_shift_vectors`."""
    n = pos.shape[0]
    forces = np.zeros((n, 3))
    rmax = max(rc_coul, rc_short)
    rmax2 = rmax * rmax
    coul_e, coul_f, sr_e, sr_f = _cutoff_constants(D, a, r0, C, alpha, rc_coul, rc_short)
    energy = 0.0
    for i in range(n):
        qi = charges[types[i]]
        energy -= (0.5 * coul_e + alpha / _SQRT_PI) * COULOMB_EV_A * qi * qi
    # Orthorhombic cells (all our melt-quench boxes) let images be rejected axis by axis,
    # about 15 % faster than testing every lattice translation (measured on 100 atoms).
    ortho = (cell[0, 1] == 0.0 and cell[0, 2] == 0.0 and cell[1, 0] == 0.0
             and cell[1, 2] == 0.0 and cell[2, 0] == 0.0 and cell[2, 1] == 0.0)
    reach = np.empty(3, dtype=np.int64)
    for k in range(3):
        reach[k] = math.floor(rmax / abs(cell[k, k]) + 0.5) if ortho else 0
    d = np.empty(3)
    frac = np.empty(3)
    for i in range(n):
        ti = types[i]
        for j in range(i, n):
            tj = types[j]
            qq = COULOMB_EV_A * charges[ti] * charges[tj]
            Dij, aij, r0ij, Cij = D[ti, tj], a[ti, tj], r0[ti, tj], C[ti, tj]
            sr_eij, sr_fij = sr_e[ti, tj], sr_f[ti, tj]
            for k in range(3):
                d[k] = pos[j, k] - pos[i, k]
            for k in range(3):
                frac[k] = d[0] * inv_cell[0, k] + d[1] * inv_cell[1, k] + d[2] * inv_cell[2, k]
                frac[k] -= math.floor(frac[k] + 0.5)
            for k in range(3):
                d[k] = frac[0] * cell[0, k] + frac[1] * cell[1, k] + frac[2] * cell[2, k]
            if ortho:
                for sx in range(-reach[0], reach[0] + 1):
                    dx = d[0] + sx * cell[0, 0]
                    if dx * dx >= rmax2:
                        continue
                    for sy in range(-reach[1], reach[1] + 1):
                        dy = d[1] + sy * cell[1, 1]
                        if dx * dx + dy * dy >= rmax2:
                            continue
                        for sz in range(-reach[2], reach[2] + 1):
                            dz = d[2] + sz * cell[2, 2]
                            r2 = dx * dx + dy * dy + dz * dz
                            if r2 >= rmax2 or r2 < 1e-12:
                                continue
                            energy += _add_pair(i, j, dx, dy, dz, forces, qq, Dij, aij, r0ij,
                                                Cij, alpha, rc_coul, rc_short, coul_e, coul_f,
                                                sr_eij, sr_fij)
            else:
                for s in range(shifts.shape[0]):
                    dx = d[0] + shifts[s, 0]
                    dy = d[1] + shifts[s, 1]
                    dz = d[2] + shifts[s, 2]
                    r2 = dx * dx + dy * dy + dz * dz
                    if r2 >= rmax2 or r2 < 1e-12:
                        continue
                    energy += _add_pair(i, j, dx, dy, dz, forces, qq, Dij, aij, r0ij, Cij,
                                        alpha, rc_coul, rc_short, coul_e, coul_f, sr_eij,
                                        sr_fij)
    return energy, forces
