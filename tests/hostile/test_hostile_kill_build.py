"""A build killed part way keeps every result finished before the kill: each is written when
it is done (not in batches of 20), so a rerun computes only what was left."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_data import write_runs

from ionflux.pipeline import Pipeline, PipelineSettings

CALLS: list[str] = []
KILL_AT = {"n": 0}


def killed_analysis(trajectories, **kwargs):
    """The transport analysis, with the process 'killed' (KeyboardInterrupt, which no
    failure record catches) when it starts the KILL_AT-th item."""
    from ionflux.transport import analyze_trajectories

    CALLS.append(trajectories[0].source.path)
    if len(CALLS) == KILL_AT["n"]:
        raise KeyboardInterrupt
    return analyze_trajectories(trajectories, **kwargs)


def test_killed_build_keeps_finished_results(tmp_path: Path):
    runs = write_runs(tmp_path / "runs", [f"r{i}" for i in range(6)], n_frames=200)
    settings = PipelineSettings.model_validate(  # default chunk_size
        {"transport": {"n_blocks": 5, "analysis": f"{__name__}:killed_analysis"}})
    CALLS.clear()
    KILL_AT["n"] = 5
    with Pipeline.open("local", data_dir=tmp_path / "store", settings=settings) as pipe:
        assert not pipe.ingest(runs).failed
        with pytest.raises(KeyboardInterrupt):
            pipe.build(["transport"])
    with Pipeline.open("local", data_dir=tmp_path / "store", settings=settings) as pipe:
        assert pipe.stores.transport.count() == 4  # the four finished before the kill
        KILL_AT["n"] = 0
        CALLS.clear()
        [report] = pipe.build(["transport"])
        assert report.processed == 2 and len(CALLS) == 2
        assert pipe.stores.transport.count() == 6
        assert not list(pipe.stores.failures.query())
