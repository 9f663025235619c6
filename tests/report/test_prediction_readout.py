"""Predictions read at a glance: both phase fractions, defined; the time axis stated; each note
once in the report."""

from __future__ import annotations

import pytest
from pymatgen.core import Composition

from ionflux.ca.predict import HULL_NOTE, load_thermo, predict
from ionflux.ca.recipes import get_recipe
from ionflux.cli import main
from ionflux.synthesis_report import _notes, _prediction_table


@pytest.fixture(scope="module")
def docs():
    out = []
    for name in ("R1", "R4"):
        recipe = get_recipe(name)
        out.append(predict(recipe.precursors, recipe.profile, mode="thermo-only",
                           realisations=2, seed=1, grid=6, cache=False, progress=False,
                           recipe=name))
    return out


def _ba_share(phase: str) -> float:
    comp = Composition(phase)
    return comp["Ba"] / (comp["Ba"] + comp["Ti"])


def test_cation_fractions_conserve_the_recipes_cations(docs):
    # cations are conserved: the phases' cation fractions weighted by their Ba share give the
    # recipe's Ba/(Ba+Ti), exactly, in every realisation (so in the mean too)
    for doc, ba in zip(docs, (1 / 2, 1 / 3), strict=True):
        cation = doc.final_cation_fraction
        assert sum(cation.values()) == pytest.approx(1.0, abs=1e-12)
        assert sum(x * _ba_share(p) for p, x in cation.items()) == pytest.approx(ba, abs=1e-9)
        # the formula-unit mole fractions do not (Ti-rich phases hold more cations per unit)
        mol = doc.final_mol_fraction
        assert abs(sum(x * _ba_share(p) for p, x in mol.items()) - ba) > 1e-3
        assert all(e is not None and e >= 0 for e in doc.final_cation_fraction_stderr.values())
    dumped = docs[0].model_dump(mode="json")
    assert {"final_cation_fraction", "fraction_definitions", "time_axis"} <= set(dumped)
    assert dumped["time_axis"].startswith("automaton time: 1 unit = 1 sweep(s)")
    assert "not a calibration" in dumped["time_axis"]


def test_report_table_labels_both_fractions_and_notes_come_once(docs):
    table = _prediction_table(docs[:1])
    assert table[0] == "| phase | thermo-only: mole fraction | thermo-only: cation fraction |"
    assert all(line.count("|") == 4 for line in table)
    notes = _notes(docs, load_thermo("Ba-Ti-O"))
    hull = [n for n in notes if HULL_NOTE in n]
    phases = [n.split()[0] for n in hull]
    assert len(phases) == len(set(phases)) > 0  # one note per phase over both recipes
    per_doc = sum(HULL_NOTE in w for d in docs for w in d.warnings)
    assert per_doc > len(hull)
    assert len(notes) == len(set(notes))


def test_predict_prints_both_fractions_their_definitions_and_the_time_axis(capsys):
    assert main(["predict", "--recipe", "R4", "--mode", "thermo-only", "--realisations", "2",
                 "--grid", "6", "--no-cache"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    # the table's column heads wrap at the test console's 80 columns
    assert "mole fraction: formula units of the phase / all formula units" in out
    assert "cation fraction: cations in the phase / all cations" in out
    assert "automaton time: 1 unit = 1 sweep(s) of the grid" in out
