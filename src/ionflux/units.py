"""Physical constants and unit conversions used across the package (SCIENCE.md §2, §4)."""

from __future__ import annotations

#: Boltzmann constant in eV/K (CODATA 2018).
KB_EV_PER_K = 8.617333262e-5

#: 1 Å^2/fs expressed in cm^2/s.
A2_PER_FS_TO_CM2_PER_S = 1e-16 / 1e-15

#: 1/(eV Å fs) expressed in 1/(eV cm s).
INV_EV_A_FS_TO_INV_EV_CM_S = 1.0 / (1e-8 * 1e-15)

#: 1 Å^3 expressed in cm^3.
A3_TO_CM3 = 1e-24

#: 1 Å^3 expressed in cm^3 per mole when multiplied by Avogadro's number.
AVOGADRO_PER_MOL = 6.02214076e23

#: Physically sensible MD temperatures (K) and times between stored frames (fs), checked
#: wherever they are read (command-line flags, sidecars, trajectory files). Outside them a
#: value is a typo or a unit mistake, and an extreme one breaks the numerics (a frame interval
#: of 1e-300 fs makes every Onsager coefficient overflow).
TEMPERATURE_RANGE_K: tuple[float, float] = (1.0, 1.0e4)
FRAME_INTERVAL_RANGE_FS: tuple[float, float] = (1.0e-3, 1.0e6)


def range_problem(value: float, what: str, unit: str, bounds: tuple[float, float]) -> str | None:
    """Why ``value`` is not a finite number within ``bounds`` (inclusive), or None."""
    import math

    lo, hi = bounds
    if not math.isfinite(value):
        return f"{what} must be a finite number, got {value:g} {unit}"
    if value <= 0 < lo:
        return f"{what} must be positive, got {value:g} {unit}"
    if not lo <= value <= hi:
        return (f"{what} {value:g} {unit} is outside the physically sensible range "
                f"{lo:g}-{hi:g} {unit}")
    return None
