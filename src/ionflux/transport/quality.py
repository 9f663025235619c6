"""Quality checks on an Onsager matrix (SCIENCE.md §2).

The rejection rule of the reference study: a fit is rejected when its relative standard error
exceeds 40 % for a cross term (i != j) or 20 % for a self or total diagonal term.
"""

from __future__ import annotations

import numpy as np

from ionflux.transport.documents import QualityFlag

CROSS_REL_STDERR_LIMIT = 0.40
DIAGONAL_REL_STDERR_LIMIT = 0.20
#: |L - L^T| relative to the largest |L_ij| accepted as symmetric.
SYMMETRY_RTOL = 1e-6
#: Mass-weighted row sums relative to the sum of |m_i L_ij| accepted as zero without error bars.
MASS_BALANCE_RTOL = 1e-6


def relative_uncertainty_flags(species: list[str], L: np.ndarray, L_stderr: np.ndarray | None,
                               L_self: np.ndarray, L_self_stderr: np.ndarray | None
                               ) -> dict[str, QualityFlag]:
    """The 40 %/20 % rule applied to every L_ij (i <= j) and every L_ii^self."""
    flags: dict[str, QualityFlag] = {}
    n = len(species)
    for i in range(n):
        for j in range(i, n):
            limit = DIAGONAL_REL_STDERR_LIMIT if i == j else CROSS_REL_STDERR_LIMIT
            kind = "total diagonal" if i == j else "cross"
            name = f"L_{species[i]}_{species[j]}"
            err = None if L_stderr is None else L_stderr[i, j]
            flags[f"rel_stderr_{name}"] = _rel_flag(name, kind, L[i, j], err, limit)
        err = None if L_self_stderr is None else L_self_stderr[i]
        flags[f"rel_stderr_L_self_{species[i]}"] = _rel_flag(
            f"L_self_{species[i]}", "self", L_self[i], err, DIAGONAL_REL_STDERR_LIMIT)
    return flags


def _rel_flag(name: str, kind: str, value: float, stderr: float | None, limit: float
              ) -> QualityFlag:
    if stderr is None or not np.isfinite(stderr):
        return QualityFlag(passed=False, value=None, threshold=limit,
                           reason=f"{name}: no standard error available, so the {limit:.0%} rule "
                                  f"for {kind} terms cannot be applied")
    rel = abs(stderr / value) if value != 0 else float("inf")
    passed = bool(rel <= limit)
    verdict = "within" if passed else "exceeds"
    return QualityFlag(passed=passed, value=float(rel), threshold=limit,
                       reason=f"{name}: relative standard error {rel:.2f} {verdict} the "
                              f"{limit:.0%} limit for {kind} terms")


def symmetry_flag(L: np.ndarray) -> QualityFlag:
    scale = np.abs(L).max()
    asym = float(np.abs(L - L.T).max() / scale) if scale > 0 else 0.0
    passed = asym <= SYMMETRY_RTOL
    return QualityFlag(passed=passed, value=asym, threshold=SYMMETRY_RTOL,
                       reason=f"max |L_ij - L_ji| / max |L| = {asym:.2g}")


def mass_balance_flag(species_masses: np.ndarray, L: np.ndarray,
                      row_sums_stderr: np.ndarray | None = None) -> QualityFlag:
    """In the centre-of-mass frame sum_i m_i L_ij = 0 for every j.

    With standard errors, each row sum must lie within three of them of zero; without, it must
    vanish to ``MASS_BALANCE_RTOL`` relative to sum_i m_i |L_ij|.
    """
    sums = species_masses @ L
    scale = (species_masses[:, None] * np.abs(L)).sum(axis=0)
    rel = np.divide(np.abs(sums), scale, out=np.zeros_like(sums), where=scale > 0)
    value = float(rel.max())
    if row_sums_stderr is not None:
        passed = bool(np.all(np.abs(sums) <= 3.0 * row_sums_stderr + MASS_BALANCE_RTOL * scale))
        how = "within 3 standard errors of zero"
    else:
        passed = value <= MASS_BALANCE_RTOL
        how = f"below {MASS_BALANCE_RTOL:g} relative"
    verdict = "are" if passed else "are not"
    return QualityFlag(passed=passed, value=value, threshold=MASS_BALANCE_RTOL,
                       reason=f"mass-weighted column sums sum_i m_i L_ij {verdict} {how} "
                              f"(largest relative value {value:.2g})")


def positive_semidefinite_flag(L: np.ndarray, L_stderr: np.ndarray | None = None
                               ) -> QualityFlag:
    """Eigenvalues of the symmetric part must be >= 0 up to the noise in L."""
    eigenvalues = np.linalg.eigvalsh(0.5 * (L + L.T))
    largest = float(np.abs(eigenvalues).max()) or 1.0
    if L_stderr is not None and np.all(np.isfinite(L_stderr)):
        tolerance = 3.0 * float(np.linalg.norm(L_stderr))
        how = "3x the Frobenius norm of the standard errors"
    else:
        tolerance = 1e-8 * largest
        how = "1e-8 of the largest eigenvalue"
    lowest = float(eigenvalues.min())
    passed = lowest >= -tolerance
    return QualityFlag(passed=passed, value=lowest / largest, threshold=-tolerance / largest,
                       reason=f"smallest eigenvalue / largest = {lowest / largest:.3g} "
                              f"(tolerance {how})")
