"""Onsager transport coefficients from MD trajectories (SCIENCE.md §2)."""

from __future__ import annotations

from ionflux.transport.documents import QualityFlag, TransportDoc
from ionflux.transport.onsager import (
    DEFAULT_ESTIMATOR,
    ESTIMATORS,
    AnalysisSettings,
    analyze_trajectories,
)

__all__ = ["DEFAULT_ESTIMATOR", "ESTIMATORS", "AnalysisSettings", "QualityFlag", "TransportDoc",
           "analyze_trajectories"]
