"""Unwrapping of wrapped coordinates, valid for triclinic and variable cells.

Each step is the minimum image of the Cartesian displacement between consecutive frames in the
cell of the later frame (the "TOR" scheme of Bullerjahn, von Bülow & Hummer, J. Chem. Phys. 153,
024116 (2020)); accumulating image counters instead would let cell fluctuations leak into the
displacements of atoms far from the origin under NPT.
"""

from __future__ import annotations

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
    steps = np.diff(positions, axis=0)
    later_cells = cells[1:]
    if np.allclose(cells, cells[0], rtol=0.0, atol=1e-12):
        frac_steps = steps @ np.linalg.inv(cells[0])
        images = np.rint(frac_steps)
        steps -= images @ cells[0]
    else:
        frac_steps = np.einsum("fni,fij->fnj", steps, np.linalg.inv(later_cells))
        images = np.rint(frac_steps)
        steps -= np.einsum("fnj,fjk->fnk", images, later_cells)
    frac_steps -= images
    np.abs(frac_steps, out=frac_steps)
    worst_per_frame = frac_steps.max(axis=(1, 2))
    too_far = np.flatnonzero(worst_per_frame > max_step_fraction)
    if too_far.size:
        frame = int(too_far[0])
        atom = int(np.argmax(frac_steps[frame].max(axis=1)))
        raise UnwrapError(
            f"{label}: frame {frame + 1}: atom {atom} moved {worst_per_frame[frame]:.2f} of the "
            f"cell width since frame {frame} (limit {max_step_fraction:.2f}); such steps cannot be "
            "unwrapped unambiguously: store frames more often or give unwrapped coordinates")
    unwrapped = np.empty_like(positions)
    unwrapped[0] = positions[0]
    np.cumsum(steps, axis=0, out=unwrapped[1:])
    unwrapped[1:] += positions[0]
    return unwrapped
