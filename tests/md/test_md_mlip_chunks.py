"""Chunked, resumable MD (ionflux.md.mlip) driven by the Pedone calculator, and teacher errors."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from ase.io import read

from ionflux.errors import InputError
from ionflux.md.calculator import PedoneCalculator
from ionflux.md.library import amorphous_snapshot_files
from ionflux.md.mlip import (
    ChunkSettings,
    assemble,
    load_teacher,
    mark_converged,
    reopen_converged,
    run_chunks,
)

TEACHER = {"teacher": "pedone-test", "model": "pedone", "label": "Pedone (test)"}
SETTINGS = ChunkSettings(temperature_K=1750.0, timestep_fs=1.0, frame_every=5, chunk_steps=10,
                         total_steps=30, equilibration_steps=10, seed=3)


@pytest.fixture(scope="module")
def atoms():
    return read(amorphous_snapshot_files()["BaTi2O5"])


def test_interrupted_run_continues_to_the_same_frames(tmp_path, atoms):
    whole = run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path / "whole", TEACHER)
    for _ in range(3):  # three sessions, one chunk each, each with a fresh calculator
        parts = run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path / "parts", TEACHER,
                           max_chunks=1)
    assert whole["status"] == parts["status"] == "finished"
    assert [c["sha256"] for c in whole["chunks"]] == [c["sha256"] for c in parts["chunks"]]
    # a finished run is not extended by a rerun
    again = run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path / "parts", TEACHER)
    assert len(again["chunks"]) == 3


def test_assembled_run_skips_equilibration_and_is_continuous(tmp_path, atoms):
    run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path, TEACHER)
    run = assemble(tmp_path)
    assert run.times_fs == [10.0, 15.0, 20.0, 25.0, 30.0]
    full = assemble(tmp_path, include_equilibration=True)
    assert full.times_fs[0] == 0.0 and len(full.times_fs) == 7
    # unwrapped: no jump of half a cell between frames, and the COM stays put (FixCom)
    pos = np.array(full.positions)
    assert np.abs(np.diff(pos, axis=0)).max() < 0.5 * atoms.cell.lengths().min()
    masses = atoms.get_masses()
    com = (pos * masses[None, :, None]).sum(axis=1) / masses.sum()
    assert np.allclose(com, com[0], atol=1e-4)
    assert not run.partial and run.metadata["chunks"] == 3


def test_partial_run_is_marked_and_state_mismatch_refused(tmp_path, atoms):
    run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path, TEACHER, max_chunks=2)
    run = assemble(tmp_path)
    assert run.partial and "20 of 30 steps" in run.stop_reason
    other = ChunkSettings(**{**SETTINGS.__dict__, "temperature_K": 2000.0})
    with pytest.raises(InputError, match="different settings"):
        run_chunks(atoms, PedoneCalculator(), other, tmp_path, TEACHER)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["chunks"][-1]["sha256"] = "0" * 64
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="differ from the manifest"):
        assemble(tmp_path)


def test_bad_settings_and_missing_teacher(monkeypatch):
    with pytest.raises(InputError, match="multiple of frame_every"):
        ChunkSettings(frame_every=7, chunk_steps=10)
    with pytest.raises(InputError, match="99999 K is outside the physically sensible range"):
        ChunkSettings(temperature_K=99999.0)
    with pytest.raises(InputError, match="unknown teacher"):
        load_teacher("mace")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(InputError, match=r"torch==2\.13\.0"):
        load_teacher("sevenn")


def test_frame_check_stops_the_run_and_keeps_the_good_frames(tmp_path, atoms):
    calls = []

    def check(work) -> str | None:  # e.g. an extrapolation grade above its limit
        calls.append(1)
        return "gamma = 250 above 100" if len(calls) == 4 else None

    manifest = run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path, TEACHER,
                          frame_check=check)
    assert manifest["status"] == "stopped"
    assert manifest["stop_reason"] == "step 20: gamma = 250 above 100"
    # chunk 1 (steps 0-10) whole, chunk 2 up to the checked frame at step 20 (kept: it is a
    # valid frame; the check says the run must not go on from it)
    assert [c["last_step"] for c in manifest["chunks"]] == [10, 20]
    full = assemble(tmp_path, include_equilibration=True)
    assert full.times_fs == [0.0, 5.0, 10.0, 15.0, 20.0]
    with pytest.raises(InputError, match="the run stopped: step 20"):
        run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path, TEACHER)


def test_finished_run_extends_to_a_longer_total_as_one_trajectory(tmp_path, atoms):
    """Running 20 steps and then extending to 30 gives the frames of one 30-step run."""
    short = ChunkSettings(**{**SETTINGS.__dict__, "total_steps": 20})
    first = run_chunks(atoms, PedoneCalculator(), short, tmp_path / "ext", TEACHER)
    assert first["status"] == "finished"
    extended = run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path / "ext", TEACHER)
    assert extended["status"] == "finished" and extended["chunks"][-1]["last_step"] == 30
    assert extended["extensions"] == [{"from_total_steps": 20, "to_total_steps": 30}]
    run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path / "one", TEACHER)
    assert np.array_equal(np.array(assemble(tmp_path / "ext").positions),
                          np.array(assemble(tmp_path / "one").positions))
    with pytest.raises(InputError, match="below the 30 steps already run"):
        run_chunks(atoms, PedoneCalculator(), short, tmp_path / "ext", TEACHER)


def test_converged_run_is_not_continued(tmp_path, atoms):
    run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path, TEACHER, max_chunks=2)
    mark_converged(tmp_path, "every species diffusive (test)")
    longer = ChunkSettings(**{**SETTINGS.__dict__, "total_steps": 40})
    manifest = run_chunks(atoms, PedoneCalculator(), longer, tmp_path, TEACHER)
    assert manifest["chunks"][-1]["last_step"] == 20 and manifest["converged"]


def test_reopened_run_continues_as_one_trajectory_and_keeps_its_old_verdict(tmp_path, atoms):
    """A verdict taken back (a stricter rule fails the run) lets the run go on to a larger
    total, continuous with the frames it had; the earlier verdict stays in the manifest."""
    short = ChunkSettings(**{**SETTINGS.__dict__, "total_steps": 20})
    run_chunks(atoms, PedoneCalculator(), short, tmp_path / "run", TEACHER)
    mark_converged(tmp_path / "run", "every species diffusive (test)")
    reopen_converged(tmp_path / "run", "the current rule fails: test")
    manifest = run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path / "run", TEACHER)
    assert manifest["chunks"][-1]["last_step"] == 30 and "converged" not in manifest
    assert manifest["reopened"] == [{"converged": "every species diffusive (test)",
                                     "why": "the current rule fails: test"}]
    run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path / "one", TEACHER)
    assert np.array_equal(np.array(assemble(tmp_path / "run").positions),
                          np.array(assemble(tmp_path / "one").positions))
    # reopened below the total it already had: it runs on to that total, chunk by chunk
    run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path / "same", TEACHER, max_chunks=1)
    mark_converged(tmp_path / "same", "every species diffusive (test)")
    reopen_converged(tmp_path / "same", "the current rule fails: test")
    manifest = run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path / "same", TEACHER,
                          max_chunks=1)
    assert manifest["status"] == "running" and manifest["chunks"][-1]["last_step"] == 20
    manifest = run_chunks(atoms, PedoneCalculator(), SETTINGS, tmp_path / "same", TEACHER)
    assert manifest["status"] == "finished" and manifest["chunks"][-1]["last_step"] == 30
    assert "extensions" not in manifest


def test_runner_reopens_a_run_the_current_rule_fails(tmp_path, atoms, capsys):
    """scripts/run_mlip_melts.py: a run converged under an earlier rule goes on when a larger
    --total-steps is asked and the current rule (here: too short to analyse) fails it; asked
    no further than it ran, it stays converged."""
    import argparse
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "run_mlip_melts.py"
    spec = importlib.util.spec_from_file_location("run_mlip_melts_under_test", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    outdir = tmp_path / "distilled" / "BaTi2O5_1750K"
    run_chunks(atoms, PedoneCalculator(), SETTINGS, outdir, TEACHER)
    mark_converged(outdir, "every species diffusive (an earlier rule)")
    melts = [("BaTi2O5", 1750.0)]
    args = argparse.Namespace(out=str(tmp_path), teacher="distilled", total_steps=30, blocks=3)
    assert script._still_running(args, melts) == []
    assert json.loads((outdir / "manifest.json").read_text())["converged"]
    args.total_steps = 40
    assert script._still_running(args, melts) == melts
    manifest = json.loads((outdir / "manifest.json").read_text())
    assert "converged" not in manifest
    assert manifest["reopened"][0]["why"].startswith("the current rule fails: too short")
    assert "converged under an earlier rule" in capsys.readouterr().out
