"""Arrhenius shifts below the simulated temperatures and the pooled activation energy
(transport/extrapolation), against hand-computed values."""

from __future__ import annotations

import math
import warnings

import pytest

from ionflux.errors import InputError
from ionflux.transport.arrhenius import activation_energies
from ionflux.transport.extrapolation import (
    arrhenius_shifted,
    extended_below,
    pooled_activation_energy,
)
from ionflux.transport.time_axis import load_reference
from ionflux.units import KB_EV_PER_K


@pytest.fixture(scope="module")
def melt():
    """Our BaTi2O5 melt at 1750 K (it has errors on every L)."""
    return next(d for d in load_reference("Ba-Ti-O")
                if d.formula == "BaTi2O5" and d.temperature_K == 1750.0)


def test_shift_scales_d_by_arrhenius_and_l_by_an_extra_t0_over_t(melt):
    energy, t = 0.8, 1250.0
    shifted = arrhenius_shifted(melt, t, energy, "test value")
    d_ratio = math.exp(-energy / KB_EV_PER_K * (1 / t - 1 / 1750.0))
    for el in melt.species:
        assert shifted.D_self_cm2_s[el] == pytest.approx(melt.D_self_cm2_s[el] * d_ratio,
                                                          rel=1e-12)
        assert shifted.correlation_factor[el] == melt.correlation_factor[el]
    for i, row in enumerate(melt.L):
        for j, value in enumerate(row):
            assert shifted.L[i][j] == pytest.approx(value * d_ratio * 1750.0 / t, rel=1e-12)
            assert shifted.L_stderr[i][j] == pytest.approx(
                melt.L_stderr[i][j] * d_ratio * 1750.0 / t, rel=1e-12)
    # the independent two-temperature estimate reads the same energy back for every species
    for el, (got, _) in activation_energies(shifted, melt).items():
        assert got == pytest.approx(energy, rel=1e-10), el
    assert shifted.temperature_K == t and shifted.correlation_functions is None
    method = shifted.provenance.method
    assert method["arrhenius_from_K"] == 1750.0 and method["activation_energy_eV"] == energy
    assert method["activation_origin"] == "test value"
    assert any("not simulated at 1250 K" in w for w in shifted.warnings)


def test_bad_shifts_are_refused(melt):
    with pytest.raises(InputError, match="activation energy must be positive"):
        arrhenius_shifted(melt, 1500.0, -0.1, "x")
    with pytest.raises(InputError, match="positive number of kelvin"):
        arrhenius_shifted(melt, 0.0, 0.5, "x")


def _pair(doc, energies: dict[str, float], errors: dict[str, float]):
    """``doc`` at 1750 K and its exact shift to 2000 K with per-species ``energies``, both
    with relative L_self errors chosen so that each E_a gets the standard error in ``errors``."""
    scale = KB_EV_PER_K / (1 / 1750.0 - 1 / 2000.0)
    # the energy's error is scale * hypot(r1, r2); put it all on one side
    rel = [errors[el] / scale for el in doc.species]
    low = doc.model_copy(update={"L_self_stderr": [r * v for r, v in
                                                   zip(rel, doc.L_self, strict=True)]})
    high_l = [v * math.exp(-energies[el] / KB_EV_PER_K * (1 / 2000.0 - 1 / 1750.0))
              * 1750.0 / 2000.0 for el, v in zip(doc.species, doc.L_self, strict=True)]
    high = doc.model_copy(update={"temperature_K": 2000.0, "L_self": high_l,
                                  "L_self_stderr": [0.0] * len(high_l)})
    return low, high


def test_pooled_energy_is_the_inverse_variance_mean_with_the_birge_ratio(melt):
    other = melt.model_copy(update={"formula": "BaTiO3"})
    a = _pair(melt, {"Ba": 0.5, "Ti": 0.7, "O": 0.6}, {"Ba": 0.1, "Ti": 0.2, "O": 0.1})
    b = _pair(other, {"Ba": 0.9, "Ti": 0.4, "O": 0.8}, {"Ba": 0.3, "Ti": 0.1, "O": 0.2})
    pooled = pooled_activation_energy([*a, *b], species=["Ba", "Ti", "O"])
    values = [(0.5, 0.1), (0.7, 0.2), (0.6, 0.1), (0.9, 0.3), (0.4, 0.1), (0.8, 0.2)]
    weights = [1 / se ** 2 for _, se in values]
    mean = sum(w * e for w, (e, _) in zip(weights, values, strict=True)) / sum(weights)
    chi2 = sum(w * (e - mean) ** 2 for w, (e, _) in zip(weights, values, strict=True))
    birge = math.sqrt(chi2 / 5)
    assert pooled.energy_eV == pytest.approx(mean, rel=1e-9)
    assert pooled.birge_ratio == pytest.approx(birge, rel=1e-6)
    assert pooled.stderr_eV == pytest.approx(max(1.0, birge) / math.sqrt(sum(weights)),
                                             rel=1e-6)
    assert pooled.n_values == 6 and pooled.temperatures_K["BaTiO3"] == (1750.0, 2000.0)
    # by default the cations only (the species K_D sums over)
    cations = pooled_activation_energy([*a, *b])
    assert cations.n_values == 4 and set(cations.per_composition["BaTiO3"]) == {"Ba", "Ti"}
    # values that agree within their errors: no inflation
    agree = pooled_activation_energy([*_pair(melt, dict.fromkeys(melt.species, 0.6),
                                             dict.fromkeys(melt.species, 0.1))])
    assert agree.birge_ratio == pytest.approx(0.0, abs=1e-6)
    assert agree.stderr_eV == pytest.approx(0.1 / math.sqrt(2), rel=1e-6)


def test_pooling_refuses_too_little_or_a_negative_energy(melt):
    with pytest.raises(InputError, match="at least two values"):
        pooled_activation_energy([melt])
    with pytest.raises(InputError, match="not positive"):
        pooled_activation_energy(_pair(melt, dict.fromkeys(melt.species, -0.3),
                                       dict.fromkeys(melt.species, 0.1)))


def test_extension_keeps_simulated_documents_and_shifts_each_lowest_one(melt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        docs = load_reference("Ba-Ti-O")
    out = extended_below(docs, [1000.0, 1750.0, 1900.0], 0.5, "test")
    assert out[:len(docs)] == docs
    shifted = out[len(docs):]
    lowest = {}
    for d in docs:
        lowest[d.formula] = min(lowest.get(d.formula, 1e9), d.temperature_K)
    # each requested temperature below a composition's lowest simulated one, and no other
    expected = {(f, t) for f, low in lowest.items() for t in (1000.0, 1750.0, 1900.0)
                if t < low}
    assert ("BaTi2O5", 1000.0) in expected and ("BaTi2O5", 1750.0) not in expected
    assert {(d.formula, d.temperature_K) for d in shifted} == expected
    for d in shifted:
        assert d.provenance.method["arrhenius_from_K"] == lowest[d.formula]


def test_predict_on_the_melts_records_the_shift_and_the_onset_s(capsys):
    import json

    from ionflux.ca.calibration import onset_s
    from ionflux.ca.settings import ScoringSettings
    from ionflux.cli import main
    from ionflux.kinetics import KDTable
    from ionflux.kinetics.report import distilled_melt_docs
    from ionflux.thermo import ThermoData

    argv = ["predict", "--precursors", "BaO=1,TiO2=1", "--profile", "1300K:2", "--grid", "8",
            "--realisations", "2", "--json", "--no-cache", "--source", "distilled-melts"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    thermo = ThermoData.bundled("Ba-Ti-O")
    docs = distilled_melt_docs("Ba-Ti-O")
    table = KDTable.from_transport_docs(docs, thermo)
    assert doc["inputs"]["scoring"]["s"] == pytest.approx(onset_s(table, ScoringSettings()),
                                                          rel=1e-12)
    assert "the onset rule on the distilled-melts data" in captured.err
    pooled = pooled_activation_energy(load_reference("Ba-Ti-O"))
    shift = doc["model"]["transport_arrhenius"]["BaTiO3"]
    assert shift.startswith("750, 1000, 1250, 1500 K shifted from 1750 K with E_a = "
                            f"{pooled.energy_eV:.3g} eV")
    # K_D at a shifted temperature is that of the shifted document itself
    simulated = next(d for d in docs if d.formula == "BaTiO3" and d.temperature_K == 1750.0)
    by_hand = KDTable.from_transport_docs(
        [arrhenius_shifted(simulated, 1250.0, pooled.energy_eV, "x")], thermo)
    assert table.kd_cm2_s("BaTiO3", 1250.0, ("BaO", "TiO2")) == pytest.approx(
        by_hand.kd_cm2_s("BaTiO3", 1250.0, ("BaO", "TiO2")), rel=1e-12)


def test_kd_rows_mark_what_rests_on_a_shifted_document(distilled_melt_kd_table):
    from ionflux.kinetics.report import kd_rows

    table = distilled_melt_kd_table
    rows, _ = kd_rows(table, ("BaO", "TiO2"), [1500.0, 1600.0, 1750.0, 1900.0], ["BaTiO3"])
    marks = {r.temperature_K: (r.interpolated, r.arrhenius_shifted) for r in rows}
    assert marks == {1500.0: (False, True), 1600.0: (True, True), 1750.0: (False, False),
                     1900.0: (True, False)}


def test_shift_check_reads_a_known_mismatch_and_its_combined_error(melt):
    from ionflux.transport.extrapolation import PooledActivation, check_shift

    pooled = PooledActivation(0.6, 0.1, 2, 1.0, {}, {})
    exact = arrhenius_shifted(melt, 1500.0, 0.6, "truth")
    # the "simulation" runs 2x faster than the shift predicts for Ba, as predicted for Ti
    i = exact.species.index("Ba")
    off = list(exact.L_self)
    off[i] *= 2.0
    got = check_shift(exact.model_copy(update={"L_self": off}), melt, pooled)
    assert got.ratios["Ba"] == pytest.approx(2.0, rel=1e-12)
    assert got.ratios["Ti"] == pytest.approx(1.0, rel=1e-12) and "O" not in got.ratios
    lever = (1 / 1500.0 - 1 / 1750.0) / KB_EV_PER_K
    rel_sim = exact.L_self_stderr[i] / off[i]
    rel_ref = melt.L_self_stderr[i] / melt.L_self[i]
    assert got.sigmas["Ba"] == pytest.approx(
        math.log(2.0) / math.hypot(rel_sim, rel_ref, 0.1 * lever), rel=1e-9)
    with pytest.raises(InputError, match="one composition"):
        check_shift(exact.model_copy(update={"formula": "BaTiO3"}), melt, pooled)


def test_kd_command_names_the_shift_once(capsys):
    from ionflux.cli import main

    assert main(["kd", "--source", "distilled-melts", "--temperatures", "1500,1750",
                 "--products", "BaTiO3,BaTi2O5"]) == 0
    captured = capsys.readouterr()
    pooled = pooled_activation_energy(load_reference("Ba-Ti-O"))
    assert captured.err.count("Arrhenius shift below the simulated temperatures with E_a = "
                              f"{pooled.energy_eV:.3g} eV") == 1
    assert "†" in captured.out and "Arrhenius-shifted" in captured.out
    # at the simulated temperatures nothing is shifted, and nothing says so
    assert main(["kd", "--source", "distilled-melts", "--temperatures", "1750,2000",
                 "--products", "BaTiO3,BaTi2O5"]) == 0
    captured = capsys.readouterr()
    assert "Arrhenius shift" not in captured.err and "†" not in captured.out
    assert main(["kd", "--source", "melts"]) == 2
    assert "distilled-melts" in capsys.readouterr().err


def test_species_not_diffusive_in_either_document_are_left_out_of_the_pool(melt):
    from ionflux.transport.documents import QualityFlag

    a = _pair(melt, {"Ba": 0.5, "Ti": 0.7, "O": 0.6}, {"Ba": 0.1, "Ti": 0.2, "O": 0.1})
    b = _pair(melt.model_copy(update={"formula": "BaTiO3"}),
              {"Ba": -0.9, "Ti": 0.4, "O": 0.8}, {"Ba": 0.1, "Ti": 0.1, "O": 0.2})
    stuck = QualityFlag(passed=False, value=0.5, threshold=0.9, reason="test: caged")
    low = b[0].model_copy(update={"quality": {**b[0].quality, "diffusive_Ba": stuck}})
    pooled = pooled_activation_energy([*a, low, b[1]])
    assert pooled.excluded == {"BaTiO3": ["Ba: not diffusive at 1750 K"]}
    assert set(pooled.per_composition["BaTiO3"]) == {"Ti"} and pooled.n_values == 3
    assert "1 not diffusive left out" in pooled.describe()


def test_the_shift_predicts_our_independent_1500_k_melts():
    """Three melts simulated at 1500 K (100 ps each, bundled as a check, not used as data)
    against the 1750 K melts shifted with the pooled activation energy (the set of 2026-12-07's
    eleventh session, E_a 0.68 eV, docs/md-engines.md): every cation within three combined
    standard errors and a factor of two. Until BaTiO3's documents pooled a second seed its Ti
    missed at 8.8 SE (E_a 0.87 eV) and 4.4 SE (0.67 eV), on a one-run 1750 K Ti error of 1.9 %
    that a second seed raised to 18 %. Ti in Ba2TiO4 reads 1.9x (1.3 SE): its 1750 K
    document, a melt that ages, does not pass the rule (Ti 41 %)."""
    import json
    from importlib import resources

    from ionflux.transport.documents import TransportDoc
    from ionflux.transport.extrapolation import check_shift

    path = (resources.files("ionflux") / "data" / "ba-ti-o"
            / "transport_distilled_melts_1500K.json")
    simulated = [TransportDoc.model_validate(d)
                 for d in json.loads(path.read_text())["documents"]]
    assert {d.formula for d in simulated} == {"Ba2TiO4", "BaTiO3", "BaTi2O5"}
    reference = load_reference("Ba-Ti-O")
    pooled = pooled_activation_energy(reference)
    at_1750 = {d.formula: d for d in reference if d.temperature_K == 1750.0}
    for doc in simulated:
        assert doc.temperature_K == 1500.0
        got = check_shift(doc, at_1750[doc.formula], pooled)
        for el in ("Ba", "Ti"):
            assert 0.5 < got.ratios[el] < 2.0, (doc.formula, el, got.ratios[el])
            assert abs(got.sigmas[el]) < 3.0, (doc.formula, el, got.sigmas[el])
    assert at_1750["BaTiO3"].provenance.method["stderr_dof"] == 5
