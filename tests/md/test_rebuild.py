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
    """Ba3TiO5 at 1750 K as first bundled: seeds 2, 3 and 4, 30000 steps each; as bundled now
    (remade and continued, seeds 6 and 7 added, seed 2 left out where its cations order; in
    the fourteenth session run on to 300 ps, where seeds 3 and 6 order and are left out):
    seeds 4 and 7, 150000 steps each (runs/README.md)."""
    def plan(name: str) -> list[tuple]:
        doc = next(d for d in _bundle(name)
                   if (d["formula"], d["temperature_K"]) == ("Ba3TiO5", 1750.0))
        return [(r.seed, r.total_steps, r.melt, r.folder) for r in planned_runs(doc)]

    assert plan("transport_distilled_melts_first.json") == [
        (seed, 30000, "Ba3TiO5:1750", "Ba3TiO5_1750K") for seed in (2, 3, 4)]
    assert plan("transport_distilled_melts.json") == [
        (seed, 150000, "Ba3TiO5:1750", "Ba3TiO5_1750K") for seed in (4, 7)]


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
    """`rebuild_melts.py --plan`: every bundled run with its steps (3.81 million in all, the
    sum over the documents' frame counts); a melt not in the bundle, or --check before the
    runs exist, is a one-line error or a named gap, never a traceback."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "rebuild_melts.py"
    plan = subprocess.run([sys.executable, str(script), "--plan"], capture_output=True,
                          text=True, check=True).stdout
    assert "Ba3TiO5 1750 K: seed 4 150000 steps, seed 7 150000 steps\n" in plan
    assert plan.strip().endswith("3,810,000 steps in all")
    bad = subprocess.run([sys.executable, str(script), "--plan", "--melts", "BaTiO3:1234"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and bad.stderr.strip() == "error: not in the bundle: BaTiO3 1234 K"
    early = subprocess.run([sys.executable, str(script), "--check", "--melts", "BaTiO3:1750",
                            "--out", str(tmp_path)], capture_output=True, text=True)
    assert early.returncode == 1 and "not every run made yet (seeds 1, 4)" in early.stdout
    assert "Traceback" not in early.stderr


def test_a_replaced_document_says_why_and_the_old_one_is_returned():
    """replace_documents swaps one melt's document, records the note in the replacement and in
    the file's description, leaves every other document as it was, and hands back the one it
    replaced; a replacement with nothing to replace, two for one melt, or no note are refused."""
    from ionflux.md.rebuild import replace_documents

    bundle = json.loads((DATA / "transport_distilled_melts.json").read_text())
    old = bundle["documents"][0]
    new = copy.deepcopy(old)
    new["D_self_cm2_s"] = {el: 2 * d for el, d in old["D_self_cm2_s"].items()}
    out, replaced = replace_documents(bundle, [new], "runs continued")
    assert replaced == [old]
    assert out["documents"][0]["D_self_cm2_s"] == new["D_self_cm2_s"]
    assert out["documents"][0]["provenance"]["method"]["replaces"] == "runs continued"
    assert out["changes"][-1] == {"kind": "replaced", "note": "runs continued",
                                  "melts": [f"{old['formula']} {old['temperature_K']:g} K"]}
    assert out["changes"][:-1] == bundle["changes"]
    assert f"{old['formula']} {old['temperature_K']:g} K" in out["description"]
    assert out["documents"][1:] == bundle["documents"][1:]
    assert "replaces" not in bundle["documents"][0]["provenance"]["method"]  # input untouched
    stranger = copy.deepcopy(old)
    stranger["temperature_K"] = 1234.0
    with pytest.raises(InputError, match="1234 K: not in the bundle"):
        replace_documents(bundle, [stranger], "why")
    with pytest.raises(InputError, match="two replacements"):
        replace_documents(bundle, [new, new], "why")
    with pytest.raises(InputError, match="needs a note"):
        replace_documents(bundle, [new], " ")


def test_rebuild_script_continues_runs_but_never_cuts_them():
    """`--total-steps` plans every named run continued to that length; one shorter than a
    planned run is a one-line error naming it; --rebundle without --melts is refused."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "rebuild_melts.py"
    plan = subprocess.run([sys.executable, str(script), "--plan", "--melts", "BaTiO3:1750",
                           "--total-steps", "100000"], capture_output=True, text=True,
                          check=True).stdout
    assert plan.splitlines() == ["BaTiO3 1750 K: seed 1 100000 steps, seed 4 100000 steps",
                                 "200,000 steps in all"]
    short = subprocess.run([sys.executable, str(script), "--plan", "--melts", "BaTiO3:1750",
                            "--total-steps", "50000"], capture_output=True, text=True)
    assert short.returncode != 0 and short.stderr.strip() == (
        "error: --total-steps 50000 is shorter than BaTiO3:1750 K seed 1 (70000), "
        "BaTiO3:1750 K seed 4 (70000): runs are continued, never cut")
    unnamed = subprocess.run([sys.executable, str(script), "--rebundle", "somewhere"],
                             capture_output=True, text=True)
    assert unnamed.returncode != 0 and "name them" in unnamed.stderr
    two = subprocess.run([sys.executable, str(script), "--rebundle", "somewhere", "--melts",
                          "BaTiO3:1750,BaTiO3:2000", "--seeds", "1,2"],
                         capture_output=True, text=True)
    assert two.returncode != 0 and two.stderr.strip() == (
        "error: --seeds wants one melt in --melts and seeds as N,N,...")


def test_a_rebundle_records_why_its_runs_replace_the_bundled_ones():
    """--why goes into each replacement's note after how the runs were made and before where
    the replaced document is kept; an empty --why, or --why without --rebundle, is a one-line
    error."""
    import importlib.util
    import subprocess
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "rebuild_melts.py"
    spec = importlib.util.spec_from_file_location("rebuild_melts_under_test", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    note = script.replacement_note("2026-12-07", "1,2,3,4", " runs continued to 300 ps ",
                                   "first.json")
    assert note.endswith("; seeds 1,2,3,4 pooled, those it does not name added as new runs of "
                         "the same settings (--seeds); runs continued to 300 ps; the document "
                         "it replaces is in first.json")
    assert "; ;" not in script.replacement_note("2026-12-07", None, None, "first.json")
    empty = subprocess.run([sys.executable, str(path), "--rebundle", "somewhere", "--melts",
                            "BaTiO3:1750", "--why", " "], capture_output=True, text=True)
    assert empty.returncode != 0 and empty.stderr.strip() == (
        "error: --why is empty; say why the runs replace the bundled ones")
    alone = subprocess.run([sys.executable, str(path), "--plan", "--why", "because"],
                           capture_output=True, text=True)
    assert alone.returncode != 0 and alone.stderr.strip() == "error: --why goes with --rebundle"


def test_what_the_replaced_document_said_of_runs_not_remade_is_carried_over():
    """Ba3TiO5 at 1750 K left seeds 1 and 5 out (their cations order); remade from seeds 2-4
    only, its replacement still says so, marked as the first realisation's; a seed the new
    document names itself keeps only the new word."""
    from ionflux.md.rebuild import replace_documents

    bundle = json.loads((DATA / "transport_distilled_melts_first.json").read_text())
    old = next(d for d in bundle["documents"]
               if (d["formula"], d["temperature_K"]) == ("Ba3TiO5", 1750.0))
    new = copy.deepcopy(old)
    new["provenance"]["method"].pop("runs_not_used")
    out, _ = replace_documents(bundle, [new], "remade")
    method = next(d for d in out["documents"] if d["formula"] == "Ba3TiO5"
                  and d["temperature_K"] == 1750.0)["provenance"]["method"]
    assert method["runs_not_used"] == (
        "seed 1 not used: cations order from 120 ps (solid-like fraction above 0.1) (first "
        "realisation; not remade); seed 5 not used: cations order from 40 ps (solid-like "
        "fraction above 0.1) (first realisation; not remade)")
    new["provenance"]["method"]["runs_not_used"] = "seed 5 not used: left the domain after 1 ps"
    out, _ = replace_documents(bundle, [new], "remade")
    method = next(d for d in out["documents"] if d["formula"] == "Ba3TiO5"
                  and d["temperature_K"] == 1750.0)["provenance"]["method"]
    assert method["runs_not_used"].startswith("seed 5 not used: left the domain after 1 ps; "
                                              "seed 1 not used: cations order from 120 ps")
    assert method["runs_not_used"].count("seed 5") == 1


def test_an_entry_holding_two_reasons_is_carried_whole_and_once():
    """A run that ordered and then stopped early has one runs_not_used entry with "; " inside
    (as in the bundled BaTiO3 1750 K document): carried over, it keeps both reasons, and a
    second replacement does not mark it twice."""
    from ionflux.md.rebuild import replace_documents

    bundle = json.loads((DATA / "transport_distilled_melts_first.json").read_text())
    old = next(d for d in bundle["documents"]
               if (d["formula"], d["temperature_K"]) == ("Ba3TiO5", 1750.0))
    two_reasons = ("seed 2 not used: cations order from 80 ps (solid-like fraction above 0.1); "
                   "stopped early (72500 of 100000 steps done) after 144.0 ps")
    old["provenance"]["method"]["runs_not_used"] = (
        f"{two_reasons}; seed 7 not used: left the domain after 3.0 ps")
    new = copy.deepcopy(old)
    new["provenance"]["method"]["seeds"] = "3, 4"
    new["provenance"]["method"].pop("runs_not_used")
    once, _ = replace_documents(bundle, [new], "remade")
    method = next(d for d in once["documents"] if d["formula"] == "Ba3TiO5"
                  and d["temperature_K"] == 1750.0)["provenance"]["method"]
    assert method["runs_not_used"] == (
        f"{two_reasons} (first realisation; not remade); seed 7 not used: left the domain after "
        "3.0 ps (first realisation; not remade)")
    twice, _ = replace_documents(once, [new], "continued")
    again = next(d for d in twice["documents"] if d["formula"] == "Ba3TiO5"
                 and d["temperature_K"] == 1750.0)["provenance"]["method"]
    assert again["runs_not_used"] == method["runs_not_used"]


def test_a_variant_follows_the_selection_of_new_runs():
    """The ordered-frames variant after a rebundle: a melt it holds is replaced, a melt whose
    new runs now order is added, a melt whose new runs no longer order is removed, each named
    in the description; the input is untouched; an empty note or a melt twice is refused."""
    from ionflux.md.rebuild import update_variant

    variant = json.loads((DATA / "transport_distilled_melts_ordered.json").read_text())
    before = copy.deepcopy(variant)
    keys = [(d["formula"], d["temperature_K"]) for d in variant["documents"]]
    assert ("Ba3TiO5", 1750.0) in keys and ("BaTiO3", 2000.0) in keys
    replacement = copy.deepcopy(variant["documents"][keys.index(("Ba3TiO5", 1750.0))])
    replacement["n_replicates"] = 99  # marks the document that went in
    added = copy.deepcopy(next(d for d in _bundle() if (d["formula"], d["temperature_K"])
                               == ("BaTi4O9", 1750.0)))
    out = update_variant(variant, [replacement, added], "new runs",
                         drop=[("BaTiO3", 2000.0), ("BaTi2O5", 1750.0)])
    assert variant == before
    now = {(d["formula"], d["temperature_K"]): d for d in out["documents"]}
    assert ("BaTi4O9", 1750.0) not in keys
    assert set(now) == set(keys) - {("BaTiO3", 2000.0)} | {("BaTi4O9", 1750.0)}
    assert now[("Ba3TiO5", 1750.0)]["n_replicates"] == 99
    assert now[("Ba3TiO5", 1750.0)]["provenance"]["method"]["replaces"] == "new runs"
    assert now[("BaTi4O9", 1750.0)]["provenance"]["method"]["added"] == "new runs"
    assert out["changes"][-1] == {
        "kind": "updated", "note": "new runs",
        "melts": ["Ba3TiO5 1750 K", "BaTi4O9 1750 K", "BaTiO3 2000 K (removed)"]}
    assert "BaTiO3 2000 K (removed)" in out["description"]
    with pytest.raises(InputError, match="needs a note"):
        update_variant(variant, [added], " ")
    with pytest.raises(InputError, match="two documents of one melt"):
        update_variant(variant, [added, added], "twice")


def test_rebundle_writes_nothing_when_a_melt_cannot_be_exported(tmp_path):
    """--rebundle without the runs: a named failure, exit 1, and no file written (a bundle with
    some documents replaced and others not is never produced)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "rebuild_melts.py"
    target = tmp_path / "new"
    result = subprocess.run([sys.executable, str(script), "--rebundle", str(target), "--melts",
                             "BaTiO3:1750", "--out", str(tmp_path / "no-runs")],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "BaTiO3 1750 K: export failed; not replaced" in result.stdout
    assert "nothing written" in result.stdout
    assert not target.exists()


def test_changes_are_listed_once_and_the_description_stays_short():
    """Each change goes into the file's ``changes`` with its note; the description names the
    melts once, however many changes and however long their notes. A description written the
    old way (notes inside it) moves into ``changes`` whole; one it cannot read is refused."""
    from ionflux.md.rebuild import record_change, split_description

    long_note = "runs continued (seeds 1, 2: policy fixed before); " * 20
    export = {"description": "melts (as first made)", "documents": []}
    for _ in range(5):
        record_change(export, "replaced", ["Ba2TiO4 1750 K"], long_note)
    record_change(export, "updated", ["BaTiO3 2000 K (removed)"], "why")
    assert [c["note"] for c in export["changes"]] == [long_note] * 5 + ["why"]
    assert export["description"] == (
        "melts (as first made); changed since first made: Ba2TiO4 1750 K, BaTiO3 2000 K "
        "(removed) (each change with its note in 'changes')")
    old = {"description": "melts; replaced: Ba2TiO4 1750 K, Ba3TiO5 2000 K (a (b) c); "
                          "updated: BaTiO3 2000 K (removed) (d)"}
    assert split_description(old["description"]) == ("melts", [
        {"kind": "replaced", "melts": ["Ba2TiO4 1750 K", "Ba3TiO5 2000 K"], "note": "a (b) c"},
        {"kind": "updated", "melts": ["BaTiO3 2000 K (removed)"], "note": "d"}])
    record_change(old, "replaced", ["Ba4TiO6 1750 K"], "e")
    assert [c["note"] for c in old["changes"]] == ["a (b) c", "d", "e"]
    assert old["description"].startswith("melts; changed since first made: Ba2TiO4 1750 K, ")
    with pytest.raises(InputError, match="cannot read the change"):
        split_description("melts; replaced: something unreadable")
