"""Distilled-against-direct diffusion comparison (ionflux.md.validation) on Brownian walkers
of known D."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ionflux.errors import InputError
from ionflux.md.run import MDRun
from ionflux.md.validation import (
    agreement_summary,
    common_span,
    coordination_agreement,
    diffusion_agreement,
    mean_coordination,
    paired_documents,
)
from ionflux.transport.onsager import analyze_trajectories

FRAME_FS = 10.0


def _walkers(d_cm2_s: dict[str, float], n_frames: int, seed: int, start_fs: float = 500.0
             ) -> MDRun:
    """32 independent Brownian atoms per species; D in cm^2/s (1 Å^2/fs = 0.1 cm^2/s)."""
    rng = np.random.default_rng(seed)
    symbols = [el for el in d_cm2_s for _ in range(32)]
    sigma = np.array([np.sqrt(2 * d_cm2_s[el] * 10 * FRAME_FS) for el in symbols])
    steps = rng.normal(size=(n_frames, len(symbols), 3)) * sigma[None, :, None]
    steps[0] = rng.uniform(0, 20, size=(len(symbols), 3))
    positions = np.cumsum(steps, axis=0)
    return MDRun(symbols=symbols, cell=np.eye(3) * 20.0, positions=list(positions),
                 times_fs=[start_fs + FRAME_FS * k for k in range(n_frames)],
                 temperature_K=1750.0, kinetic_temperatures_K=[1750.0] * n_frames,
                 potential_energies_eV=[0.0] * n_frames)


def _doc(run: MDRun):
    return analyze_trajectories([run.to_trajectory()], formula="BaO", n_blocks=3)


def test_same_diffusion_agrees_and_twice_the_diffusion_does_not():
    direct = _walkers({"Ba": 5e-6, "O": 2e-5}, 3000, seed=1)
    same = _walkers({"Ba": 5e-6, "O": 2e-5}, 4000, seed=2)
    faster = _walkers({"Ba": 1e-5, "O": 4e-5}, 3000, seed=3)
    ours, theirs = common_span(same, direct)
    assert len(ours.times_fs) == len(theirs.times_fs) == 3000
    agree = diffusion_agreement(_doc(ours), _doc(theirs))
    for el, v in agree.items():
        assert v["ratio"] == pytest.approx(1.0, abs=0.25), el
        assert abs(v["z"]) < 3.0
        assert v["direct"][0] == pytest.approx({"Ba": 5e-6, "O": 2e-5}[el], rel=0.25)
    differ = diffusion_agreement(_doc(faster), _doc(direct))
    for v in differ.values():
        assert v["ratio"] == pytest.approx(2.0, rel=0.25)
        assert v["z"] > 3.0
    summary = agreement_summary({"same": agree, "faster": differ})
    assert summary["n_compared"] == 4 and summary["n_within"] == 2
    assert summary["ratio_min"] == pytest.approx(1.0, abs=0.25)
    assert summary["ratio_max"] == pytest.approx(2.0, rel=0.25)


def test_common_span_refuses_runs_on_other_frame_times():
    a = _walkers({"Ba": 5e-6}, 50, seed=1)
    with pytest.raises(InputError, match="different times"):
        common_span(a, _walkers({"Ba": 5e-6}, 50, seed=1, start_fs=1000.0))
    b = _walkers({"Ba": 5e-6}, 50, seed=1)
    b.times_fs = [500.0 + 2 * (t - 500.0) for t in b.times_fs]
    with pytest.raises(InputError, match="different times"):
        common_span(a, b)


def test_paired_documents_match_melts_and_name_the_unpaired():
    base = _walkers({"Ba": 5e-6, "O": 2e-5}, 1500, seed=1)
    doc = _doc(base)
    hot = doc.model_copy(update={"temperature_K": 2000.0})
    other = doc.model_copy(update={"formula": "BaO2"})
    pairs, alone = paired_documents([doc, hot], [other, doc])
    assert [(a.temperature_K, b.formula) for a, b in pairs] == [(1750.0, "BaO")]
    assert alone == ["BaO 2000 K: only in the first", "BaO2 1750 K: only in the second"]
    with pytest.raises(InputError, match="BaO 1750 K: two documents in one set"):
        paired_documents([doc, doc], [other])
    with pytest.raises(InputError, match="two documents in one set"):
        paired_documents([hot], [doc, doc])


def test_compare_script_pairs_two_exports_and_refuses_bad_input(tmp_path):
    script = Path(__file__).resolve().parents[2] / "scripts" / "run_mlip_melts.py"
    slow = _doc(_walkers({"Ba": 5e-6, "O": 2e-5}, 1500, seed=1))
    fast = _doc(_walkers({"Ba": 1e-5, "O": 4e-5}, 1500, seed=2))
    files = []
    for name, doc in (("first.json", slow), ("second.json", fast)):
        files.append(tmp_path / name)
        files[-1].write_text(json.dumps({"documents": [doc.model_dump(mode="json")]}))
    done = subprocess.run([sys.executable, str(script), "--compare", f"{files[0]},{files[1]}"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("| BaO |"))
    cells = [cell.strip() for cell in row.split("|")]  # | melt | T | ps | Ba | Ti | O |
    assert cells[5] == "-"  # no Ti in these melts
    assert [float(cells[k].split()[0]) for k in (4, 6)] == pytest.approx([2.0, 2.0], rel=0.3)
    (tmp_path / "bad.json").write_text("[]")
    for value, message in ((str(files[0]), "takes two files"),
                           (f"{files[0]},{tmp_path / 'none.json'}", "no such file"),
                           (f"{files[0]},{tmp_path / 'bad.json'}", "not an --export file")):
        done = subprocess.run([sys.executable, str(script), "--compare", value],
                              capture_output=True, text=True)
        assert done.returncode != 0 and done.stderr.startswith("error:"), done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr


def _gas_or_lattice(n_frames: int, seed: int, lattice: bool) -> MDRun:
    """64 Ba and 64 O: at random (an ideal gas) or Ba on a simple cubic lattice (a = 3 Å) with
    O at the cube centres, vibrating by 0.02 Å."""
    rng = np.random.default_rng(seed)
    grid = np.array([(i, j, k) for i in range(4) for j in range(4) for k in range(4)]) * 3.0
    frames = [np.vstack([grid, grid + 1.5]) + rng.normal(scale=0.02, size=(128, 3)) if lattice
              else rng.uniform(0, 12, size=(128, 3)) for _ in range(n_frames)]
    return MDRun(symbols=["Ba"] * 64 + ["O"] * 64, cell=np.eye(3) * 12.0, positions=frames,
                 times_fs=[FRAME_FS * k for k in range(n_frames)], temperature_K=1750.0,
                 kinetic_temperatures_K=[1750.0] * n_frames,
                 potential_energies_eV=[0.0] * n_frames)


def test_coordination_agreement_against_known_structures():
    gas = [_gas_or_lattice(80, seed, lattice=False) for seed in (1, 2)]
    other_gas = _gas_or_lattice(80, 3, lattice=False)
    lattice = _gas_or_lattice(80, 4, lattice=True)
    # O at cube centres: 8 Ba at 2.60 Å; Ba: 6 Ba at 3.0 Å
    pairs = [("O", "Ba", 2.8), ("Ba", "Ba", 3.2)]
    mean, err = mean_coordination([lattice], "O", "Ba", 2.8)
    assert mean == pytest.approx(8.0) and err == pytest.approx(0.0, abs=1e-12)
    ideal = 64 / 12 ** 3 * 4 / 3 * np.pi * 2.8 ** 3  # neighbours of another species in a gas
    mean, err = mean_coordination(gas, "O", "Ba", 2.8)
    assert mean == pytest.approx(ideal, abs=4 * err) and err > 0
    same = coordination_agreement(gas, [other_gas], pairs)
    assert all(abs(v["z"]) < 3.5 for v in same.values())
    differ = coordination_agreement([lattice], [other_gas], pairs)
    assert differ["O-Ba<2.8"]["difference"] == pytest.approx(8.0 - ideal, abs=0.3)
    assert all(v["z"] > 10 for v in differ.values())
    with pytest.raises(InputError, match="no Ti atoms"):
        mean_coordination(gas, "Ti", "O", 2.5)


def test_table_script_says_how_each_run_ended(tmp_path):
    """--table: D ± SE in one power of ten, and the end of the runs read from the document's
    ``provenance.method.run_ends`` as export writes it: a used run that left the domain, the
    convergence rule's verdict, a replicate left out (which does not make the document a
    stopped one), and a run cut where its cations order (ionflux.md.selection)."""
    from ionflux.md.selection import run_end
    from ionflux.transport.documents import QualityFlag

    script = Path(__file__).resolve().parents[2] / "scripts" / "run_mlip_melts.py"
    walkers = _walkers({"Ba": 5e-6, "O": 2e-5}, 1500, seed=1)
    exited = copy.copy(walkers)
    exited.partial, exited.stop_reason = True, (
        "step 9: extrapolation grade gamma = 233 above 100: the melt left the distilled "
        "potential's training domain (frames so far kept; closest pair O-O 1.23 Å)")
    unfinished = copy.copy(walkers)
    unfinished.partial, unfinished.stop_reason = True, "1500 of 2000 steps done"
    assert [run_end(m) for m in (walkers, exited, unfinished)] == [
        "finished", "left the domain", "stopped early (1500 of 2000 steps done)"]

    doc = _doc(walkers)

    def ended(ends: str, **update) -> object:
        method = {**doc.provenance.method, "run_ends": ends}
        return doc.model_copy(update={
            "provenance": doc.provenance.model_copy(update={"method": method}), **update})

    passed = QualityFlag(passed=True, value=1.0, threshold=1.0, reason="seed 1: passes (...)")
    half = QualityFlag(passed=False, value=0.0, threshold=1.0, reason="seeds 1, 2: fails (...)")
    docs = [ended("finished; left the domain", temperature_K=1500.0,
                  quality={**doc.quality, "convergence_rule": passed}),
            ended("finished", temperature_K=1750.0,
                  warnings=["seed 1: finished run, seed 2 not used: partial run (...)"],
                  quality={**doc.quality, "convergence_rule": passed}),
            ended("finished; finished", temperature_K=2000.0,
                  quality={**doc.quality, "convergence_rule": half}),
            ended("cut where its cations order (120 ps)", temperature_K=2250.0,
                  quality={**doc.quality, "convergence_rule": half})]
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"documents": [d.model_dump(mode="json") for d in docs]}))
    done = subprocess.run([sys.executable, str(script), "--table", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = [[cell.strip() for cell in line.split("|")] for line in done.stdout.splitlines()
            if line.startswith("| BaO |")]
    assert [row[4] for row in rows] == ["left the domain", "converged",
                                        "not converged",
                                        "cut where its cations order (120 ps)"]
    d, err = doc.D_self_cm2_s["Ba"], doc.D_self_cm2_s_stderr["Ba"]
    value, _, error = rows[0][5].removesuffix(" (nd)").partition(" ± ")
    exponent = int(value.split("e")[1])
    assert float(value) == pytest.approx(d, abs=0.051 * 10.0 ** exponent)
    assert float(error) == pytest.approx(err, abs=0.051 * 10.0 ** exponent)
    done = subprocess.run([sys.executable, str(script), "--table", str(tmp_path / "none.json")],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "no such file" in done.stderr
    assert "Traceback" not in done.stderr
