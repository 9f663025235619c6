"""Remaking the runs behind bundled melt documents (ionflux.md.rebuild)."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest

from ionflux.errors import InputError
from ionflux.md.rebuild import EQUILIBRATION_STEPS, TIMESTEP_FS, document_differences, planned_runs

DATA = resources.files("ionflux") / "data" / "ba-ti-o"


def _bundle(name: str = "transport_distilled_melts.json") -> list[dict]:
    return json.loads((DATA / name).read_text())["documents"]


def test_planned_lengths_agree_with_each_documents_run_lengths():
    """Steps from each source's frame count reproduce the run lengths the document states in
    another field (replicate_run_ps, ps after equilibration), seed by seed, for every bundled
    melt document."""
    docs = _bundle()
    assert len(docs) == 22
    for doc in docs:
        method = doc["provenance"]["method"]
        runs = planned_runs(doc)
        assert [r.seed for r in runs] == [int(s) for s in method["seeds"].split(",")]
        stated = [float(p) for p in method["replicate_run_ps"].split(",")]
        for run, ps in zip(runs, stated, strict=True):
            production_ps = (run.total_steps - EQUILIBRATION_STEPS) * TIMESTEP_FS / 1000
            assert production_ps == pytest.approx(ps, abs=1e-9), (doc["formula"], run.seed)


def test_a_document_of_three_seeds_plans_the_runs_the_readme_lists():
    """Ba3TiO5 at 1750 K: seeds 2, 3 and 4, 30000 steps each (runs/README.md)."""
    doc = next(d for d in _bundle()
               if (d["formula"], d["temperature_K"]) == ("Ba3TiO5", 1750.0))
    runs = planned_runs(doc)
    assert [(r.seed, r.total_steps, r.melt, r.folder) for r in runs] == [
        (seed, 30000, "Ba3TiO5:1750", "Ba3TiO5_1750K") for seed in (2, 3, 4)]


def test_documents_that_cannot_be_remade_as_they_are_are_refused():
    cut = _bundle("transport_distilled_melts_59ps.json")[0]
    with pytest.raises(InputError, match="cut to 59"):
        planned_runs(cut)
    pipeline_doc = copy.deepcopy(_bundle()[0])  # a trajectory file's document: no seeds
    del pipeline_doc["provenance"]["method"]["seeds"]
    with pytest.raises(InputError, match="names no seeds"):
        planned_runs(pipeline_doc)
    other = copy.deepcopy(_bundle()[0])
    other["frame_interval_fs"] = 20.0
    with pytest.raises(InputError, match="20 fs apart"):
        planned_runs(other)


def test_differences_name_every_changed_number_and_flag():
    doc = _bundle()[0]
    assert document_differences(copy.deepcopy(doc), doc) == []
    changed = copy.deepcopy(doc)
    element = sorted(changed["D_self_cm2_s"])[0]
    changed["D_self_cm2_s"][element] *= 1 + 1e-6
    changed["L"][0][1] *= 1 - 1e-3
    changed["quality"]["symmetric"]["passed"] = False
    lines = document_differences(changed, doc)
    assert any(line.startswith("D_self_cm2_s: largest relative difference 1.00e-06")
               for line in lines)
    assert any(line.startswith("L: largest relative difference 1.00e-03") for line in lines)
    assert any(line.startswith("quality symmetric: False") for line in lines)
    assert len(lines) == 3
    # a tolerance above the change lets only the larger ones through
    assert len(document_differences(changed, doc, rtol=1e-5)) == 2


def test_agreement_of_two_realisations_is_measured_in_combined_errors():
    """D 10 % apart with 5 % errors on each: ratio 1.1, z = 0.1 D / (sqrt(2) 0.05 D) = 1.41;
    L terms apart by one combined error give z = 1."""
    import numpy as np

    from ionflux.md.rebuild import document_agreement

    bundled = _bundle()[0]
    remade = copy.deepcopy(bundled)
    for el, d in bundled["D_self_cm2_s"].items():
        remade["D_self_cm2_s"][el] = 1.1 * d
        remade["D_self_cm2_s_stderr"][el] = bundled["D_self_cm2_s_stderr"][el] = 0.05 * d
    combined = np.hypot(bundled["L_stderr"], bundled["L_stderr"])
    remade["L"] = (np.asarray(bundled["L"]) + combined).tolist()
    agree = document_agreement(remade, bundled)
    for el in bundled["species"]:
        assert agree["D_ratio"][el] == pytest.approx(1.1)
        assert agree["D_z"][el] == pytest.approx(0.1 / (np.sqrt(2) * 0.05))
    assert len(agree["L_z"]) == 6
    assert all(z == pytest.approx(1.0) for z in agree["L_z"].values())
    missing = copy.deepcopy(remade)
    missing["D_self_cm2_s"]["Ba"] = None
    assert np.isnan(document_agreement(missing, bundled)["D_z"]["Ba"])


def test_rebuild_script_plans_the_bundle_and_refuses_unknown_melts(tmp_path):
    """`rebuild_melts.py --plan`: every bundled run with its steps (2.23 million in all, the
    sum over the documents' frame counts); a melt not in the bundle, or --check before the
    runs exist, is a one-line error or a named gap, never a traceback."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "rebuild_melts.py"
    plan = subprocess.run([sys.executable, str(script), "--plan"], capture_output=True,
                          text=True, check=True).stdout
    assert "Ba3TiO5 1750 K: seed 2 30000 steps, seed 3 30000 steps, seed 4 30000 steps" in plan
    assert plan.strip().endswith("2,230,000 steps in all")
    bad = subprocess.run([sys.executable, str(script), "--plan", "--melts", "BaTiO3:1234"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and bad.stderr.strip() == "error: not in the bundle: BaTiO3 1234 K"
    early = subprocess.run([sys.executable, str(script), "--check", "--melts", "BaTiO3:1750",
                            "--out", str(tmp_path)], capture_output=True, text=True)
    assert early.returncode == 1 and "not every run made yet (seeds 1, 4)" in early.stdout
    assert "Traceback" not in early.stderr
