"""Query layer, cache, CLI and plots, with fake thermo/K_D sources (fast)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ca_fakes import FakeKD, fake_batio_thermo

from ionflux.ca.cache import StoreCache
from ionflux.ca.documents import PredictionDoc
from ionflux.ca.predict import predict
from ionflux.ca.reactions import BA_TI_O_PRODUCTS
from ionflux.ca.settings import AutomatonSettings, ScoringSettings
from ionflux.errors import DataNotFoundError, InputError, StoreError

PROFILE = [(1200.0, 4.0), (1400.0, 4.0)]
FAST = AutomatonSettings(inertia=5.0)


def _kd():
    return FakeKD({p: 1e-3 * (i + 1) for i, p in enumerate(BA_TI_O_PRODUCTS)})


def _predict(tmp_path, **kw):
    args = dict(mode="full", realisations=3, seed=4, grid=8, thermo=fake_batio_thermo(),
                kd=_kd(), automaton=FAST, scoring=ScoringSettings(s=1e9),
                cache=StoreCache.open("local", data_dir=tmp_path))
    args.update(kw)
    return predict({"BaO": 1, "TiO2": 2}, PROFILE, **args)


def test_prediction_document_is_consistent(tmp_path):
    doc = _predict(tmp_path)
    assert set(doc.final_mol_fraction) == {"BaO", "TiO2", *BA_TI_O_PRODUCTS}
    assert sum(doc.final_mol_fraction.values()) == pytest.approx(1.0)
    assert doc.series[0].time == 0.0 and doc.series[-1].time == pytest.approx(8.0)
    assert doc.series[-1].mol_fraction == doc.final_mol_fraction
    # initial point: the requested 1:2 molar ratio exactly
    assert doc.series[0].mol_fraction["TiO2"] == pytest.approx(2 / 3)
    assert {p.temperature_K for p in doc.series[1:]} == {1200.0, 1400.0}
    assert doc.element_drift_max_rel < 1e-12
    assert doc.final_mol_fraction["BaO"] < 1 / 3  # something reacted
    fired = [r for r in doc.reactions if r.mean_events > 0]
    # a reaction fires only where offered: in the mean table, or (thermodynamics drawn per
    # realisation) within a few own-spreads (~10 meV/atom) of downhill
    assert doc.uncertainty["sampled"]["thermodynamics"]
    assert fired and all(max(r.score) > 0 or min(r.energy_eV_per_atom) < 0.05 for r in fired)
    assert all(v is not None and v >= 0 for v in doc.final_mol_fraction_stderr.values())
    assert 0 < doc.automaton_s < doc.runtime_s
    payload = json.loads(doc.model_dump_json())
    assert {"inputs", "final_mol_fraction", "final_mol_fraction_stderr", "series"} <= set(payload)
    assert set(payload["series"][0]) >= {"time", "temperature_K", "mol_fraction"}


def test_repeated_query_is_served_from_the_cache(tmp_path):
    first = _predict(tmp_path)
    second = _predict(tmp_path)
    assert not first.from_cache and second.from_cache
    assert second.final_mol_fraction == first.final_mol_fraction
    assert second.key == first.key
    store = StoreCache.open("local", data_dir=tmp_path).store
    store.connect()
    assert store.count() == 1
    other = _predict(tmp_path, seed=5)
    assert other.key != first.key and not other.from_cache
    # a different data version is a different key
    newer = _predict(tmp_path, kd=FakeKD({p: 1e-3 for p in BA_TI_O_PRODUCTS},
                                          data_version="fake-kd-2"))
    assert newer.key != first.key and not newer.from_cache
    # sources without a data version are never cached
    unversioned = _predict(tmp_path, kd=FakeKD({p: 1e-3 for p in BA_TI_O_PRODUCTS},
                                                data_version=None))
    again = _predict(tmp_path, kd=FakeKD({p: 1e-3 for p in BA_TI_O_PRODUCTS},
                                          data_version=None))
    assert not unversioned.from_cache and not again.from_cache
    assert any("not cached" in w for w in again.warnings)


def test_modes_differ_and_thermo_only_needs_no_kd(tmp_path):
    full = _predict(tmp_path)
    thermo = _predict(tmp_path, mode="thermo-only", kd=None)
    assert thermo.inputs.mode == "thermo-only"
    assert thermo.final_mol_fraction != full.final_mol_fraction
    assert all(k is None for r in thermo.reactions for k in r.kd_cm2_s)


def test_one_realisation_reports_no_stderr(tmp_path):
    doc = _predict(tmp_path, realisations=1, cache=False)
    assert all(v is None for v in doc.final_mol_fraction_stderr.values())
    assert any("one realisation" in w for w in doc.warnings)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    (dict(precursors={"BaO": 1, "XeO3": 1}), DataNotFoundError, "unknown precursor XeO3"),
    (dict(precursors={"BaO": 1, "TiO2": 0}), InputError, "must be > 0"),
    (dict(precursors={"BaO": 1, "TiO2": -1}), InputError, "must be > 0"),
    (dict(precursors={"BaO": 1, "TiO2": 1}, profile=[]), InputError, "no steps"),
    (dict(precursors={"BaO": 1, "TiO2": 1}, profile=[(1800.0, 1.0)]), DataNotFoundError,
     "outside the K_D data"),
    (dict(precursors={"BaO": 1, "TiO2": 1}, profile=[(2500.0, 1.0)], mode="thermo-only"),
     DataNotFoundError, "2500 K"),
    (dict(precursors={"BaO": 1, "TiO2": 60}, grid=5), InputError, "too small"),
    (dict(precursors={"BaO": 1, "TiO2": 1}, mode="magic"), InputError, "unknown mode"),
    (dict(precursors={"BaO": 1, "TiO2": 1}, realisations=0), InputError, "realisations"),
    (dict(precursors={"BaO": 1, "TiO2": 1}, profile=[(1200.0, 1e9)]), InputError,
     "cell updates"),
])
def test_bad_requests_give_one_line_errors(kwargs, error, match):
    args = dict(profile=PROFILE, mode="full", grid=8, thermo=fake_batio_thermo(), kd=_kd(),
                automaton=FAST, cache=False)
    args.update(kwargs)
    precursors = args.pop("precursors")
    profile = args.pop("profile")
    with pytest.raises(error, match=match) as info:
        predict(precursors, profile, **args)
    assert "\n" not in str(info.value)


def test_store_cache_persists_and_ignores_damaged_entries(tmp_path):
    cache = StoreCache.open("local", data_dir=tmp_path)
    key = "ab" * 32
    assert cache.get(key) is None
    cache.put(key, {"key": key, "x": 1, "inputs": {"system": "Ba-O-Ti", "mode": "full"}})
    reopened = StoreCache.open("local", data_dir=tmp_path)  # a later session
    assert reopened.get(key)["x"] == 1
    record = reopened.store.query_one({"prediction_id": key})
    assert record["system"] == "Ba-O-Ti" and record["mode"] == "full"
    cache.put(key, {"key": "cd" * 32, "x": 2})  # a record not for this key is never served
    assert cache.get(key) is None
    with pytest.raises(StoreError, match="invalid key"):
        cache.get("../../etc/passwd")


def test_cli_json_output_and_errors(tmp_path, capsys, monkeypatch):
    from ionflux.cli import main

    monkeypatch.setenv("IONFLUX_CA_INERTIA", "5")
    code = main(["predict", "--precursors", "BaO=1,TiO2=1", "--profile", "1300K:2,1400K:0.2h",
                 "--mode", "thermo-only", "--grid", "8", "--realisations", "2", "--json",
                 "--data-dir", str(tmp_path), "--plot", str(tmp_path / "p.png")])
    out = capsys.readouterr().out
    assert code == 0
    doc = PredictionDoc.model_validate(json.loads(out))
    assert doc.inputs.profile == [(1300.0, 2.0), (1400.0, 2.0)]  # 0.2 h = 2 sweeps
    assert doc.inputs.automaton["inertia"] == 5.0
    assert (tmp_path / "p.png").stat().st_size > 10_000
    for argv, match in (
            (["--precursors", "BaO=1,TiO2", "--profile", "1300K:2"], "FORMULA=RATIO"),
            (["--precursors", "BaO=1,TiO2=1", "--profile", "1300:x"], "cannot read"),
            (["--precursors", "BaO=1,TiO2=1", "--profile", "1300K:2", "--recipe", "R1"],
             "either --recipe"),
            (["--recipe", "R9"], "unknown recipe"),
            (["--precursors", "BaO=1,TiO2=-2", "--profile", "1300K:2", "--mode",
              "thermo-only"], "must be > 0")):
        code = main(["predict", *argv, "--no-cache"])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: ") and match in err
        assert err.count("\n") == 1


def test_plot_shows_the_document_series(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from ionflux.plotting.ca import draw_prediction, plot_prediction

    doc = _predict(tmp_path, cache=False)
    path = plot_prediction(doc, tmp_path / "x" / "plot.png")
    assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    draw_prediction(ax, doc, min_fraction=0.0)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == set(doc.final_mol_fraction)
    y = lines["TiO2"].get_ydata()
    assert np.allclose(y, [p.mol_fraction["TiO2"] for p in doc.series])
    twin = next(a for a in fig.axes if a is not ax)
    temps = twin.get_lines()[0].get_ydata()
    assert set(temps) == {1200.0, 1400.0}
    plt.close(fig)


def test_default_candidates_outside_ba_ti_o_are_the_reachable_compounds():
    from ca_fakes import FakeThermo

    from ionflux.ca.predict import default_phases

    thermo = FakeThermo({"Li2O": (-2.0, 0, 10, 1700), "TiO2": (-3.2, 0, 17, 2093),
                         "Li2TiO3": (-2.9, 0, 12, 1800), "Li4Ti5O12": (-3.0, 0, 12, 1700),
                         "LiTiO2": (-2.7, 0, 12, 1700), "Li": (0.0, 0, 20, 450),
                         "Ti": (0.0, 0, 17, 1941)})
    phases = default_phases(["Li2O", "TiO2"], thermo, "Li-Ti-O")
    # LiTiO2 (reduced Ti) and the elements are not Li2O/TiO2 combinations
    assert phases == ["Li2O", "TiO2", "Li2TiO3", "Li4Ti5O12"]


@pytest.mark.parametrize("name", ["Xx2O", "XX", "Qq"])
def test_unknown_element_is_a_one_line_error_from_python(name):
    with pytest.raises(InputError, match="not a chemical formula"):
        predict({name: 1, "TiO2": 1}, [(1250.0, 1.0)], mode="thermo-only", grid=6, cache=False)


def test_progress_bar_prints_nothing_when_stderr_is_not_a_terminal(capsys):
    # a transient rich bar written to a file or pipe leaves blank lines behind
    from ionflux.ca.predict import progress_bar
    from ionflux.ca.settings import AutomatonSettings

    with progress_bar(10**9, True, "R1 full", AutomatonSettings()) as tick:
        assert tick is not None  # long enough for a bar
        tick(10**8)
    assert capsys.readouterr().err == ""
