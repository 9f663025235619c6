"""A trajectory's SHA-256 is taken when first asked for, from the file as it was read: never
during the read itself, and never of bytes other than the ones read."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

import ionflux.io.trajectory as trajectory_module
from ionflux.errors import TrajectoryFormatError
from ionflux.io import file_sha256, read_trajectory
from ionflux.io.trajectory import FileState, TrajectorySource

DATA = Path(__file__).parent / "data"


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    path = tmp_path / "run.lammpstrj"
    shutil.copy(DATA / "triclinic.lammpstrj", path)
    return path


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Paths hashed through ionflux.io.trajectory.file_sha256."""
    calls: list[str] = []
    real = trajectory_module.file_sha256

    def counting(path, *args):
        calls.append(str(path))
        return real(path, *args)

    monkeypatch.setattr(trajectory_module, "file_sha256", counting)
    return calls


def test_reading_hashes_nothing_until_asked(dump, hashes):
    traj = read_trajectory(dump)
    assert hashes == []
    assert traj.source.sha256 == file_sha256(dump)
    assert len(hashes) == 1
    assert traj.source.sha256 == file_sha256(dump) and len(hashes) == 1  # once
    assert traj.source.path == str(dump) and traj.source.reader == "lammps-dump"


def test_a_file_changed_after_reading_has_no_digest(dump, tmp_path):
    traj = read_trajectory(dump)
    dump.write_bytes(dump.read_bytes() + b"\n")
    with pytest.raises(TrajectoryFormatError, match=r"changed .* after it was read"):
        traj.source.sha256  # noqa: B018 (the access is the test)
    gone = read_trajectory(shutil.copy(DATA / "triclinic.lammpstrj", tmp_path / "b.lammpstrj"))
    os.remove(tmp_path / "b.lammpstrj")
    with pytest.raises(TrajectoryFormatError, match="changed"):
        gone.source.sha256  # noqa: B018


def test_the_digest_survives_pickling_and_a_new_working_directory(dump, monkeypatch, tmp_path):
    monkeypatch.chdir(dump.parent)
    traj = read_trajectory(dump.name)  # a relative path
    copy = pickle.loads(pickle.dumps(traj))
    monkeypatch.chdir(tmp_path.parent)
    assert copy.source.sha256 == traj.source.sha256 == file_sha256(dump)


def test_sources_built_by_hand_keep_their_digest():
    assert TrajectorySource(reader="x").sha256 is None
    assert TrajectorySource(reader="x", sha256="ab").sha256 == "ab"
    assert TrajectorySource(reader="x", sha256="ab") == TrajectorySource(reader="x", sha256="ab")


def test_file_state_names_the_file_absolutely(dump, monkeypatch):
    monkeypatch.chdir(dump.parent)
    state = FileState.of(dump.name)
    assert Path(state.path).is_absolute() and state.size == dump.stat().st_size
