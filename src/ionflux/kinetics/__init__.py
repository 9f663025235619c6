"""Effective diffusion rate constants K_D from Onsager transport and driving forces."""

from __future__ import annotations

from ionflux.kinetics.interpolation import arrhenius_interpolate
from ionflux.kinetics.kd import (
    DEFAULT_ANIONS,
    KDDoc,
    KDProvenance,
    compute_kd,
    volume_per_formula_unit_cm3,
)
from ionflux.kinetics.table import KDTable

__all__ = [
    "DEFAULT_ANIONS",
    "KDDoc",
    "KDProvenance",
    "KDTable",
    "arrhenius_interpolate",
    "compute_kd",
    "volume_per_formula_unit_cm3",
]
