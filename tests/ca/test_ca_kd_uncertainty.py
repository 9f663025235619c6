"""K_D uncertainty propagated into predictions: draws, interpolation, and the spread it adds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from ca_fakes import FakeKD, fake_batio_thermo

from ionflux.ca.predict import predict
from ionflux.ca.reactions import BA_TI_O_PRODUCTS
from ionflux.ca.scoring import SampledKD, can_sample
from ionflux.ca.settings import AutomatonSettings, ScoringSettings
from ionflux.kinetics.interpolation import arrhenius_interpolate


@dataclass
class _Doc:
    K_D_cm2_s: float
    K_D_self_cm2_s: float
    K_D_stderr_cm2_s: float | None
    K_D_self_stderr_cm2_s: float | None


class KDWithErrors(FakeKD):
    """FakeKD plus per-temperature documents with a relative standard error ``rel``."""

    def __init__(self, values, rel: float | None):
        super().__init__(values)
        self.rel = rel

    def doc(self, product, temperature_K, reactants):
        # K_D grows with T so interpolation between tabulated points is not trivial
        value = self.values[product] * (temperature_K / 1000.0) ** 3
        err = None if self.rel is None else self.rel * value
        return _Doc(value, 0.5 * value, err, None if err is None else 0.5 * err)

    def kd_cm2_s(self, product, temperature_K, reactants, mode="full"):
        return self.doc(product, temperature_K, reactants).K_D_cm2_s * (
            0.5 if mode == "self-only" else 1.0)


def test_draws_have_the_documents_mean_and_standard_error():
    kd = KDWithErrors({"P": 2e-3}, rel=0.3)
    assert can_sample(kd) and not can_sample(FakeKD({"P": 1.0}))
    mean = kd.doc("P", 1250.0, ("A", "B")).K_D_cm2_s
    draws = np.array([SampledKD(kd, np.random.default_rng(i)).kd_cm2_s("P", 1250.0, ("A", "B"))
                      for i in range(4000)])
    assert np.all(draws > 0)
    assert abs(draws.mean() - mean) < 4 * draws.std() / np.sqrt(len(draws))
    assert draws.std() == pytest.approx(0.3 * mean, rel=0.06)


def test_between_tabulated_temperatures_the_draws_are_interpolated():
    kd = KDWithErrors({"P": 2e-3}, rel=0.3)
    sampled = SampledKD(kd, np.random.default_rng(3))
    low = sampled.kd_cm2_s("P", 1250.0, ("A", "B"))
    high = sampled.kd_cm2_s("P", 1500.0, ("A", "B"))
    middle = sampled.kd_cm2_s("P", 1400.0, ("A", "B"))
    assert middle == pytest.approx(arrhenius_interpolate([1250.0, 1500.0], [low, high], 1400.0))
    assert sampled.kd_cm2_s("P", 1250.0, ("A", "B")) == low  # one draw per temperature
    assert sampled.sampled


def test_drawn_k_d_correlate_as_their_linearised_errors(distilled_melt_kd_table):
    """SampledKD draws the error of L once per set of MD runs, so K_D of one product correlate
    as their linearised errors do, g1^T C g2 / (sigma1 sigma2): across reactant pairs, and
    with the documents shifted below 1750 K from the 1750 K runs; the 2000 K runs are drawn
    apart. One shared z per product (the rule before) gives 1 for every pair, which fails here
    on the pair whose linearised correlation is lowest (measured 1.00 against 0.79)."""
    import itertools

    from ionflux.kinetics.kd import kd_gradient

    table = distilled_melt_kd_table
    # BaTi4O9: the product whose pairs correlate least (0.79 at the weakest on our melts)
    product, base = "BaTi4O9", ("BaO", "TiO2")
    origin = table.transport_doc(product, 1750.0)
    cov, species = np.array(origin.L_covariance), origin.species

    def gradient(temperature, pair):
        return kd_gradient(table.doc(product, temperature, pair), species)

    def corr(u, v):
        return u @ cov @ v / np.sqrt((u @ cov @ u) * (v @ cov @ v))

    phases = ("BaO", "TiO2", "BaTiO3", "Ba2TiO4", "BaTi2O5", "Ba4Ti13O30", "BaTi5O11")
    pairs = [p for p in itertools.combinations(phases, 2)
             if (table.doc(product, 1750.0, p).K_D_stderr_cm2_s or 0) > 0]
    weakest = min(pairs, key=lambda p: corr(gradient(1750.0, base), gradient(1750.0, p)))
    shifted = min(t for t in table.temperatures_K(product) if t < 1750.0)
    assert table.transport_doc(product, shifted).provenance.method["arrhenius_from_K"] == 1750.0
    cases = [(1750.0, base), (1750.0, weakest), (shifted, base), (2000.0, base)]
    expected = [corr(gradient(1750.0, base), gradient(t, p)) for t, p in cases[1:3]]
    assert expected[0] < 0.85  # the case that tells one shared z from the linearised draw

    def normal(sampled: SampledKD, temperature: float, pair) -> float:
        doc = table.doc(product, temperature, pair)
        sigma = np.sqrt(np.log1p((doc.K_D_stderr_cm2_s / doc.K_D_cm2_s) ** 2))
        value = sampled.kd_cm2_s(product, temperature, pair)
        return (np.log(value / doc.K_D_cm2_s) + sigma ** 2 / 2) / sigma

    z = np.array([[normal(sampled, t, p) for t, p in cases]
                  for sampled in (SampledKD(table, np.random.default_rng(seed))
                                  for seed in range(1500))])
    measured = np.corrcoef(z.T)
    # standard error of a correlation coefficient over 1500 draws: <= 0.026
    assert measured[0, 1] == pytest.approx(expected[0], abs=0.08)
    assert measured[0, 2] == pytest.approx(expected[1], abs=0.08)
    assert abs(measured[0, 3]) < 0.08  # another set of runs
    assert z.std(axis=0) == pytest.approx([1.0] * 4, abs=0.06)


def test_documents_without_errors_keep_their_mean():
    kd = KDWithErrors({"P": 2e-3}, rel=None)
    sampled = SampledKD(kd, np.random.default_rng(3))
    assert sampled.kd_cm2_s("P", 1250.0, ("A", "B")) == kd.kd_cm2_s("P", 1250.0, ("A", "B"))
    assert not sampled.sampled


def _spread(rel, sampling):
    kd = KDWithErrors({p: 1e-3 * (i + 1) for i, p in enumerate(BA_TI_O_PRODUCTS)}, rel)
    doc = predict({"BaO": 1, "TiO2": 1}, [(1250.0, 6.0)], mode="full", realisations=12,
                  seed=4, grid=10, thermo=fake_batio_thermo(), kd=kd, cache=False,
                  # s puts x near 1, where sigma1 is most sensitive to K_D
                  scoring=ScoringSettings(s=3e9, kd_sampling=sampling, thermo_sampling="off"),
                  automaton=AutomatonSettings())
    return doc


def test_transport_uncertainty_widens_the_reported_spread():
    """Same seed, same automaton streams: with K_D drawn from a 60 % standard error the spread
    of the products over realisations is larger than with the mean K_D everywhere."""
    drawn, fixed = _spread(0.6, "lognormal"), _spread(0.6, "off")
    assert "transport uncertainty" in drawn.model["kd_uncertainty"]
    assert "mean K_D" in fixed.model["kd_uncertainty"]
    wide = sum(v for v in drawn.final_mol_fraction_stderr.values())
    narrow = sum(v for v in fixed.final_mol_fraction_stderr.values())
    assert wide > 1.3 * narrow
    none = _spread(None, "lognormal")
    assert "no standard error" in none.model["kd_uncertainty"]
    assert any("K_D adds no spread" in w for w in none.warnings)
    assert none.final_mol_fraction == fixed.final_mol_fraction  # nothing drawn, same streams


def test_realisations_sharing_a_draw_count_once():
    """The crossed blocks of four share draws: with both inputs sampled a block is one
    independent unit, with one input its draws are, with neither every realisation is."""
    from ionflux.ca.spread import independent_draws

    both, thermo, kd = ({"thermodynamics": t, "K_D": k}
                        for t, k in ((True, True), (True, False), (False, True)))
    assert independent_draws(8, both) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert independent_draws(8, thermo) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert independent_draws(8, kd) == [0, 1, 0, 1, 2, 3, 2, 3]
    assert independent_draws(8, {"thermodynamics": False, "K_D": False}) == list(range(8))
    assert independent_draws(6, both) == list(range(6))  # own draws per realisation


def test_wilson_interval_agrees_with_scipy_and_covers_when_draws_are_counted():
    """Against scipy's Wilson interval; and exactly (binomial sums, no sampling): for pairs of
    realisations that share their draw and so their majority, the interval over the 12 draws
    covers p = 0.3 in >= 93 % of outcomes, while one that counted the 24 realisations as
    independent would cover it in < 85 %."""
    from scipy.stats import binom, binomtest

    from ionflux.ca.spread import wilson_interval

    for k, n in ((0, 4), (2, 4), (8, 10), (3, 12), (12, 12)):
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson_interval(k / n, n) == pytest.approx((ci.low, ci.high), abs=1e-9)

    def coverage(p: float, draws: int, counted: int) -> float:
        return sum(binom.pmf(k, draws, p) for k in range(draws + 1)
                   if wilson_interval(k / draws, counted)[0] <= p
                   <= wilson_interval(k / draws, counted)[1])

    assert coverage(0.3, 12, 12) >= 0.93
    assert coverage(0.3, 12, 24) < 0.85


def test_a_prediction_states_its_majority_interval_over_independent_draws():
    doc = predict({"BaO": 1, "TiO2": 1}, [(1250.0, 6.0)], mode="full", realisations=8, seed=2,
                  grid=8, thermo=fake_batio_thermo(), cache=False,
                  kd=KDWithErrors({p: 1e-3 for p in BA_TI_O_PRODUCTS}, rel=None),
                  scoring=ScoringSettings(s=3e9), automaton=AutomatonSettings())
    from ionflux.ca.spread import wilson_interval

    assert doc.uncertainty["sampled"] == {"thermodynamics": True, "K_D": False}
    assert doc.uncertainty["independent_draws"] == 4
    assert set(doc.majority_probability_interval) == set(doc.majority_probability)
    for phase, p in doc.majority_probability.items():
        assert doc.majority_probability_interval[phase] == pytest.approx(wilson_interval(p, 4))
    best = max(doc.majority_probability, key=doc.majority_probability.__getitem__)
    low, high = doc.majority_probability_interval[best]
    assert doc.majority_text(best) == (f"{doc.majority_probability[best]:.2f} "
                                       f"[{low:.2f}-{high:.2f}, 4 draws]")


def test_one_products_k_d_errors_move_together_across_reactant_pairs(distilled_melt_kd_table):
    """Why SampledKD draws the error of L per set of runs, not K_D per reactant pair: the
    linearised K_D errors (dK = coef . dL with the document's L covariance, as in
    ionflux.kinetics.kd) of one product correlate between the pairs that offer it at a median
    of >= 0.95 (minimum >= 0.7) on our melts, where independent draws would assume 0."""
    import itertools

    from ionflux.formula import Composition

    table = distilled_melt_kd_table
    phases = ("BaO", "TiO2", "BaTiO3", "Ba2TiO4", "BaTi2O5", "Ba4Ti13O30", "BaTi4O9",
              "BaTi5O11", "Ba2Ti9O20")
    for product in ("BaTiO3", "Ba2TiO4", "BaTi2O5", "BaTi5O11"):
        doc = table.transport_doc(product, 1750.0)
        species = list(doc.species)
        per_fu = {el.symbol: float(a) for el, a in
                  Composition(doc.formula).reduced_composition.items()}
        inv_n = np.array([0.0 if s == "O" else 1.0 / per_fu[s] for s in species])
        cov = np.array(doc.L_covariance)
        slopes = []
        for a, b in itertools.combinations(phases, 2):
            force = table.driving_force(a, b, 1750.0)
            dmu = np.array([force.delta_mu_eV[s] for s in species])
            if not np.any(dmu):
                continue
            flux = doc.matrix("L") @ dmu
            slopes.append(((np.sign(flux) * inv_n)[:, None] * dmu[None, :]).ravel())
        corr = [u @ cov @ v / np.sqrt((u @ cov @ u) * (v @ cov @ v))
                for u, v in itertools.combinations(slopes, 2)]
        assert len(slopes) > 10
        assert np.median(corr) >= 0.95 and min(corr) >= 0.7, (product, np.median(corr))
