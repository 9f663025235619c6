"""A linear pair basis for distilled potentials: cubic B-splines in distance per element pair.

E = sum over pairs i < j closer than ``rcut_A`` of sum_k c_{ab,k} B_k(r_ij), with B_k the cubic
B-splines on ``knots`` uniform intervals of [``rmin_A``, ``rcut_A``] whose support ends at or
below ``rcut_A`` (so energy, force and its slope go to zero at the cut-off). Below ``rmin_A``
the first splines fall to zero within three intervals: the basis says nothing about closer
pairs, where a reference model (Pedone) must hold atoms apart. Energies in eV, distances in Å.

At run time the fitted pair energies become a LAMMPS ``pair_style table`` (energy and force on
a fine grid, linear interpolation), overlaid on the other styles.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ionflux.errors import InputError

#: Innermost distance of a written table (Å); LAMMPS stops a run with a closer pair.
TABLE_INNER_A = 0.5


@dataclass(frozen=True)
class PairBasis:
    """Cubic B-splines per unordered pair of ``elements`` (Å)."""

    elements: tuple[str, ...]
    knots: int = 16
    rmin_A: float = 1.0
    rcut_A: float = 6.0

    def __post_init__(self) -> None:
        if self.knots < 2 or not 0 < self.rmin_A < self.rcut_A:
            raise InputError(f"pair basis: need knots >= 2 and 0 < rmin_A < rcut_A (got "
                             f"{self.knots}, {self.rmin_A}, {self.rcut_A})")

    @property
    def pairs(self) -> list[tuple[str, str]]:
        els = sorted(self.elements)
        return [(a, b) for i, a in enumerate(els) for b in els[i:]]

    @property
    def size(self) -> int:
        return len(self.pairs) * self.knots

    @cached_property
    def _splines(self) -> list[tuple[Any, Any]]:
        from scipy.interpolate import BSpline

        h = (self.rcut_A - self.rmin_A) / self.knots
        t = self.rmin_A + h * np.arange(-3, self.knots + 2)
        out = []
        for k in range(self.knots):
            b = BSpline.basis_element(t[k:k + 5], extrapolate=False)
            out.append((b, b.derivative()))
        return out

    def values(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """B_k(r) and dB_k/dr (len(r) x knots), zero outside each spline's support."""
        r = np.asarray(r, dtype=float)
        v = np.column_stack([np.nan_to_num(b(r)) for b, _ in self._splines])
        d = np.column_stack([np.nan_to_num(db(r)) for _, db in self._splines])
        return v, d

    def rows(self, atoms: Any) -> tuple[np.ndarray, np.ndarray]:
        """Energy row (``size``) and force rows (3N x ``size``; F = rows @ c) of ASE atoms."""
        from ase.neighborlist import neighbor_list

        i, j, d, vec = neighbor_list("ijdD", atoms, self.rcut_A)
        symbols = np.array(atoms.get_chemical_symbols())
        index = {p: k for k, p in enumerate(self.pairs)}
        block = np.array([index[tuple(sorted(p))] for p in zip(symbols[i], symbols[j],
                                                                  strict=True)], dtype=int)
        v, dv = self.values(d)
        n = len(atoms)
        energy = np.zeros((len(self.pairs), self.knots))
        # every pair appears twice in the full list: half the energy each time
        np.add.at(energy, block, 0.5 * v)
        forces = np.zeros((n, 3, len(self.pairs), self.knots))
        # F_i = -dE/dr_i = sum_j B'(r_ij) (r_j - r_i) / r_ij for each pair entry (i, j)
        contrib = dv[:, None, :] * (vec / d[:, None])[:, :, None]
        np.add.at(forces, (i, slice(None), block), contrib)
        return energy.ravel(), forces.reshape(3 * n, -1)

    def write_table(self, path: str | Path, coefficients: np.ndarray, points: int = 4000
                    ) -> dict[tuple[str, str], str]:
        """Write the fitted pair energies as a LAMMPS table file; returns each pair's keyword."""
        c = np.asarray(coefficients, dtype=float).reshape(len(self.pairs), self.knots)
        r = np.linspace(TABLE_INNER_A, self.rcut_A, points)
        v, dv = self.values(r)
        lines = ["# pair energies (eV) and forces (eV/Å) of a distilled potential's pair basis"]
        keys = {}
        for k, (a, b) in enumerate(self.pairs):
            key = f"{a}_{b}"
            keys[(a, b)] = key
            energy, force = v @ c[k], -(dv @ c[k])
            lines += ["", key, f"N {points} R {TABLE_INNER_A!r} {self.rcut_A!r}", ""]
            lines += [f"{n + 1} {r[n]:.10g} {energy[n]:.12g} {force[n]:.12g}"
                      for n in range(points)]
        Path(path).write_text("\n".join(lines) + "\n")
        return keys
