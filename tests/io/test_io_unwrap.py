"""Unwrapping (minimum-image steps in the later frame's cell) against known continuous paths,
for triclinic and variable cells, through files and directly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ionflux.errors import UnwrapError
from ionflux.io import read_trajectory, unwrap_positions
from ionflux.io.trajectory import Trajectory
from ionflux.io.writers import write_extxyz

DATA = Path(__file__).parent / "data"
BASE = np.array([[9.0, 0.0, 0.0], [2.5, 8.0, 0.0], [-1.5, 1.8, 7.5]])  # strongly sheared


def _wrap(positions: np.ndarray, cell: np.ndarray) -> np.ndarray:
    frac = positions @ np.linalg.inv(cell)
    return (frac - np.floor(frac)) @ cell


def _walk(rng, cells: np.ndarray, n_atoms: int = 12, step: float = 1.5):
    """Wrapped frames of atoms taking small physical steps d(t): frame t+1 holds w(t) + d(t)
    wrapped into cell t+1. Returns (wrapped, cumulative displacement from frame 0)."""
    n_frames = cells.shape[0]
    steps = rng.normal(scale=step / 3, size=(n_frames - 1, n_atoms, 3))
    wrapped = np.empty((n_frames, n_atoms, 3))
    wrapped[0] = _wrap(rng.random((n_atoms, 3)) @ cells[0], cells[0])
    for t in range(n_frames - 1):
        wrapped[t + 1] = _wrap(wrapped[t] + steps[t], cells[t + 1])
    travelled = np.concatenate([np.zeros((1, n_atoms, 3)), np.cumsum(steps, axis=0)])
    return wrapped, travelled


def _variable_cells(n_frames: int) -> np.ndarray:
    t = np.arange(n_frames)[:, None, None]
    shear = np.zeros((n_frames, 3, 3))
    shear[:, 1, 0] = 0.4 * np.sin(t[:, 0, 0] / 15)  # the tilt of b changes too
    return BASE * (1 + 0.03 * np.sin(t / 7)) + shear


def _write_extxyz(path: Path, wrapped: np.ndarray, cells: np.ndarray) -> Path:
    trajectory = Trajectory(wrapped, ("O",) * wrapped.shape[1], cells, unwrapped=False)
    return write_extxyz(path, trajectory, float_format=".17g")  # exact round trip


@pytest.mark.parametrize("variable", [False, True])
def test_unwrapping_recovers_the_continuous_path(tmp_path, rng, variable):
    n_frames = 200
    cells = _variable_cells(n_frames) if variable else np.broadcast_to(BASE, (n_frames, 3, 3))
    wrapped, travelled = _walk(rng, cells)
    assert np.abs(travelled).max() > 9.0  # atoms cross the cell
    traj = read_trajectory(_write_extxyz(tmp_path / "w.xyz", wrapped, cells))
    assert traj.is_variable_cell == variable and not traj.unwrapped
    unwrapped = traj.unwrap()
    np.testing.assert_allclose(unwrapped.positions - unwrapped.positions[0], travelled,
                               atol=1e-9)
    np.testing.assert_array_equal(unwrapped.positions[0], traj.positions[0])


def test_variable_cell_xdatcar_by_hand():
    traj = read_trajectory(DATA / "npt_XDATCAR").unwrap()
    # Ba goes from the origin to 0.99 a + 0.01 b of the second cell (a = 4.04 x, b = 4.1 y):
    # the minimum image of that step is -0.01 a + 0.01 b = (-0.0404, 0.041, 0).
    np.testing.assert_allclose(traj.positions[1, 0], [-0.0404, 0.041, 0.0], atol=1e-12)
    # O goes from 0.5 a0 + 0.5 b0 + 0.95 c0 = (2.285, 2.05, 3.99) to the wrapped
    # 0.5 a1 + 0.5 b1 + 0.02 c1 = (2.026, 2.05, 0.0836), c1 = (0.3, 0, 4.18): the raw step is
    # (0.0053, 0, -0.9345) in fractions of cell 1, whose minimum image is (0.0053, 0, 0.0655),
    # i.e. (0.041, 0, 0.2736) Å.
    np.testing.assert_allclose(traj.positions[0, 2], [2.285, 2.05, 3.99], atol=1e-12)
    np.testing.assert_allclose(traj.positions[1, 2], [2.326, 2.05, 4.2636], atol=1e-12)


def test_too_large_steps_are_refused_naming_frame_and_atom(rng):
    cells = np.broadcast_to(BASE, (30, 3, 3)).copy()
    wrapped, _ = _walk(rng, cells, step=0.3)
    frac = wrapped @ np.linalg.inv(BASE)
    frac[17:, 5, 1] += 0.4  # atom 5 jumps 0.4 of the cell along b at frame 17
    with pytest.raises(UnwrapError, match=r"case: frame 17: atom 5 moved 0\.4\d of the cell"):
        unwrap_positions(_wrap(frac @ BASE, BASE), cells, label="case")
