"""Scores of SCIENCE.md §5 against values computed by hand from the formulas."""

from __future__ import annotations

import math

import pytest
from ca_fakes import FakeKD, FakeThermo, rxn, simple_phases

from ionflux.ca.reactions import phase_infos
from ionflux.ca.scoring import dg_star, kd_argument, rescore, score_reactions, sigma1, sigma2
from ionflux.ca.settings import ScoringSettings
from ionflux.errors import DataNotFoundError, InputError

KB = 8.617333262e-5


def test_sigma_functions_match_the_formulas():
    st = ScoringSettings()
    assert float(sigma1(0.0, st)) == pytest.approx(math.log(2) / 3)
    assert float(sigma1(2.0, st)) == pytest.approx(math.log(1 + math.exp(6)) / 3)
    assert float(sigma1(1e4, st)) == pytest.approx(1e4)  # linear, no overflow
    assert float(sigma2(0.8, st)) == pytest.approx(0.5 * math.log(2))  # centre c/b = 0.8
    assert float(sigma2(0.5, st)) == pytest.approx(0.5 * math.log(1 + math.exp(7 - 11.2)))
    assert float(dg_star(-0.03, st)) == pytest.approx(1.0)
    assert float(dg_star(-0.5, st)) == pytest.approx(2.0)
    assert float(dg_star(0.1, st)) == pytest.approx(1 + math.erf(-35 * 0.13))


def test_constants_are_configuration():
    st = ScoringSettings(a=1.0, b=10.0, c=5.0, d=10.0, e=0.0, sigma1_prefactor=1.0,
                         sigma2_prefactor=1.0)
    assert float(sigma1(1.0, st)) == pytest.approx(math.log(1 + math.e))
    assert float(sigma2(0.6, st)) == pytest.approx(math.log(1 + math.exp(1.0)))
    assert float(dg_star(-0.1, st)) == pytest.approx(1 + math.erf(1.0))


def _two_phase_case(mode, st=None, kd=None, t=1250.0, dg_h=-0.3):
    thermo = FakeThermo({"X": (0.0, 0.0, 10.0, 1500.0), "Y": (0.0, 0.0, 12.0, 1800.0),
                         "XY": (dg_h, 0.0, 11.0, 1700.0)})
    infos = phase_infos(["X", "Y", "XY"], thermo)
    reaction = rxn("pair", {"X": 1, "Y": 1}, {"XY": 1})
    energies = {t: [dg_h]}  # dG per atom of X + Y -> XY equals G_f(XY) here
    return score_reactions([reaction], infos, energies, mode, st or ScoringSettings(), kd)


def test_full_score_by_hand():
    st = ScoringSettings(s=2.0e8)
    kd = FakeKD({"XY": 3e-3})
    scored = _two_phase_case("full", st, kd)
    t, dg = 1250.0, -0.3
    x = 3e-3 * 1e-4 / (1e-14 * 2.0e8) * (1 + math.erf(-35 * (dg + 0.03))) / (KB * t)
    expected = (math.log(1 + math.exp(3 * x)) / 3) * 0.5 * math.log(
        1 + math.exp(14 * t / 1500.0 - 11.2))  # T_m = lowest reactant melting point (X)
    assert scored.scores[0][0] == pytest.approx(expected, rel=1e-12)
    assert scored.kd_cm2_s[0][0] == 3e-3
    assert kd.calls == [("XY", 1250.0, ("X", "Y"), "full")]
    assert float(kd_argument(3e-3, dg, t, st)) == pytest.approx(x)


def test_self_only_uses_self_kd_and_thermo_only_needs_none():
    st = ScoringSettings(s=2.0e8)
    kd = FakeKD({"XY": 3e-3})
    self_only = _two_phase_case("self-only", st, kd)
    assert kd.calls[-1][3] == "self-only" and self_only.kd_cm2_s[0][0] == 1.5e-3
    thermo_only = _two_phase_case("thermo-only", st, None)
    t = 1250.0
    expected = (math.log(1 + math.exp(3 * (1 + math.erf(-35 * (-0.3 + 0.03))))) / 3) * (
        0.5 * math.log(1 + math.exp(14 * t / 1500.0 - 11.2)))
    assert thermo_only.scores[0][0] == pytest.approx(expected)
    with pytest.raises(InputError, match="needs K_D data"):
        _two_phase_case("full", st, None)
    with pytest.raises(InputError, match="unknown scoring mode"):
        _two_phase_case("fast", st, kd)


def test_reference_gate_scores_uphill_reactions_by_their_thermodynamic_factor():
    """thermo_gate='reference' (the reference CA): beyond the threshold (0.01 eV/atom) a
    reaction is scored by (dG*/2) sigma2 in every mode and needs no K_D; below it the plain
    score, with K_D."""
    kd = FakeKD({"XY": 3e-3})
    ref = ScoringSettings(thermo_gate="reference")
    t, dg = 1250.0, 0.02
    expected = 0.5 * (1 + math.erf(-35 * (dg + 0.03))) * 0.5 * math.log(
        1 + math.exp(14 * t / 1500.0 - 11.2))
    for mode in ("full", "self-only", "thermo-only"):
        scored = _two_phase_case(mode, ref, None if mode == "thermo-only" else kd, dg_h=dg)
        assert scored.scores[0][0] == pytest.approx(expected, rel=1e-12)
    assert kd.calls == []
    inside = _two_phase_case("full", ref, kd, dg_h=0.005)
    x = 3e-3 * 1e-4 / (1e-14 * ref.s) * (1 + math.erf(-35 * 0.035)) / (KB * t)
    assert inside.scores[0][0] == pytest.approx(math.log(1 + math.exp(3 * x)) / 3 * 0.5 * (
        math.log(1 + math.exp(14 * t / 1500.0 - 11.2))), rel=1e-12)
    assert kd.calls == [("XY", t, ("X", "Y"), "full")]


def _gate_by_hand(dg: float) -> float:
    star = 1 + math.erf(-35 * (dg + 0.03))
    zero = 1 + math.erf(-35 * 0.03)
    return max(0.0, (star - zero) / (2 - zero))


def test_second_law_gate_by_hand_and_continuous_at_zero():
    """Default gate: S = [sigma1(x) - sigma1(0)(1 - g)] sigma2 with x built on 2g, written out
    by hand; zero for dG >= 0 (no K_D looked up), continuous as dG -> 0 from below."""
    kd = FakeKD({"XY": 3e-3})
    st = ScoringSettings()
    t = 1250.0
    tammann = 0.5 * math.log(1 + math.exp(14 * t / 1500.0 - 11.2))
    for dg in (-0.2, -0.03, -0.005):
        g = _gate_by_hand(dg)
        x = 3e-3 * 1e-4 / (1e-14 * st.s) * 2 * g / (KB * t)
        expected = (math.log(1 + math.exp(3 * x)) - math.log(2) * (1 - g)) / 3 * tammann
        assert _two_phase_case("full", st, kd, dg_h=dg).scores[0][0] == pytest.approx(
            expected, rel=1e-10)
    calls = len(kd.calls)
    for dg in (0.0, 0.005, 0.2):
        for mode in ("full", "thermo-only"):
            scored = _two_phase_case(mode, st, None if mode == "thermo-only" else kd, dg_h=dg)
            assert scored.scores[0][0] == 0.0
    assert len(kd.calls) == calls
    # continuity: below zero the score vanishes linearly with the affinity
    near = [_two_phase_case("full", st, kd, dg_h=-v).scores[0][0] for v in (1e-3, 1e-4, 1e-5)]
    assert near[0] / near[1] == pytest.approx(10, rel=0.1)
    assert near[1] / near[2] == pytest.approx(10, rel=0.01)


def test_kd_outside_its_table_is_an_error_unless_clamped():
    kd = FakeKD({"XY": 3e-3})
    with pytest.raises(DataNotFoundError, match="outside the K_D data of XY"):
        _two_phase_case("full", ScoringSettings(), kd, t=1800.0)
    scored = _two_phase_case("full", ScoringSettings(kd_out_of_range="clamp"), kd, t=1800.0)
    assert kd.calls[-1][1] == 1750.0
    assert any("nearest tabulated 1750 K" in w for w in scored.warnings)
    scored = _two_phase_case("full", ScoringSettings(), kd, t=900.0)
    assert any("750 K cross terms" in w for w in scored.warnings)


def test_decomposition_has_no_flux_in_transport_modes():
    """A single-phase reaction has no pair of domains (Delta_mu = 0): x = 0, so the gated floor
    ln(2)/3 g in the transport modes, sigma1(2g) - floor (1 - g) in thermo-only mode; no K_D
    look-up; not offered at all uphill (dG >= 0)."""
    phases = simple_phases()
    decomposition = rxn("decomposition", {"C": 2}, {"A": 1, "E": 1})
    st = ScoringSettings()
    kd = FakeKD({})
    full = score_reactions([decomposition], phases, {1500.0: [-0.1]}, "full", st, kd)
    thermo = score_reactions([decomposition], phases, {1500.0: [-0.1]}, "thermo-only", st)
    tammann = float(sigma2(1500.0 / phases["C"].melting_point_K, st))
    g = _gate_by_hand(-0.1)
    assert full.scores[0][0] == pytest.approx(math.log(2) / 3 * g * tammann, rel=1e-12)
    assert full.kd_cm2_s[0][0] == 0.0 and kd.calls == []
    assert thermo.scores[0][0] == pytest.approx(
        (float(sigma1(2 * g, st)) - math.log(2) / 3 * (1 - g)) * tammann, rel=1e-12)
    uphill = score_reactions([decomposition], phases, {1500.0: [0.004]}, "full", st, kd)
    assert uphill.scores[0][0] == 0.0
    ref = score_reactions([decomposition], phases, {1500.0: [0.004]}, "full",
                          ScoringSettings(thermo_gate="reference"), kd)
    assert ref.scores[0][0] == pytest.approx(math.log(2) / 3 * tammann, rel=1e-12)


def test_several_products_use_the_reference_rule():
    phases = simple_phases()
    reaction = rxn("pair", {"A": 3, "B": 3}, {"D": 1, "E": 1})  # not enumerated; custom
    kd = FakeKD({"D": 1e-3, "E": 4e-3})
    scored = score_reactions([reaction], phases, {1250.0: [-0.2]}, "full", ScoringSettings(),
                             kd)
    assert scored.kd_cm2_s[0][0] == pytest.approx(max(1e-3 * 0.5, 4e-3 * 0.5))


def test_rescore_reproduces_score_reactions_for_a_new_s():
    kd = FakeKD({"XY": 3e-3})
    first = _two_phase_case("full", ScoringSettings(s=1e8), kd)
    direct = _two_phase_case("full", ScoringSettings(s=5e9), kd)
    thermo = FakeThermo({"X": (0.0, 0.0, 10.0, 1500.0), "Y": (0.0, 0.0, 12.0, 1800.0),
                         "XY": (-0.3, 0.0, 11.0, 1700.0)})
    infos = phase_infos(["X", "Y", "XY"], thermo)
    again = rescore(first, [rxn("pair", {"X": 1, "Y": 1}, {"XY": 1})], infos,
                    ScoringSettings(s=5e9))
    assert again.scores[0] == pytest.approx(direct.scores[0])
    assert again.scores[0][0] < first.scores[0][0]
