"""Block least squares against numpy's dense solver on the same stacked rows."""

from __future__ import annotations

import numpy as np
import pytest

from ionflux.errors import AnalysisError
from ionflux.md.least_squares import BlockLeastSquares


@pytest.mark.parametrize("block_rows", [7, 40, 10_000])
def test_blocks_give_the_dense_solution_and_residual(block_rows):
    rng = np.random.default_rng(11)
    # badly scaled columns, as ACE design rows are (their norms span orders of magnitude)
    a = rng.normal(size=(300, 25)) * np.logspace(-3, 2, 25)
    b = a @ rng.normal(size=25) + rng.normal(0.0, 0.1, 300)
    solver = BlockLeastSquares(25, block_rows=block_rows)
    for start in range(0, 300, 13):  # uneven pieces, not aligned with the buffer
        solver.add(a[start:start + 13], b[start:start + 13])
    x, residual = solver.solve()
    dense, ss, *_ = np.linalg.lstsq(a, b, rcond=None)
    assert np.allclose(x, dense, rtol=1e-9, atol=1e-12)
    assert residual == pytest.approx(np.sqrt(ss[0]), rel=1e-10)
    assert solver.n_rows == 300


def test_an_exact_system_has_zero_residual_and_too_few_rows_are_refused():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(30, 6))
    x_true = rng.normal(size=6)
    solver = BlockLeastSquares(6)
    solver.add(a, a @ x_true)
    x, residual = solver.solve()
    assert np.allclose(x, x_true, atol=1e-12) and residual < 1e-12
    short = BlockLeastSquares(6)
    short.add(a[:4], (a @ x_true)[:4])
    with pytest.raises(AnalysisError, match="4 rows for 6 unknowns"):
        short.solve()
    with pytest.raises(AnalysisError, match="block of shape"):
        short.add(a[:, :5], a[:, 0])
    twin = BlockLeastSquares(2)  # two equal columns: no unique solution without a ridge
    twin.add(np.column_stack([a[:, 0], a[:, 0]]), a[:, 1])
    with pytest.raises(AnalysisError, match="rank-deficient"):
        twin.solve()
