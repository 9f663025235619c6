"""The automaton: mixture, exact mass balance, seeds, analytic rates, fast == reference."""

from __future__ import annotations

import numpy as np
import pytest
from ca_fakes import rxn, simple_phases
from scipy.stats import hypergeom

from ionflux.ca.automaton import initial_state, precursor_cells, run_automaton
from ionflux.ca.settings import AutomatonSettings
from ionflux.ca.table import build_table
from ionflux.errors import InputError

T1, T2 = 1000.0, 1200.0


def toy_table(volumes=None, scores=None):
    """A + B chemistry with pair reactions, follow-up reactions and decompositions."""
    phases = simple_phases(volumes)
    reactions = [
        rxn("pair", {"A": 1, "B": 1}, {"C": 1}),
        rxn("pair", {"A": 1, "B": 2}, {"D": 1}),
        rxn("pair", {"A": 2, "B": 1}, {"E": 1}),
        rxn("pair", {"C": 1, "B": 1}, {"D": 1}),
        rxn("pair", {"A": 1, "C": 1}, {"E": 1}),
        rxn("pair", {"D": 1, "E": 1}, {"C": 3}),
        rxn("decomposition", {"D": 1}, {"C": 1, "B": 1}),
        rxn("decomposition", {"C": 3}, {"D": 1, "E": 1}),
    ]
    scores = scores or {T1: [1.0, 0.5, 0.5, 0.8, 0.8, 0.3, 0.2, 0.1],
                        T2: [0.2, 2.0, 0.1, 0.1, 1.5, 0.0, 0.6, 0.0]}
    return build_table(phases, reactions, scores)


def test_initial_mixture_has_the_exact_molar_ratio():
    table = toy_table(volumes={"A": 2.0, "B": 1.0})
    ids, counts, per_cell = precursor_cells(table, {"A": 1.0, "B": 3.0}, 1000, 10)
    # volume fractions 2:3 -> 400 and 600 cells; moles shared equally -> exact 1:3
    assert counts.tolist() == [400, 600]
    moles = counts * per_cell
    assert moles[1] / moles[0] == pytest.approx(3.0, rel=1e-14)
    assert (moles * table.molar_volume[ids]).sum() == pytest.approx(1000.0)
    phase, amount = initial_state(table, {"A": 1.0, "B": 3.0}, 10, np.random.default_rng(1), 10)
    assert np.bincount(phase, minlength=5)[:2].tolist() == [400, 600]
    assert amount[phase == 1].sum() / amount[phase == 0].sum() == pytest.approx(3.0)


def test_bad_mixtures_and_profiles_are_one_line_errors():
    table = toy_table()
    with pytest.raises(InputError, match="too small for this mixture: precursor A"):
        precursor_cells(table, {"A": 1.0, "B": 200.0}, 125, 10)
    with pytest.raises(InputError, match="must be > 0"):
        precursor_cells(table, {"A": 0.0, "B": 1.0}, 125, 1)
    with pytest.raises(InputError, match="not among the automaton phases"):
        precursor_cells(table, {"A": 1.0, "Q": 1.0}, 125, 1)
    with pytest.raises(InputError, match="no steps"):
        run_automaton(table, {"A": 1, "B": 1}, [], grid=5)
    with pytest.raises(InputError, match="duration"):
        run_automaton(table, {"A": 1, "B": 1}, [(T1, 0.0)], grid=5)
    with pytest.raises(InputError, match="no reaction scores at 1100 K"):
        run_automaton(table, {"A": 1, "B": 1}, [(1100.0, 1.0)], grid=5)
    with pytest.raises(InputError, match="at least 3"):
        run_automaton(table, {"A": 1, "B": 1}, [(T1, 1.0)], grid=2)
    with pytest.raises(InputError, match="cell updates"):
        run_automaton(table, {"A": 1, "B": 1}, [(T1, 1e6)], grid=30,
                      settings=AutomatonSettings(max_cell_updates=1e9))


def test_same_seed_same_result_and_different_seed_different_result():
    table = toy_table(volumes={"A": 1.3, "B": 0.7, "C": 2.1, "D": 2.9, "E": 3.2})
    settings = AutomatonSettings(inertia=1.0)
    profile = [(T1, 3.0), (T2, 2.0)]
    a = run_automaton(table, {"A": 1, "B": 1}, profile, grid=8, realisations=2, seed=5,
                      settings=settings)
    b = run_automaton(table, {"A": 1, "B": 1}, profile, grid=8, realisations=2, seed=5,
                      settings=settings)
    c = run_automaton(table, {"A": 1, "B": 1}, profile, grid=8, realisations=2, seed=6,
                      settings=settings)
    assert np.array_equal(a.moles, b.moles) and np.array_equal(a.events, b.events)
    assert not np.array_equal(a.moles, c.moles)
    # realisations of one request are independent of each other
    assert not np.array_equal(a.moles[0], a.moles[1])


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_element_totals_are_conserved_exactly(engine):
    table = toy_table(volumes={"A": 1.3, "B": 0.7, "C": 2.1, "D": 2.9, "E": 3.2})
    settings = AutomatonSettings(inertia=0.5)
    grid, sweeps = (10, 40.0) if engine == "fast" else (6, 15.0)
    result = run_automaton(table, {"A": 2, "B": 3}, [(T1, sweeps), (T2, sweeps)], grid=grid,
                           realisations=2, seed=3, settings=settings, engine=engine)
    assert result.events.sum() > 5 * grid ** 3  # plenty of reactions happened
    for moles in result.moles:
        totals = moles @ table.composition  # (records, elements)
        drift = np.abs(totals - totals[0]) / totals[0]
        assert drift.max() < 1e-12
    assert result.element_drift < 1e-12
    # the X:Y ratio is the requested 2:3 at every record
    atoms = result.moles[0] @ table.composition
    ratio = atoms[:, 0] / atoms[:, 1]
    assert np.allclose(ratio, 2 / 3, rtol=1e-12)


def _expected_first_events(n_cells, n_a, score, inertia, proceed):
    """Expected reactions per update at t = 0 when every neighbour is offered.

    A random cell of phase P has k foreign neighbours, k ~ hypergeometric(N-1, N_other, 6); it
    reacts with probability k S / (w0 + k S), then proceeds with probability ``proceed``.
    """
    total = 0.0
    for n_same, n_other in ((n_a, n_cells - n_a), (n_cells - n_a, n_a)):
        k = np.arange(7)
        pk = hypergeom(n_cells - 1, n_other, 6).pmf(k)
        total += n_same / n_cells * np.sum(pk * k * score / (inertia + k * score))
    return total * proceed


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_first_updates_offer_every_neighbour(engine):
    phases = simple_phases()
    table = build_table(phases, [rxn("pair", {"A": 1, "B": 1}, {"C": 1})], {T1: [1.0]})
    grid, updates = 16, 48
    n_cells = grid ** 3
    settings = AutomatonSettings(inertia=2.0, cell_swaps="off")
    realisations = 600 if engine == "fast" else 250
    result = run_automaton(table, {"A": 1, "B": 1}, [(T1, updates / n_cells)], grid=grid,
                           realisations=realisations, seed=11, settings=settings, engine=engine)
    per_update = result.events[:, 0] / updates
    # a fresh A|B pair holds 2 nominal volumes -> proceeds with probability 1/2
    expected = _expected_first_events(n_cells, n_cells // 2, 1.0, 2.0, 0.5)
    sem = per_update.std(ddof=1) / np.sqrt(realisations)
    assert abs(per_update.mean() - expected) < 4 * sem + 0.01 * expected
    # one neighbour per update (the reference CA's behaviour): foreign with probability 1/2
    one_neighbour = 0.5 * 1.0 / (2.0 + 1.0) * 0.5
    assert abs(per_update.mean() - one_neighbour) > 10 * sem


def test_decomposition_rate_matches_the_analytic_value():
    phases = simple_phases()
    table = build_table(phases, [rxn("decomposition", {"D": 1}, {"C": 1, "B": 1}),
                                 rxn("pair", {"A": 1, "B": 1}, {"C": 1})], {T1: [0.5, 1.0]})
    # an almost pure D powder (B is only there because a mixture needs two precursors)
    grid, updates = 20, 80
    n_cells = grid ** 3
    settings = AutomatonSettings(inertia=1.0, min_cells_per_precursor=1, cell_swaps="off")
    mixture = {"D": 1.0, "B": 1e-3}
    result = run_automaton(table, mixture, [(T1, updates / n_cells)], grid=grid,
                           realisations=300, seed=2, settings=settings)
    n_d = precursor_cells(table, mixture, n_cells, 1)[1][0]
    dec = table.labels.index("D -> C + B")
    per_update = result.events[:, dec] / updates
    # pooled pair of two unit cells (2 volumes) proceeds with probability 1/2
    expected = n_d / n_cells * 0.5 / (1.0 + 0.5) * 0.5
    sem = per_update.std(ddof=1) / np.sqrt(len(per_update))
    assert abs(per_update.mean() - expected) < 4 * sem + 0.01 * expected


@pytest.mark.slow
@pytest.mark.parametrize("pair_weight", ["sum", "max"])
def test_fast_and_reference_engines_agree_statistically(pair_weight):
    table = toy_table(volumes={"A": 1.3, "B": 0.7, "C": 2.1, "D": 2.9, "E": 3.2})
    # swaps on (fixed rate, so both engines swap often) to check that rule too
    settings = AutomatonSettings(inertia=1.5, cell_swaps="fixed", swap_rate=0.2,
                                 pair_weight=pair_weight)
    profile = [(T1, 6.0), (T2, 6.0)]
    runs = {}
    for engine, seed in (("fast", 100), ("reference", 200)):
        runs[engine] = run_automaton(table, {"A": 1, "B": 1}, profile, grid=6,
                                     realisations=48, seed=seed, settings=settings,
                                     engine=engine)
    fast, ref = runs["fast"].mol_fractions, runs["reference"].mol_fractions
    assert np.array_equal(runs["fast"].times, runs["reference"].times)
    middle = fast.shape[1] // 2
    for index in (middle, -1):
        a, b = fast[:, index, :], ref[:, index, :]
        diff = a.mean(axis=0) - b.mean(axis=0)
        sem = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
        assert np.all(np.abs(diff) <= 4 * sem + 1e-3), (index, diff, sem)
    # and the runs really evolved: products are a sizeable part at the end
    assert fast[:, -1, 2:].sum(axis=1).mean() > 0.3
    ev_fast = runs["fast"].events.mean(axis=0)
    ev_ref = runs["reference"].events.mean(axis=0)
    ev_sem = np.sqrt(runs["fast"].events.var(axis=0, ddof=1) / 48
                     + runs["reference"].events.var(axis=0, ddof=1) / 48)
    assert np.all(np.abs(ev_fast - ev_ref) <= 4 * ev_sem + 1.0)


def test_swap_probability_is_the_reference_formula():
    """swap(x) = (20x - 18.5) / (2 sqrt((20x - 18.5)^2 + 1)) + 1/2 (SCIENCE.md §5: about 0.4 %
    at x = 0.5, 1 % at 0.7, 50 % at 0.925)."""
    from ionflux.ca.updates import swap_probability

    def by_hand(x):
        y = 20 * x - 18.5
        return y / (2 * np.sqrt(y * y + 1)) + 0.5

    for x in (0.3, 0.5, 0.7, 0.925, 1.0, 1.2):
        assert float(swap_probability(x)) == pytest.approx(by_hand(x), rel=1e-12)
    assert float(swap_probability(0.5)) == pytest.approx(0.0034, abs=2e-4)
    assert float(swap_probability(0.7)) == pytest.approx(0.0119, abs=2e-4)
    assert float(swap_probability(0.925)) == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize(("rule", "temperature", "expected"),
                         [("fixed", T1, 0.3), ("reference", 1850.0, 0.5)])
def test_swaps_happen_at_the_analytic_rate_and_only_move_cells(engine, rule, temperature,
                                                               expected):
    """With no reaction offered, every update swaps with probability p (Binomial count), and
    swaps only permute cells: the multiset of (phase, amount) is unchanged."""
    phases = simple_phases()  # every T_m = 2000 K: x = 1850/2000 = 0.925 -> p = 1/2
    table = build_table(phases, [rxn("pair", {"A": 1, "B": 1}, {"C": 1})],
                        {temperature: [0.0]})
    settings = AutomatonSettings(cell_swaps=rule, swap_rate=0.3 if rule == "fixed" else 0.0)
    grid = 6 if engine == "reference" else 10
    n_cells = grid ** 3
    sweeps = 3.0
    result = run_automaton(table, {"A": 1, "B": 2}, [(temperature, sweeps)], grid=grid,
                           realisations=4, seed=9, settings=settings, engine=engine)
    updates = round(sweeps * n_cells)
    sigma = np.sqrt(updates * expected * (1 - expected))
    for swaps in result.swaps:
        assert abs(swaps - expected * updates) < 4.5 * sigma
    assert np.array_equal(result.moles[:, 0], result.moles[:, -1])  # nothing reacted
    assert result.events.sum() == 0


def test_swaps_off_means_none():
    phases = simple_phases()
    table = build_table(phases, [rxn("pair", {"A": 1, "B": 1}, {"C": 1})], {1850.0: [0.0]})
    result = run_automaton(table, {"A": 1, "B": 1}, [(1850.0, 2.0)], grid=6, realisations=2,
                           seed=1, settings=AutomatonSettings(cell_swaps="off"))
    assert result.swaps.tolist() == [0, 0]


def test_meaningless_settings_are_refused():
    from pydantic import ValidationError

    for bad in ({"inertia": 0.0}, {"inertia": -1.0}, {"swap_rate": 1.5}, {"swap_rate": -0.1},
                {"sweeps_per_unit": 0.0}):
        with pytest.raises(ValidationError):
            AutomatonSettings(**bad)


@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize(("rule", "weight"), [("sum", 1.5), ("max", 1.0)])
def test_pair_weight_rule_sets_the_first_event_rate(engine, rule, weight):
    """A + B has two products with scores 1.0 and 0.5: a foreign neighbour is offered with
    weight 1.5 ('sum') or 1.0 ('max'); within the pair, C : D events go 2 : 1 either way."""
    phases = simple_phases()
    table = build_table(phases, [rxn("pair", {"A": 1, "B": 1}, {"C": 1}),
                                 rxn("pair", {"A": 1, "B": 2}, {"D": 1})], {T1: [1.0, 0.5]})
    grid, updates = 16, 48
    n_cells = grid ** 3
    settings = AutomatonSettings(inertia=2.0, cell_swaps="off", pair_weight=rule,
                                 event_volume=10.0)  # every chosen event proceeds
    realisations = 500 if engine == "fast" else 200
    result = run_automaton(table, {"A": 1, "B": 1}, [(T1, updates / n_cells)], grid=grid,
                           realisations=realisations, seed=13, settings=settings, engine=engine)
    per_update = result.events.sum(axis=1) / updates
    expected = _expected_first_events(n_cells, n_cells // 2, weight, 2.0, 1.0)
    sem = per_update.std(ddof=1) / np.sqrt(realisations)
    assert abs(per_update.mean() - expected) < 4 * sem + 0.01 * expected
    c, d = result.events.sum(axis=0)
    assert abs(c / (c + d) - 2 / 3) < 4 * np.sqrt(2 / 9 / (c + d)) + 0.01
