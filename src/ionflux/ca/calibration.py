"""The rate scale ``s`` from the reported onset of BaO + TiO2, and onset diagnostics.

Rule (SCIENCE.md §5: "s ... chosen so that BaO + TiO2 starts reacting above ~1100 K"), made
concrete without any time scale: at the reported onset temperature T_on = 1100 K the transport
factor of the direct reaction of the calibration mixture, BaO + TiO2 -> BaTiO3, equals one,

    K_D(BaTiO3, T_on) / (r0^2 s kB T_on) = 1   =>   s = K_D / (r0^2 kB T_on)

(K_D in m^2/s, r0 in m, kB T in eV, as in the score). Below T_on the score of the reaction is
set by thermodynamics (sigma1 near sigma1(dG*)); above it transport dominates and products with
larger K_D win. The rule uses one number from the literature (1100 K) and the data the
prediction rests on; it involves no event budget, inertia or recipe outcome, so it cannot be
tuned to a recipe. :func:`onset_s` computes it; ``CALIBRATED_S`` in ``ionflux.ca.settings``
holds its value for the bundled data (scripts/calibrate_s.py prints the evidence).

:func:`conversions` and :func:`onset_temperature` measure where a fresh mixture starts reacting
in the automaton (a diagnostic printed next to the rule, not used to choose anything).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ionflux.ca.automaton import run_automaton
from ionflux.ca.reactions import PhaseInfo, Reaction
from ionflux.ca.scoring import CM2_TO_M2, KDSource, ScoredReactions, rescore
from ionflux.ca.settings import AutomatonSettings, ScoringSettings
from ionflux.ca.table import CATable, build_table
from ionflux.units import KB_EV_PER_K

ONSET_TEMPERATURE_K = 1100.0
ONSET_CONVERSION = 0.05
CALIBRATION_PRECURSORS = {"BaO": 1.0, "TiO2": 1.0}
CALIBRATION_PRODUCT = "BaTiO3"


def onset_s(kd: KDSource, scoring: ScoringSettings, mode: str = "full",
            temperature_K: float = ONSET_TEMPERATURE_K,
            product: str = CALIBRATION_PRODUCT,
            reactants: tuple[str, str] = ("BaO", "TiO2")) -> float:
    """s (1/s) that puts the transport factor K_D/(r0^2 s kB T) of ``reactants`` -> ``product``
    at one at ``temperature_K`` (see the module docstring)."""
    kd_m2_s = kd.kd_cm2_s(product, temperature_K, reactants, mode=mode) * CM2_TO_M2
    return float(kd_m2_s / (scoring.r0_m ** 2 * KB_EV_PER_K * temperature_K))


def table_for(scored: ScoredReactions, reactions: Sequence[Reaction],
              phases: Mapping[str, PhaseInfo], scoring: ScoringSettings) -> CATable:
    """Numeric table with scores recomputed under ``scoring`` (stored energies and K_D)."""
    fresh = rescore(scored, reactions, phases, scoring)
    return build_table(phases, reactions,
                       dict(zip(fresh.temperatures_K, fresh.scores, strict=True)))


def conversions(table: CATable, precursors: Mapping[str, float], temperatures_K: Sequence[float],
                hold: float, automaton: AutomatonSettings, grid: int, realisations: int,
                seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of the converted fraction of precursor formula units after an
    isothermal hold of ``hold`` duration units from a fresh mixture, at each temperature."""
    ids = [table.index(p) for p in precursors]
    means, errs = [], []
    for t in temperatures_K:
        result = run_automaton(table, precursors, [(t, hold)], grid=grid,
                               realisations=realisations, seed=seed, settings=automaton)
        left = result.moles[:, -1, ids].sum(axis=1) / result.moles[:, 0, ids].sum(axis=1)
        conv = 1.0 - left
        means.append(conv.mean())
        errs.append(conv.std(ddof=1) / np.sqrt(len(conv)) if len(conv) > 1 else np.nan)
    return np.array(means), np.array(errs)


def onset_temperature(temperatures_K: Sequence[float], conversion: Sequence[float],
                      threshold: float = ONSET_CONVERSION) -> float | None:
    """Lowest temperature where ``conversion`` reaches ``threshold`` (log-linear in between).

    None if it never does; the first temperature if it already does there.
    """
    temps = np.asarray(temperatures_K, float)
    conv = np.asarray(conversion, float)
    above = np.nonzero(conv >= threshold)[0]
    if above.size == 0:
        return None
    i = int(above[0])
    if i == 0:
        return float(temps[0])
    lo, hi = max(conv[i - 1], 1e-12), conv[i]
    frac = (np.log(threshold) - np.log(lo)) / (np.log(hi) - np.log(lo))
    return float(temps[i - 1] + frac * (temps[i] - temps[i - 1]))
