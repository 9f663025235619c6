"""Faces of the chemical-potential polytope, by enumerating vertices (no pymatgen, no qhull).

The polytope is {mu : normals @ mu <= offsets, lower <= mu_el <= 0} (eV). Every vertex is the
solution of d active constraints (d elements), so solving every d-subset of constraints and
keeping the feasible solutions gives all vertices exactly; the face of constraint i is the set of
vertices where it is active. This is what pymatgen's ``ChemicalPotentialDiagram`` gets from
qhull's ``HalfspaceIntersection`` (tests/chempot compare the two), without importing pymatgen's
entries (which parse YAML at import: ~6 s of a cold ``ionflux predict``) or scipy.spatial. The
caller passes only the phases on the hull (the others bound nothing), so 3 elements give ~2,000
subsets: milliseconds. Beyond :data:`~ionflux.thermo.cheapest_mix.MAX_BASES` subsets qhull is
used.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ionflux.thermo.cheapest_mix import MAX_BASES, basic_solutions, tolerance


def constraints(normals: np.ndarray, offsets: np.ndarray, lower: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """All half-spaces a @ mu <= b: the phases', then lower and upper limits per element."""
    normals = np.asarray(normals, dtype=float)
    d = normals.shape[1]
    eye = np.eye(d)
    a = np.vstack([normals, -eye, eye])
    b = np.concatenate([np.asarray(offsets, dtype=float), np.full(d, -float(lower)),
                        np.zeros(d)])
    return a, b


def vertices(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Vertices (k, d) of the bounded polytope {mu : a @ mu <= b}, duplicates removed."""
    h, d = a.shape
    if comb(h, d) > MAX_BASES:
        return _vertices_qhull(a, b)
    _, points = basic_solutions(a, b)
    # one representative per vertex (several subsets meet at a degenerate vertex)
    _, first = np.unique(np.round(points, 9), axis=0, return_index=True)
    return points[np.sort(first)]


def _vertices_qhull(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`vertices` by qhull, for polytopes with too many constraint subsets."""
    from scipy.optimize import linprog
    from scipy.spatial import HalfspaceIntersection

    # the Chebyshev centre: a point strictly inside, as qhull needs
    norms = np.linalg.norm(a, axis=1)
    res = linprog(np.r_[np.zeros(a.shape[1]), -1.0], A_ub=np.c_[a, norms], b_ub=b,
                  bounds=[(None, None)] * a.shape[1] + [(0, None)], method="highs")
    return HalfspaceIntersection(np.c_[a, -b], res.x[:-1]).intersections


def faces(normals: np.ndarray, offsets: np.ndarray, lower: float) -> dict[int, np.ndarray]:
    """Vertices of the face of each phase constraint ``i`` (row of ``normals``) that has one."""
    a, b = constraints(normals, offsets, lower)
    points = vertices(a, b)
    active = np.abs(points @ a[:len(normals)].T - b[:len(normals)]) <= tolerance(b)
    return {i: points[active[:, i]] for i in range(len(normals)) if active[:, i].any()}
