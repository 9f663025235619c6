"""LAMMPS text dumps: box conversion by hand, agreement with ASE, unwrapping, errors."""

from __future__ import annotations

from pathlib import Path

import ase.io
import numpy as np
import pytest
from ase.io.lammpsrun import construct_cell

from ionflux.errors import InputError, TrajectoryFormatError
from ionflux.io import read_trajectory
from ionflux.io.lammps import lammps_box_to_cell

DATA = Path(__file__).parent / "data"


def _dump(path: Path, frames: list[dict], columns: str = "id type x y z",
          box: str = "pp pp pp", preamble: str = "") -> Path:
    """frames: dicts with 'step', 'bounds' (3 lines of text) and 'atoms' (lines of text)."""
    out = [preamble]
    for f in frames:
        if "time" in f:  # LAMMPS writes ITEM: TIME before ITEM: TIMESTEP
            out.append(f"ITEM: TIME\n{f['time']}\n")
        out.append(f"ITEM: TIMESTEP\n{f['step']}\n")
        out.append(f"ITEM: NUMBER OF ATOMS\n{len(f['atoms'])}\nITEM: BOX BOUNDS {box}\n")
        out.append("".join(b + "\n" for b in f["bounds"]))
        out.append(f"ITEM: ATOMS {columns}\n" + "".join(a + "\n" for a in f["atoms"]))
    path.write_text("".join(out))
    return path


ORTHO = ["0 10", "0 10", "0 10"]


def _frames(atoms_per_frame: list[list[str]], bounds=ORTHO, steps=None) -> list[dict]:
    steps = steps if steps is not None else [100 * k for k in range(len(atoms_per_frame))]
    return [{"step": s, "bounds": bounds, "atoms": a}
            for s, a in zip(steps, atoms_per_frame, strict=True)]


TWO = [["2 2 5 5 5", "1 1 1 2 3"], ["1 1 1.5 2 3", "2 2 5 5.5 5"]]


def test_triclinic_bounds_to_lattice_by_hand():
    # Cell a = (10, 0, 0), b = (2, 9, 0), c = (-1, 1.5, 8) at origin (0.5, -0.2, 0.1), so
    # xy = 2, xz = -1, yz = 1.5. LAMMPS writes the bounding box of the tilted cell:
    # xlo_bound = 0.5 + min(0, 2, -1, 1) = -0.5, xhi_bound = 10.5 + max(0, 2, -1, 1) = 12.5,
    # ylo_bound = -0.2 + min(0, 1.5) = -0.2, yhi_bound = 8.8 + max(0, 1.5) = 10.3.
    cell, origin = lammps_box_to_cell([[-0.5, 12.5], [-0.2, 10.3], [0.1, 8.1]], [2.0, -1.0, 1.5])
    np.testing.assert_allclose(cell, [[10, 0, 0], [2, 9, 0], [-1, 1.5, 8]], atol=1e-14)
    np.testing.assert_allclose(origin, [0.5, -0.2, 0.1], atol=1e-14)
    # Negative xy and yz: a = (6, 0, 0), b = (-2, 5, 0), c = (3, -1, 4) at the origin:
    # xlo_bound = min(0, -2, 3, 1) = -2, xhi_bound = 6 + 3 = 9, ylo_bound = -1, yhi_bound = 5.
    cell, origin = lammps_box_to_cell([[-2, 9], [-1, 5], [0, 4]], [-2.0, 3.0, -1.0])
    np.testing.assert_allclose(cell, [[6, 0, 0], [-2, 5, 0], [3, -1, 4]], atol=1e-14)
    np.testing.assert_allclose(origin, [0, 0, 0], atol=1e-14)


def test_box_conversion_agrees_with_ase(rng):
    for _ in range(20):
        bounds = np.sort(rng.normal(scale=5, size=(3, 2)), axis=1) + np.array([[0.0, 20.0]] * 3)
        tilts = rng.normal(scale=2, size=3)
        cell, origin = lammps_box_to_cell(bounds, tilts)
        ase_cell, ase_origin = construct_cell(bounds.ravel(), tilts)
        np.testing.assert_allclose(cell, ase_cell, atol=1e-12)
        np.testing.assert_allclose(origin, ase_origin, atol=1e-12)


def test_triclinic_scaled_coordinates_with_image_flags_by_hand():
    traj = read_trajectory(DATA / "triclinic.lammpstrj")
    assert traj.species == ("Ba", "Ti", "O", "O")  # sorted by id
    assert traj.unwrapped  # image flags make the coordinates continuous
    np.testing.assert_allclose(traj.cells[0], [[10, 0, 0], [2, 9, 0], [-1, 1.5, 8]], atol=1e-14)
    # r = origin + (s + image) @ cell, worked out by hand.
    expected = [[[1.6, 2.05, 2.5], [3.9, 7.45, 4.9], [6.0, 5.05, 4.1], [9.65, 0.775, 0.5]],
                [[0.41, 2.155, 2.58], [4.06, 7.39, 5.06], [7.0, 3.55, -3.9],
                 [10.88, 0.97, 0.58]]]
    np.testing.assert_allclose(traj.positions, expected, atol=1e-12)
    # Atom id 3 moved a whole cell (image flag) between frames: unwrapped data is never refused.
    assert traj.unwrap() is traj


def test_unsorted_triclinic_cartesian_dump_matches_ase(tmp_path, rng):
    cell = np.array([[9.0, 0, 0], [1.2, 8.5, 0], [-0.7, 0.9, 8.0]])
    xy, xz, yz = cell[1, 0], cell[2, 0], cell[2, 1]
    lo = np.array([0.3, -0.4, 0.2])
    bounds = [f"{lo[0] + min(0, xy, xz, xy + xz)} {lo[0] + 9 + max(0, xy, xz, xy + xz)} {xy}",
              f"{lo[1] + min(0, yz)} {lo[1] + 8.5 + max(0, yz)} {xz}", f"{lo[2]} {lo[2] + 8} {yz}"]
    frames = []
    for k in range(5):
        cart = lo + rng.random((6, 3)) @ cell
        order = rng.permutation(6)
        atoms = [f"{i + 1} {1 + i % 2} {cart[i, 0]:.10f} {cart[i, 1]:.10f} {cart[i, 2]:.10f}"
                 for i in order]
        frames.append({"step": 10 * k, "bounds": bounds, "atoms": atoms})
    path = _dump(tmp_path / "tri.lammpstrj", frames, box="xy xz yz pp pp pp")
    traj = read_trajectory(path, type_map={1: "Ba", 2: "O"})
    ref = ase.io.read(path, index=":", format="lammps-dump-text")
    np.testing.assert_allclose(traj.positions, np.stack([a.positions for a in ref]), atol=1e-12)
    np.testing.assert_allclose(traj.cells, np.stack([a.cell.array for a in ref]), atol=1e-12)
    np.testing.assert_allclose(traj.cells[0], cell, atol=1e-12)
    assert traj.species == ("Ba", "O") * 3
    assert not traj.unwrapped


@pytest.mark.parametrize("columns", ["id type xu yu zu", "id type xsu ysu zsu"])
def test_unwrapped_columns_are_marked_and_never_refused(tmp_path, columns):
    scale = 0.1 if "s" in columns.split()[2] else 1.0
    atoms = [["1 1 1 1 1", "2 2 5 5 5"], ["1 1 8 1 1", "2 2 5 5 5"]]  # atom 1 jumps 0.7 cell
    atoms = [[" ".join([*a.split()[:2], *(f"{float(v) * scale:g}" for v in a.split()[2:])])
              for a in frame] for frame in atoms]
    path = _dump(tmp_path / "u.lammpstrj", _frames(atoms), columns=columns)
    traj = read_trajectory(path, type_map={1: "Li", 2: "O"})
    assert traj.unwrapped and traj.unwrap() is traj
    np.testing.assert_allclose(traj.positions[1, 0], [8, 1, 1], atol=1e-12)


def test_image_flags_unwrap_exactly(tmp_path):
    atoms = [["1 1 9.5 1 1 0 0 0", "2 2 5 5 5 0 0 0"],
             ["1 1 0.5 1 1 1 0 0", "2 2 5 5 5 0 0 0"],
             ["1 1 1.5 9.9 1 1 -1 2", "2 2 5 5 5 0 0 0"]]
    path = _dump(tmp_path / "i.lammpstrj", _frames(atoms), columns="id type x y z ix iy iz")
    traj = read_trajectory(path, type_map={1: "Li", 2: "O"})
    assert traj.unwrapped
    np.testing.assert_allclose(traj.positions[:, 0], [[9.5, 1, 1], [10.5, 1, 1],
                                                      [11.5, -0.1, 21]], atol=1e-12)


def test_units_and_time_items_give_times_in_fs(tmp_path):
    frames = _frames(TWO)
    frames[0]["time"], frames[1]["time"] = 0.0, 0.002
    path = _dump(tmp_path / "t.lammpstrj", frames, preamble="ITEM: UNITS\nmetal\n")
    traj = read_trajectory(path, type_map={1: "Li", 2: "O"})
    np.testing.assert_allclose(traj.times_fs, [0.0, 2.0])  # metal time unit: ps
    assert traj.frame_interval_fs == pytest.approx(2.0)
    with pytest.raises(InputError, match=r"frame interval 1 fs .*contradicts the file's 2 fs"):
        read_trajectory(path, type_map={1: "Li", 2: "O"}, frame_interval_fs=1.0)
    no_units = _dump(tmp_path / "t2.lammpstrj", frames)
    assert read_trajectory(no_units, type_map={1: "Li", 2: "O"}).times_fs is None


def test_element_column_and_type_labels(tmp_path):
    atoms = [["1 Li 1 1 1", "2 O 5 5 5"], ["2 O 5 5 5.5", "1 Li 1 1 1.5"]]
    path = _dump(tmp_path / "e.lammpstrj", _frames(atoms), columns="id element x y z")
    assert read_trajectory(path).species == ("Li", "O")
    path = _dump(tmp_path / "l.lammpstrj", _frames(atoms), columns="id type x y z")
    assert read_trajectory(path).species == ("Li", "O")  # type labels that are elements
    both = [[a.replace(" Li ", " Li 1 ").replace(" O ", " O 2 ") for a in f] for f in atoms]
    path = _dump(tmp_path / "b.lammpstrj", _frames(both), columns="id element type x y z")
    assert read_trajectory(path, type_map={1: "Li", 2: "O"}).species == ("Li", "O")
    with pytest.raises(InputError, match=r"maps type [12] to '(O|Li)' but the element column"):
        read_trajectory(path, type_map={1: "O", 2: "Li"})


def test_general_triclinic_abc_origin_box(tmp_path):
    bounds = ["6 0 0 1", "1 5 0 2", "0.5 0.5 4 3"]
    atoms = [["1 1 0.5 0.5 0.5", "2 2 0 0 0"], ["1 1 0.6 0.5 0.5", "2 2 0 0 0"]]
    path = _dump(tmp_path / "g.lammpstrj", _frames(atoms, bounds=bounds),
                 columns="id type xs ys zs", box="abc origin pp pp pp")
    traj = read_trajectory(path, type_map={1: "Li", 2: "O"})
    np.testing.assert_allclose(traj.cells[0], [[6, 0, 0], [1, 5, 0], [0.5, 0.5, 4]])
    np.testing.assert_allclose(traj.positions[0], [[1 + 3.75, 2 + 2.75, 3 + 2], [1, 2, 3]])


@pytest.mark.parametrize(("atoms", "kwargs", "message"), [
    (TWO, {}, r"numeric atom types but no 'element' column; pass type_map="),
    (TWO, {"type_map": {1: "Li"}}, r"type 2 is not in type_map \{1: 'Li'\}"),
    (TWO, {"type_map": {1: "Li", 2: "Qq"}}, r"unknown element 'Qq'"),
    ([TWO[0], ["1 1 1 2 3", "3 2 5 5 5"]], {"type_map": {1: "Li", 2: "O"}},
     r"frame 1 \(line 21\): the atom ids differ from frame 0's \(id 2 is missing\)"),
    ([TWO[0], ["1 1 1 2 3", "2 1 5 5 5"]], {"type_map": {1: "Li", 2: "O"}},
     r"frame 1 \(line 22\): atom id 2 has type '1' here but '2' in frame 0"),
    ([TWO[0], ["1 1 1 2 3", "2 2 5 5 inf"]], {"type_map": {1: "Li", 2: "O"}},
     r"frame 1 \(line 22\): non-finite \(NaN or inf\) coordinate"),
    ([TWO[0], ["1 1 1 2 3", "2 2 5 5,0 5"]], {"type_map": {1: "Li", 2: "O"}},
     r"frame 1 \(line 22\): cannot read '5,0' \(column 4\)"),
    ([["1 1 1 2 3", "1 2 5 5 5"], TWO[1]], {"type_map": {1: "Li", 2: "O"}},
     r"frame 0 \(line 11\): atom id 1 appears twice"),
    ([["1 1 1 2 3", "2.5 2 5 5 5"], TWO[1]], {"type_map": {1: "Li", 2: "O"}},
     r"frame 0 \(line 11\): atom id 2.5 is not an integer"),
])
def test_bad_dumps_give_one_line_errors(tmp_path, atoms, kwargs, message):
    path = _dump(tmp_path / "bad.lammpstrj", _frames(atoms))
    with pytest.raises(InputError, match=message) as err:
        read_trajectory(path, **kwargs)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("steps", "message"), [
    ([0, 100, 100, 300], r"frame 2 \(line 24\): TIMESTEP 100 does not increase"),
    ([0, 100, 200, 400], r"frame 3 \(line 35\): TIMESTEP jumps by 200 here but by 100"),
])
def test_timesteps_must_increase_evenly(tmp_path, steps, message):
    path = _dump(tmp_path / "s.lammpstrj", _frames([TWO[0]] * 4, steps=steps))
    with pytest.raises(TrajectoryFormatError, match=message):
        read_trajectory(path, type_map={1: "Li", 2: "O"})


def test_changing_atom_count_and_truncation_name_the_frame(tmp_path):
    three = ["1 1 1 2 3", "2 2 5 5 5", "3 2 6 6 6"]
    path = _dump(tmp_path / "n.lammpstrj", _frames([TWO[0], three, TWO[0]]))
    with pytest.raises(TrajectoryFormatError,
                       match=r"frame 1 \(line 15\): 3 atoms, but frame 0 has 2"):
        read_trajectory(path, type_map={1: "Li", 2: "O"})
    path = _dump(tmp_path / "t.lammpstrj", _frames([TWO[0]] * 3))
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))
    with pytest.raises(TrajectoryFormatError, match=r"frame 2 \(line 23\): incomplete frame: 10 "
                       r"of its 11 lines \(truncated file\?\)"):
        read_trajectory(path, type_map={1: "Li", 2: "O"})


def test_non_periodic_boundaries_and_missing_columns_are_refused(tmp_path):
    path = _dump(tmp_path / "f.lammpstrj", _frames([TWO[0]] * 2), box="pp pp fm")
    with pytest.raises(TrajectoryFormatError, match="boundary 'pp pp fm'"):
        read_trajectory(path, type_map={1: "Li", 2: "O"})
    path = _dump(tmp_path / "c.lammpstrj", _frames([["1 1 1", "2 2 2"]] * 2), columns="id type q")
    with pytest.raises(TrajectoryFormatError, match="no coordinate columns"):
        read_trajectory(path, type_map={1: "Li", 2: "O"})
    path = _dump(tmp_path / "i.lammpstrj", _frames([["1 1 2 3", "2 5 5 5"]] * 2),
                 columns="type x y z")
    with pytest.raises(TrajectoryFormatError, match="no 'id' column"):
        read_trajectory(path, type_map={1: "Li", 2: "O"})
    path = _dump(tmp_path / "s.lammpstrj", _frames([["1 2 3 4", "2 5 5 5"]] * 2),
                 columns="id x y z")
    with pytest.raises(InputError, match="neither an 'element' nor a 'type' column"):
        read_trajectory(path, type_map={1: "Li"})
