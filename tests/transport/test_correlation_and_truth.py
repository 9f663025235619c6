"""FFT correlation functions against direct sums; the synthetic truth against its definition."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Element

from ionflux.transport import correlation
from ionflux.transport.correlation import (
    block_correlations,
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


def test_block_correlations_match_direct_sums_in_every_block(rng, monkeypatch):
    """Self and collective terms of each block against direct sums over origins, with species
    interleaved, a reference point, positions far from the origin and atoms in chunks of two."""
    monkeypatch.setattr(correlation, "CHUNK_BYTES", 2 * 3 * 8 * 256)  # 2 atoms at nfft 256
    positions = np.cumsum(rng.normal(size=(3 * 121 + 2, 7, 3)), axis=0) + 800.0
    groups = np.array([2, 0, 1, 0, 2, 2, 1])
    reference = rng.normal(size=(len(positions), 3)) + 800.0
    msd, coll = block_correlations(positions, groups, 3, 60, n_blocks=3, reference=reference)
    assert msd.shape == (3, 60, 3) and coll.shape == (3, 60, 3, 3)
    shifted = positions - reference[:, None, :]
    for b in range(3):
        block = shifted[b * 121:(b + 1) * 121]
        summed = np.stack([block[:, groups == g].sum(axis=1) for g in range(3)], axis=1)
        for g in range(3):
            direct = sum(direct_displacement_correlation(block[:, a], block[:, a], 60)
                         for a in np.flatnonzero(groups == g))
            assert np.allclose(msd[b, :, g], direct, rtol=1e-10, atol=1e-8)
            for h in range(3):
                direct = direct_displacement_correlation(summed[:, g], summed[:, h], 60)
                assert np.allclose(coll[b, :, g, h], direct, rtol=1e-10, atol=1e-8)
    with pytest.raises(ValueError, match=r"group in 0\.\.2"):
        block_correlations(positions, groups + 1, 3, 60, n_blocks=3)
    with pytest.raises(ValueError, match="do not fit"):
        block_correlations(positions, groups, 3, 122, n_blocks=3)


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
