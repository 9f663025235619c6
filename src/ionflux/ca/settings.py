"""Configuration of the reaction scores and of the cellular automaton (SCIENCE.md §5).

Every constant of the score and of the automaton lives here; nothing is a literal in the science
code. Values can come from keyword arguments or from environment variables
(``IONFLUX_CA_S=2e5``, ``IONFLUX_CA_INERTIA=50``), keyword arguments first, as
pydantic-settings reads them (names in any case; JSON for mappings); read here without
importing pydantic-settings (~60 ms of every ``ionflux predict``).
"""

from __future__ import annotations

import json
import os
import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Prefix of the environment variables of both models.
ENV_PREFIX = "IONFLUX_CA_"


class _FromEnvironment(BaseModel):
    """A frozen model whose fields not given as keywords come from ``IONFLUX_CA_<FIELD>``."""

    # validate_default as pydantic-settings: defaults are coerced too (4 * 2**30 -> a float)
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    def __init__(self, **values: Any) -> None:
        # as pydantic-settings: only the constructor reads the environment (model_validate
        # of a stored document does not), names are matched in any case, and the text of a
        # mapping or list field is JSON
        environment = {key.upper(): text for key, text in os.environ.items()
                       if key.upper().startswith(ENV_PREFIX)}
        for name, field in type(self).model_fields.items():
            text = environment.get(ENV_PREFIX + name.upper())
            if name in values or text is None:
                continue
            complex_type = typing.get_origin(field.annotation) in (dict, list, tuple, set)
            values[name] = json.loads(text) if complex_type else text
        super().__init__(**values)


#: ``s`` (1/s) from the onset rule of ionflux.ca.calibration on the bundled data (K_D of BaO +
#: TiO2 -> BaTiO3 at 1100 K = r0^2 s kB T); scripts/calibrate_s.py recomputes it.
CALIBRATED_S = 1.3e8

#: Weight of "no reaction": the reference CA offers its no-op twice with weight 2 each.
INERTIA = 4.0

#: Realisations per prediction by default: two blocks of four, so the spread can be split into
#: thermodynamics, K_D and automaton noise (ionflux.ca.spread.attribute_spread).
DEFAULT_REALISATIONS = 8

ScoreMode = Literal["full", "self-only", "thermo-only"]
SCORE_MODES: tuple[str, ...] = ("full", "self-only", "thermo-only")


class ScoringSettings(_FromEnvironment):
    """Constants of S = sigma1(K_D/(r0^2 s) dG*/(kB T)) * sigma2(T/T_m) (SCIENCE.md §5).

    sigma1(x) = p1 ln(1 + exp(a x)), sigma2(x) = p2 ln(1 + exp(b x - c)),
    dG* = 1 + erf(-d (dG_rxn + e)); p1 = 1/3 and p2 = 1/2 as written in SCIENCE.md.
    """

    a: float = Field(3.0, description="sharpness of sigma1")
    b: float = Field(14.0, description="slope of sigma2 in T/T_m")
    c: float = Field(11.2, description="offset of sigma2 (centre c/b = 0.8)")
    d: float = Field(35.0, description="erf slope of dG*, 1/(eV/atom)")
    e: float = Field(0.03, description="erf offset of dG*, eV/atom")
    sigma1_prefactor: float = Field(1.0 / 3.0, description="p1 in sigma1")
    sigma2_prefactor: float = Field(0.5, description="p2 in sigma2")
    r0_m: float = Field(1e-7, gt=0, description="particle radius r0, m")
    s: float = Field(CALIBRATED_S, gt=0,
                     description="rate scale s, 1/s (K_D/(r0^2 s) is dimensionless)")
    thermo_gate: Literal["second-law", "reference"] = Field(
        "second-law", description="'second-law': no reaction with dG_rxn >= 0, and the score "
                                  "falls continuously to zero as dG_rxn -> 0 (the erf window "
                                  "rescaled to vanish at dG = 0, sigma1's floor gated by it); "
                                  "'reference': the reference CA's rule, (dG*/2) sigma2 above "
                                  "uphill_threshold_eV_per_atom, the plain score below it")
    uphill_threshold_eV_per_atom: float = Field(
        0.01, description="thermo_gate='reference' only: above this dG_rxn a reaction is scored "
                          "by its thermodynamic factor alone, (dG*/2) sigma2, as the reference "
                          "CA does")
    kd_sampling: Literal["lognormal", "off"] = Field(
        "lognormal", description="draw each realisation's K_D from its standard error "
                                 "(log-normal with the same mean and standard deviation) where "
                                 "the K_D data has one; 'off' uses the mean in every realisation")
    thermo_sampling: Literal["correlated", "off"] = Field(
        "correlated", description="draw each realisation's G_delta errors from the correlated "
                                  "error model of ionflux.thermo.uncertainty, or 'off'")
    gibbs_sigma_1800K_eV_per_atom: float = Field(
        0.05, ge=0, description="G_delta error model: total spread at 1800 K (Bartel's ~50 "
                                "meV/atom), falling linearly to 0 at 298 K")
    gibbs_shared_fraction: float = Field(
        0.8, ge=0, le=1, description="G_delta error model: share of the variance common to the "
                                     "family (cancels in reactions)")
    gibbs_sigma_floor_eV_per_atom: float = Field(
        0.0, ge=0, description="G_delta error model: spread at every temperature")
    kd_out_of_range: Literal["error", "clamp"] = Field(
        "error", description="profile temperature outside the K_D table: error, or use the "
                             "nearest tabulated temperature (recorded as a warning)")
    kd_reliable_from_K: float = Field(
        1000.0, description="below this, full-mode K_D rests on unreliable 750 K cross terms "
                            "(recorded as a warning)")
    melting_points_K: dict[str, float] = Field(
        default_factory=dict, description="overrides/additions to the thermo melting points")


class AutomatonSettings(_FromEnvironment):
    """Constants of the automaton itself (grid update rule, time mapping, limits)."""

    inertia: float = Field(INERTIA, gt=0, allow_inf_nan=False,
                           description="weight of 'no reaction' per update (the reference's 2, "
                                       "offered twice)")
    cell_swaps: Literal["reference", "off", "fixed"] = Field(
        "reference", description="before reacting, swap the chosen cell with a random neighbour "
                                 "with probability swap(T/T_m of its phase) ('reference'), "
                                 "never ('off'), or with probability swap_rate ('fixed')")
    swap_rate: float = Field(0.0, ge=0, le=1, description="swap probability with "
                                                          "cell_swaps='fixed'")
    pair_weight: Literal["sum", "max"] = Field(
        "sum", description="weight of a neighbour pair: the sum of its reactions' scores "
                           "(SCIENCE.md §5, every reaction an event) or its largest score (a "
                           "contact reacts at its fastest channel's rate, whatever the number "
                           "of enumerated products); the reaction is then chosen by score")
    swap_slope: float = Field(20.0, description="swap(x) = (k x - m) / (2 sqrt((k x - m)^2 + 1))"
                                                " + 1/2: k")
    swap_offset: float = Field(18.5, description="m in swap(x) (half-way at x = m/k = 0.925)")
    event_volume: float = Field(
        1.0, gt=0, description="expected reactant volume (in nominal cell volumes) consumed by "
                               "one chosen event; larger extents proceed with prob. v/dV")
    sweeps_per_unit: float = Field(
        1.0, gt=0, allow_inf_nan=False,
        description="sweeps per unit of profile duration (1 sweep = N updates)")
    min_cells_per_precursor: int = Field(
        10, ge=1, description="smallest number of cells any precursor may occupy")
    series_points: int = Field(200, ge=2, description="about this many recorded time points")
    max_cell_updates: float = Field(
        1e10, gt=0, description="refuse requests larger than this (total over realisations)")
    assumed_rate_per_s: float = Field(
        5e6, gt=0, description="cell updates per second used for run-time estimates")
    # a limit, not an input of the model: excluded from dumps, so prediction keys stay the same
    max_memory_bytes: float = Field(
        4 * 2**30, gt=0, exclude=True,
        description="refuse requests whose memory estimate (ionflux.ca.request.estimate_memory)"
                    " is larger")
