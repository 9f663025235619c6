"""Extrapolation grades (gamma) of the stored frames of an ACE trajectory, as a document.

gamma of an atom: the largest |coefficient| of its B-projection expanded in the active set of
its element (see :mod:`ionflux.md.ace`); a frame's gamma is the largest over its atoms. Status:
``ok`` (every evaluated frame <= ``warn``), ``warn`` (some frame above ``warn``), ``stop`` (some
frame above ``stop``: the potential extrapolated beyond what the published study accepted, and
the trajectory is excluded from aggregates).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from ionflux.md.run import gamma_statistics


class GammaDoc(BaseModel):
    """Per-frame extrapolation grades of one trajectory."""

    doc_type: Literal["gamma"] = "gamma"
    formula: str
    temperature_K: float
    potential: str = Field(description="potential file name")
    potential_sha256: str
    active_set_sha256: str
    frames: list[int] = Field(description="indices of the evaluated frames")
    gamma_max: list[float] = Field(description="largest per-atom gamma of each evaluated frame")
    statistics: dict[str, Any]
    status: Literal["ok", "warn", "stop"]
    warnings: list[str] = Field(default_factory=list)


def frame_indices(n_frames: int, max_frames: int | None) -> list[int]:
    """Up to ``max_frames`` frame indices spread evenly, first and last included."""
    if max_frames is None or n_frames <= max_frames:
        return list(range(n_frames))
    return sorted({round(x) for x in np.linspace(0, n_frames - 1, max_frames)})


def trajectory_gamma(trajectory: Any, basis: Any, inverse: dict[int, np.ndarray], *,
                     potential: str, potential_sha256: str, active_set_sha256: str,
                     warn: float = 5.0, stop: float = 100.0,
                     max_frames: int | None = None) -> GammaDoc:
    """Gamma of (up to ``max_frames``) frames of an ionflux trajectory."""
    from ase import Atoms

    from ionflux.md.ace import GammaGrader

    grade = GammaGrader(basis, inverse)
    frames = frame_indices(trajectory.n_frames, max_frames)
    values = []
    for k in frames:
        atoms = Atoms(trajectory.species, positions=trajectory.positions[k],
                      cell=trajectory.cells[k], pbc=True)
        values.append(float(grade(atoms).max()))
    stats = gamma_statistics(values, warn, stop)
    status: Literal["ok", "warn", "stop"] = (
        "stop" if stats["n_above_stop"] else "warn" if stats["n_above_warn"] else "ok")
    warnings = []
    if status != "ok":
        limit = stop if status == "stop" else warn
        warnings.append(f"extrapolation grade up to {stats['max']:.3g} (above {limit:g}) in "
                        f"{stats['n_above_warn']} of {len(frames)} evaluated frames")
    counts: dict[str, int] = {}
    for s in trajectory.species:
        counts[s] = counts.get(s, 0) + 1
    formula = "".join(f"{el}{n}" for el, n in sorted(counts.items()))
    return GammaDoc(formula=formula, temperature_K=float(trajectory.temperature_K or 0.0),
                    potential=potential, potential_sha256=potential_sha256,
                    active_set_sha256=active_set_sha256, frames=frames, gamma_max=values,
                    statistics=stats, status=status, warnings=warnings)
