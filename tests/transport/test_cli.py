"""`ionflux transport analyze` end to end through the CLI entry point."""

from __future__ import annotations

import json

import ase
import ase.io
import numpy as np
import pytest

from ionflux.cli import main
from ionflux.transport.synthetic import barium_titanate_like

REQUIRED_KEYS = {"species", "temperature_K", "frame_interval_fs", "n_frames", "volume_A3", "L",
                 "L_stderr", "L_self", "L_self_stderr", "L_distinct", "correlation_factor",
                 "correlation_factor_stderr", "D_self_cm2_s", "D_self_cm2_s_stderr",
                 "fit_window_fs", "quality"}


@pytest.fixture(scope="module")
def extxyz_file(tmp_path_factory):
    system = barium_titanate_like(n_formula_units=8)
    trajectory = system.generate(3000, seed=4)
    frames = [ase.Atoms(trajectory.species, positions=p, cell=trajectory.cells[0], pbc=True)
              for p in trajectory.positions]
    path = tmp_path_factory.mktemp("cli") / "batio3.extxyz"
    ase.io.write(path, frames, format="extxyz")
    return path, system.truth()


def test_json_output_has_the_documented_keys_and_true_values(extxyz_file, capsys):
    path, truth = extxyz_file
    code = main(["transport", "analyze", str(path), "--temperature", "1500",
                 "--frame-interval-fs", "50", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert REQUIRED_KEYS <= out.keys()
    assert out["species"] == ["Ba", "Ti", "O"]
    assert out["n_frames"] == 3000
    z = (np.array(out["L_self"]) - truth.L_self) / np.array(out["L_self_stderr"])
    assert np.all(np.abs(z) < 4)
    assert out["quality"]["symmetric"]["passed"] is True


def test_two_paths_are_replicates(extxyz_file, capsys):
    path, _ = extxyz_file
    assert main(["transport", "analyze", str(path), str(path), "--temperature", "1500",
                 "--frame-interval-fs", "50", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_replicates"] == 2


@pytest.mark.parametrize(("args", "message"), [
    ([], "does not give the temperature; pass --temperature"),
    (["--temperature", "1500"], "does not give the frame interval; pass --frame-interval-fs"),
    (["--temperature", "-5", "--frame-interval-fs", "50"], "temperature must be positive"),
    (["--temperature", "1500", "--frame-interval-fs", "50", "--window-fs", "10", "5"],
     "start must be >= 0 and below the end"),
    (["--temperature", "1500", "--frame-interval-fs", "50", "--estimator", "gls"],
     "unknown estimator 'gls'; choose one of scaled-window, half-block"),
])
def test_bad_flags_give_one_line_errors(extxyz_file, capsys, args, message):
    path, _ = extxyz_file
    assert main(["transport", "analyze", str(path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert err.count("\n") == 0


def test_readable_table(extxyz_file, capsys):
    path, _ = extxyz_file
    assert main(["transport", "analyze", str(path), "--temperature", "1500",
                 "--frame-interval-fs", "50"]) == 0
    out = capsys.readouterr().out
    assert "total Onsager matrix" in out and "BaTiO3 at 1500 K" in out


def test_synthetic_command_writes_a_trajectory_whose_truth_the_analysis_recovers(tmp_path,
                                                                                  capsys):
    path = tmp_path / "syn.extxyz.gz"
    assert main(["transport", "synthetic", str(path), "--frames", "4000", "--formula-units",
                 "10", "--seed", "3", "--replicates", "1"]) == 0
    truth = json.loads((tmp_path / "syn.extxyz.gz.truth.json").read_text())
    capsys.readouterr()
    # Temperature and frame interval come from the file itself: no flags needed.
    assert main(["transport", "analyze", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["temperature_K"] == truth["temperature_K"]
    z = (np.array(out["L"]) - np.array(truth["L"])) / np.array(out["L_stderr"])
    assert np.all(np.abs(z) < 4)


@pytest.mark.slow
def test_synthetic_defaults_pass_every_quality_check_and_read_back(tmp_path, capsys):
    # no extension given: the files get the one the readers need
    assert main(["transport", "synthetic", str(tmp_path / "syn")]) == 0
    files = sorted(tmp_path.glob("syn.r*.extxyz"))
    assert [f.name for f in files] == [f"syn.r{i}.extxyz" for i in range(1, 5)]
    truth = json.loads((tmp_path / "syn.truth.json").read_text())
    capsys.readouterr()
    assert main(["transport", "analyze", *map(str, files), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    failed = {k: q["reason"] for k, q in out["quality"].items() if not q["passed"]}
    assert failed == {}
    z = (np.array(out["L"]) - np.array(truth["L"])) / np.array(out["L_stderr"])
    assert np.all(np.abs(z) < 4)


def test_estimator_flag_selects_and_records_the_estimator(extxyz_file, capsys):
    path, _ = extxyz_file
    windows = {}
    for estimator in ("half-block", "scaled-window"):
        assert main(["transport", "analyze", str(path), "--temperature", "1500",
                     "--frame-interval-fs", "50", "--estimator", estimator, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["estimator"] == estimator and "start:" in out["window_rule"]
        windows[estimator] = out["fit_window_fs"]
    assert windows["half-block"][1] == 150 * 50.0  # half of a 300-frame block
    assert windows["scaled-window"][1] == 8 * windows["scaled-window"][0]


def test_synthetic_files_go_through_the_database_pipeline_as_they_are(tmp_path, capsys):
    """`transport synthetic` writes a sidecar per replicate: `ionflux ingest` takes the folder
    without edits, the aggregate the build stores recovers the analytic L, and the stored
    provenance says the data are synthetic (never mistaken for a material's MD)."""
    runs, data = tmp_path / "runs", ["--data-dir", str(tmp_path / "data")]
    runs.mkdir()
    assert main(["transport", "synthetic", str(runs / "syn.extxyz"), "--frames", "3000",
                 "--replicates", "2", "--seed", "5"]) == 0
    truth = json.loads((runs / "syn.truth.json").read_text())
    assert "ionflux ingest" in capsys.readouterr().out
    assert main(["ingest", str(runs), *data, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["new"]) == 2
    assert main(["build", *data, "--stage", "transport", "--stage", "aggregate"]) == 0
    capsys.readouterr()
    assert main(["query", "transport", "--formula", "BaTiO3", "--temperature", "1500", *data,
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n_replicates"] == 2
    z = (np.array(doc["L"]) - np.array(truth["L"])) / np.array(doc["L_stderr"])
    assert np.all(np.abs(z) < 4)
    assert "synthetic" in json.dumps(doc["provenance"])
