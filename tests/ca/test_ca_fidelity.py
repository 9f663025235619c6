"""The literature statements of ionflux.ca.fidelity on hand-made phase evolutions."""

from __future__ import annotations

import pytest

from ionflux.ca.documents import PredictionDoc, PredictionInputs, SeriesPoint
from ionflux.ca.fidelity import STATEMENTS, contrast, evaluate, first_product, product_shares

PHASES = ("BaO", "TiO2", "BaTiO3", "Ba2TiO4", "BaTi2O5", "Ba6Ti17O40")


def _doc(recipe: str, points: list[tuple[float, dict[str, float]]]) -> PredictionDoc:
    series = []
    for i, (t, fractions) in enumerate(points):
        full = {p: fractions.get(p, 0.0) for p in PHASES}
        series.append(SeriesPoint(time=float(i), temperature_K=t, mol_fraction=full,
                                  mol_fraction_stderr={p: None for p in PHASES}))
    inputs = PredictionInputs(system="Ba-Ti-O", precursors={"BaO": 1, "TiO2": 1},
                              profile=[(t, 1.0) for t, _ in points], mode="full",
                              realisations=1, seed=0, grid=10, phases=list(PHASES),
                              recipe=recipe, scoring={}, automaton={}, engine_version="x")
    return PredictionDoc(key="k", data_version="v", inputs=inputs,
                         final_mol_fraction=series[-1].mol_fraction,
                         final_mol_fraction_stderr=series[-1].mol_fraction_stderr,
                         series=series, element_drift_max_rel=0.0, cell_updates=1,
                         runtime_s=0.0, ionflux_version="x")


#: The R1 story as the literature tells it.
R1_GOOD = [
    (1000.0, {"BaO": 0.5, "TiO2": 0.5}),
    (1100.0, {"BaO": 0.49, "TiO2": 0.49, "Ba2TiO4": 0.015, "BaTiO3": 0.005}),
    (1200.0, {"BaO": 0.35, "TiO2": 0.3, "BaTiO3": 0.2, "BaTi2O5": 0.1, "Ba2TiO4": 0.05}),
    (1300.0, {"BaO": 0.2, "TiO2": 0.1, "BaTiO3": 0.4, "BaTi2O5": 0.2, "Ba2TiO4": 0.1}),
    (1500.0, {"BaTiO3": 0.93, "BaTi2O5": 0.03, "Ba2TiO4": 0.04}),
]


def test_r1_story_passes_every_statement():
    verdicts = {s.key: ok for s, ok, _ in evaluate(_doc("R1", R1_GOOD))}
    assert verdicts == {s.key: True for s in STATEMENTS if s.recipe == "R1"}


def test_r1_statements_fail_where_the_story_differs():
    bad = [*R1_GOOD[:-1], (1500.0, {"BaTiO3": 0.45, "BaTi2O5": 0.3, "Ba2TiO4": 0.25})]
    bad[1] = (1100.0, {"BaO": 0.49, "TiO2": 0.49, "BaTi2O5": 0.015, "BaTiO3": 0.005})
    verdicts = {s.key: (ok, why) for s, ok, why in evaluate(_doc("R1", bad))}
    assert not verdicts["R1.majority"][0] and "45%" in verdicts["R1.majority"][1]
    assert not verdicts["R1.impurity"][0]
    assert not verdicts["R1.first"][0] and "BaTi2O5 at 1100 K" in verdicts["R1.first"][1]
    assert not verdicts["R1.consumed"][0]  # 0.3 is the peak itself
    assert verdicts["R1.impurity1300"][0]


def test_r4_statements():
    good = [(1200.0, {"BaO": 0.1, "TiO2": 0.3, "BaTiO3": 0.4, "BaTi2O5": 0.2}),
            (1300.0, {"TiO2": 0.1, "BaTiO3": 0.3, "BaTi2O5": 0.6}),
            (1400.0, {"BaTi2O5": 0.95, "BaTiO3": 0.03, "Ba6Ti17O40": 0.02})]
    assert all(ok for _, ok, _ in evaluate(_doc("R4", good)))
    late = [(1200.0, {"TiO2": 0.3, "BaTiO3": 0.3, "BaTi2O5": 0.4}),
            (1300.0, {"TiO2": 0.1, "BaTiO3": 0.5, "BaTi2O5": 0.4}),
            (1400.0, {"BaTi2O5": 0.85, "BaTiO3": 0.1, "Ba6Ti17O40": 0.05})]
    assert not any(ok for _, ok, _ in evaluate(_doc("R4", late)))


def test_contrast_and_shares():
    full = _doc("R1", R1_GOOD)
    worse = _doc("R1", [*R1_GOOD[:-1], (1500.0, {"BaTiO3": 0.7, "Ba2TiO4": 0.15,
                                                 "BaTi2O5": 0.15})])
    assert product_shares(worse.series[-1])["BaTiO3"] == pytest.approx(0.7)
    ok, detail = contrast(full, worse)
    assert ok and "full 93%" in detail and "thermo-only 70%" in detail
    assert not contrast(full, full)[0]
    assert first_product(full) == ("Ba2TiO4", 1100.0)
