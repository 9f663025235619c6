"""Request validation that needs no thermodynamics: profile, mixture on the grid, run size.

Used by the query layer before any slow work (K_D look-ups) and by the automaton itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ionflux.ca.settings import AutomatonSettings
from ionflux.errors import InputError


def parse_profile(profile: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Validate a heating profile: non-empty list of (temperature K > 0, duration > 0)."""
    steps = [tuple(step) for step in profile]
    if not steps:
        raise InputError("heating profile has no steps; give at least one (temperature, "
                         "duration) step")
    out = []
    for i, step in enumerate(steps, start=1):
        if len(step) != 2:
            raise InputError(f"profile step {i}: expected (temperature_K, duration), got {step}")
        t, d = float(step[0]), float(step[1])
        if not np.isfinite(t) or t <= 0:
            raise InputError(f"profile step {i}: temperature {step[0]!r} K must be > 0")
        if not np.isfinite(d) or d <= 0:
            raise InputError(f"profile step {i}: duration {step[1]!r} must be > 0")
        out.append((t, d))
    return out


def cell_counts(names: Sequence[str], moles: Sequence[float], molar_volumes: Sequence[float],
                n_cells: int, min_cells: int) -> np.ndarray:
    """Cells per precursor: largest-remainder rounding of the volume fractions.

    Raises a one-line InputError when a precursor would get fewer than ``min_cells`` cells.
    """
    volumes = np.asarray(moles, float) * np.asarray(molar_volumes, float)
    raw = volumes / volumes.sum() * n_cells
    counts = np.floor(raw).astype(np.int64)
    for i in np.argsort(-(raw - counts), kind="stable")[: n_cells - counts.sum()]:
        counts[i] += 1
    if counts.min() < min_cells:
        worst = int(np.argmin(counts))
        raise InputError(
            f"grid of {n_cells} cells is too small for this mixture: precursor {names[worst]} "
            f"would occupy {counts[worst]} cell(s), fewer than {min_cells}; use a larger grid")
    return counts


def updates_per_step(steps: Sequence[tuple[float, float]], n_cells: int,
                     settings: AutomatonSettings) -> list[int]:
    """Cell updates of each profile step (duration x sweeps_per_unit x cells, at least 1)."""
    return [max(1, round(d * settings.sweeps_per_unit * n_cells)) for _, d in steps]


def check_size(steps: Sequence[tuple[float, float]], n_cells: int, realisations: int,
               settings: AutomatonSettings) -> int:
    """Total cell updates of a request; one-line InputError beyond ``max_cell_updates``."""
    total = sum(updates_per_step(steps, n_cells, settings)) * realisations
    if total > settings.max_cell_updates:
        minutes = total / settings.assumed_rate_per_s / 60
        raise InputError(
            f"request needs {total:.3g} cell updates (~{minutes:.0f} min at "
            f"~{settings.assumed_rate_per_s:.0e} updates/s), more than the limit "
            f"{settings.max_cell_updates:.3g}; shorten the profile, use a smaller grid or fewer "
            "realisations, or raise IONFLUX_CA_MAX_CELL_UPDATES")
    return total
