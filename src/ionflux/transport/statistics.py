"""Least-squares slopes and block (jackknife) standard errors and covariances."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def ols_weights(x: np.ndarray) -> np.ndarray:
    """Weights w with slope = w . y for the ordinary least-squares line (with intercept)
    through (x, y); the slope's variance is w . Cov[y] . w."""
    xc = x - x.mean()
    return xc / np.dot(xc, xc)


def ols_slopes(x: np.ndarray, y: np.ndarray, axis: int = 0) -> np.ndarray:
    """Ordinary least-squares slope (with intercept) of every series in ``y`` against ``x``.

    ``x`` has shape (n,); ``y`` has n entries along ``axis`` and any other shape elsewhere.
    """
    y = np.moveaxis(np.asarray(y, dtype=float), axis, 0)
    return np.tensordot(ols_weights(x), y - y.mean(axis=0), axes=(0, 0))


def jackknife_covariance(blocks: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray]
                         ) -> tuple[np.ndarray, np.ndarray | None]:
    """Estimate and delete-one-block jackknife covariance matrix of a vector statistic.

    Args:
        blocks: (n_blocks, m) per-block values of the underlying linear quantities.
        statistic: maps the mean over blocks (shape (m,)) to the estimate (shape (k,)).

    Returns:
        The statistic of the full mean and its (k, k) covariance (``None`` for a single block).
        The square root of the diagonal is the jackknife standard error; for the identity
        statistic it is the usual std / sqrt(n_blocks). The off-diagonal terms carry the
        correlations between outputs computed from the same blocks.
    """
    n = blocks.shape[0]
    estimate = statistic(blocks.mean(axis=0))
    if n < 2:
        return estimate, None
    total = blocks.sum(axis=0)
    leave_one_out = np.stack([statistic((total - blocks[b]) / (n - 1)) for b in range(n)])
    deviation = leave_one_out - leave_one_out.mean(axis=0)
    return estimate, (n - 1) / n * deviation.T @ deviation


def t_variance_factor(dof: int) -> float | None:
    """Variance of a Student t with ``dof`` degrees of freedom, dof / (dof - 2); None if
    ``dof`` <= 2 (infinite variance).

    A jackknife standard error from n blocks has n - 1 degrees of freedom, so with normal block
    values z = (estimate - truth) / stderr follows that t, whose rms is sqrt(dof / (dof - 2)):
    1.13 with 10 blocks. Multiplying the variance by this factor makes z unit-variance, which is
    what a consumer treating the error bar as a Gaussian sigma assumes.
    """
    return dof / (dof - 2) if dof > 2 else None
