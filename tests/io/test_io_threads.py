"""Text parsing split over threads gives exactly the serial result, errors included."""

from __future__ import annotations

import numpy as np
import pytest

from ionflux.errors import TrajectoryFormatError
from ionflux.io import read_trajectory, textscan


def _write(path, positions, bad_frames=(), long_frames=()):
    lines = []
    for f, frame in enumerate(positions.tolist()):
        lines += [str(len(frame)), 'Lattice="20 0 0 0 20 0 0 0 20" '
                  'Properties=species:S:1:pos:R:3 pbc="T T T"']
        for a, (x, y, z) in enumerate(frame):
            xs = f"{x!r}"
            if f in long_frames and a == 0:
                xs = f"{x:.25f}"  # more digits than the fast path converts
            if f in bad_frames and a == 3:
                xs = "1.2.3"
            lines.append(f"O {xs} {y!r} {z!r}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def threaded(monkeypatch):
    monkeypatch.setattr(textscan, "_ROWS_PER_THREAD", 37)
    monkeypatch.setattr(textscan.os, "cpu_count", lambda: 4)


def test_threaded_parse_equals_serial_parse(tmp_path, rng, monkeypatch):
    positions = rng.uniform(0, 20, size=(60, 10, 3))
    path = _write(tmp_path / "a.extxyz", positions, long_frames=(5, 33, 59))
    serial = read_trajectory(path).positions
    monkeypatch.setattr(textscan, "_ROWS_PER_THREAD", 37)
    monkeypatch.setattr(textscan.os, "cpu_count", lambda: 4)
    assert textscan._parse_threads(600) == 4
    threaded = read_trajectory(path).positions
    assert np.array_equal(threaded, serial)
    assert np.array_equal(threaded, positions)  # repr() round-trips exactly


def test_threaded_parse_reports_the_first_bad_line_in_file_order(tmp_path, rng, threaded):
    positions = rng.uniform(0, 20, size=(60, 10, 3))
    path = _write(tmp_path / "b.extxyz", positions, bad_frames=(41, 12))
    with pytest.raises(TrajectoryFormatError, match="frame 12 "):
        read_trajectory(path)
    path = _write(tmp_path / "c.extxyz", positions, bad_frames=(52,))
    with pytest.raises(TrajectoryFormatError, match="frame 52 "):
        read_trajectory(path)
