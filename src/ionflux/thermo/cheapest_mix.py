"""The cheapest mix of phases with a given composition, by enumerating bases (no scipy).

    min_w  sum_k w_k E_k   subject to   sum_k w_k x_k = x,   w >= 0

(E_k in eV/atom, x_k atom fractions, one row per element) is the G(T) hull below composition x.
A linear programme with d equality rows (d elements) has an optimal basis that is feasible for
it and for its dual, max x . mu subject to x_k . mu <= E_k: d phases whose plane mu (the
chemical potentials of the facet they span) lies below every phase. Those bases are the facets
of the lower hull, found by solving every d-subset once (:func:`basic_solutions`); each target
then only meets the facets. For the systems ionflux predicts in (3 elements, ~60 phases: 31k
subsets) this is exact and costs milliseconds, where importing scipy.optimize costs ~0.8 s of a
cold ``ionflux predict``. Beyond :data:`MAX_BASES` subsets scipy's HiGHS is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations, islice
from math import comb

import numpy as np

#: Largest number of d-subsets enumerated; above it scipy is used (a 4-element system with 60
#: phases has 490k subsets, under a second of numpy).
MAX_BASES = 1_000_000
#: Subsets solved per numpy batch, at most.
CHUNK = 50_000
#: Largest temporary array of a batch, bytes: below numpy's huge-page threshold (4 MiB), since
#: a huge page can cost a ~0.15 s memory-compaction stall on a busy machine; the batches give
#: the same numbers whatever their size.
BATCH_BYTES = 2 * 2**20
#: A constraint holds (or a weight is >= 0) within this, relative to the largest |b| (eV).
TOL = 1e-9


def basis_chunks(n: int, d: int, chunk: int = CHUNK) -> Iterator[np.ndarray]:
    """Every d-subset of range(n), in (<= chunk, d) integer arrays, in lexicographic order."""
    it = combinations(range(n), d)
    while True:
        block = np.fromiter(islice(it, chunk), dtype=np.dtype((np.intp, d)))
        if not len(block):
            return
        yield block


def tolerance(b: np.ndarray) -> float:
    """Absolute slack (eV) allowed in ``a @ y <= b``."""
    return TOL * max(1.0, float(np.max(np.abs(b), initial=0.0)))


def basic_solutions(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every vertex of {y : a @ y <= b} (a is (h, d)) with the d constraints that define it.

    Returns ``(subsets (k, d), points (k, d))``: each nonsingular d-subset of rows whose
    equality solution satisfies every constraint (a degenerate vertex appears once per subset).
    """
    h, d = a.shape
    tol = tolerance(b)
    subsets, points = [np.zeros((0, d), dtype=np.intp)], [np.zeros((0, d))]
    # the largest temporaries: the (rows, h) constraint check and the (rows, d, d) matrices
    rows = max(1, min(CHUNK, BATCH_BYTES // (8 * max(h, d * d))))
    for block in basis_chunks(h, d, rows):
        mats = a[block]
        block = block[np.abs(np.linalg.det(mats)) > 1e-12]
        y = np.linalg.solve(a[block], b[block][:, :, None])[:, :, 0]
        ok = np.all(y @ a.T <= b + tol, axis=1)
        subsets.append(block[ok])
        points.append(y[ok])
    return np.concatenate(subsets), np.concatenate(points)


def cheapest_mixes(fractions: np.ndarray, energies: np.ndarray, targets: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Lowest energy (eV/atom) of a mix of the phases at each target composition, and the mix.

    ``fractions`` is (d, n): atom fraction of each element (row) in each phase (column);
    ``energies`` (n,) in eV/atom; ``targets`` (d, m) compositions. Returns ``(lowest (m,),
    weights (n, m))``, weights >= 0 summing to 1 per target; +inf where no mix has the target
    composition.
    """
    fractions = np.asarray(fractions, dtype=float)
    energies = np.asarray(energies, dtype=float)
    targets = np.asarray(targets, dtype=float)
    d, n = fractions.shape
    m = targets.shape[1]
    if comb(n, d) > MAX_BASES:
        return _cheapest_mixes_highs(fractions, energies, targets)
    facets, _ = basic_solutions(fractions.T, energies)
    best = np.full(m, np.inf)
    weights = np.zeros((n, m))
    if not len(facets):
        return best, weights
    w = np.linalg.solve(fractions[:, facets].transpose(1, 0, 2),
                        np.broadcast_to(targets, (len(facets), d, m)))
    cost = np.einsum("kj,kjm->km", energies[facets], w)
    cost[np.any(w < -TOL, axis=1)] = np.inf  # the target lies outside this facet
    k = np.argmin(cost, axis=0)
    for col in np.flatnonzero(np.isfinite(cost[k, np.arange(m)])):
        best[col] = cost[k[col], col]
        weights[facets[k[col]], col] = np.clip(w[k[col], :, col], 0.0, None)
    return best, weights


def _cheapest_mixes_highs(fractions: np.ndarray, energies: np.ndarray, targets: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`cheapest_mixes` by scipy's HiGHS, for systems with too many subsets."""
    from scipy.optimize import linprog

    best = np.full(targets.shape[1], np.inf)
    weights = np.zeros((len(energies), targets.shape[1]))
    for col in range(targets.shape[1]):
        result = linprog(energies, A_eq=fractions, b_eq=targets[:, col], bounds=(0, None),
                         method="highs")
        if result.success:
            best[col], weights[:, col] = result.fun, result.x
    return best, weights
