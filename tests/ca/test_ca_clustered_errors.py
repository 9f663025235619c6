"""Standard errors over realisations that share input draws (ionflux.ca.spread.clustered_stderr).

Realisations come in crossed blocks that share thermodynamic (and K_D) draws, and the
thermodynamic draw dominates the spread, so realisations of one draw mostly agree: an error
that counted them as independent would be too small by up to sqrt(realisations / draws).
"""

from __future__ import annotations

import numpy as np
import pytest
from ca_fakes import FakeKD, fake_batio_thermo

from ionflux.ca.documents import StepEnd
from ionflux.ca.fidelity import lead, mean_se
from ionflux.ca.predict import predict
from ionflux.ca.reactions import BA_TI_O_PRODUCTS
from ionflux.ca.settings import AutomatonSettings, ScoringSettings
from ionflux.ca.spread import clustered_stderr, independent_draws, joint_groups


def test_clustered_stderr_is_the_spread_of_the_draw_means():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(12, 3))
    groups = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    means = values.reshape(6, 2, 3).mean(axis=1)
    assert clustered_stderr(values, groups) == pytest.approx(means.std(axis=0, ddof=1) / 6 ** .5)
    # every realisation its own draw: the textbook std(ddof=1)/sqrt(n)
    assert clustered_stderr(values) == pytest.approx(values.std(axis=0, ddof=1) / 12 ** .5)
    # labels need not be contiguous or sorted
    labels = np.array([3, 3, 7, 7] * 3)
    two = np.array([values[labels == g, 0].mean() for g in (3, 7)])
    assert clustered_stderr(values[:, 0], labels) == pytest.approx(two.std(ddof=1) / 2 ** .5)
    assert clustered_stderr(values, [0] * 12) is None
    with pytest.raises(ValueError, match="11 group labels for 12"):
        clustered_stderr(values, groups[:11])


def test_counting_draws_gives_95_percent_coverage_counting_realisations_does_not():
    """Pairs of realisations share a draw whose effect (sd 1) dominates the automaton's noise
    (sd 0.3): mean ± 1.96 SE covers the true mean in ~95 % of 4000 samples of 24 draws with
    the clustered error (t with 23 degrees of freedom: 94.2 %), in ~84 % with the naive one."""
    rng = np.random.default_rng(7)
    trials, draws = 4000, 24
    effect = rng.normal(size=(trials, draws)).repeat(2, axis=1)
    values = effect + 0.3 * rng.normal(size=effect.shape)
    groups = np.arange(draws).repeat(2)
    mean = values.mean(axis=1)
    clustered = clustered_stderr(values.T, groups)
    naive = clustered_stderr(values.T)
    covered = np.abs(mean) <= 1.96 * clustered
    assert 0.93 <= covered.mean() <= 0.955
    assert (np.abs(mean) <= 1.96 * naive).mean() < 0.87


def _pairs_end(z: float, draw_group: list[int] | None) -> StepEnd:
    """X ahead of Y by exactly ``z`` SE counted over four draws, each draw run twice alike."""
    a = 0.02
    se = 2 * a * (4 / 3) ** .5 / 2  # d = m +- 2a alternately over 4 draws
    m = z * se
    rows = [{"X": 0.5 + m / 2 + s * a, "Y": 0.5 - m / 2 - s * a} for s in (1, -1, 1, -1)]
    return StepEnd(step=0, time=1.0, temperature_K=1200.0,
                   mol_fraction_realisations=[r for r in rows for _ in range(2)],
                   draw_group=draw_group)


def test_a_lead_counts_realisations_of_one_draw_once():
    """2.5 SE over the four draws is not a majority; counting the eight realisations as
    independent would have read it as 3.8 SE, a pass."""
    shared = _pairs_end(2.5, [0, 0, 1, 1, 2, 2, 3, 3])
    ok, why = lead(shared, "X")
    assert not ok and "2.5 SE" in why and "4 independent draws of 8 realisations" in why
    naive_ok, naive_why = lead(_pairs_end(2.5, None), "X")
    assert naive_ok and "3.8 SE" in naive_why and "n=8" in naive_why
    assert lead(_pairs_end(3.1, [0, 0, 1, 1, 2, 2, 3, 3]), "X")[0]
    one_draw = lead(_pairs_end(3.1, [0] * 8), "X")
    assert not one_draw[0] and "one independent draw" in one_draw[1]
    d = np.array([r["X"] - r["Y"] for r in shared.mol_fraction_realisations])
    assert mean_se(d, shared.draw_group)[1] == pytest.approx(d[::2].std(ddof=1) / 2)


def test_a_prediction_states_its_errors_over_independent_draws():
    """Thermodynamics sampled, K_D fixed: realisations pair up by thermodynamic draw; the
    documented errors (series, final, cation fractions) are those of the four draw means."""
    doc = predict({"BaO": 1, "TiO2": 1}, [(1250.0, 6.0)], mode="full", realisations=8, seed=2,
                  grid=8, thermo=fake_batio_thermo(), cache=False,
                  kd=FakeKD({p: 1e-3 for p in BA_TI_O_PRODUCTS}),
                  scoring=ScoringSettings(s=3e9), automaton=AutomatonSettings())
    groups = independent_draws(8, doc.uncertainty["sampled"])
    assert groups == [0, 0, 1, 1, 2, 2, 3, 3]
    end = doc.step_ends[-1]
    assert end.draw_group == groups
    phases = sorted(doc.final_mol_fraction)
    rows = np.array([[r.get(p, 0.0) for p in phases] for r in end.mol_fraction_realisations])
    draw_means = rows.reshape(4, 2, -1).mean(axis=1)
    expected = draw_means.std(axis=0, ddof=1) / 2
    for phase, err in zip(phases, expected, strict=True):
        assert doc.final_mol_fraction_stderr[phase] == pytest.approx(err, abs=1e-12)
    assert doc.series[-1].mol_fraction_stderr == doc.final_mol_fraction_stderr
    moving = [p for p, e in zip(phases, expected, strict=True) if e > 0]
    assert moving, "the draws should move some fraction"
    naive = rows.std(axis=0, ddof=1) / 8 ** .5
    assert any(doc.final_mol_fraction_stderr[p] != pytest.approx(naive[phases.index(p)])
               for p in moving)
    cation_rows = np.array([[doc_cations.get(p, 0.0) for p in phases] for doc_cations in
                            (_cations(r) for r in end.mol_fraction_realisations)])
    cation_expected = cation_rows.reshape(4, 2, -1).mean(axis=1).std(axis=0, ddof=1) / 2
    for phase, err in zip(phases, cation_expected, strict=True):
        assert doc.final_cation_fraction_stderr[phase] == pytest.approx(err, abs=1e-12)


def _cations(row: dict[str, float]) -> dict[str, float]:
    from ionflux.ca.documents import cation_fractions

    return cation_fractions(row)


def test_joint_groups_join_what_either_run_puts_together():
    pairs, blocks = [0, 0, 1, 1, 2, 2, 3, 3], [5, 5, 5, 5, 9, 9, 9, 9]
    assert len(set(joint_groups(pairs, blocks, 8))) == 2
    assert joint_groups(pairs, blocks, 8) == joint_groups(blocks, pairs, 8)
    # crossed groupings chain every realisation into one group
    assert len(set(joint_groups([0, 1, 0, 1], [0, 0, 1, 1], 4))) == 1
    assert len(set(joint_groups(None, None, 5))) == 5
    assert len(set(joint_groups(pairs, None, 8))) == 4
    with pytest.raises(ValueError, match="group labels"):
        joint_groups(pairs, [0, 1], 8)


@pytest.mark.parametrize("shared", [True, False])
def test_paired_contrast_covers_whether_or_not_runs_share_draws(shared):
    """Two runs of 96 realisations in pairs that share a draw effect (sd 1, noise 0.3): the
    paired difference's SE over the joint groups covers the true difference 95 % of the time
    when the runs share their draws (same seed: the effects cancel, the SE is small) and when
    they do not (independent seeds); the unpaired SE covers too but is ~3x wider when shared."""
    rng = np.random.default_rng(11)
    groups = np.repeat(np.arange(48), 2)
    hits, paired_se, unpaired_se = 0, [], []
    for _ in range(2000):
        effect = rng.normal(size=48)[groups]
        a = 0.5 + effect + rng.normal(scale=0.3, size=96)
        other = effect if shared else rng.normal(size=48)[groups]
        b = 0.2 + 0.8 * other + rng.normal(scale=0.3, size=96)
        _, se = mean_se(a - b, joint_groups(groups, groups, 96))
        hits += abs((a - b).mean() - 0.3) < 1.959964 * se
        paired_se.append(se)
        unpaired_se.append(np.hypot(mean_se(a, groups)[1], mean_se(b, groups)[1]))
    assert 0.93 <= hits / 2000 <= 0.97
    ratio = np.mean(unpaired_se) / np.mean(paired_se)
    assert ratio > 2.5 if shared else ratio == pytest.approx(1.0, abs=0.05)
