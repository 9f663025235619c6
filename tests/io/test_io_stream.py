"""Reading piece by piece: the same numbers and the same errors whatever the piece size, and
peak memory of a fresh process within 1.5x the positions array."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ionflux.errors import TrajectoryFormatError
from ionflux.io import read_trajectory, stream

DATA = Path(__file__).parent / "data"
SYMBOLS = ("Li", "O", "O")
CELL = 16.0
TYPE_MAP = {1: "Li", 2: "O"}


def _positions(rng, n_frames: int, n_atoms: int) -> np.ndarray:
    """Positions on a 1/1024 Å grid: their 10-decimal text is exact, so a correct reader
    returns them bit for bit."""
    return rng.integers(0, int(CELL * 1024), size=(n_frames, n_atoms, 3)) / 1024


def _atom_lines(frame: np.ndarray, fmt: str, first: list[str]) -> str:
    return "".join(f"{head} {fmt % tuple(xyz)}\n" for head, xyz in zip(first, frame,
                                                                      strict=True))


def _extxyz(path: Path, positions: np.ndarray, edit=None) -> Path:
    n = positions.shape[1]
    symbols = [SYMBOLS[i % 3] for i in range(n)]
    out = []
    for k, frame in enumerate(positions):
        comment = (f'Lattice="{CELL} 0 0 0 {CELL} 0 0 0 {CELL}" '
                   f'Properties=species:S:1:pos:R:3 time={2.0 * k} temperature=900')
        out.append(f"{n}\n{comment}\n" + _atom_lines(frame, "%.10f %.10f %.10f", symbols))
    return _write(path, out, edit)


def _lammps(path: Path, positions: np.ndarray, rng, edit=None) -> Path:
    """A dump with atom lines shuffled within each frame and a triclinic box."""
    n = positions.shape[1]
    out = []
    for k, frame in enumerate(positions):
        order = rng.permutation(n)
        out.append(f"ITEM: TIMESTEP\n{100 * k}\nITEM: NUMBER OF ATOMS\n{n}\n"
                   f"ITEM: BOX BOUNDS xy xz yz pp pp pp\n0 {CELL} 0.5\n0 {CELL} 0\n"
                   f"0 {CELL} 0\nITEM: ATOMS id type xu yu zu\n"
                   + _atom_lines(frame[order], "%.10f %.10f %.10f",
                                 [f"{i + 1} {1 if i % 3 == 0 else 2}" for i in order]))
    return _write(path, out, edit)


def _xdatcar(path: Path, positions: np.ndarray, edit=None) -> Path:
    n = positions.shape[1]
    n_li = (n + 2) // 3
    header = (f"streamed\n1.0\n {CELL} 0 0\n 0 {CELL} 0\n 0 0 {CELL}\nLi O\n{n_li} {n - n_li}\n")
    order = [i for i in range(n) if i % 3 == 0] + [i for i in range(n) if i % 3]
    out = [header] + [f"Direct configuration= {k + 1}\n"
                      + _atom_lines(frame[order] / CELL, "%.14f %.14f %.14f", [""] * n)
                      for k, frame in enumerate(positions)]
    return _write(path, out, edit)


def _write(path: Path, frames: list[str], edit) -> Path:
    text = "".join(frames)
    if edit is not None:
        text = edit(text)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode(), compresslevel=1))
    else:
        path.write_text(text)
    return path


@pytest.fixture(params=[97, 1000, None], ids=["97B", "1kB", "default"])
def pieces(request, monkeypatch):
    """Piece size in bytes (None: the default)."""
    if request.param is not None:
        monkeypatch.setattr(stream, "MIN_PIECE_BYTES", request.param)
        monkeypatch.setattr(stream, "MAX_PIECE_BYTES", request.param)
    return request.param


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_every_format_reads_exactly_in_pieces_of_any_size(tmp_path, rng, pieces, suffix):
    positions = _positions(rng, 37, 7)
    xyz = read_trajectory(_extxyz(tmp_path / f"a.xyz{suffix}", positions))
    assert np.array_equal(xyz.positions, positions)
    assert xyz.species == ("Li", "O", "O", "Li", "O", "O", "Li")
    np.testing.assert_array_equal(xyz.times_fs, 2.0 * np.arange(37))
    assert xyz.temperature_K == 900.0 and xyz.n_frames == 37
    dump = read_trajectory(_lammps(tmp_path / f"a.lammpstrj{suffix}", positions, rng),
                           type_map=TYPE_MAP)
    assert np.array_equal(dump.positions, positions)  # sorted back into id order
    # a bounding box 16 wide holds a = 15.5 tilted by xy = 0.5 (LAMMPS manual)
    np.testing.assert_array_equal(dump.cells[-1], [[15.5, 0, 0], [0.5, CELL, 0], [0, 0, CELL]])
    assert dump.unwrapped and dump.species == xyz.species
    vasp = read_trajectory(_xdatcar(tmp_path / f"XDATCAR{suffix}", positions))
    order = [0, 3, 6, 1, 2, 4, 5]  # elements grouped as VASP writes them
    assert np.array_equal(vasp.positions, positions[:, order])  # fractions k / 2**14: exact
    assert vasp.n_frames == 37 and not vasp.is_variable_cell


def test_variable_cell_xdatcar_in_pieces(pieces):
    traj = read_trajectory(DATA / "npt_XDATCAR")
    assert traj.is_variable_cell and traj.n_frames == 3
    # by hand: (0.5, 0.5, 0.5) of a = (4, 0, 0), b = (0, 4.1, 0), c = (0.3, 0, 4.2)
    np.testing.assert_allclose(traj.positions[0, 1], [2.15, 2.05, 2.1])
    np.testing.assert_array_equal(traj.cells[1, 0], [4.04, 0, 0])


def _bad_number(frame: int, stride: int, first: int):
    """An edit that spoils a number on the first atom line of ``frame`` (``stride`` lines per
    frame, atom lines starting ``first`` lines into a frame)."""
    return _edit(frame * stride + first, ".", ",")


def _edit(row: int, old: str, new: str):
    def edit(text: str) -> str:
        lines = text.split("\n")
        lines[row] = lines[row].replace(old, new, 1)
        return "\n".join(lines)
    return edit


def _drop_line(row: int):
    def edit(text: str) -> str:
        lines = text.split("\n")
        return "\n".join(lines[:row] + lines[row + 1:])
    return edit


def _error(path: Path, **kwargs) -> str:
    with pytest.raises(TrajectoryFormatError) as info:
        read_trajectory(path, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("case", ["xyz-number", "xyz-short-frame", "xyz-truncated",
                                  "xyz-species", "dump-number", "dump-missing-frame",
                                  "dump-missing-id", "xdatcar-number", "xdatcar-short-frame"])
def test_errors_name_the_same_line_and_frame_in_pieces_of_any_size(tmp_path, rng, monkeypatch,
                                                                   case):
    positions = _positions(rng, 30, 5)
    kwargs: dict = {}
    if case == "xyz-number":
        path, frame = _extxyz(tmp_path / "e.xyz", positions, _bad_number(23, 7, 3)), 23
    elif case == "xyz-short-frame":  # frame 17 lost an atom line: frame 18 is misplaced
        path, frame = _extxyz(tmp_path / "e.xyz", positions, _drop_line(17 * 7 + 4)), 18
    elif case == "xyz-truncated":
        path, frame = _extxyz(tmp_path / "e.xyz", positions, lambda t: t[:-60]), 29
    elif case == "xyz-species":
        path, frame = _extxyz(tmp_path / "e.xyz", positions, _edit(13 * 7 + 2, "Li", "O")), 13
    elif case == "dump-number":
        path, frame = _lammps(tmp_path / "e.dump", positions, rng, _bad_number(26, 14, 9)), 26
    elif case == "dump-missing-frame":
        frames = _lammps(tmp_path / "ok.dump", positions, rng).read_text().split("ITEM: TIMESTEP")
        # frames[0] is the empty text before the first ITEM: TIMESTEP; frame 20 goes
        (tmp_path / "e.dump").write_text("ITEM: TIMESTEP".join(frames[:21] + frames[22:]))
        path, frame = tmp_path / "e.dump", 20
    elif case == "dump-missing-id":
        path, frame = _lammps(tmp_path / "e.dump", positions, rng,
                              lambda t: _swap_id(t, 21)), 21
    elif case == "xdatcar-number":
        path, frame = _xdatcar(tmp_path / "XDATCAR", positions, _bad_number(22, 6, 8)), 22
    else:
        path, frame = _xdatcar(tmp_path / "XDATCAR", positions, _drop_line(7 + 11 * 6 + 3)), 12
    if "dump" in case:
        kwargs["type_map"] = TYPE_MAP
    message = _error(path, **kwargs)
    assert f"frame {frame} " in message or f"frame {frame}:" in message, message
    for size in (61, 509, 4096):
        monkeypatch.setattr(stream, "MIN_PIECE_BYTES", size)
        monkeypatch.setattr(stream, "MAX_PIECE_BYTES", size)
        assert _error(path, **kwargs) == message


def _swap_id(text: str, frame: int) -> str:
    """Atom id 1 of ``frame`` becomes id 99."""
    parts = text.split("ITEM: TIMESTEP")
    lines = parts[frame + 1].split("\n")
    row = next(i for i, ln in enumerate(lines) if ln.startswith("1 "))
    lines[row] = "99" + lines[row][1:]
    parts[frame + 1] = "\n".join(lines)
    return "ITEM: TIMESTEP".join(parts)


def test_more_frames_than_frame_0_suggests_grow_the_array(tmp_path, rng):
    """Frame 0 written short and later frames long, and a two-member gzip file whose trailer
    states only the second member's size: both under-estimate the frames, and the array
    grows."""
    positions = _positions(rng, 40, 4)
    positions[0] = 0.0
    path = _extxyz(tmp_path / "grow.xyz", positions,
                   lambda t: t.replace("0.0000000000", "0", 12))
    assert np.array_equal(read_trajectory(path).positions, positions)
    text = _extxyz(tmp_path / "whole.xyz", positions).read_bytes()
    cut = text.index(b"4\nLattice", len(text) - 400)
    two = tmp_path / "two.xyz.gz"
    two.write_bytes(gzip.compress(text[:cut]) + gzip.compress(text[cut:]))
    assert np.array_equal(read_trajectory(two).positions, positions)


_CHILD = """
import json, sys
import numpy as np
from ionflux.io import read_trajectory

def peak():
    with open("/proc/self/status") as fh:
        return next(int(ln.split()[1]) * 1024 for ln in fh if ln.startswith("VmHWM"))

kwargs = json.loads(sys.argv[2])
kwargs = {k: ({int(a): b for a, b in v.items()} if k == "type_map" else v)
          for k, v in kwargs.items()}
traj = read_trajectory(sys.argv[1], **kwargs)
out = {"peak": peak(), "nbytes": traj.positions.nbytes}
if len(sys.argv) > 3:
    np.save(sys.argv[3], traj.positions)
print(json.dumps(out))
"""


def _children(*runs: tuple[Path, dict, Path | None]) -> list[dict]:
    """Run one fresh process per (file, kwargs, where to save positions), side by side."""
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, str(path), json.dumps(kwargs),
                               *([str(save)] if save else [])], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for path, kwargs, save in runs]
    results = []
    for proc in procs:
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.mark.parametrize("fmt", ["extxyz", "lammps-dump.gz"])
def test_peak_memory_of_a_fresh_process_is_within_1_5x_the_positions(tmp_path, fmt):
    """VmHWM of a process reading the file, minus that of a process that imports and reads
    a 3-frame file of the same format (interpreter, imports, compiled code), is at most 1.5x
    the positions array; the positions are bit-identical to those written."""
    rng = np.random.default_rng(5)
    positions = _positions(rng, 6000, 60)  # 8.6 MB of positions
    if fmt == "extxyz":
        big, small, kwargs = (_extxyz(tmp_path / "big.xyz", positions),
                              _extxyz(tmp_path / "small.xyz", positions[:3]), {})
    else:
        big, small = (_lammps(tmp_path / "big.dump.gz", positions, rng),
                      _lammps(tmp_path / "small.dump.gz", positions[:3], rng))
        kwargs = {"type_map": TYPE_MAP}
    baseline, read = _children((small, kwargs, None),
                               (big, kwargs, tmp_path / "positions.npy"))
    assert read["nbytes"] == positions.nbytes
    assert np.array_equal(np.load(tmp_path / "positions.npy"), positions)
    ratio = (read["peak"] - baseline["peak"]) / positions.nbytes
    assert ratio <= 1.5, f"peak memory {ratio:.2f}x the positions array"
