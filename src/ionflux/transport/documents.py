"""Pydantic documents for Onsager transport results (SCIENCE.md §2).

Matrices are nested lists with rows and columns in ``species`` order. Units are in field names:
Onsager coefficients in 1/(eV cm s), diffusion coefficients in cm^2/s, times in fs, volumes in Å^3.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

Matrix = list[list[float]]
MatrixOrNone = list[list[float | None]]


def utcnow() -> datetime:
    return datetime.now(UTC)


class QualityFlag(BaseModel):
    """One quality check: whether it passed, the number it was judged on, and why."""

    passed: bool
    value: float | None = Field(None, description="the quantity that was checked")
    threshold: float | None = Field(None, description="the limit it was checked against")
    reason: str


class PhysicsFlag(BaseModel):
    """One violated physical bound (:mod:`ionflux.transport.physics_checks`): a short code and
    the numbers it was judged on. ``ratio`` is value / limit where that means something."""

    code: str = Field(description="above_free_particle_bound, com_constraint_violated, "
                      "D_falls_with_T or not_diffusive")
    species: str | None = None
    value: float | None = None
    limit: float | None = None
    ratio: float | None = None
    z: float | None = Field(None, description="significance in standard errors, where known")
    detail: str = ""


class SourceRecord(BaseModel):
    """One input trajectory (or published table) that a document was computed from."""

    path: str | None = None
    sha256: str | None = None
    reader: str
    n_frames: int | None = None
    n_atoms: int | None = None
    frame_interval_fs: float | None = None
    temperature_K: float | None = None
    volume_A3: float | None = Field(None, description="mean cell volume of this source, Å^3")


class Provenance(BaseModel):
    sources: list[SourceRecord] = Field(default_factory=list)
    ionflux_version: str
    package_versions: dict[str, str] = Field(default_factory=dict)
    method: dict[str, str | float | int | bool | None] = Field(
        default_factory=dict, description="analysis settings, e.g. number of blocks")
    created_at: datetime = Field(default_factory=utcnow)
    physics_checks: dict[str, Any] | None = Field(
        None, description="evidence of the physics checks (ionflux.transport.physics_checks): "
        "thermostat friction and its source, atom counts, D, bounds, residuals, assumptions")


class CorrelationCurves(BaseModel):
    """Downsampled correlation functions for plotting (replicate mean).

    ``msd_self_A2[el]`` is the per-atom mean-squared displacement of element ``el`` (Å^2);
    ``collective_A2["Ba|Ti"]`` is <dR_Ba(tau) . dR_Ti(tau)> of the species' summed displacements
    (Å^2), for every unordered pair including i == j.
    """

    lag_fs: list[float]
    msd_self_A2: dict[str, list[float]]
    collective_A2: dict[str, list[float]]


class TransportDoc(BaseModel):
    """Onsager transport of one system at one temperature, from one or more replicates."""

    model_config = ConfigDict(extra="forbid")

    doc_type: Literal["transport"] = "transport"
    formula: str = Field(description="reduced formula of the simulated composition")
    species: list[str] = Field(description="element order of every vector and matrix")
    composition: dict[str, int] | None = Field(
        None, description="atoms of each element in the simulation cell (None if unknown)")
    temperature_K: float
    frame_interval_fs: float | None = None
    n_frames: int | None = Field(None, description="frames per replicate (the shortest one)")
    n_replicates: int = 1
    volume_A3: float = Field(description="mean simulation-cell volume, Å^3")

    L: Matrix = Field(description="total Onsager matrix L_ij, 1/(eV cm s)")
    L_stderr: MatrixOrNone | None = None
    L_covariance: Matrix | None = Field(
        None, description="jackknife covariance of the entries of L flattened row-major "
        "(L_ij at i*n + j), (1/(eV cm s))^2")
    L_self: list[float] = Field(description="self part of the diagonal, 1/(eV cm s)")
    L_self_stderr: list[float | None] | None = None
    L_self_covariance: Matrix | None = Field(
        None, description="jackknife covariance of L_self, (1/(eV cm s))^2")
    L_distinct: Matrix = Field(description="L - diag(L_self), 1/(eV cm s)")
    L_distinct_stderr: MatrixOrNone | None = None

    correlation_factor: dict[str, float | None] = Field(
        description="f_i = L_ii^distinct / L_ii^self (dimensionless)")
    correlation_factor_stderr: dict[str, float | None] | None = None
    D_self_cm2_s: dict[str, float | None] = Field(description="self-diffusion coefficients")
    D_self_cm2_s_stderr: dict[str, float | None] | None = None
    D_self_upper_bound_cm2_s: dict[str, float | None] | None = Field(
        None, description="species flagged not_diffusive: no D is given, only this upper "
                          "bound, cm^2/s (MSD at the longest lag / 6 t)")

    fit_window_fs: list[float] | None = Field(None, description="[start, end] of the lag fit")
    fit_window_source: Literal["auto", "user", "published"] = "auto"
    estimator: str | None = Field(
        None, description="estimator that produced L (ionflux.transport.ESTIMATORS); None for "
        "published tables and documents older than the choice")
    window_rule: str | None = Field(None, description="how the fit window was chosen")
    quality: dict[str, QualityFlag] = Field(default_factory=dict)
    physics_flags: list[PhysicsFlag] = Field(
        default_factory=list, description="violated physical bounds (empty: none found among "
        "the checks that could be made; see provenance.physics_checks)")
    correlation_functions: CorrelationCurves | None = None

    provenance: Provenance
    warnings: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(
        default_factory=list, description="assumptions made where the input was incomplete")
    last_updated: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _check_shapes(self) -> TransportDoc:
        n = len(self.species)
        for name in ("L", "L_distinct", "L_stderr", "L_distinct_stderr"):
            matrix = getattr(self, name)
            if matrix is not None and (len(matrix) != n or any(len(r) != n for r in matrix)):
                raise ValueError(f"{name} must be {n}x{n} in species order {self.species}")
        for name, size in (("L_covariance", n * n), ("L_self_covariance", n)):
            matrix = getattr(self, name)
            if matrix is not None and (len(matrix) != size
                                       or any(len(r) != size for r in matrix)):
                raise ValueError(f"{name} must be {size}x{size} (species order {self.species})")
        for name in ("L_self", "L_self_stderr"):
            vector = getattr(self, name)
            if vector is not None and len(vector) != n:
                raise ValueError(f"{name} must have {n} entries in species order {self.species}")
        return self

    # Convenience accessors as numpy arrays (None entries become NaN).
    def matrix(self, name: str = "L") -> np.ndarray:
        value = getattr(self, name)
        if value is None:
            raise KeyError(f"{name} is not available in this document")
        return np.array(value, dtype=float)

    def index(self, element: str) -> int:
        return self.species.index(element)

    def key(self) -> str:
        """Stable identifier of the (formula, temperature) this document describes."""
        return f"{self.formula}@{self.temperature_K:g}K"

    def summary_json(self) -> dict:
        """The flat JSON object printed by ``ionflux transport analyze --json``."""
        keys = ("formula", "species", "temperature_K", "frame_interval_fs", "n_frames",
                "n_replicates", "volume_A3", "L", "L_stderr", "L_self", "L_self_stderr",
                "L_distinct", "L_distinct_stderr", "correlation_factor",
                "correlation_factor_stderr", "D_self_cm2_s", "D_self_cm2_s_stderr",
                "fit_window_fs", "fit_window_source", "estimator", "window_rule", "quality",
                "physics_flags", "warnings")
        data = self.model_dump(mode="json", include=set(keys))
        out = {k: data[k] for k in keys}
        method = self.provenance.method
        # NAME@REVISION and how the errors were made, so the numbers can be recomputed
        for key in ("estimator_spec", "stderr", "stderr_dof", "stderr_scale"):
            if key in method:
                out[key] = method[key]
        return out
