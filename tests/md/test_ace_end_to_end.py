"""End to end: amorphous cell -> pyace MD with gamma QC -> ingest -> build -> query.

``ionflux md amorphous --engine ace`` melt-quenches a small cell classically (LAMMPS, Pedone),
runs ACE MD with the bundled stand-in and its active set, and writes the trajectory and its
sidecar. The pipeline's gamma stage recomputes gamma from the stored frames (independently of
the calculator that recorded it during the run); transport documents carry the statistics;
aggregates exclude a trajectory above the stop threshold; a run stopped by gamma is kept as a
partial file that ingest refuses.
"""

from __future__ import annotations

from pathlib import Path

import ase.io
import numpy as np
import pytest
import yaml

from ionflux.cli import main
from ionflux.pipeline import Pipeline, PipelineSettings

T = 2500.0
SETTINGS = {"bonds": {"n_frames": 1}, "kd": {"thermo": "bundled"},
            "transport": {"n_blocks": 5, "window_fs": [8.0, 36.0]}}


@pytest.fixture(scope="module")
def ace_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("ace") / "runs"
    code = main(["md", "amorphous", "--composition", "BaTiO3", "--atoms", "40",
                 "--temperature", str(T), "--engine", "ace", "--melt-ps", "0.3",
                 "--quench-ps", "0.3", "--equilibrate-ps", "0.3", "--production-ps", "0.4",
                 "--frame-every-fs", "4", "--seed", "3", "--out", str(runs / "ace.extxyz")])
    assert code == 0
    return runs


def test_ace_trajectory_through_ingest_build_query(ace_run: Path, tmp_path: Path):
    sidecar = yaml.safe_load((ace_run / "ace.extxyz.yaml").read_text())
    assert "STAND-IN" in sidecar["potential"] and sidecar["md_engine"] == "ASE Langevin + pyace"
    frames = ase.io.read(ace_run / "ace.extxyz", index=":")
    assert len(frames) == 101 and frames[-1].info["time"] == pytest.approx(400.0)
    recorded = np.array([f.info["gamma_max"] for f in frames])
    assert sidecar["gamma"]["max"] == pytest.approx(recorded.max(), rel=1e-5)

    settings = PipelineSettings.model_validate(SETTINGS)
    with Pipeline.open("local", data_dir=tmp_path / "data", settings=settings) as pipe:
        report = pipe.ingest(ace_run)
        assert len(report.new) == 1 and not report.failed
        reports = {r.stage: r for r in pipe.build(["gamma", "transport", "aggregate"])}
        assert all(r.failed == 0 for r in reports.values()), pipe.status().failures
        gamma_doc = pipe.stores.gamma.query_one({"traj_id": f"BaTiO3@{T:g}K#seed3"})
        # recomputed from the stored frames (positions to 1e-6 Å) vs the run's calculator
        assert np.allclose(gamma_doc["gamma_max"], recorded[gamma_doc["frames"]], rtol=1e-4)
        assert gamma_doc["status"] == "ok" and gamma_doc["statistics"]["max"] < 5
        replicate = pipe.transport("BaTiO3", T, replicates=True)[0]
        assert replicate["gamma"]["source"] == "gamma stage"
        assert replicate["gamma"]["max"] == pytest.approx(recorded.max(), rel=1e-4)
        aggregate = pipe.transport("BaTiO3", T)
        assert aggregate["replicates"] == [f"BaTiO3@{T:g}K#seed3"]
        assert aggregate["gamma"][f"BaTiO3@{T:g}K#seed3"]["max"] == replicate["gamma"]["max"]
        # a species that does not diffuse in 400 fs gets no D, only an upper bound
        bounds = aggregate.get("D_self_upper_bound_cm2_s") or {}
        for el, value in aggregate["D_self_cm2_s"].items():
            assert (value is not None and value > 0) != (bounds.get(el) is not None), el

    # a stop threshold below the observed gamma excludes the trajectory, with the reason
    strict = PipelineSettings.model_validate({**SETTINGS, "gamma": {"stop": 0.5 * recorded.max(),
                                                                    "warn": 0.1}})
    with Pipeline.open("local", data_dir=tmp_path / "data", settings=strict) as pipe:
        pipe.build(["gamma", "transport", "aggregate"])
        status = pipe.status()
        failures = {f["stage"]: f["error"] for f in status.failures}
        assert "above the stop threshold" in failures["aggregate"]
        gamma_doc = pipe.stores.gamma.query_one({"traj_id": f"BaTiO3@{T:g}K#seed3"})
        assert gamma_doc["status"] == "stop"


def test_run_stopped_by_gamma_is_kept_partial_and_not_ingested(ace_run: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture):
    out = tmp_path / "runs" / "again.extxyz"
    code = main(["md", "run", "--structure", str(ace_run / "ace.extxyz"), "--temperature",
                 "2500", "--steps", "20", "--frame-every", "5", "--gamma-warn", "0.05",
                 "--gamma-stop", "0.1", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "MD stopped early" in err and "above the stop threshold 0.1" in err
    partial = tmp_path / "runs" / "again.partial.extxyz"
    assert partial.is_file() and not out.exists()
    assert len(ase.io.read(partial, index=":")) == 1
    with Pipeline.open("local", data_dir=tmp_path / "data") as pipe:
        report = pipe.ingest(tmp_path / "runs")
        assert not report.new and "partial MD trajectory" in report.failed[0][1]
