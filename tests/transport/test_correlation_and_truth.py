"""FFT correlation functions against direct sums; the synthetic truth against its definition."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Element

from ionflux.transport.correlation import (
    collective_correlation,
    direct_displacement_correlation,
    self_msd_by_group,
)
from ionflux.transport.statistics import jackknife_covariance, ols_slopes
from ionflux.transport.synthetic import barium_titanate_like
from ionflux.units import INV_EV_A_FS_TO_INV_EV_CM_S, KB_EV_PER_K


def test_self_msd_matches_direct_sum_over_origins(rng):
    positions = np.cumsum(rng.normal(size=(300, 9, 3)), axis=0) + 500.0  # far from the origin
    groups = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    reference = rng.normal(size=(300, 3))
    fft = self_msd_by_group(positions, groups, 3, 120, reference=reference)
    shifted = positions - reference[:, None, :]
    direct = np.zeros((120, 3))
    for atom, group in enumerate(groups):
        direct[:, group] += direct_displacement_correlation(shifted[:, atom], shifted[:, atom], 120)
    assert np.allclose(fft, direct, rtol=1e-10, atol=1e-9)


def test_collective_cross_correlation_matches_direct_sum(rng):
    signals = np.cumsum(rng.normal(size=(250, 3, 3)), axis=0)
    fft = collective_correlation(signals, 100)
    for i in range(3):
        for j in range(3):
            direct = direct_displacement_correlation(signals[:, i], signals[:, j], 100)
            assert np.allclose(fft[:, i, j], direct, rtol=1e-10, atol=1e-9)


def test_ols_and_jackknife_reduce_to_textbook_formulas(rng):
    x = np.arange(10.0)
    y = 3.0 * x + 1.0 + rng.normal(scale=0.1, size=10)
    assert ols_slopes(x, y) == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-12)
    blocks = rng.normal(size=(7, 2))
    estimate, covariance = jackknife_covariance(blocks, lambda m: m)
    assert np.allclose(estimate, blocks.mean(axis=0))
    assert np.allclose(covariance, np.cov(blocks.T, ddof=1) / 7)


def test_truth_matches_empirical_covariance_of_increments():
    """The analytic L is checked against the covariance of the generated steps themselves,
    bypassing correlation functions and fits entirely."""
    system = barium_titanate_like(n_formula_units=4)
    trajectory = system.generate(60001, seed=5, wrap=False)
    species = system.species
    atoms = np.array(trajectory.species)
    masses = np.array([float(Element(el).atomic_mass) for el in atoms])
    com = (masses[None, :, None] * trajectory.positions).sum(axis=1) / masses.sum()
    steps = np.diff(trajectory.positions - com[:, None, :], axis=0)
    collective = np.stack([steps[:, atoms == el].sum(axis=1) for el in species], axis=1)
    covariance = np.einsum("tic,tjc->ij", collective, collective) / (3 * len(steps))
    scale = INV_EV_A_FS_TO_INV_EV_CM_S / (
        2.0 * system.frame_interval_fs * KB_EV_PER_K * system.temperature_K * system.volume_A3)
    empirical = covariance * scale
    truth = np.array(system.truth().L)
    # 60000 steps x 3 components: relative noise of each entry ~ 1/sqrt(90000) ~ 0.3 %.
    assert np.allclose(empirical, truth, rtol=0.03, atol=0.03 * np.abs(truth).max())
