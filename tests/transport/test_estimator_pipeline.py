"""Switching the transport estimator in the pipeline: fingerprints change, documents say so."""

from __future__ import annotations

import uuid
from pathlib import Path

import yaml

from ionflux.io import read_trajectory
from ionflux.io.writers import write_extxyz
from ionflux.pipeline import Pipeline, PipelineSettings, SQLiteStore, StoreConfig
from ionflux.transport import DEFAULT_ESTIMATOR, analyze_trajectories
from ionflux.transport.estimators import ESTIMATOR_REVISIONS
from ionflux.transport.synthetic import SyntheticSystem

STAGES = ["transport", "aggregate"]


def _write_runs(folder: Path) -> list:
    """Two fast-diffusing BaTiO3 replicates (extended XYZ + YAML sidecars), as read back."""
    folder.mkdir()
    model = SyntheticSystem(counts={"Ba": 4, "Ti": 4, "O": 12},
                            self_diffusion_A2_fs={"Ba": 5e-4, "Ti": 4e-4, "O": 1e-3},
                            collective_modes=({"Ba": 2e-3, "Ti": -2e-3},))
    trajectories = []
    for k in range(2):
        trajectory = model.generate(400, seed=k)
        path = write_extxyz(folder / f"bto_{k}.extxyz", trajectory, float_format=".8f")
        path.with_name(path.name + ".yaml").write_text(yaml.safe_dump({
            "formula": "BaTiO3", "temperature_K": 1500.0, "frame_interval_fs": 50.0,
            "replicate": f"r{k}", "potential": "synthetic", "potential_version": "1",
            "md_engine": "ionflux.transport.synthetic"}))
        trajectories.append(read_trajectory(path, frame_interval_fs=50.0).with_metadata(1500.0))
    return trajectories


def _stages(reports) -> dict[str, int]:
    return {r.stage: r.processed for r in reports}


def _build(name: str, settings: PipelineSettings, runs: Path | None = None):
    """Open the in-memory pipeline ``name``, optionally ingest ``runs``, build transport and
    aggregates; return the pipeline, what each stage processed and the aggregate documents."""
    pipe = Pipeline.open(StoreConfig(backend="memory", memory_name=name), settings=settings)
    if runs is not None:
        pipe.ingest(runs)
    built = _stages(pipe.build(STAGES))
    return pipe, built, list(pipe.stores.stores["transport_aggregate"].query())


def test_changing_the_estimator_rebuilds_transport_and_is_recorded(tmp_path: Path,
                                                                     monkeypatch):
    trajectories = _write_runs(tmp_path / "runs")
    name = f":memory:{uuid.uuid4().hex}"
    base = {"bonds": {"n_frames": 1}, "kd": {"thermo": "bundled"}}
    try:
        default = PipelineSettings.model_validate({**base, "transport": {"n_blocks": 4}})
        assert default.transport.estimator == DEFAULT_ESTIMATOR
        pipe, built, docs = _build(name, default, tmp_path / "runs")
        assert built == {"transport": 2, "aggregate": 1}
        assert [d["estimator"] for d in docs] == [DEFAULT_ESTIMATOR]
        direct = analyze_trajectories(trajectories, n_blocks=4)
        assert docs[0]["L"] == direct.L and docs[0]["window_rule"] == direct.window_rule
        assert _stages(pipe.build(STAGES)) == {"transport": 0, "aggregate": 0}
        pipe.close()

        old = PipelineSettings.model_validate(
            {**base, "transport": {"n_blocks": 4, "estimator": "half-block"}})
        # New settings, new fingerprints: every transport document is rebuilt, explicitly.
        pipe, built, docs = _build(name, old)
        assert built == {"transport": 2, "aggregate": 1}
        assert [d["estimator"] for d in docs] == ["half-block"]
        assert docs[0]["pipeline"]["settings"]["estimator"] == "half-block"
        assert docs[0]["L"] == analyze_trajectories(trajectories, n_blocks=4,
                                                    estimator="half-block").L
        assert _stages(pipe.build(STAGES)) == {"transport": 0, "aggregate": 0}
        pipe.close()

        # An earlier revision, pinned by name: rebuilt, and its documents reproduced exactly.
        pinned = PipelineSettings.model_validate(
            {**base, "transport": {"n_blocks": 4, "estimator": "half-block@1"}})
        pipe, built, docs = _build(name, pinned)
        assert built == {"transport": 2, "aggregate": 1}
        assert docs[0]["pipeline"]["settings"]["estimator_revision"] == 1
        assert docs[0]["provenance"]["method"]["estimator_spec"] == "half-block@1"
        assert docs[0]["L_stderr"] == analyze_trajectories(trajectories, n_blocks=4,
                                                           estimator="half-block@1").L_stderr
        pipe.close()

        # Same name, new definition: a revision bump alone rebuilds, explicitly.
        monkeypatch.setitem(ESTIMATOR_REVISIONS, "half-block", 99)
        pipe, built, docs = _build(name, old)
        assert built == {"transport": 2, "aggregate": 1}
        assert docs[0]["pipeline"]["settings"]["estimator_revision"] == 99
        pipe.close()
    finally:
        SQLiteStore.drop_memory_database(name)
