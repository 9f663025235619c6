"""`ionflux batch list`: the results of filed requests from the store, with both fractions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ionflux.ca.predict import predict
from ionflux.cli import main


def test_batch_list_shows_each_request_and_what_predict_gives(tmp_path: Path, capsys):
    data = ["--data-dir", str(tmp_path)]
    assert main(["batch", "request", "--precursors", "BaO,TiO2", "--ratios", "1:1,1:2",
                 "--profiles", "1300K:10", "--modes", "thermo-only", "--realisations", "2",
                 "--grid", "6", *data]) == 0
    capsys.readouterr()
    # filed, not run: pending
    assert main(["batch", "list", "--json", *data]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["state"] for r in rows] == ["pending", "pending"]
    assert main(["batch", "run", *data]) == 0
    capsys.readouterr()

    assert main(["batch", "list", "--json", "--top", "20", *data]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["label"], r["state"]) for r in rows] == [("BaO+TiO2 1:1", "done"),
                                                         ("BaO+TiO2 1:2", "done")]
    # the same numbers as predict() on the same inputs
    same = predict({"BaO": 1, "TiO2": 2}, [(1300.0, 10.0)], mode="thermo-only", realisations=2,
                   seed=0, grid=6, cache=False, progress=False)
    listed = {p["phase"]: p for p in rows[1]["phases"]}
    assert set(listed) == set(same.final_mol_fraction)
    for phase, p in listed.items():
        assert p["mol_fraction"][0] == pytest.approx(same.final_mol_fraction[phase])
        assert p["cation_fraction"][0] == pytest.approx(same.final_cation_fraction[phase])
    best = rows[1]["largest_product"]
    assert rows[1]["largest_product_probability"] == same.majority_probability[best]

    assert main(["batch", "list", *data]) == 0
    text = capsys.readouterr().out
    assert "BaO+TiO2 1:2 thermo-only, profile 1300 K x 10: done; largest product" in text
    assert "cation fraction" in text and "automaton time: 1 unit" in text
    assert main(["batch", "list", "--phase", "NoSuchPhase", *data]) == 0
    assert capsys.readouterr().out.startswith("no results with NoSuchPhase")
