"""VASP XDATCAR: agreement with ASE and pymatgen (incl. real kinisi data), cells, errors."""

from __future__ import annotations

import gzip
import importlib.util
import shutil
from pathlib import Path

import ase
import ase.io
import numpy as np
import pytest
from pymatgen.io.vasp.outputs import Xdatcar

from ionflux.errors import TrajectoryFormatError
from ionflux.io import read_trajectory

DATA = Path(__file__).parent / "data"
HEADER = "test\n{scale}\n{a}\n{b}\n{c}\nLi O\n1 2\n"


def _xdatcar(path: Path, frames: list[list[str]], scale="1.0", mode="Direct",
             lattice=("5 0 0", "0 5 0", "0 0 5"), numbers=None) -> Path:
    numbers = numbers or list(range(1, len(frames) + 1))
    text = HEADER.format(scale=scale, a=lattice[0], b=lattice[1], c=lattice[2])
    for n, frame in zip(numbers, frames, strict=True):
        text += f"{mode} configuration= {n:5d}\n" + "".join(f" {line}\n" for line in frame)
    path.write_text(text)
    return path


FRAME = ["0.1 0.2 0.3", "0.5 0.5 0.5", "0.9 0.9 0.1"]


def test_fixed_cell_matches_ase(tmp_path, rng):
    cell = [[7.0, 0, 0], [0.5, 6.5, 0], [0.2, -0.3, 8.0]]
    frames = [ase.Atoms("BaTiO3", scaled_positions=rng.random((5, 3)), cell=cell, pbc=True)
              for _ in range(4)]
    path = tmp_path / "XDATCAR"
    ase.io.write(path, frames, format="vasp-xdatcar")
    traj = read_trajectory(path)
    ref = ase.io.read(path, index=":", format="vasp-xdatcar")
    np.testing.assert_allclose(traj.positions, np.stack([a.positions for a in ref]), atol=1e-12)
    np.testing.assert_allclose(traj.cells, np.stack([a.cell.array for a in ref]), atol=1e-12)
    assert traj.species == tuple(ref[0].get_chemical_symbols())
    assert not traj.is_variable_cell and not traj.unwrapped
    assert traj.source.reader == "xdatcar"


def test_variable_cell_matches_ase_and_pymatgen():
    path = DATA / "npt_XDATCAR"
    traj = read_trajectory(path)
    assert traj.is_variable_cell and traj.n_frames == 3
    ref = ase.io.read(path, index=":", format="vasp-xdatcar")
    np.testing.assert_allclose(traj.positions, np.stack([a.positions for a in ref]), atol=1e-12)
    np.testing.assert_allclose(traj.cells, np.stack([a.cell.array for a in ref]), atol=1e-12)
    pmg = Xdatcar(str(path)).structures
    np.testing.assert_allclose(traj.positions, np.stack([s.cart_coords for s in pmg]), atol=1e-12)
    # by hand: frame 0, atom 1 at (0.5, 0.5, 0.5) of a = (4, 0, 0), b = (0, 4.1, 0),
    # c = (0.3, 0, 4.2)
    np.testing.assert_allclose(traj.positions[0, 1], [2.15, 2.05, 2.1])


def test_cartesian_configurations_and_scale_factors(tmp_path):
    lattice = ("2.5 0 0", "0 2.5 0", "0 0 2.5")
    path = _xdatcar(tmp_path / "XDATCAR", [["1 1 1", "0 0 0", "2 0.5 0"]] * 2, scale="2.0",
                    mode="Cartesian", lattice=lattice)
    traj = read_trajectory(path)
    np.testing.assert_allclose(traj.cells[0], np.eye(3) * 5.0)
    np.testing.assert_allclose(traj.positions[0], [[2, 2, 2], [0, 0, 0], [4, 1, 0]])
    # A negative scale factor is the cell volume (as in POSCAR): det = 8 -> factor 2.
    path = _xdatcar(tmp_path / "XDATCAR", [FRAME] * 2, scale="-64",
                    lattice=("1 0 0", "0 2 0", "0 0 4"))
    traj = read_trajectory(path)
    np.testing.assert_allclose(traj.cells[0], np.diag([2.0, 4.0, 8.0]))
    assert traj.mean_volume_A3 == pytest.approx(64.0)


@pytest.mark.skipif(importlib.util.find_spec("kinisi") is None,
                    reason="kinisi (optional test dependency) ships the example_XDATCAR.gz used "
                    "here; it is not installed")
def test_real_li6ps5cl_xdatcar_from_kinisi(tmp_path):
    import kinisi

    path = Path(kinisi.__file__).parent / "tests" / "inputs" / "example_XDATCAR.gz"
    traj = read_trajectory(path)
    assert traj.n_frames == 140 and traj.n_atoms == 416
    assert traj.element_counts == {"Li": 192, "P": 32, "S": 160, "Cl": 32}
    ref = ase.io.read(path, index=":", format="vasp-xdatcar")
    np.testing.assert_allclose(traj.positions, np.stack([a.positions for a in ref]), atol=1e-10)
    assert traj.species == tuple(ref[0].get_chemical_symbols())
    plain = tmp_path / "XDATCAR"
    with gzip.open(path) as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst)
    pmg = Xdatcar(str(plain), ionicstep_end=10).structures  # pymatgen is slow: 10 frames
    np.testing.assert_allclose(traj.positions[:len(pmg)], np.stack([s.cart_coords for s in pmg]),
                               atol=1e-10)
    np.testing.assert_allclose(traj.cells[0], pmg[0].lattice.matrix, atol=1e-12)
    # Li moves far over 140 frames, but every stored step is small enough to unwrap.
    unwrapped = traj.unwrap()
    assert np.abs(np.diff(unwrapped.positions, axis=0)).max() < 3.0


@pytest.mark.parametrize(("frames", "kwargs", "message"), [
    ([FRAME, FRAME[:2]], {}, r"frame 1 \(line 12\): incomplete frame \(truncated file\?\)"),
    ([FRAME, [*FRAME, "0 0 0"], FRAME], {},
     r"frame 2 \(line 16\): expected a configuration line like 'Direct configuration=     1', "
     r"found ' 0 0 0'"),
    ([FRAME, ["0.1 0.2 0.3", "0.5 x 0.5", "0.9 0.9 0.1"]], {},
     r"frame 1 \(line 14\): cannot read 'x'"),
    ([FRAME, FRAME, FRAME], {"numbers": [1, 3, 2]},
     r"frame 2 \(line 16\): configuration 2 follows 3"),
    ([FRAME, FRAME, FRAME], {"numbers": [1, 2, 4]},
     r"frame 2 \(line 16\): configuration 4 follows 2, but the numbers step by 1"),
])
def test_bad_xdatcars_give_one_line_errors(tmp_path, frames, kwargs, message):
    path = _xdatcar(tmp_path / "XDATCAR", frames, **kwargs)
    with pytest.raises(TrajectoryFormatError, match=message) as err:
        read_trajectory(path)
    assert "\n" not in str(err.value)


def test_vasp4_header_and_changed_counts_are_refused(tmp_path):
    path = _xdatcar(tmp_path / "XDATCAR", [FRAME] * 2)
    path.write_text(path.read_text().replace("Li O\n", ""))
    with pytest.raises(TrajectoryFormatError, match=r"line 6: no element line \(VASP 4"):
        read_trajectory(path, format="xdatcar")
    text = (DATA / "npt_XDATCAR").read_text().split("\n")
    text[6 + 11] = "    1    2    0"  # frame 1's repeated header: different counts
    path.write_text("\n".join(text))
    with pytest.raises(TrajectoryFormatError, match=r"frame 1 \(line 18\): expected '    1    1"):
        read_trajectory(path)
