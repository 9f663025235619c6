"""The correlated G_delta error model: what cancels, what it refuses, what the spread is."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ionflux.ca.reactions import enumerate_reactions, phase_infos, reaction_energy_per_atom
from ionflux.ca.spread import attribute_spread, draw_layout
from ionflux.errors import InputError
from ionflux.thermo import ThermoData
from ionflux.thermo.uncertainty import (
    GibbsErrorModel,
    check_error_model,
    draw_errors,
    hull_margins_0K,
)

LINE = ("BaO", "TiO2", "BaTiO3", "Ba2TiO4", "BaTi2O5", "BaTi5O11", "Ba2Ti9O20", "Ba4Ti13O30")


@pytest.fixture(scope="module")
def infos():
    return phase_infos(LINE, ThermoData.bundled(), {"Ba2Ti9O20": 2000.0})


def test_shared_part_cancels_in_every_balanced_reaction(infos):
    """rho = 1: all error shared and linear in composition, so no reaction energy moves."""
    comps = {f: p.composition for f, p in infos.items()}
    reactions = enumerate_reactions(comps)
    eps = draw_errors(GibbsErrorModel(shared_fraction=1.0), comps, [1500.0],
                      np.random.default_rng(3))[1500.0]
    assert max(abs(e) for e in eps.values()) > 0.005
    shifts = [reaction_energy_per_atom(r, eps, infos) for r in reactions]
    assert max(abs(v) for v in shifts) < 1e-12


def test_own_part_has_the_stated_spread(infos):
    """The part that moves reaction energies: sqrt(1 - rho) sigma(T), sigma linear in T from 0
    at 298 K to 50 meV/atom at 1800 K; one draw per phase used at every temperature."""
    model = GibbsErrorModel()
    comps = {f: p.composition for f, p in infos.items()}
    rng = np.random.default_rng(0)
    # BaO + TiO2 -> BaTiO3 moves by own(BaTiO3) - (2 own(BaO) + 3 own(TiO2))/5 (atom weights)
    draws = []
    for _ in range(4000):
        eps = draw_errors(model, comps, [1000.0, 1500.0], rng)
        draws.append([eps[t]["BaTiO3"] - (2 * eps[t]["BaO"] + 3 * eps[t]["TiO2"]) / 5
                      for t in (1000.0, 1500.0)])
    draws = np.array(draws)
    expected = math.sqrt(1 + (4 + 9) / 25) * math.sqrt(0.2) * 0.05 * (
        np.array([1000.0, 1500.0]) - 298.15) / (1800 - 298.15)
    assert draws.std(axis=0) == pytest.approx(expected, rel=0.05)
    assert np.corrcoef(draws.T)[0, 1] > 0.999  # one error per phase, scaled by sigma(T)


def test_a_model_that_would_reorder_the_0K_hull_is_refused(infos):
    thermo = ThermoData.bundled()
    enthalpies = {f: thermo.entry(f).formation_enthalpy_per_atom for f in infos}
    comps = {f: p.composition for f, p in infos.items()}
    check_error_model(GibbsErrorModel(), enthalpies, comps)  # no floor: accepted
    margins = hull_margins_0K(enthalpies, comps)
    # BaTi2O5 (mp-3943) is above the 0 K hull: no margin; the hull phases have one each
    assert "BaTi2O5" not in margins and {"BaTiO3", "BaTi5O11"} <= set(margins)
    phase = min(margins, key=margins.__getitem__)
    edge = margins[phase] / (2 * math.sqrt(1 - 0.8))  # floor whose 2 own sigma is the margin
    check_error_model(GibbsErrorModel(sigma_floor_eV_per_atom=0.95 * edge), enthalpies, comps)
    with pytest.raises(InputError, match=f"exceeds {phase}'s 0 K stability margin"):
        check_error_model(GibbsErrorModel(sigma_floor_eV_per_atom=1.05 * edge), enthalpies,
                          comps)


class _Result:
    def __init__(self, shares: np.ndarray) -> None:
        self.phases = ("BaO", "TiO2", "A", "B")
        frac = np.zeros((len(shares), 2, 4))
        frac[:, -1, 2] = shares
        frac[:, -1, 3] = 1 - shares
        self.mol_fractions = frac


def test_crossed_blocks_recover_known_variances():
    """y = T + K + noise with known variances: the block contrasts give them back."""
    rng = np.random.default_rng(5)
    n = 4000
    layout = draw_layout(n)
    assert layout[:4] == [(0, 0), (0, 1), (1, 0), (1, 1)] and layout[4] == (2, 2)
    t_eff = rng.normal(0, 0.05, n)
    k_eff = rng.normal(0, 0.02, n)
    y = 0.6 + np.array([t_eff[t] + k_eff[k] for t, k in layout]) + rng.normal(0, 0.01, n)
    out = attribute_spread(_Result(y), ["BaO", "TiO2"], n)
    assert out["variance"]["thermodynamics"] == pytest.approx(0.05 ** 2, rel=0.15)
    assert out["variance"]["K_D"] == pytest.approx(0.02 ** 2, rel=0.25)
    assert out["variance"]["automaton"] == pytest.approx(0.01 ** 2, rel=0.15)
    assert out["dominant"] == "thermodynamics"
    assert "multiples of 4" in attribute_spread(_Result(y[:6]), ["BaO", "TiO2"], 6)[
        "attribution"]
    # K_D not drawn: its variance is 0 and its contrast joins the noise estimate
    no_kd = attribute_spread(_Result(0.6 + np.array([t_eff[t] for t, _ in layout])
                                     + rng.normal(0, 0.01, n)), ["BaO", "TiO2"], n,
                             {"thermodynamics": True, "K_D": False})
    assert no_kd["variance"]["K_D"] == 0.0
    assert no_kd["variance"]["automaton"] == pytest.approx(0.01 ** 2, rel=0.1)


def test_hull_probabilities_reduce_to_the_mean_hull_without_own_errors():
    from ionflux.thermo.hull import hull_at
    from ionflux.thermo.uncertainty import hull_probabilities

    thermo = ThermoData.bundled()
    rng = np.random.default_rng(1)
    shared_only = hull_probabilities(thermo, LINE, 1500.0, GibbsErrorModel(shared_fraction=1.0),
                                     20, rng)
    mean = {p.formula: p.e_above_hull_eV_per_atom == 0
            for p in hull_at(thermo, 1500.0, LINE).phases}
    assert shared_only == {f: float(on) for f, on in mean.items()}
    spread = hull_probabilities(thermo, LINE, 1500.0, GibbsErrorModel(), 60, rng)
    # Ba2Ti9O20 is ~1 meV/atom above the hull, 16 meV/atom own spread: on it in some draws
    assert 0.1 < spread["Ba2Ti9O20"] < 0.9 and spread["BaO"] == 1.0


@pytest.mark.parametrize("temperature", [1000.0, 1200.0, 1400.0, 1600.0])
def test_own_spread_matches_the_descriptor_scatter_against_nist_janaf(temperature):
    """The model's own part against an independent measurement: MP + Bartel minus NIST-JANAF
    for the four Ti oxides with NIST data, less its 300 K value (the enthalpy error) and less a
    linear fit in composition (what the shared part absorbs); residual rms with 2 dof."""
    mp = ThermoData.bundled()
    nist = ThermoData.bundled(prefer_experimental=True)
    oxides = ("TiO", "Ti2O3", "Ti3O5", "TiO2")

    def error(f, t):
        return (mp.gibbs_formation_energy_per_atom(f, t)
                - nist.gibbs_formation_energy_per_atom(f, t))

    d = np.array([error(f, temperature) - error(f, 300.0) for f in oxides])
    x = np.array([mp.composition(f).get_atomic_fraction("O") for f in oxides])
    residual = d - np.polyval(np.polyfit(x, d, 1), x)
    measured = math.sqrt(float((residual ** 2).sum()) / 2)
    assert GibbsErrorModel().own_sigma(temperature) == pytest.approx(measured, rel=0.35)
