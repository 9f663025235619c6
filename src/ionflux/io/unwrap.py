"""Unwrapping of wrapped coordinates, valid for triclinic and variable cells.

Each step is the minimum image of the Cartesian displacement between consecutive frames in the
cell of the later frame (the "TOR" scheme of Bullerjahn, von Bülow & Hummer, J. Chem. Phys. 153,
024116 (2020)); accumulating image counters instead would let cell fluctuations leak into the
displacements of atoms far from the origin under NPT.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ionflux.errors import UnwrapError

#: Largest accepted per-frame step, as a fraction of the cell's perpendicular width. A true step
#: of more than half a cell aliases to a shorter one in the opposite direction and cannot be
#: detected after the fact, so steps this close to the limit are refused rather than trusted.
DEFAULT_MAX_STEP_FRACTION = 0.35


def unwrap_positions(positions: np.ndarray, cells: np.ndarray, label: str = "trajectory",
                     max_step_fraction: float = DEFAULT_MAX_STEP_FRACTION) -> np.ndarray:
    """Continuous Cartesian positions (Å) from wrapped ones.

    Args:
        positions: (n_frames, n_atoms, 3) wrapped Cartesian positions in Å.
        cells: (n_frames, 3, 3) lattice vectors as rows, in Å.
        label: name used in error messages.
        max_step_fraction: largest accepted step per frame along any lattice direction, as a
            fraction of the cell width in that direction.

    Raises:
        UnwrapError: naming the first frame and atom whose step exceeds the limit.
    """
    positions = np.ascontiguousarray(positions, dtype=np.float64)
    cells = np.ascontiguousarray(cells, dtype=np.float64)
    unwrapped = np.empty_like(positions)
    frame, atom, worst = _unwrap_kernel(positions, cells, np.linalg.inv(cells),
                                        float(max_step_fraction), unwrapped)
    if frame >= 0:
        raise UnwrapError(
            f"{label}: frame {frame}: atom {atom} moved {worst:.2f} of the "
            f"cell width since frame {frame - 1} (limit {max_step_fraction:.2f}); such steps "
            "cannot be unwrapped unambiguously: store frames more often or give unwrapped "
            "coordinates")
    return unwrapped


@nb.njit(cache=True)
def _unwrap_kernel(positions: np.ndarray, cells: np.ndarray, inverse_cells: np.ndarray,
                   max_step_fraction: float, out: np.ndarray) -> tuple[int, int, float]:
    """Fill ``out`` frame by frame; one pass, no temporaries the size of the trajectory.

    Returns (-1, -1, 0.0), or the first frame whose worst step exceeds the limit, the atom with
    that worst step and its size (fraction of the cell width); ``out`` is then incomplete.
    """
    n_frames, n_atoms, _ = positions.shape
    out[0] = positions[0]
    step = np.empty(3)
    image = np.empty(3)
    for f in range(1, n_frames):
        inv = inverse_cells[f]
        cell = cells[f]
        worst = 0.0
        worst_atom = 0
        for a in range(n_atoms):
            for k in range(3):
                step[k] = positions[f, a, k] - positions[f - 1, a, k]
            for j in range(3):
                frac = step[0] * inv[0, j] + step[1] * inv[1, j] + step[2] * inv[2, j]
                image[j] = np.rint(frac)
                residual = abs(frac - image[j])
                if residual > worst:
                    worst = residual
                    worst_atom = a
            for k in range(3):
                shift = image[0] * cell[0, k] + image[1] * cell[1, k] + image[2] * cell[2, k]
                out[f, a, k] = out[f - 1, a, k] + (step[k] - shift)
        if worst > max_step_fraction:
            return f, worst_atom, worst
    return -1, -1, 0.0
