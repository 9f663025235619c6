"""Local order in a periodic cell: cutoff coordination numbers and Steinhardt's q_l.

Used to tell a melt that relaxes from one that crystallises. Steinhardt's bond-orientational
order parameter of atom i with neighbours j (unit bond vectors u_j, N_i of them) is

    q_l(i) = sqrt(4 pi / (2l + 1) * sum_m |(1/N_i) sum_j Y_lm(u_j)|^2)
           = sqrt((1/N_i^2) sum_j sum_k P_l(u_j . u_k))

(the second form by the addition theorem, evaluated here: Legendre polynomials only). Ideal
lattices with their first shell as neighbours: q6 = 0.5745 (fcc), 0.6285 (bcc), 0.3536 (simple
cubic); a liquid's first shell gives ~0.3-0.4 (Steinhardt, Nelson & Ronchetti, Phys. Rev. B 28,
784 (1983)). A sublattice-mean q6 barely moves when part of a melt crystallises; the fraction
of solid-like atoms does (:func:`solid_like_fraction`, ten Wolde, Ruiz-Montero & Frenkel,
J. Chem. Phys. 104, 9932 (1996)): two neighbours are "connected" when their normalised q6
vectors align, q6(i).q6(j)* / (|q6(i)||q6(j)|) > 0.5, and an atom is solid-like with at least
7 connections. The dot product comes from the addition theorem as well:
q_l(i).q_l(j)* is proportional to (1/(N_i N_j)) sum_a sum_b P_l(u_a . u_b) over the bonds a of i
and b of j. Distances in Å, minimum image in any cell whose perpendicular widths exceed twice
the cutoff.

The partial pair distribution g_ab(r) (:func:`pair_distribution`) reads order beyond the
first shell that a sublattice's q6 misses, e.g. the Ti-Ti correlations of a Ba-rich melt whose
TiO4 units are isolated (few Ti-Ti pairs inside the q6 cutoff).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import eval_legendre

from ionflux.errors import InputError


def half_smallest_width(cell: np.ndarray) -> float:
    """Half the smallest perpendicular width of ``cell`` (Å): the largest distance at which
    the minimum image is the only image."""
    cell = np.asarray(cell, dtype=float)
    volume = abs(np.linalg.det(cell))
    return 0.5 * min(volume / np.linalg.norm(np.cross(cell[(k + 1) % 3], cell[(k + 2) % 3]))
                     for k in range(3))


def _min_image_vectors(positions: np.ndarray, cell: np.ndarray, centres: np.ndarray,
                       neighbours: np.ndarray, cutoff: float) -> np.ndarray:
    """Minimum-image vectors (Å) from each centre to each neighbour, shape (n_c, n_n, 3)."""
    cell = np.asarray(cell, dtype=float)
    half_width = half_smallest_width(cell)
    if cutoff <= 0 or cutoff > half_width:
        raise InputError(f"cutoff {cutoff:g} Å must be positive and at most half the cell's "
                         f"smallest width ({2 * half_width:.2f} Å) for the minimum image")
    pos = np.asarray(positions, dtype=float)
    delta = pos[neighbours][None, :, :] - pos[centres][:, None, :]
    frac = delta @ np.linalg.inv(cell)
    frac -= np.round(frac)
    # in a skewed cell the rounded image need not be the nearest: try the 27 around it (the
    # width check leaves at most one image inside the cutoff)
    shifts = np.array(np.meshgrid(*[[-1, 0, 1]] * 3, indexing="ij")).reshape(3, -1).T
    images = (frac[..., None, :] + shifts) @ cell
    nearest = np.argmin(np.einsum("...ij,...ij->...i", images, images), axis=-1)
    return np.take_along_axis(images, nearest[..., None, None], axis=-2)[..., 0, :]


def coordination_numbers(positions: np.ndarray, cell: np.ndarray, centres: Sequence[int],
                         neighbours: Sequence[int], cutoff: float) -> np.ndarray:
    """Number of ``neighbours`` within ``cutoff`` (Å) of each of ``centres`` (itself excluded)."""
    centres, neighbours = np.asarray(centres), np.asarray(neighbours)
    vec = _min_image_vectors(positions, cell, centres, neighbours, cutoff)
    dist = np.linalg.norm(vec, axis=-1)
    within = (dist < cutoff) & (centres[:, None] != neighbours[None, :])
    return within.sum(axis=1)


def steinhardt_q(positions: np.ndarray, cell: np.ndarray, atoms: Sequence[int], cutoff: float,
                 degree: int = 6, neighbours: Sequence[int] | None = None) -> np.ndarray:
    """q_l (l = ``degree``) of each of ``atoms`` from its ``neighbours`` within ``cutoff``
    (Å; default neighbours: the ``atoms`` themselves); NaN for an atom without neighbours."""
    atoms = np.asarray(atoms)
    neighbours = atoms if neighbours is None else np.asarray(neighbours)
    vec = _min_image_vectors(positions, cell, atoms, neighbours, cutoff)
    dist = np.linalg.norm(vec, axis=-1)
    within = (dist < cutoff) & (atoms[:, None] != neighbours[None, :])
    out = np.full(len(atoms), np.nan)
    for i in range(len(atoms)):
        bonds = vec[i][within[i]]
        if not len(bonds):
            continue
        unit = bonds / np.linalg.norm(bonds, axis=1)[:, None]
        cosines = np.clip(unit @ unit.T, -1.0, 1.0)
        out[i] = np.sqrt(max(eval_legendre(degree, cosines).sum(), 0.0)) / len(bonds)
    return out


def solid_like_fraction(positions: np.ndarray, cell: np.ndarray, atoms: Sequence[int],
                        cutoff: float, degree: int = 6, dot_min: float = 0.5,
                        connections_min: int = 7) -> float:
    """Fraction of ``atoms`` that are solid-like by ten Wolde-Frenkel's criterion on their own
    sublattice (neighbours: the other ``atoms`` within ``cutoff``, Å): at least
    ``connections_min`` neighbours whose normalised q_l vectors have a dot product above
    ``dot_min``. A liquid gives ~0; a crystal gives 1 if the cutoff holds at least
    ``connections_min`` of its neighbours (simple cubic's first shell of 6 does not)."""
    atoms = np.asarray(atoms)
    vec = _min_image_vectors(positions, cell, atoms, atoms, cutoff)
    dist = np.linalg.norm(vec, axis=-1)
    within = (dist < cutoff) & (atoms[:, None] != atoms[None, :])
    units = [vec[i][within[i]] / dist[i][within[i]][:, None] for i in range(len(atoms))]

    def overlap(a: np.ndarray, b: np.ndarray) -> float:
        return float(eval_legendre(degree, np.clip(a @ b.T, -1.0, 1.0)).sum())

    norms = np.array([np.sqrt(max(overlap(u, u), 0.0)) for u in units])
    solid = 0
    for i in range(len(atoms)):
        if norms[i] == 0:
            continue
        connected = sum(overlap(units[i], units[j]) / (norms[i] * norms[j]) > dot_min
                        for j in np.flatnonzero(within[i]) if norms[j] > 0)
        solid += connected >= connections_min
    return solid / len(atoms)


def pair_distribution(frames: Sequence[np.ndarray], cell: np.ndarray, centres: Sequence[int],
                      neighbours: Sequence[int], r_max: float,
                      bin_width: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Partial pair distribution g(r) of ``neighbours`` around ``centres`` averaged over
    ``frames`` (positions, Å): bin centres (Å) and g, normalised so that an uncorrelated
    arrangement gives 1 (each centre's own position excluded when it is also a neighbour).
    ``r_max`` (Å) at most half the cell's smallest width, where the minimum image holds."""
    centres, neighbours = np.asarray(centres), np.asarray(neighbours)
    if bin_width <= 0 or r_max <= bin_width:
        raise InputError(f"need 0 < bin width < r_max, got {bin_width:g} and {r_max:g} Å")
    if not len(frames) or not len(centres) or not len(neighbours):
        raise InputError("a pair distribution needs frames, centres and neighbours")
    edges = np.arange(0.0, r_max + 1e-9, bin_width)
    counts = np.zeros(len(edges) - 1)
    self_pairs = np.isin(centres, neighbours).sum()
    for positions in frames:
        vec = _min_image_vectors(positions, cell, centres, neighbours, r_max)
        dist = np.linalg.norm(vec, axis=-1)[centres[:, None] != neighbours[None, :]]
        counts += np.histogram(dist, edges)[0]
    volume = abs(np.linalg.det(np.asarray(cell, dtype=float)))
    pairs = len(centres) * len(neighbours) - self_pairs
    shells = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    g = counts / (len(frames) * pairs / volume * shells)
    return 0.5 * (edges[1:] + edges[:-1]), g
