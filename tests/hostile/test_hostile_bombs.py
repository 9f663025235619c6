"""Compressed and sparse input bombs: the inflated size of a .gz trajectory is capped by a
setting (IONFLUX_MAX_INFLATED_BYTES, IONFLUX_MAX_INFLATION_RATIO), and content that is not a
trajectory fails on its first bytes, before the rest is read."""

from __future__ import annotations

import gzip
import time
import tracemalloc
from pathlib import Path

import pytest

from ionflux.errors import TrajectoryFormatError

FRAME = b"2\nLattice=\"5 0 0 0 5 0 0 0 5\" Properties=species:S:1:pos:R:3\n" \
        b"Ba 0.0 0.0 0.0\nO 1.0 1.0 1.0\n"


def gz_bomb(path: Path, inflated: int, content: bytes = b"\0") -> Path:
    """A gzip file that inflates to ``inflated`` bytes of ``content`` repeated."""
    block = content * max(1, (1 << 20) // len(content))
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(inflated // len(block)):
            fh.write(block)
    return path


def test_gz_of_zeros_fails_on_its_first_bytes(tmp_path: Path):
    from ionflux.io import read_trajectory

    bomb = gz_bomb(tmp_path / "z.extxyz.gz", 200 << 20)  # 200 MB of zeros in 200 KB
    assert bomb.stat().st_size < 1 << 20
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(TrajectoryFormatError) as err:
        read_trajectory(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert time.perf_counter() - start < 2 and peak < 32 << 20, peak
    assert "binary data (NUL bytes) in its first" in str(err.value)


def test_gz_inflating_past_the_ratio_is_refused_early(tmp_path: Path, monkeypatch):
    from ionflux.io import read_trajectory

    # valid-looking frames repeated: the content passes the sniff, the cap stops the inflation
    bomb = gz_bomb(tmp_path / "f.extxyz.gz", 300 << 20, FRAME)
    ratio = (300 << 20) / bomb.stat().st_size
    assert ratio > 100
    tracemalloc.start()
    with pytest.raises(TrajectoryFormatError) as err:
        read_trajectory(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    message = str(err.value)
    assert "inflates to more than" in message and "IONFLUX_MAX_INFLATION_RATIO" in message
    assert peak < 160 << 20, peak  # stopped near max(64 MiB, 50 x the file), not at 300 MB
    # the absolute cap, by its setting
    monkeypatch.setenv("IONFLUX_MAX_INFLATION_RATIO", "100000")
    monkeypatch.setenv("IONFLUX_MAX_INFLATED_BYTES", str(8 << 20))
    with pytest.raises(TrajectoryFormatError, match=r"IONFLUX_MAX_INFLATED_BYTES"):
        read_trajectory(bomb)
    monkeypatch.setenv("IONFLUX_MAX_INFLATED_BYTES", "lots")
    with pytest.raises(TrajectoryFormatError, match=r"IONFLUX_MAX_INFLATED_BYTES must be"):
        read_trajectory(bomb)


def test_small_gz_trajectories_still_read(tmp_path: Path):
    from ionflux.io import read_trajectory

    path = tmp_path / "ok.extxyz.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(FRAME * 3)
    assert read_trajectory(path).n_frames == 3


def test_sparse_file_fails_on_its_first_bytes(tmp_path: Path):
    from ionflux.io import read_trajectory

    sparse = tmp_path / "s.extxyz"
    with open(sparse, "wb") as fh:
        fh.truncate(2 << 30)  # 2 GB, no blocks on disk
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(TrajectoryFormatError, match="binary data"):
        read_trajectory(sparse)
    assert time.perf_counter() - start < 2
    assert tracemalloc.get_traced_memory()[1] < 32 << 20
    tracemalloc.stop()


def test_ingest_refuses_bombs_by_their_head(tmp_path: Path):
    from ionflux.pipeline import Pipeline

    runs = tmp_path / "runs"
    runs.mkdir()
    side = "formula: BaO\ntemperature_K: 1500\nframe_interval_fs: 2\nreplicate: {}\n"
    gz_bomb(runs / "zeros.extxyz.gz", 50 << 20)
    gz_bomb(runs / "frames.extxyz.gz", 200 << 20, FRAME)
    with open(runs / "sparse.extxyz", "wb") as fh:
        fh.truncate(256 << 20)
    for i, name in enumerate(("zeros.extxyz.gz", "frames.extxyz.gz", "sparse.extxyz")):
        (runs / f"{name}.yaml").write_text(side.format(i))
    with Pipeline.open("local", data_dir=tmp_path / "store") as pipe:
        start = time.perf_counter()
        report = pipe.ingest(runs)
        assert time.perf_counter() - start < 20
        failed = dict(report.failed)
        assert set(failed) == {str(runs / n) for n in ("zeros.extxyz.gz", "frames.extxyz.gz",
                                                       "sparse.extxyz")}
        assert "binary data" in failed[str(runs / "zeros.extxyz.gz")]
        assert "binary data" in failed[str(runs / "sparse.extxyz")]
        assert "inflates to" in failed[str(runs / "frames.extxyz.gz")]
        assert all("\n" not in e for e in failed.values())
        assert pipe.stores.raw_trajectories.count() == 0
