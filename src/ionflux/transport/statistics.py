"""Least-squares slopes and block (jackknife) standard errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def ols_slopes(x: np.ndarray, y: np.ndarray, axis: int = 0) -> np.ndarray:
    """Ordinary least-squares slope (with intercept) of every series in ``y`` against ``x``.

    ``x`` has shape (n,); ``y`` has n entries along ``axis`` and any other shape elsewhere.
    """
    y = np.moveaxis(np.asarray(y, dtype=float), axis, 0)
    xc = x - x.mean()
    weights = xc / np.dot(xc, xc)
    return np.tensordot(weights, y - y.mean(axis=0), axes=(0, 0))


def jackknife(blocks: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray]
              ) -> tuple[np.ndarray, np.ndarray | None]:
    """Estimate and delete-one-block jackknife standard error of a statistic of block means.

    Args:
        blocks: (n_blocks, ...) per-block values of the underlying linear quantities.
        statistic: maps the mean over blocks (shape ``blocks.shape[1:]``) to the estimate.

    Returns:
        The statistic of the full mean and its standard error (``None`` for a single block).
        For a statistic that is the identity this is the usual std / sqrt(n_blocks).
    """
    n = blocks.shape[0]
    estimate = statistic(blocks.mean(axis=0))
    if n < 2:
        return estimate, None
    total = blocks.sum(axis=0)
    leave_one_out = np.stack([statistic((total - blocks[b]) / (n - 1)) for b in range(n)])
    deviation = leave_one_out - leave_one_out.mean(axis=0)
    stderr = np.sqrt((n - 1) / n * (deviation**2).sum(axis=0))
    return estimate, stderr
