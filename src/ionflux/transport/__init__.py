"""Onsager transport coefficients from MD trajectories (SCIENCE.md §2).

The analysis (``analyze_trajectories``, ``AnalysisSettings``) is imported on first use, so
code that only needs the documents (K_D, queries) does not load the trajectory readers and
their compiled kernels.
"""

from __future__ import annotations

from typing import Any

from ionflux.transport.documents import QualityFlag, TransportDoc

__all__ = ["DEFAULT_ESTIMATOR", "ESTIMATORS", "AnalysisSettings", "QualityFlag", "TransportDoc",
           "analyze_trajectories"]

_LAZY = ("DEFAULT_ESTIMATOR", "ESTIMATORS", "AnalysisSettings", "analyze_trajectories")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from ionflux.transport import onsager

        return getattr(onsager, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
