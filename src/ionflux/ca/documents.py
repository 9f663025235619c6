"""Pydantic documents for automaton predictions.

Two phase fractions, both over every phase present in all cells (precursors included), each
summing to one:

- *mole fraction* (``mol_fraction``): formula units (reduced formulas) of the phase over all
  formula units. When two phases combine into one, the total number of formula units falls, so
  the mole fraction of a precursor can rise while it is being consumed;
- *cation fraction* (``final_cation_fraction``): cations (every element but the anions in
  :data:`ANIONS`) in the phase over all cations. Cations are conserved, so a phase's cation
  fraction rises only when the phase is made and falls only when it is consumed.

Times are automaton time in profile-duration units: one unit is ``sweeps_per_unit`` sweeps of
the grid (1 by default); the recipe presets write 1 h as ``SWEEPS_PER_HOUR`` units, a stated
modelling choice, not a calibration against measured reaction times (``ionflux.ca.recipes``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, computed_field

from ionflux.ca.spread import clustered_stderr

#: Elements counted as anions, not cations, in cation fractions.
ANIONS = frozenset({"O", "S", "Se", "Te", "N", "F", "Cl", "Br", "I"})
#: What each fraction in a prediction means (shown next to the numbers).
FRACTION_DEFINITIONS = {
    "mol_fraction": "mole fraction: formula units of the phase / all formula units (reduced "
                    "formulas, precursors included); can rise for a precursor being consumed, "
                    "because reactions merge formula units",
    "cation_fraction": "cation fraction: cations in the phase / all cations (anions: "
                       + ", ".join(sorted(ANIONS)) + "); cations are conserved, so it moves "
                       "only when the phase itself is made or consumed",
}


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
    draw_group: list[int] | None = Field(
        None, description="per realisation, its group of shared input draws "
                          "(ionflux.ca.spread.independent_draws): standard errors count a "
                          "group as one; None (older documents) counts every realisation")


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
    """Predicted phase evolution of one recipe (mean over realisations, standard error over
    their independent input draws)."""

    doc_type: Literal["ca_prediction"] = "ca_prediction"
    key: str = Field(description="sha256 of the inputs and the data version")
    data_version: str
    inputs: PredictionInputs
    final_mol_fraction: dict[str, float]
    final_mol_fraction_stderr: dict[str, float | None] = Field(
        description="standard error of the mean over realisations, counting realisations that "
                    "share an input draw as one (ionflux.ca.spread.clustered_stderr; None "
                    "with one independent draw)")
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
    majority_probability_interval: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="95 % Wilson interval of each majority probability, "
                                          "over the realisations' independent input draws "
                                          "(uncertainty.independent_draws), not the "
                                          "realisations: those sharing a draw mostly agree")
    uncertainty: dict = Field(default_factory=dict, description="what was sampled per "
                                                                "realisation and which input "
                                                                "dominates the spread")
    mean_swaps: float | None = Field(None, description="cell swaps per realisation")
    ionflux_version: str
    created_at: datetime = Field(default_factory=utcnow)
    from_cache: bool = Field(False, description="served from the predictions cache")

    def majority_text(self, phase: str, draws: bool = True) -> str:
        """``phase``'s majority probability with its 95 % interval and the number of
        independent input draws behind it, e.g. ``0.50 [0.15-0.85, 4 draws]``; "-" when the
        phase is not a product; ``draws=False`` leaves the count out (a table states it once).
        Predictions cached before the interval existed show P alone."""
        chance = self.majority_probability.get(phase)
        if chance is None:
            return "-"
        interval = self.majority_probability_interval.get(phase)
        count = self.uncertainty.get("independent_draws")
        if interval is None or count is None:
            return f"{chance:.2f}"
        tail = f", {count} draws" if draws else ""
        return f"{chance:.2f} [{interval[0]:.2f}-{interval[1]:.2f}{tail}]"

    def largest_product(self) -> str | None:
        """The product most often the largest at the end (:attr:`majority_probability`); None
        when no product formed."""
        chances = self.majority_probability
        return max(chances, key=chances.__getitem__) if chances else None

    def dominant_phase(self) -> str:
        return max(self.final_mol_fraction, key=self.final_mol_fraction.__getitem__)

    @computed_field(description="what mol_fraction and cation_fraction mean")
    @property
    def fraction_definitions(self) -> dict[str, str]:
        return dict(FRACTION_DEFINITIONS)

    @computed_field(description="final cation fraction of every phase, mean over realisations")
    @property
    def final_cation_fraction(self) -> dict[str, float]:
        return self._final_cation_fractions()[0]

    @computed_field(description="standard error of the final cation fractions over "
                                "realisations, counting those that share an input draw as "
                                "one (None with one independent draw)")
    @property
    def final_cation_fraction_stderr(self) -> dict[str, float | None]:
        return self._final_cation_fractions()[1]

    @computed_field(description="what the time axis (series.time, step_ends.time) is")
    @property
    def time_axis(self) -> str:
        from ionflux.ca.recipes import SWEEPS_PER_HOUR

        per_unit = float(self.inputs.automaton.get("sweeps_per_unit", 1.0))
        return (f"automaton time: 1 unit = {per_unit:g} sweep(s) of the grid (every cell "
                f"offered one update per sweep); the recipe presets write 1 h as "
                f"{SWEEPS_PER_HOUR:g} units, a stated modelling choice, not a calibration "
                "against measured reaction times")

    def _final_cation_fractions(self) -> tuple[dict[str, float], dict[str, float | None]]:
        """Per realisation at the last step end when recorded, else from the mean mole
        fractions (no error then)."""
        last = self.step_ends[-1] if self.step_ends else None
        if last is None or not last.mol_fraction_realisations:
            return cation_fractions(self.final_mol_fraction), dict.fromkeys(
                self.final_mol_fraction)
        per = [cation_fractions(r) for r in last.mol_fraction_realisations]
        phases = list(self.final_mol_fraction)
        values = np.array([[r.get(p, 0.0) for p in phases] for r in per])
        err = clustered_stderr(values, last.draw_group)
        mean = dict(zip(phases, values.mean(axis=0).tolist(), strict=True))
        return mean, (dict.fromkeys(phases) if err is None else
                      dict(zip(phases, err.tolist(), strict=True)))


def cations_per_formula_unit(formula: str) -> float:
    """Cations (atoms of every element but :data:`ANIONS`) in one formula unit of ``formula``."""
    from ionflux.formula import Composition

    return float(sum(n for el, n in Composition(formula).items() if el.symbol not in ANIONS))


def cation_fractions(mol_fraction: dict[str, float]) -> dict[str, float]:
    """Mole fractions of formula units -> fractions of all cations, phase by phase."""
    weights = {p: x * cations_per_formula_unit(p) for p, x in mol_fraction.items()}
    total = sum(weights.values())
    return {p: (w / total if total > 0 else 0.0) for p, w in weights.items()}
