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
    amounts = np.asarray(moles, float)
    with np.errstate(over="ignore", invalid="ignore"):
        volumes = amounts * np.asarray(molar_volumes, float)
        raw = volumes / volumes.sum() * n_cells
    if not np.isfinite(raw).all():
        worst = int(np.argmax(np.where(np.isfinite(volumes), amounts, np.inf)))
        raise InputError(
            f"the mixture's volume overflows: molar ratio of {names[worst]} ({amounts[worst]:.3g}) "
            "is too large; give ratios of comparable size (the command line allows up to 1e6)")
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


#: Bytes per grid cell while a realisation runs (fast engine): phase (int16, 2) and amount
#: (float64, 8) per cell, six int32 neighbour indices (24), and building the mixture briefly
#: holds a permutation (int64, 8) and shuffled copies; 40 bounds the peak.
CELL_BYTES = 40
#: Bytes per realisation held to the end: its score table (own K_D and G draws), seeds and
#: recorded phase amounts; measured ~80 KB for Ba-Ti-O (~12 phases, 200 records), 128 KiB
#: leaves room for larger systems.
REALISATION_BYTES = 128 * 1024
#: Seconds per realisation besides its cell updates (drawing its table, seeding, recording);
#: measured ~6-10 ms for Ba-Ti-O.
REALISATION_SECONDS = 0.02


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def estimate_memory(n_cells: int, realisations: int) -> int:
    """Bytes a request holds at its peak: one realisation's grid (they run one after another)
    plus what every realisation keeps (score table, records)."""
    return int(n_cells) * CELL_BYTES + int(realisations) * REALISATION_BYTES


def check_size(steps: Sequence[tuple[float, float]], n_cells: int, realisations: int,
               settings: AutomatonSettings) -> int:
    """Total cell updates of a request; a one-line InputError when its time estimate is beyond
    ``max_cell_updates`` (at ``assumed_rate_per_s``, plus a fixed cost per realisation) or its
    memory estimate beyond ``max_memory_bytes``. Nothing is allocated: every entry point
    (command line, batch request, web API, Python predict) calls it first."""
    memory = estimate_memory(n_cells, realisations)
    if memory > settings.max_memory_bytes:
        raise InputError(
            f"request needs ~{_gib(memory)} of memory ({n_cells:.3g} cells x {CELL_BYTES} bytes "
            f"+ {realisations} realisation(s) x {REALISATION_BYTES // 1024} KiB), more than the "
            f"limit {_gib(settings.max_memory_bytes)}; use a smaller grid or fewer realisations, "
            "or raise IONFLUX_CA_MAX_MEMORY_BYTES")
    total = sum(updates_per_step(steps, n_cells, settings)) * realisations
    seconds = total / settings.assumed_rate_per_s + realisations * REALISATION_SECONDS
    limit_s = settings.max_cell_updates / settings.assumed_rate_per_s
    if total > settings.max_cell_updates or seconds > limit_s:
        raise InputError(
            f"request needs {total:.3g} cell updates in {realisations} realisation(s) "
            f"(~{seconds / 60:.0f} min at ~{settings.assumed_rate_per_s:.0e} updates/s and "
            f"~{REALISATION_SECONDS * 1000:.0f} ms per realisation), more than the limit "
            f"{settings.max_cell_updates:.3g} updates (~{limit_s / 60:.0f} min); shorten the "
            "profile, use a smaller grid or fewer realisations, or raise "
            "IONFLUX_CA_MAX_CELL_UPDATES")
    return total
