"""Linear least squares over rows that arrive in blocks, in memory independent of their number.

A distilled potential's design matrix has one row per force component of every training frame
(~300 rows per 100-atom frame) and one column per basis function (7011 for the larger basis):
370 frames make a 6 GB matrix, and a dense solver needs two or three copies of it (a fit of
that size was killed for memory on a 24 GB machine). :class:`BlockLeastSquares` keeps only the
triangular factor R of the QR decomposition of ``[A | b]``, updated with each block of rows
(``R <- qr([R; block])``, a tall-skinny QR), so memory is O(columns^2 + block rows x columns).
The solution is the least-squares solution of the stacked system, as a dense solver gives it
for a full-rank system (a ridge block makes it so); the last diagonal entry of the factor is
the residual norm.
"""

from __future__ import annotations

import numpy as np

from ionflux.errors import AnalysisError


class BlockLeastSquares:
    """min |A x - b| for A and b given as row blocks (:meth:`add`), solved by :meth:`solve`.

    Blocks are buffered until ``block_rows`` rows (default four times the columns: each update
    then costs about 2 (block rows + columns) columns^2 flops, within 1.25x of one dense QR).
    """

    def __init__(self, n_columns: int, block_rows: int | None = None) -> None:
        if n_columns < 1:
            raise AnalysisError("least squares: need at least one column")
        self.n_columns = n_columns
        self.block_rows = block_rows or max(4 * n_columns, 1000)
        self._factor = np.zeros((0, n_columns + 1))
        self._pending: list[np.ndarray] = []
        self._pending_rows = 0
        self.n_rows = 0

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        """Append rows ``a`` (k x n_columns) with targets ``b`` (k)."""
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float).reshape(-1)
        if a.ndim != 2 or a.shape[1] != self.n_columns or a.shape[0] != b.size:
            raise AnalysisError(f"least squares: block of shape {a.shape} with {b.size} targets "
                                f"for {self.n_columns} columns")
        self._pending.append(np.hstack([a, b[:, None]]))
        self._pending_rows += a.shape[0]
        self.n_rows += a.shape[0]
        if self._pending_rows >= self.block_rows:
            self._reduce()

    def _reduce(self) -> None:
        if self._pending:
            stacked = np.vstack([self._factor, *self._pending])
            self._pending, self._pending_rows = [], 0
            self._factor = np.linalg.qr(stacked, mode="r")

    def solve(self) -> tuple[np.ndarray, float]:
        """The least-squares solution and the residual norm |A x - b|."""
        from scipy.linalg import solve_triangular

        self._reduce()
        n = self.n_columns
        if self._factor.shape[0] < n:
            raise AnalysisError(f"least squares: {self.n_rows} rows for {n} unknowns")
        r = self._factor[:n, :n]
        diagonal = np.abs(np.diag(r))
        if diagonal.min() <= n * np.finfo(float).eps * diagonal.max():
            raise AnalysisError("least squares: the rows do not determine every unknown "
                                "(rank-deficient; add a ridge block)")
        solution = solve_triangular(r, self._factor[:n, n])
        residual = abs(float(self._factor[n, n])) if self._factor.shape[0] > n else 0.0
        return solution, residual
