"""Chemical-potential diagrams and the driving force between two phases (SCIENCE.md §4)."""

from __future__ import annotations

from ionflux.chempot.diagram import ChempotDiagrams, Faces
from ionflux.chempot.driving_force import (
    SIGN_CONVENTION,
    DrivingForce,
    DrivingForceCalculator,
    driving_force_from_faces,
)
from ionflux.chempot.geometry import closest_points, min_norm_point, share_a_point

__all__ = [
    "SIGN_CONVENTION",
    "ChempotDiagrams",
    "DrivingForce",
    "DrivingForceCalculator",
    "Faces",
    "closest_points",
    "driving_force_from_faces",
    "min_norm_point",
    "share_a_point",
]
