"""The onset-calibration helpers (ionflux.ca.calibration) against analytic answers."""

from __future__ import annotations

import math

import pytest

from ionflux.ca.calibration import onset_temperature


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


def test_onset_rule_puts_the_transport_factor_at_one():
    """s = K_D / (r0^2 kB T_on) (K_D in m^2/s, kB T in eV): then K_D/(r0^2 s kB T) = 1."""
    from ca_fakes import FakeKD

    from ionflux.ca.calibration import onset_s
    from ionflux.ca.scoring import kd_argument
    from ionflux.ca.settings import ScoringSettings

    kd = FakeKD({"BaTiO3": 2.5e-3})
    base = ScoringSettings()
    kb = 8.617333262e-5
    s = onset_s(kd, base, "full", 1100.0)
    assert s == pytest.approx(2.5e-3 * 1e-4 / (1e-14 * kb * 1100.0), rel=1e-9)
    assert kd.calls == [("BaTiO3", 1100.0, ("BaO", "TiO2"), "full")]
    # with that s the argument of sigma1 is dG* exactly: the transport factor is one
    tuned = ScoringSettings(s=s)
    assert float(kd_argument(2.5e-3, -0.2, 1100.0, tuned)) == pytest.approx(
        1 + math.erf(-35 * (-0.2 + 0.03)), rel=1e-9)
    assert onset_s(kd, base, "self-only", 1100.0) == pytest.approx(s / 2, rel=1e-12)
