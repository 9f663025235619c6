"""Pydantic documents for automaton predictions.

Mole fractions count reduced formula units of every phase present in all cells (precursors
included) and sum to one. Times are in profile-duration units (one unit = one sweep by default).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class PredictionInputs(BaseModel):
    """Everything a prediction depends on besides the data version (the cache key's content)."""

    model_config = ConfigDict(extra="forbid")

    system: str
    precursors: dict[str, float] = Field(description="reduced formula -> molar ratio")
    profile: list[tuple[float, float]] = Field(description="(temperature K, duration) steps")
    mode: Literal["full", "self-only", "thermo-only"]
    realisations: int
    seed: int
    grid: int = Field(description="edge of the cubic grid (cells = grid^3)")
    phases: list[str] = Field(description="candidate phases (precursors first)")
    recipe: str | None = None
    scoring: dict = Field(description="ScoringSettings used")
    automaton: dict = Field(description="AutomatonSettings used")
    thermo_source: Literal["MP+Bartel", "NIST-JANAF+MP+Bartel"] = Field(
        "MP+Bartel", description="G_f(T) of the solids: MP + Bartel for every solid (default), "
                                 "or NIST-JANAF where available (opt-in)")
    engine_version: str


class SeriesPoint(BaseModel):
    time: float = Field(description="profile-duration units since the start")
    temperature_K: float
    mol_fraction: dict[str, float]
    mol_fraction_stderr: dict[str, float | None]


class StepEnd(BaseModel):
    """Mole fractions of every realisation at the end of one profile step (for verdicts that
    need the spread, e.g. "ahead by more than three standard errors")."""

    step: int = Field(description="index of the profile step")
    time: float = Field(description="profile-duration units since the start")
    temperature_K: float
    mol_fraction_realisations: list[dict[str, float]] = Field(
        description="one mapping phase -> mole fraction per realisation")


class ReactionSummary(BaseModel):
    """One offered reaction: energetics, K_D, score per profile temperature, events per run."""

    label: str
    kind: Literal["pair", "decomposition"]
    temperatures_K: list[float]
    energy_eV_per_atom: list[float]
    kd_cm2_s: list[float | None]
    score: list[float]
    mean_events: float = Field(description="mean number of times it fired per realisation")


class PredictionDoc(BaseModel):
    """Predicted phase evolution of one recipe (mean and standard error over realisations)."""

    doc_type: Literal["ca_prediction"] = "ca_prediction"
    key: str = Field(description="sha256 of the inputs and the data version")
    data_version: str
    inputs: PredictionInputs
    final_mol_fraction: dict[str, float]
    final_mol_fraction_stderr: dict[str, float | None] = Field(
        description="standard error over realisations (None with one realisation)")
    series: list[SeriesPoint]
    reactions: list[ReactionSummary] = Field(default_factory=list)
    element_drift_max_rel: float = Field(
        description="largest relative change of any element total over any realisation")
    cell_updates: int
    runtime_s: float = Field(description="wall time of the whole prediction, s")
    automaton_s: float | None = Field(
        None, description="wall time of the automaton alone (all realisations), s")
    warnings: list[str] = Field(default_factory=list)
    model: dict = Field(default_factory=dict, description="every modelling choice the result "
                                                          "rests on, with the rule behind it")
    hull: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="energy above the G_f(T) hull (eV/atom) of every "
                                          "candidate phase at every profile temperature")
    step_ends: list[StepEnd] = Field(default_factory=list,
                                     description="per-realisation fractions at each step's end")
    majority_probability: dict[str, float] = Field(
        default_factory=dict, description="fraction of realisations in which each product "
                                          "(precursors excluded) is the largest at the end")
    uncertainty: dict = Field(default_factory=dict, description="what was sampled per "
                                                                "realisation and which input "
                                                                "dominates the spread")
    mean_swaps: float | None = Field(None, description="cell swaps per realisation")
    ionflux_version: str
    created_at: datetime = Field(default_factory=utcnow)
    from_cache: bool = Field(False, description="served from the predictions cache")

    def dominant_phase(self) -> str:
        return max(self.final_mol_fraction, key=self.final_mol_fraction.__getitem__)
