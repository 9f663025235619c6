"""Self diffusion against independent implementations on real ab initio data.

kinisi's wheel ships a VASP XDATCAR of Li6PS5Cl (416 atoms, 140 frames every 2 fs x 50 steps,
600 K), read here by pymatgen's own parser for the peers and by ionflux's reader for ionflux.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from ionflux.io import read_trajectory
from ionflux.transport import analyze_trajectories

# The peers are part of the `test` extra: a missing one is an error, never a silent skip.
try:
    import kinisi
    import pymatgen.analysis.diffusion.analyzer as diffusion
    import scipp as sc
except ImportError as exc:  # pragma: no cover - only without the test extra
    raise ImportError(f"{exc}; the peer tests need the 'peers' extra, which the 'test' extra "
                      "includes: pip install -e '.[test]'") from exc

XDATCAR = Path(kinisi.__file__).parent / "tests" / "inputs" / "example_XDATCAR.gz"
FRAME_INTERVAL_FS = 2.0 * 50
WINDOW_FS = (1000.0, 7000.0)


@pytest.fixture(scope="module")
def structures():
    from pymatgen.io.vasp import Xdatcar

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Xdatcar(XDATCAR).structures


@pytest.fixture(scope="module")
def ours():
    trajectory = read_trajectory(XDATCAR).with_metadata(600.0, FRAME_INTERVAL_FS)
    # One block: every time origin of the whole run, the estimator the peers use.
    return analyze_trajectories([trajectory], n_blocks=1, window_fs=WINDOW_FS)


def test_self_diffusion_matches_pymatgen_analysis_diffusion_within_2_percent(structures, ours):
    analyzer = diffusion.DiffusionAnalyzer.from_structures(
        structures, specie="Li", temperature=600, time_step=2, step_skip=50, smoothed="max",
        min_obs=1)
    in_window = (analyzer.dt >= WINDOW_FS[0]) & (analyzer.dt <= WINDOW_FS[1])
    peer, _ = diffusion.get_diffusivity_from_msd(analyzer.msd[in_window],
                                                 analyzer.dt[in_window], smoothed=False)
    assert ours.D_self_cm2_s["Li"] == pytest.approx(peer, rel=0.02)
    # Drift removal differs (framework drift vs mass-weighted centre of mass) only at 1e-3.
    assert ours.D_self_cm2_s["Li"] == pytest.approx(peer, rel=2e-3)


@pytest.fixture(scope="module")
def kinisi_run():
    """kinisi's MSD and Bayesian posterior of D_Li over the same lags as ``ours``."""
    from kinisi.analyze import DiffusionAnalyzer
    from pymatgen.io.vasp import Xdatcar

    lags = np.arange(WINDOW_FS[0], WINDOW_FS[1] + 1, FRAME_INTERVAL_FS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = DiffusionAnalyzer.from_xdatcar(
            Xdatcar(XDATCAR), specie="Li", time_step=2.0 * sc.Unit("fs"),
            step_skip=50 * sc.Unit("dimensionless"),
            dt=sc.array(dims=["time interval"], values=lags, unit="fs"), progress=False)
        np.random.seed(0)  # noqa: NPY002 - kinisi samples its posterior with the global generator
        peer.diffusion(start_dt=WINDOW_FS[0] * sc.Unit("fs"), progress=False)
    return lags, peer


@pytest.mark.slow
def test_msd_and_diffusivity_match_kinisi(kinisi_run, ours):
    lags, peer = kinisi_run
    curves = ours.correlation_functions
    mine = np.interp(lags, curves.lag_fs, curves.msd_self_A2["Li"])
    assert np.allclose(mine, peer.msd.values, rtol=5e-3)
    samples = peer.D.values
    # kinisi fits by generalised least squares with the MSD covariance, ionflux by ordinary
    # least squares: on the same data they may differ by the statistical uncertainty only.
    assert abs(ours.D_self_cm2_s["Li"] - samples.mean()) < 2.0 * samples.std(ddof=1)


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ["scaled-window", "half-block"])
def test_automatic_estimators_stay_inside_kinisis_posterior(kinisi_run, estimator):
    """The default estimator with its own window (2 blocks of 70 frames: 14 ps is short) on
    the real data: D_Li inside kinisi's posterior, which rests on the whole run."""
    trajectory = read_trajectory(XDATCAR).with_metadata(600.0, FRAME_INTERVAL_FS)
    doc = analyze_trajectories([trajectory], n_blocks=2, estimator=estimator)
    assert doc.fit_window_source == "auto" and doc.estimator == estimator
    samples = kinisi_run[1].D.values
    assert abs(doc.D_self_cm2_s["Li"] - samples.mean()) < 2.0 * samples.std(ddof=1)
    assert doc.quality["diffusive_Li"].passed and not doc.quality["diffusive_P"].passed


def test_block_estimate_agrees_with_all_origin_estimate_within_its_error(ours):
    trajectory = read_trajectory(XDATCAR).with_metadata(600.0, FRAME_INTERVAL_FS)
    blocked = analyze_trajectories([trajectory], n_blocks=2, window_fs=(1000.0, 3500.0))
    error = blocked.D_self_cm2_s_stderr["Li"]
    assert 0 < error < 0.2 * blocked.D_self_cm2_s["Li"]
    assert abs(blocked.D_self_cm2_s["Li"] - ours.D_self_cm2_s["Li"]) < 3 * error
    # P, S and Cl only rattle in 14 ps: flagged, not fitted as if diffusive.
    assert not blocked.quality["diffusive_P"].passed
    assert blocked.quality["diffusive_Li"].passed
