"""A frame CrystalNN cannot handle is skipped and counted; most frames failing fails the item."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from pipeline_data import synthetic_trajectory, write_run

from ionflux.errors import AnalysisError
from ionflux.pipeline import Pipeline
from ionflux.structure import bonds
from ionflux.structure.bonds import bond_counts

#: seed 6 of the pipeline's synthetic BaTiO3: CrystalNN finds no Voronoi neighbours for a site
#: of frame 299 (its last frame), one of the ten the bonds stage samples by default
BAD_SEED, BAD_FRAME = 6, 299


def test_failing_frame_is_skipped_and_the_rest_equal_a_direct_count():
    traj = synthetic_trajectory(seed=BAD_SEED)
    doc = bond_counts(traj, n_frames=10, workers=1)
    assert list(doc.skipped_frames) == [str(BAD_FRAME)]
    assert "No Voronoi neighbors" in doc.skipped_frames[str(BAD_FRAME)]
    assert BAD_FRAME not in doc.frames and len(doc.frames) == 9
    assert any("1 of 10 frames skipped" in w for w in doc.warnings)
    # the counts are those of the nine good frames alone
    good = bonds.sample_frames(traj.n_frames, 10)[:-1]
    direct = [bonds._frame_counts((f, traj.positions[f], traj.cells[f], traj.species,
                                   doc.crystalnn.model_dump_json()))[0] for f in good]
    assert doc.pairs["Ba-O"].per_frame == [d["Ba-O"] for d in direct]


def test_most_frames_failing_fails_the_document():
    traj = synthetic_trajectory(seed=0)
    real = bonds.site_bond_weights
    calls = {"n": 0}

    def flaky(structure, settings):
        calls["n"] += 1
        if calls["n"] % 4:  # three of every four frames fail
            raise ValueError("No Voronoi neighbors found for site")
        return real(structure, settings)

    with mock.patch.object(bonds, "site_bond_weights", flaky), \
            pytest.raises(AnalysisError, match="CrystalNN failed on 3 of 4 frames"):
        bond_counts(traj, n_frames=4, workers=1)


def test_default_bonds_stage_builds_the_trajectory(tmp_path: Path, memory_pipeline: Pipeline):
    write_run(tmp_path / "runs", "bad", seed=BAD_SEED)
    memory_pipeline.settings.bonds.n_frames = 10
    memory_pipeline.ingest(tmp_path / "runs")
    (report,) = memory_pipeline.build(["bonds"])
    assert (report.succeeded, report.failed) == (1, 0)


def test_bond_counts_report_progress_per_frame():
    traj = synthetic_trajectory(seed=0)
    ticks: list[tuple[int, int]] = []
    bond_counts(traj, n_frames=3, workers=1, progress=lambda done, total: ticks.append(
        (done, total)))
    assert ticks == [(1, 3), (2, 3), (3, 3)]
