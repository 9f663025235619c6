"""Closest points of two convex polytopes given by their vertices.

The distance between conv(A) and conv(B) is the norm of the point of the Minkowski difference
conv(A) - conv(B) = conv{a_i - b_j} nearest to the origin. That point is found exactly (finite
active-set steps, each an equality-constrained least-squares solve) with Wolfe's minimum-norm-point
algorithm [P. Wolfe, Math. Programming 11, 128 (1976)], a small convex QP over the convex
combinations of all vertex differences. Unlike a vertex-pair search it finds closest points that
lie inside edges or faces. The difference vector is unique; the closest pair (p, q) need not be
(parallel faces), and any optimal pair is returned.
"""

from __future__ import annotations

import numpy as np

from ionflux.errors import AnalysisError


def _affine_minimizer(points: np.ndarray) -> np.ndarray:
    """Weights alpha (sum 1) minimising |alpha @ points| over the affine hull of ``points``."""
    k = len(points)
    gram = points @ points.T
    system = np.zeros((k + 1, k + 1))
    system[:k, :k] = gram
    system[:k, k] = 1.0
    system[k, :k] = 1.0
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    solution, *_ = np.linalg.lstsq(system, rhs, rcond=None)
    return solution[:k]


def min_norm_point(points: np.ndarray, rtol: float = 1e-13,
                   max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Point of conv(points) closest to the origin and its barycentric weights (Wolfe 1976).

    ``points`` has shape (m, d). Returns ``(x, weights)`` with ``weights`` of length m, >= 0,
    summing to 1 and ``x = weights @ points``.
    """
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or len(pts) == 0:
        raise ValueError("points must be a non-empty (m, d) array")
    scale = max(1.0, float(np.max(np.einsum("ij,ij->i", pts, pts))))
    eps = 1e-12
    first = int(np.argmin(np.einsum("ij,ij->i", pts, pts)))
    active = [first]
    lam = np.array([1.0])
    x = pts[first].copy()
    for _ in range(max_iter):
        dots = pts @ x
        j = int(np.argmin(dots))
        if float(x @ x) - float(dots[j]) <= rtol * scale or j in active:
            break
        active.append(j)
        lam = np.append(lam, 0.0)
        for _minor in range(len(pts) + 2):
            alpha = _affine_minimizer(pts[active])
            if np.all(alpha > eps):
                lam = alpha
                break
            decreasing = alpha < lam
            ratios = lam[decreasing] / (lam[decreasing] - alpha[decreasing])
            theta = min(1.0, float(np.min(ratios))) if len(ratios) else 1.0
            lam = lam + theta * (alpha - lam)
            keep = lam > eps
            active = [a for a, k in zip(active, keep, strict=True) if k]
            lam = lam[keep] / lam[keep].sum()
        x = lam @ pts[active]
    else:  # pragma: no cover - Wolfe terminates finitely; this guards numerical cycling
        raise AnalysisError("closest-point search between chemical-potential domains did not "
                            "converge")
    weights = np.zeros(len(pts))
    weights[active] = lam
    return weights @ pts, weights


def closest_points(vertices_a: np.ndarray, vertices_b: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Closest pair (p in conv(A), q in conv(B)) of two polytopes given by vertex arrays."""
    a = np.asarray(vertices_a, dtype=float)
    b = np.asarray(vertices_b, dtype=float)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError("vertex arrays must be (n, d) with the same d")
    diffs = (a[:, None, :] - b[None, :, :]).reshape(-1, a.shape[1])
    _, weights = min_norm_point(diffs)
    w = weights.reshape(len(a), len(b))
    return w.sum(axis=1) @ a, w.sum(axis=0) @ b


def share_a_point(vertices_a: np.ndarray, vertices_b: np.ndarray, atol: float = 1e-8) -> bool:
    """Whether two faces of one convex polytope touch.

    Two faces of a convex polytope intersect in a common face (or not at all), so they touch
    exactly when they share a vertex.
    """
    a = np.asarray(vertices_a, dtype=float)
    b = np.asarray(vertices_b, dtype=float)
    gaps = np.max(np.abs(a[:, None, :] - b[None, :, :]), axis=2)
    return bool(np.any(gaps <= atol))
