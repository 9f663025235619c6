"""Closest points of convex polytopes: hand cases and an independent QP solver."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from ionflux.chempot.geometry import closest_points, min_norm_point, share_a_point


def test_closest_points_inside_edges_not_at_vertices():
    # Segment A on the x axis, segment B vertical above x = 1: the closest pair is (1,0)-(1,1),
    # distance 1, while the closest vertex pair ((2,0), (1,1)) is sqrt(2) apart.
    a = np.array([[0.0, 0.0], [2.0, 0.0]])
    b = np.array([[1.0, 1.0], [1.0, 3.0]])
    p, q = closest_points(a, b)
    np.testing.assert_allclose(p, [1.0, 0.0], atol=1e-14)
    np.testing.assert_allclose(q, [1.0, 1.0], atol=1e-14)


def test_triangle_and_point_above_its_interior():
    tri = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    point = np.array([[1.0, 1.0, 2.5]])
    p, q = closest_points(tri, point)
    np.testing.assert_allclose(p, [1.0, 1.0, 0.0], atol=1e-14)
    np.testing.assert_allclose(q, [1.0, 1.0, 2.5], atol=1e-14)


def _slsqp_distance(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = len(a), len(b)

    def objective(w):
        d = w[:na] @ a - w[na:] @ b
        return d @ d

    cons = [{"type": "eq", "fun": lambda w: w[:na].sum() - 1},
            {"type": "eq", "fun": lambda w: w[na:].sum() - 1}]
    x0 = np.concatenate([np.full(na, 1 / na), np.full(nb, 1 / nb)])
    res = minimize(objective, x0, method="SLSQP", bounds=[(0, 1)] * (na + nb),
                   constraints=cons, options={"ftol": 1e-16, "maxiter": 500})
    return float(np.sqrt(max(res.fun, 0.0)))


@pytest.mark.parametrize("seed", range(8))
def test_matches_independent_qp_on_random_polytopes(seed):
    rng = np.random.default_rng(seed)
    dim = 3
    a = rng.normal(size=(rng.integers(3, 9), dim))
    b = rng.normal(size=(rng.integers(3, 9), dim)) + rng.normal(scale=3.0, size=dim)
    p, q = closest_points(a, b)
    distance = float(np.linalg.norm(p - q))
    assert distance == pytest.approx(_slsqp_distance(a, b), abs=1e-6)
    # The result never beats the true minimum and never loses to any vertex pair.
    pair_min = np.min(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2))
    assert distance <= pair_min + 1e-12


def test_min_norm_point_origin_inside_gives_zero():
    square = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    x, w = min_norm_point(square)
    assert np.linalg.norm(x) < 1e-12
    assert w.sum() == pytest.approx(1.0) and np.all(w >= 0)


def test_share_a_point():
    a = np.array([[0.0, 0.0], [1.0, 0.0]])
    assert share_a_point(a, np.array([[1.0, 0.0], [1.0, 2.0]]))
    assert not share_a_point(a, np.array([[1.0, 1e-6], [1.0, 2.0]]))
