"""One bad replicate never fails its whole (phase, T) aggregate: whatever it raises (a
LinAlgError from the analysis, a MemoryError or ValueError from the reader), it is excluded
with its reason and the group aggregates from the others."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hostile_data import write_runs

from ionflux.pipeline import Pipeline, PipelineSettings, SQLiteStore, StoreConfig


def fragile_reader(path: str, fmt: str = "auto", **kwargs):
    from ionflux.io import read_trajectory

    if path.endswith("oom.extxyz"):
        raise MemoryError()
    if path.endswith("odd.extxyz"):
        raise ValueError("could not convert string to float: 'x'")
    return read_trajectory(path, fmt, **kwargs)


def fragile_analysis(trajectories, **kwargs):
    from ionflux.transport import analyze_trajectories

    if any(t.source.path.endswith("singular.extxyz") for t in trajectories):
        raise np.linalg.LinAlgError("Singular matrix")
    return analyze_trajectories(trajectories, **kwargs)


@pytest.fixture
def pipe():
    import uuid

    name = f":memory:{uuid.uuid4().hex}"
    settings = PipelineSettings.model_validate({
        "reader": f"{__name__}:fragile_reader",
        "transport": {"n_blocks": 5, "analysis": f"{__name__}:fragile_analysis"}})
    pipe = Pipeline.open(StoreConfig(backend="memory", memory_name=name), settings=settings)
    yield pipe
    pipe.close()
    SQLiteStore.drop_memory_database(name)


def test_a_bad_replicate_is_excluded_with_its_reason(tmp_path: Path, pipe: Pipeline):
    runs = write_runs(tmp_path / "runs", ["good1", "good2", "singular", "oom", "odd"])
    assert not pipe.ingest(runs).failed
    [report] = pipe.build(["aggregate"])
    assert (report.succeeded, report.failed) == (1, 0)
    doc = pipe.transport("BaTiO3", 1500)
    assert doc["replicates"] == ["BaTiO3@1500K#good1", "BaTiO3@1500K#good2"]
    reasons = {e["traj_id"].split("#")[1]: e["reason"] for e in doc["excluded"]}
    assert reasons == {"singular": "LinAlgError: Singular matrix",
                       "oom": "MemoryError",
                       "odd": "ValueError: could not convert string to float: '…'"}
    assert "stale" not in doc
    assert not list(pipe.stores.failures.query({"stage": "aggregate"}))


def test_a_group_of_bad_replicates_fails_with_every_reason(tmp_path: Path, pipe: Pipeline):
    runs = write_runs(tmp_path / "runs", ["singular", "oom"])
    assert not pipe.ingest(runs).failed
    [report] = pipe.build(["aggregate"])
    assert (report.succeeded, report.failed) == (0, 1)
    [failure] = pipe.stores.failures.query({"stage": "aggregate"})
    assert failure["error"] == ("BaTiO3@1500K: no usable replicate (BaTiO3@1500K#oom: "
                                "MemoryError; BaTiO3@1500K#singular: LinAlgError: Singular "
                                "matrix)")
