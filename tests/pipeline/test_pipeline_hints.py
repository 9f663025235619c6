"""A build failure names the fix a build can use: the settings key, not an analyze option."""

from __future__ import annotations

from pathlib import Path

from pipeline_data import write_run

from ionflux.pipeline import Pipeline


def test_too_few_frames_per_block_names_the_settings_key(tmp_path: Path,
                                                         memory_pipeline: Pipeline):
    # 60 frames in the test settings' 5 blocks: 12 per block, below the 20 the estimator needs
    write_run(tmp_path / "runs", "short", replicate="a", n_frames=60)
    memory_pipeline.ingest(tmp_path / "runs")
    memory_pipeline.build(["transport"])
    (failure,) = memory_pipeline.stores.failures.query({"stage": "transport"})
    assert "use fewer blocks (transport.n_blocks in the --settings file)" in failure["error"]
    assert "--blocks" not in failure["error"]
