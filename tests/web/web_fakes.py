"""Stand-ins for the web tests: a canned prediction, a fast predictor, a seeded store."""

from __future__ import annotations

from ionflux.errors import InputError

MEMORY = ":memory:ionflux-web-tests"


def canned_prediction(precursors: dict[str, float], hours: float = 2.0) -> dict:
    """A prediction document with a known series: BaTiO3 grows linearly to 0.5."""
    from ionflux.ca.documents import PredictionDoc

    phases = [*precursors, "BaTiO3"]
    series = []
    for k in range(5):
        t = hours * 10 * k / 4
        grown = 0.5 * k / 4
        frac = {p: (1 - grown) / len(precursors) for p in precursors}
        frac["BaTiO3"] = grown
        series.append({"time": t, "temperature_K": 1300.0, "mol_fraction": frac,
                       "mol_fraction_stderr": {p: 0.01 for p in phases}})
    doc = PredictionDoc.model_validate({
        "key": "ab" * 32, "data_version": "test",
        "inputs": {"system": "Ba-Ti-O", "precursors": precursors,
                   "profile": [[1300.0, hours * 10]], "mode": "thermo-only",
                   "realisations": 2, "seed": 0, "grid": 8, "phases": phases,
                   "scoring": {}, "automaton": {}, "engine_version": "test"},
        "final_mol_fraction": series[-1]["mol_fraction"],
        "final_mol_fraction_stderr": series[-1]["mol_fraction_stderr"],
        "series": series, "element_drift_max_rel": 0.0, "cell_updates": 1000,
        "runtime_s": 0.01, "ionflux_version": "test"})
    return doc.model_dump(mode="json")


def fake_predictor(request, store, data_dir) -> dict:
    from ionflux.ca.reactions import check_formulas

    check_formulas(list(request.precursors))
    if {"BaO", "TiO2"} - set(request.precursors):
        raise InputError("the stand-in automaton knows only BaO + TiO2")
    return canned_prediction(dict(request.precursors))


def seed_store(config) -> None:
    from ionflux.ca.cache import StoreCache
    from ionflux.pipeline import Pipeline

    pipe = Pipeline.open(config)
    pipe.import_published("Ba-Ti-O")
    stores = pipe.stores
    kd = []
    for phase, k in (("BaTiO3", 3e-6), ("BaTi2O5", 2e-6), ("Ba2TiO4", 1e-6),
                     ("BaTi4O9", 5e-7)):
        kd.append({"kd_id": f"{phase}@1500K:BaO+TiO2", "group_id": f"{phase}@1500K",
                   "phase": phase, "temperature_K": 1500.0, "precursors": ["BaO", "TiO2"],
                   "K_D_cm2_s": k, "K_D_stderr_cm2_s": k / 10, "K_D_self_cm2_s": k / 2,
                   "K_D_self_stderr_cm2_s": None, "transport_source": "md"})
    stores.kd.update(kd)
    stores.bonds.update([{"traj_id": "BaTiO3@1500K#r1", "group_id": "BaTiO3@1500K",
                          "formula": "BaTiO3", "temperature_K": 1500.0,
                          "pairs": {"Ba-O": {"mean": 8.0}}}])
    cache = StoreCache(stores.predictions)
    doc = canned_prediction({"BaO": 1.0, "TiO2": 1.0})
    cache.put(doc["key"], doc)
    pipe.close()
