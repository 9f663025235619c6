"""Liquid lifetime of supercooled melts: the estimator against exponential draws with known
mean, and the bundled documents' runs read back as ordered or liquid."""

from __future__ import annotations

import numpy as np
import pytest

from ionflux.errors import InputError
from ionflux.md.nucleation import liquid_lifetime, run_fates
from ionflux.transport.time_axis import load_reference


def test_lifetime_recovers_a_known_mean_and_its_interval_covers_it():
    """Runs of 200 ps whose melts order at exponential times of mean 150 ps (a known Poisson
    process), eight runs per experiment: the 95 % interval holds the true mean in 93-99 % of
    500 experiments, and the median estimate lies within 15 % of it. A naive mean over the
    ordered runs alone (ignoring the censored ones) is far off, which the test also shows."""
    rng = np.random.default_rng(7)
    tau, length, covered, estimates, naive = 150.0, 200.0, 0, [], []
    for _ in range(500):
        draws = rng.exponential(tau, size=8)
        ordered = [t for t in draws if t < length]
        liquid = [length] * int(np.sum(draws >= length))
        got = liquid_lifetime(ordered, liquid)
        if got.tau_ps is None:
            covered += got.low_ps <= tau
            continue
        covered += got.low_ps <= tau <= got.high_ps
        estimates.append(got.tau_ps)
        naive.append(float(np.mean(ordered)))
    assert 0.93 <= covered / 500 <= 0.99
    assert abs(np.median(estimates) / tau - 1) < 0.15
    assert np.median(naive) < 0.7 * tau


def test_no_ordering_gives_a_lower_bound_and_bad_input_is_refused():
    got = liquid_lifetime([], [200.0, 200.0])
    # P(no event in 400 ps) = exp(-400 / tau) = 0.05 at the bound
    assert got.tau_ps is None and got.low_ps == pytest.approx(400 / np.log(20), rel=1e-9)
    assert "lifetime > 134 ps" in got.describe()
    with pytest.raises(InputError, match="no runs"):
        liquid_lifetime([], [])
    with pytest.raises(InputError, match="negative"):
        liquid_lifetime([-1.0], [10.0])
    with pytest.raises(InputError, match="confidence"):
        liquid_lifetime([10.0], [], confidence=1.5)
    with pytest.raises(InputError, match="2 run ends for 1"):
        run_fates({"replicate_run_ps": "99", "run_ends": "finished; finished"})


def test_fates_of_the_bundled_runs():
    """Read from the documents as the selection words them: Ba4TiO6 at 1750 K, continued to
    200 ps (fourteenth session) and given four seeds more (fifteenth), has seven runs that
    ordered (three of them within 100 ps) and six liquid to 199 ps; a run cut where it
    orders counts as ordered at its onset; a run left out for leaving the domain counts as
    liquid up to its stop; a melt no run of which ordered has only a lower bound."""
    docs = {(d.formula, d.temperature_K): d.provenance.method for d in load_reference("Ba-Ti-O")}
    ordered, liquid = run_fates(docs[("Ba4TiO6", 1750.0)])
    assert sorted(ordered) == [30.0, 70.0, 90.0, 110.0, 150.0, 190.0, 290.0]
    assert liquid == [199.0] * 6
    got = liquid_lifetime(ordered, liquid)
    assert got.n_ordered == 7 and got.tau_ps == pytest.approx((930 + 6 * 199) / 7)
    cut = run_fates({"replicate_run_ps": "80, 99", "run_ends":
                     "cut where its cations order (80 ps); finished", "runs_not_used":
                     "seed 3 not used: left the domain after 22.0 ps"})
    assert cut == ([90.0], [99.0, 22.0])
    assert liquid_lifetime(*run_fates(docs[("BaTi2O5", 1750.0)])).tau_ps is None
