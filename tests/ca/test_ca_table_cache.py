"""The reaction-table cache: a new molar ratio reuses the tables, any changed input misses, and
a prediction is the same number for number with the cache, without it and from it."""

from __future__ import annotations

import math

import pytest
from ca_fakes import FakeKD, fake_batio_thermo

import ionflux.ca.predict as predict_module
import ionflux.ca.table_cache as table_cache
from ionflux.ca.reactions import BA_TI_O_PRODUCTS
from ionflux.ca.settings import AutomatonSettings, ScoringSettings
from ionflux.ca.table_cache import PreparedTables

PROFILE = [(1200.0, 2.0), (1400.0, 2.0)]
RUNTIME = {"runtime_s", "automaton_s", "created_at"}


def _kd(version: str | None = "fake-kd-1") -> FakeKD:
    return FakeKD({p: 1e-3 * (i + 1) for i, p in enumerate(BA_TI_O_PRODUCTS)},
                  data_version=version)


@pytest.fixture
def computed(monkeypatch, tmp_path) -> list[int]:
    """The cache in a file of its own; counts the tables actually computed."""
    monkeypatch.setenv("IONFLUX_REACTION_TABLE_CACHE", str(tmp_path / "tables.sqlite"))
    calls: list[int] = []
    real = predict_module.prepare_tables

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(predict_module, "prepare_tables", counting)
    return calls


class NoHits:
    """A predictions cache that never has the prediction: every call runs the automaton."""

    def get(self, key: str) -> None:
        return None

    def put(self, key: str, doc: dict) -> None:
        pass


def _predict(ratio: float = 2.0, *, thermo=None, kd=None, **kw):
    args = dict(mode="full", realisations=4, seed=3, grid=6, thermo=thermo or fake_batio_thermo(),
                kd=kd or _kd(), automaton=AutomatonSettings(inertia=5.0),
                scoring=ScoringSettings(s=1e9), cache=NoHits())
    args.update(kw)
    return predict_module.predict({"BaO": 1, "TiO2": ratio}, PROFILE, **args)


def _numbers(doc) -> dict:
    return doc.model_dump(mode="json", exclude=RUNTIME)


def test_same_prediction_with_without_and_from_the_cache(computed, monkeypatch):
    first = _predict()  # computed and stored
    second = _predict()  # from the cache
    assert len(computed) == 1
    monkeypatch.setenv("IONFLUX_REACTION_TABLE_CACHE", "off")
    uncached = _predict()
    assert len(computed) == 2
    monkeypatch.delenv("IONFLUX_REACTION_TABLE_CACHE")
    assert _numbers(_predict(cache=False)) == _numbers(first)
    assert _numbers(first) == _numbers(second) == _numbers(uncached)
    # drawn thermodynamics gave every realisation its own table, and those were cached too
    assert first.uncertainty["sampled"]["thermodynamics"]
    assert first.warnings == second.warnings and first.hull == second.hull


def test_a_new_molar_ratio_reuses_the_tables(computed):
    _predict(2.0)
    other = _predict(3.0)
    assert len(computed) == 1
    assert other.inputs.precursors == {"BaO": 1.0, "TiO2": 3.0}


@pytest.mark.parametrize("change", [
    {"seed": 4}, {"realisations": 8}, {"mode": "thermo-only"},
    {"scoring": ScoringSettings(s=2e9)}, {"kd": _kd("fake-kd-2")},
    {"thermo": fake_batio_thermo()}, {"phases": ["BaTiO3", "Ba2TiO4"]},
])
def test_any_changed_input_misses(computed, change):
    _predict()
    if "thermo" in change:
        change["thermo"].data_version = "fake-thermo-2"
    _predict(**change)
    assert len(computed) == 2


def test_other_temperatures_or_code_miss(computed, monkeypatch):
    _predict()
    predict_module.predict({"BaO": 1, "TiO2": 2}, [(1250.0, 2.0)], realisations=4, seed=3,
                           grid=6, thermo=fake_batio_thermo(), kd=_kd(), cache=NoHits(),
                           automaton=AutomatonSettings(inertia=5.0),
                           scoring=ScoringSettings(s=1e9))
    assert len(computed) == 2
    monkeypatch.setattr(table_cache, "code_digest", lambda: "edited")  # an edited checkout
    _predict()
    assert len(computed) == 3


def test_unversioned_sources_or_no_predictions_cache_compute_afresh(computed):
    _predict(kd=_kd(None))
    _predict(kd=_kd(None))
    assert len(computed) == 2
    _predict(cache=False)  # fills nothing, reads nothing
    _predict(cache=False)
    assert len(computed) == 4


def test_unwritable_cache_computes_as_usual(computed, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("IONFLUX_REACTION_TABLE_CACHE", str(blocker / "tables.sqlite"))
    assert _numbers(_predict()) == _numbers(_predict())
    assert len(computed) == 2


def test_damaged_entry_is_recomputed(computed, tmp_path):
    _predict()
    cache = table_cache.ReactionTableCache.default()
    db = cache._db()
    db.execute("UPDATE reaction_tables SET doc = '{\"infos\": 1}'")
    _predict()
    assert len(computed) == 2


def test_json_keeps_every_float_exactly(computed):
    _predict()
    cache = table_cache.ReactionTableCache.default()
    (text,), = cache._db().execute("SELECT doc FROM reaction_tables").fetchall()
    tables = PreparedTables.from_json(text)
    tables.scored = tables.scored.model_copy(update={"energies_eV_per_atom": [
        [math.nan, 0.1 + 0.2, -1e-300, 5e-324]]})
    again = PreparedTables.from_json(tables.to_json())
    row = again.scored.energies_eV_per_atom[0]
    assert math.isnan(row[0]) and row[1:] == [0.1 + 0.2, -1e-300, 5e-324]
    assert again.reactions == tables.reactions and again.infos == tables.infos
