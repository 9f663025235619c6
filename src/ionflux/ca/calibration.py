"""Onset calibration: choose the inertia weight and ``s`` so BaO + TiO2 starts at ~1100 K.

Rule (SCIENCE.md §5: "s ... chosen so that BaO + TiO2 starts reacting above ~1100 K"), made
concrete: a fresh 1:1 BaO:TiO2 mixture held isothermally for one hour (``SWEEPS_PER_HOUR``
sweeps) converts ``ONSET_CONVERSION`` = 5 % of its precursor formula units exactly at
``ONSET_TEMPERATURE_K`` = 1100 K; the onset temperature is where the conversion-versus-T curve
crosses 5 % (interpolated linearly in T on log conversion between the scanned temperatures).

The thermodynamics-only score has no free scale, so the same rule fixes the inertia weight
(with thermo-only scores); ``s`` is then fixed with full-mode scores at that inertia. The
self-only mode uses the same ``s``. scripts/calibrate_s.py runs this and prints the evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ionflux.ca.automaton import run_automaton
from ionflux.ca.reactions import PhaseInfo, Reaction
from ionflux.ca.scoring import ScoredReactions, rescore
from ionflux.ca.settings import AutomatonSettings, ScoringSettings
from ionflux.ca.table import CATable, build_table
from ionflux.errors import AnalysisError

ONSET_TEMPERATURE_K = 1100.0
ONSET_CONVERSION = 0.05
CALIBRATION_PRECURSORS = {"BaO": 1.0, "TiO2": 1.0}


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


def solve_log(onset_of: Callable[[float], float | None], target_K: float, lo: float, hi: float,
              increasing: bool, iterations: int = 30, tol_K: float = 1.0) -> float:
    """Bisect log(parameter) in [lo, hi] until ``onset_of(parameter)`` is within tol of target.

    ``increasing``: whether the onset temperature rises with the parameter. A parameter whose
    onset is None (no reaction in the scanned range) counts as "too high an onset".
    """
    def too_high(value: float) -> bool:
        onset = onset_of(value)
        return onset is None or onset > target_K

    a, b = np.log(lo), np.log(hi)
    if too_high(np.exp(a)) == too_high(np.exp(b)):
        raise AnalysisError(f"onset at {target_K:g} K is not bracketed by [{lo:.3g}, {hi:.3g}]")
    mid = 0.5 * (a + b)
    for _ in range(iterations):
        mid = 0.5 * (a + b)
        onset = onset_of(np.exp(mid))
        if onset is not None and abs(onset - target_K) <= tol_K:
            break
        if too_high(np.exp(mid)) == increasing:
            b = mid
        else:
            a = mid
    return float(np.exp(mid))
