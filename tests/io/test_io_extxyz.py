"""Extended XYZ: agreement with ASE's reader, metadata keys, and one-line errors."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import ase
import ase.io
import numpy as np
import pytest

from ionflux.errors import InputError, TrajectoryFormatError
from ionflux.io import file_sha256, read_trajectory

DATA = Path(__file__).parent / "data"
LATTICE = 'Lattice="5.0 0.0 0.0 0.0 5.0 0.0 0.0 0.0 5.0"'


def _frames(rng, n_frames=6, variable=True) -> list[ase.Atoms]:
    base = np.array([[8.0, 0.0, 0.0], [1.5, 7.5, 0.0], [-0.8, 0.6, 9.0]])
    frames = []
    for k in range(n_frames):
        cell = base * (1 + 0.01 * np.sin(k)) if variable else base
        atoms = ase.Atoms(["Ba", "Ti", "O", "O", "O"], scaled_positions=rng.random((5, 3)),
                          cell=cell, pbc=True)
        atoms.set_momenta(rng.normal(size=(5, 3)))
        atoms.info["time"] = 0.5 * k
        frames.append(atoms)
    return frames


def _write(path: Path, frames: list[tuple[str, list[str]]]) -> Path:
    """Frames as (comment line, atom lines)."""
    with open(path, "w") as fh:
        for comment, atoms in frames:
            fh.write(f"{len(atoms)}\n{comment}\n" + "".join(a + "\n" for a in atoms))
    return path


def _simple(tmp_path: Path, comments: list[str], atoms=None) -> Path:
    atoms = atoms or [["Li 0.1 0.2 0.3", "O 1.0 1.0 1.0"]] * len(comments)
    return _write(tmp_path / "t.xyz", list(zip(comments, atoms, strict=True)))


def test_matches_ase_for_triclinic_variable_cell_with_extra_columns(tmp_path, rng):
    frames = _frames(rng)
    path = tmp_path / "ase.xyz"
    ase.io.write(path, frames, format="extxyz")
    assert "momenta:R:3" in path.read_text().splitlines()[1]
    traj = read_trajectory(path)
    ref = ase.io.read(path, index=":", format="extxyz")
    np.testing.assert_array_equal(traj.positions, np.stack([a.positions for a in ref]))
    np.testing.assert_array_equal(traj.cells, np.stack([a.cell.array for a in ref]))
    assert traj.species == tuple(ref[0].get_chemical_symbols())
    np.testing.assert_allclose(traj.times_fs, [a.info["time"] for a in ref])
    assert traj.frame_interval_fs == pytest.approx(0.5)
    assert traj.is_variable_cell and not traj.unwrapped
    assert traj.source.reader == "extxyz" and traj.source.sha256 == file_sha256(path)


def test_gzip_is_transparent_and_hash_is_of_the_stored_bytes():
    path = DATA / "small.extxyz.gz"
    traj = read_trajectory(path)
    with gzip.open(path, "rt") as fh:
        ref = ase.io.read(fh, index=":", format="extxyz")
    np.testing.assert_array_equal(traj.positions, np.stack([a.positions for a in ref]))
    assert traj.source.sha256 == file_sha256(path)
    assert traj.temperature_K == 1500.0  # the same temperature= on every frame
    assert traj.frame_interval_fs == 2.0
    assert traj.element_counts == {"Li": 1, "O": 2}


def test_pos_column_found_from_properties_and_atomic_numbers(tmp_path):
    comment = f'{LATTICE} Properties=id:I:1:Z:I:1:charge:R:1:pos:R:3'
    path = _simple(tmp_path, [comment] * 2,
                   [["1 3 0.5 0.1 0.2 0.3", "2 8 -1 1.0 1.0 1.0"],
                    ["1 3 0.5 0.2 0.2 0.3", "2 8 -1 1.0 1.5 1.0"]])
    traj = read_trajectory(path)
    assert traj.species == ("Li", "O")
    np.testing.assert_array_equal(traj.positions[1], [[0.2, 0.2, 0.3], [1.0, 1.5, 1.0]])
    ref = ase.io.read(path, index=":")
    np.testing.assert_array_equal(traj.positions, np.stack([a.positions for a in ref]))


def test_unwrapped_flag_marks_continuous_positions_that_are_never_refused(tmp_path):
    # Atom 0 moves 2.25 Å (0.45 of the cell) between frames: as wrapped data this is refused,
    # marked unwrapped it is taken as is.
    atoms = [["Li 0.1 0.2 0.3", "O 1 1 1"], ["Li 2.35 0.2 0.3", "O 1 1 1"]]
    wrapped = read_trajectory(_simple(tmp_path, [LATTICE] * 2, atoms))
    assert not wrapped.unwrapped
    with pytest.raises(InputError, match=r"frame 1: atom 0 moved 0\.45 of the cell"):
        wrapped.unwrap()
    path = _simple(tmp_path, [f"{LATTICE} unwrapped=T"] * 2, atoms)
    traj = read_trajectory(path)
    assert traj.unwrapped
    assert traj.unwrap() is traj


def test_temperature_that_changes_between_frames_is_not_the_run_temperature(tmp_path):
    path = _simple(tmp_path, [f"{LATTICE} T=1490.2", f"{LATTICE} T=1511.7"])
    assert read_trajectory(path).temperature_K is None
    assert read_trajectory(path, temperature_K=1500).temperature_K == 1500
    path = _simple(tmp_path, [f"{LATTICE} Temperature=900"] * 2)
    assert read_trajectory(path).temperature_K == 900
    with pytest.raises(InputError, match=r"temperature 1000 K .*contradicts the file's 900 K"):
        read_trajectory(path, temperature_K=1000)


@pytest.mark.parametrize(("comments", "atoms", "message"), [
    ([LATTICE, "Properties=species:S:1:pos:R:3"], None,
     r"frame 1 \(line 6\): no Lattice="),
    ([f"{LATTICE} time=0", LATTICE], None, r"frame 1 \(line 6\): no time= "),
    ([LATTICE, f"{LATTICE} time=2"], None, r"frame 1 \(line 6\): time= appears here but not"),
    ([f"{LATTICE} time=0", f"{LATTICE} time=2", f"{LATTICE} time=1"], None,
     r"frame 2: time 1 fs does not increase"),
    ([f"{LATTICE} time={t}" for t in (0, 2, 4, 8, 10)], None,
     r"frame 3: time step 4 fs differs from the typical 2 fs"),
    ([f"{LATTICE} time=abc", f"{LATTICE} time=2"], None,
     r"frame 0 \(line 2\): time= 'abc' cannot be read"),
    ([f"{LATTICE} pbc=\"T T F\""] * 2, None, "pbc='T T F'"),
    ([LATTICE] * 2, [["Li 0.1 0.2 0.3", "O 1 1 1"], ["O 0.1 0.2 0.3", "Li 1 1 1"]],
     r"frame 1 \(line 7\): atom 0 is 'O' but 'Li' in frame 0"),
    ([LATTICE] * 2, [["Xx 0.1 0.2 0.3", "O 1 1 1"]] * 2, r"line 3\): unknown element 'Xx'"),
    ([LATTICE] * 2, [["Li 0.1 0.2 0.3", "O 1 1 1"], ["Li 0.1 0.2 0.3", "O 1 1.0.0 1"]],
     r"frame 1 \(line 8\): cannot read '1.0.0' \(column 3\)"),
    ([LATTICE] * 2, [["Li 0.1 0.2 0.3", "O 1 1 1"], ["Li 0.1 nan 0.3", "O 1 1 1"]],
     r"frame 1 \(line 7\): non-finite \(NaN or inf\) coordinate"),
    ([LATTICE] * 2, [["Li 0.1 0.2 0.3", "O 1 1 1"], ["Li 0.1 0.3", "O 1 1 1"]],
     r"frame 1 \(line 7\): atom line 'Li 0.1 0.3' has 3 columns, expected 4"),
    ([f"{LATTICE} Properties=species:S:1:pos:R:3", f"{LATTICE} Properties=species:S:1:pos:R:2"],
     None, r"frame 1 \(line 6\): Properties= differs"),
    ([f"{LATTICE} unwrapped=maybe"] * 2, None, "unwrapped='maybe' is not T or F"),
])
def test_bad_frames_give_one_line_errors_naming_file_frame_and_line(tmp_path, comments, atoms,
                                                                   message):
    path = _simple(tmp_path, comments, atoms)
    with pytest.raises(InputError, match=message) as err:
        read_trajectory(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_truncated_file_names_the_incomplete_last_frame(tmp_path):
    path = _simple(tmp_path, [LATTICE] * 3)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))
    with pytest.raises(TrajectoryFormatError,
                       match=r"frame 2 \(line 9\): incomplete frame: 3 of its 4 lines"):
        read_trajectory(path)
    path.write_text("".join(lines)[:-8])  # cut inside the last atom line
    with pytest.raises(TrajectoryFormatError, match=r"frame 2 \(line 12\).*truncated file\?"):
        read_trajectory(path)


def test_changing_atom_count_names_the_frame(tmp_path):
    frames = [(LATTICE, ["Li 0 0 0", "O 1 1 1"]), (LATTICE, ["Li 0 0 0", "O 1 1 1", "O 2 2 2"]),
              (LATTICE, ["Li 0 0 0", "O 1 1 1"])]
    path = _write(tmp_path / "n.xyz", frames)
    with pytest.raises(TrajectoryFormatError,
                       match=r"frame 1 \(line 5\): 3 atoms, but frame 0 has 2"):
        read_trajectory(path)
    path.write_text(path.read_text().replace("3\n", "2\n", 1))  # count says 2, 3 lines follow
    with pytest.raises(TrajectoryFormatError, match=r"frame 2 \(line 9\): expected the atom "
                       r"count of frame 2 \(2\), found 'O 2 2 2'; frame 1 has more or fewer"):
        read_trajectory(path)


def test_empty_and_single_frame_files(tmp_path):
    empty = tmp_path / "e.xyz"
    empty.write_text("\n\n")
    with pytest.raises(TrajectoryFormatError, match="empty file"):
        read_trajectory(empty, format="extxyz")
    one = _simple(tmp_path, [LATTICE])
    with pytest.raises(InputError, match="at least 2 frames, got 1"):
        read_trajectory(one)


@pytest.mark.skipif(importlib.util.find_spec("kinisi") is None,
                    reason="kinisi (optional test dependency) ships the LiPS.exyz used here; it is "
                    "not installed")
def test_real_lips_extxyz_from_kinisi():
    import kinisi

    path = Path(kinisi.__file__).parent / "tests" / "inputs" / "LiPS.exyz"
    traj = read_trajectory(path)  # detected from the content: ".exyz" is no known extension
    assert traj.source.reader == "extxyz"
    assert (traj.n_frames, traj.n_atoms) == (200, 2688)
    assert traj.element_counts == {"Li": 896, "P": 384, "S": 1408}
    ref = ase.io.read(path, index=":5", format="extxyz")  # momenta, forces, stress: skipped
    np.testing.assert_array_equal(traj.positions[:5], np.stack([a.positions for a in ref]))
    np.testing.assert_array_equal(traj.cells[:5], np.stack([a.cell.array for a in ref]))
