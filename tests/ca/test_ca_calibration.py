"""The onset-calibration helpers (ionflux.ca.calibration) against analytic answers."""

from __future__ import annotations

import math

import pytest

from ionflux.ca.calibration import onset_temperature, solve_log
from ionflux.errors import AnalysisError


def test_onset_is_the_log_linear_crossing():
    # between 1000 K (1 %) and 1100 K (10 %), log conversion is linear in T: 5 % is reached at
    # 1000 + 100 ln 5 / ln 10 K
    onset = onset_temperature([1000, 1100, 1200], [0.01, 0.1, 0.5], threshold=0.05)
    assert onset == pytest.approx(1000 + 100 * math.log(5) / math.log(10), rel=1e-12)
    assert onset_temperature([1000, 1100], [0.2, 0.5], threshold=0.05) == 1000.0
    assert onset_temperature([1000, 1100], [0.0, 0.01], threshold=0.05) is None
    # a zero conversion below the crossing counts as 1e-12 (log of zero)
    onset = onset_temperature([1000, 1100], [0.0, 0.1], threshold=0.05)
    expected = 1000 + 100 * (math.log(0.05) - math.log(1e-12)) / (math.log(0.1)
                                                                  - math.log(1e-12))
    assert onset == pytest.approx(expected, rel=1e-12)


def test_solve_log_finds_the_parameter_for_the_target_onset():
    # onset rises by 100 K per decade of the parameter: 1100 K at p = 10
    def rising(p: float) -> float:
        return 1000.0 + 100.0 * math.log10(p)

    p = solve_log(rising, 1100.0, 1e-3, 1e4, increasing=True, tol_K=0.01)
    assert abs(rising(p) - 1100.0) <= 0.01 and p == pytest.approx(10.0, rel=1e-3)

    def falling(p: float) -> float | None:
        onset = 1200.0 - 50.0 * math.log10(p)
        return None if onset > 1500 else onset  # no reaction in the scanned range

    p = solve_log(falling, 1100.0, 1e-8, 1e6, increasing=False, tol_K=0.01)
    assert abs(falling(p) - 1100.0) <= 0.01 and p == pytest.approx(100.0, rel=1e-3)


def test_solve_log_refuses_an_unbracketed_target():
    with pytest.raises(AnalysisError, match="not bracketed"):
        solve_log(lambda p: 1000.0 + math.log10(p), 1100.0, 1.0, 10.0, increasing=True)
