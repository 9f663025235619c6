"""read_trajectory / detect_format / from_structures: formats, metadata flags, ASE and pymatgen
objects, and .traj files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import ase
import ase.io
import numpy as np
import pytest
from ase.io.trajectory import Trajectory as AseTrajectory
from pymatgen.core import Lattice, Structure
from pymatgen.core.trajectory import Trajectory as PmgTrajectory

from ionflux.errors import InputError, TrajectoryFormatError
from ionflux.io import FORMATS, detect_format, file_sha256, from_structures, read_trajectory

DATA = Path(__file__).parent / "data"
CELL = np.array([[6.0, 0.0, 0.0], [0.4, 5.5, 0.0], [0.0, -0.3, 7.0]])


def _atoms(rng, n_frames=4, variable=False) -> list[ase.Atoms]:
    return [ase.Atoms(["Ba", "Ti", "O", "O"], scaled_positions=rng.random((4, 3)),
                      cell=CELL * (1 + 0.01 * k if variable else 1), pbc=True)
            for k in range(n_frames)]


def test_formats_are_detected_from_content_not_names(tmp_path, rng):
    assert FORMATS == ("extxyz", "lammps-dump", "xdatcar", "traj")
    frames = _atoms(rng)
    ase.io.write(tmp_path / "a.dat", frames, format="extxyz")
    ase.io.write(tmp_path / "b.dat", frames, format="vasp-xdatcar")
    ase.io.write(tmp_path / "c.dat", frames, format="traj")
    shutil.copy(DATA / "triclinic.lammpstrj", tmp_path / "d.traj")  # misleading name
    with open(tmp_path / "c.dat", "rb") as src, gzip.open(tmp_path / "e.gz", "wb") as dst:
        dst.write(src.read())
    expected = {"a.dat": "extxyz", "b.dat": "xdatcar", "c.dat": "traj", "d.traj": "lammps-dump",
                "e.gz": "traj"}
    for name, fmt in expected.items():
        assert detect_format(tmp_path / name) == fmt
    assert detect_format(DATA / "small.extxyz.gz") == "extxyz"
    assert detect_format(DATA / "npt_XDATCAR") == "xdatcar"


def test_unknown_empty_and_missing_files(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01binary junk\n" * 10)
    with pytest.raises(TrajectoryFormatError, match=r"junk\.bin: unknown trajectory format"):
        read_trajectory(junk)
    empty = tmp_path / "empty.xyz"
    empty.write_text("")
    with pytest.raises(TrajectoryFormatError, match=r"empty\.xyz: empty file"):
        read_trajectory(empty)
    with pytest.raises(TrajectoryFormatError, match="empty file"):
        detect_format(empty)
    with pytest.raises(TrajectoryFormatError, match="no such file"):
        read_trajectory(tmp_path / "missing.xyz")
    with pytest.raises(InputError, match="unknown trajectory format 'pdb'; use 'auto' or one of"):
        read_trajectory(DATA / "npt_XDATCAR", format="pdb")
    with pytest.raises(InputError, match="type_map applies only to LAMMPS dumps, not xdatcar"):
        read_trajectory(DATA / "npt_XDATCAR", type_map={1: "Ba"})
    corrupt = tmp_path / "c.xyz.gz"
    corrupt.write_bytes((DATA / "small.extxyz.gz").read_bytes()[:60])
    with pytest.raises(TrajectoryFormatError, match=r"c\.xyz\.gz: corrupt or truncated gzip"):
        read_trajectory(corrupt)


def test_metadata_flags_fill_gaps_and_contradictions_are_errors():
    path = DATA / "npt_XDATCAR"  # carries neither time nor temperature
    plain = read_trajectory(path)
    assert plain.frame_interval_fs is None and plain.temperature_K is None
    with pytest.raises(InputError, match="does not give the temperature"):
        plain.with_metadata(frame_interval_fs=1.0)
    traj = read_trajectory(path, frame_interval_fs=2.0, temperature_K=1200)
    assert (traj.frame_interval_fs, traj.temperature_K) == (2.0, 1200.0)
    assert traj.with_metadata() is not None
    gz = DATA / "small.extxyz.gz"  # time=0,2,4 fs and temperature=1500 K
    assert read_trajectory(gz, frame_interval_fs=2.0, temperature_K=1500).frame_interval_fs == 2
    with pytest.raises(InputError, match=r"frame interval 0.5 fs \(given\) contradicts the file's "
                       "2 fs"):
        read_trajectory(gz, frame_interval_fs=0.5)
    with pytest.raises(InputError, match=r"temperature 300 K .*contradicts the file's 1500 K"):
        read_trajectory(gz, temperature_K=300)


def test_ase_traj_files_plain_and_gzip(tmp_path, rng):
    frames = _atoms(rng, variable=True)
    path = tmp_path / "md.traj"
    with AseTrajectory(path, "w") as writer:
        for atoms in frames:
            writer.write(atoms)
    traj = read_trajectory(path)
    np.testing.assert_array_equal(traj.positions, np.stack([a.positions for a in frames]))
    np.testing.assert_array_equal(traj.cells, np.stack([a.cell.array for a in frames]))
    assert traj.species == ("Ba", "Ti", "O", "O") and traj.source.reader == "traj"
    gz = tmp_path / "md.traj.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    traj_gz = read_trajectory(gz)
    np.testing.assert_array_equal(traj_gz.positions, traj.positions)
    assert traj_gz.source.sha256 == file_sha256(gz) != traj.source.sha256


def test_ase_traj_with_non_periodic_frames_is_refused(tmp_path, rng):
    frames = _atoms(rng)
    frames[2].pbc = [True, True, False]
    path = tmp_path / "np.traj"
    ase.io.write(path, frames, format="traj")
    with pytest.raises(InputError, match=r"np.traj: frame 2: pbc=\[True, True, False\]"):
        read_trajectory(path)


def test_from_ase_atoms_and_pymatgen_structures_agree(rng):
    frames = _atoms(rng, variable=True)
    from_ase = from_structures(frames, frame_interval_fs=1.0, temperature_K=900)
    structures = [Structure(Lattice(a.cell.array), a.get_chemical_symbols(), a.positions,
                            coords_are_cartesian=True) for a in frames]
    from_pmg = from_structures(structures)
    np.testing.assert_allclose(from_pmg.positions, from_ase.positions, atol=1e-12)
    np.testing.assert_allclose(from_pmg.cells, from_ase.cells, atol=1e-12)
    assert from_pmg.species == from_ase.species == ("Ba", "Ti", "O", "O")
    assert (from_ase.frame_interval_fs, from_ase.temperature_K) == (1.0, 900.0)
    assert not from_ase.unwrapped and from_structures(frames, unwrapped=True).unwrapped


def test_from_pymatgen_trajectory_positions_displacements_and_time_step(rng):
    frac = rng.random((5, 3, 3))
    lattices = np.stack([CELL * (1 + 0.02 * k) for k in range(5)])
    traj = PmgTrajectory(species=["Li", "O", "O"], coords=frac, lattice=lattices,
                         constant_lattice=False, time_step=2.0)
    ours = from_structures(traj)
    np.testing.assert_allclose(ours.positions, np.einsum("fni,fij->fnj", frac, lattices))
    assert ours.frame_interval_fs == 2.0 and ours.is_variable_cell
    with pytest.raises(InputError, match="frame interval 1 fs contradicts the object's 2 fs"):
        from_structures(traj, frame_interval_fs=1.0)
    walk = np.cumsum(rng.normal(scale=0.05, size=(20, 3, 3)), axis=0) % 1.0
    stored = PmgTrajectory(species=["Li", "O", "O"], coords=walk, lattice=CELL)
    stored.to_displacements()  # pymatgen keeps minimum-image steps and the first frame
    expected = from_structures(PmgTrajectory(["Li", "O", "O"], walk, lattice=CELL)).unwrap()
    np.testing.assert_allclose(from_structures(stored).unwrap().positions, expected.positions,
                               atol=1e-12)


def test_from_structures_rejects_bad_input(rng):
    frames = _atoms(rng)
    with pytest.raises(InputError, match="expected a pymatgen Trajectory or a non-empty list"):
        from_structures([])
    structure = Structure(Lattice(CELL), ["Li"], [[0, 0, 0]])
    with pytest.raises(InputError, match="cannot mix"):
        from_structures([frames[0], structure])
    frames[1].numbers[0] = 3
    with pytest.raises(InputError, match="frame 1: atom 0 is Li but Ba in frame 0"):
        from_structures(frames)
    disordered = Structure(Lattice(CELL), [{"Li": 0.5, "Na": 0.5}], [[0, 0, 0]])
    with pytest.raises(InputError, match="site 0 is disordered"):
        from_structures([disordered, disordered])
