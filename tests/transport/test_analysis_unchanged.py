"""The Onsager analysis gives the same numbers (to 1e-12, relative) as the values stored in
``data/analysis_reference.json``, which were computed by the implementation before the
single-FFT rewrite of :mod:`ionflux.transport.correlation` (regenerate only on purpose:
``python tests/transport/test_analysis_unchanged.py``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from ionflux.transport import analyze_trajectories
from ionflux.transport.onsager import AnalysisSettings
from ionflux.transport.synthetic import SyntheticSystem, barium_titanate_like

REFERENCE = Path(__file__).parent / "data" / "analysis_reference.json"
#: Numeric fields compared (every float the analysis reports).
FIELDS = ("L", "L_stderr", "L_covariance", "L_self", "L_self_stderr", "L_self_covariance",
          "L_distinct", "L_distinct_stderr", "correlation_factor", "correlation_factor_stderr",
          "D_self_cm2_s", "D_self_cm2_s_stderr", "fit_window_fs", "volume_A3")
RTOL = 1e-12
#: Covariance matrices, whose entries are measured against their natural scale.
COVARIANCES = ("L_covariance", "L_self_covariance")


def _caged() -> SyntheticSystem:
    # a vibration pushes the window start out, so lags > 1 start the fit
    return dataclasses.replace(barium_titanate_like(n_formula_units=4),
                               vibration_A2={"Ba": 0.05, "Ti": 0.05, "O": 0.1},
                               vibration_time_fs=300.0)


def _cases() -> dict[str, dict]:
    """Name -> the analysed document's numeric fields and correlation curves."""
    small = barium_titanate_like(n_formula_units=6)
    run = small.generate(8000, seed=3)
    other = small.generate(6000, seed=4)
    caged = _caged().generate(6000, seed=5)
    far = dataclasses.replace(run, positions=run.positions + 1.0e3)  # far from the origin
    docs = {
        "default (40 error blocks)": analyze_trajectories([run]),
        "half-block": analyze_trajectories([run], estimator="half-block"),
        "user window, 7 blocks": analyze_trajectories([run], window_fs=(100.0, 900.0),
                                                      n_blocks=7),
        "replicates of two lengths": analyze_trajectories([run, other]),
        "caged": analyze_trajectories([caged]),
        "caged, half-block@1": analyze_trajectories([caged], estimator="half-block@1"),
        "far from the origin": analyze_trajectories([far]),
        "two fft workers": analyze_trajectories([other], settings=AnalysisSettings(
            fft_workers=2, curve_points=50)),
    }
    out = {}
    for name, doc in docs.items():
        values = {key: getattr(doc, key) for key in FIELDS}
        curves = doc.correlation_functions
        # every 5th curve point keeps the stored file small
        values["msd_self_A2"] = {k: v[::5] for k, v in curves.msd_self_A2.items()}
        values["collective_A2"] = {k: v[::5] for k, v in curves.collective_A2.items()}
        values["lag_fs"] = curves.lag_fs[::5]
        values["n_error_blocks"] = doc.provenance.method["n_error_blocks"]
        out[name] = values
    return out


def _scale(key: str, want) -> np.ndarray:
    """What a difference in field ``key`` is relative to: each entry, or 1e-3 of the field's
    largest entry where that is more (lag 0 of a correlation function is zero up to rounding,
    in both versions); for a covariance C, also sqrt(C_ii C_jj). An entry near zero there (two
    nearly uncorrelated coefficients) is a difference of jackknife products of size
    sqrt(C_ii C_jj), and rounding moves it by ~1e-15 of that: shifting every position by
    1e-7 Å, which changes no displacement, moved one such entry by 1.3e-12 of itself."""
    flat = _flatten(want)
    scale = np.maximum(np.abs(flat), np.abs(flat).max() * 1e-3)
    if key in COVARIANCES:
        matrix = np.array(want, dtype=float)
        natural = np.sqrt(np.abs(np.outer(np.diag(matrix), np.diag(matrix)))).ravel()
        scale = np.maximum(scale, natural)
    return scale


def _flatten(value) -> np.ndarray:
    if isinstance(value, dict):
        return np.concatenate([_flatten(value[k]) for k in sorted(value)])
    return np.array(value, dtype=float).ravel()


@pytest.fixture(scope="module")
def computed() -> dict[str, dict]:
    return _cases()


@pytest.mark.parametrize("case", list(json.loads(REFERENCE.read_text())))
def test_analysis_matches_stored_reference(computed, case):
    stored = json.loads(REFERENCE.read_text())[case]
    got = computed[case]
    assert got["n_error_blocks"] == stored["n_error_blocks"]
    for key, value in stored.items():
        want, have = _flatten(value), _flatten(got[key])
        assert have.shape == want.shape, key
        scale = _scale(key, value)
        worst = float(np.max(np.abs(have - want) / scale, initial=0.0))
        assert worst <= RTOL, f"{case}: {key} differs by {worst:.2g} (relative)"


if __name__ == "__main__":
    REFERENCE.write_text(json.dumps(_cases(), indent=1))
    print(f"wrote {REFERENCE}")
