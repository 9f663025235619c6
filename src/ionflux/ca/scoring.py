"""Reaction scores of SCIENCE.md §5, in three modes.

    S = sigma1( K_D / (r0^2 s) * dG* / (kB T) ) * sigma2( T / T_m,reactant )      ("full")
    S = sigma1( dG* ) * sigma2( T / T_m,reactant )                                 ("thermo-only")

"self-only" is "full" with K_D from the self (tracer) part of the Onsager matrix. K_D is in
cm^2/s and is converted to m^2/s to match r0 in m; s is in 1/s, so K_D/(r0^2 s) is a pure number
and kB T is in eV. T_m,reactant is the lowest melting point among the reactants (Tammann).

Choices the page leaves open (all recorded in ``ionflux.ca``): a reaction with several products
uses the reference CA's K_D (the largest of the products' K_D weighted by their share of product
formula units); single-phase decompositions have no pair of reactant domains to drive a flux, so
they are scored with the thermodynamic factor sigma1(dG*) in every mode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field
from scipy.special import erf

from ionflux.ca.reactions import PhaseInfo, Reaction
from ionflux.ca.settings import SCORE_MODES, ScoringSettings
from ionflux.errors import DataNotFoundError, InputError
from ionflux.units import KB_EV_PER_K

CM2_TO_M2 = 1e-4


@runtime_checkable
class KDSource(Protocol):
    """What the CA needs from transport data (``ionflux.kinetics.KDTable`` fits)."""

    def kd_cm2_s(self, product: str, temperature_K: float, reactants: tuple[str, str],
                 mode: str = "full") -> float:
        ...

    def temperatures_K(self, product: str) -> Sequence[float]:
        ...


def sigma1(x: np.ndarray | float, settings: ScoringSettings) -> np.ndarray:
    """p1 ln(1 + exp(a x)), evaluated without overflow."""
    return settings.sigma1_prefactor * np.logaddexp(0.0, settings.a * np.asarray(x, float))


def sigma2(x: np.ndarray | float, settings: ScoringSettings) -> np.ndarray:
    """p2 ln(1 + exp(b x - c)) of x = T / T_m."""
    return settings.sigma2_prefactor * np.logaddexp(
        0.0, settings.b * np.asarray(x, float) - settings.c)


def dg_star(dg_eV_per_atom: np.ndarray | float, settings: ScoringSettings) -> np.ndarray:
    """1 + erf(-d (dG_rxn + e)); between 0 (uphill) and 2 (strongly downhill)."""
    return 1.0 + erf(-settings.d * (np.asarray(dg_eV_per_atom, float) + settings.e))


def kd_argument(kd_cm2_s: np.ndarray | float, dg_eV_per_atom: np.ndarray | float,
                temperature_K: float, settings: ScoringSettings) -> np.ndarray:
    """x = K_D / (r0^2 s) * dG* / (kB T), the argument of sigma1 in the transport modes."""
    rate = np.asarray(kd_cm2_s, float) * CM2_TO_M2 / (settings.r0_m ** 2 * settings.s)
    return rate * dg_star(dg_eV_per_atom, settings) / (KB_EV_PER_K * temperature_K)


def score_value(dg_eV_per_atom: float, temperature_K: float, tm_reactant_K: float,
                settings: ScoringSettings, kd_cm2_s: float | None) -> float:
    """Score of one reaction; ``kd_cm2_s=None`` gives the thermodynamics-only score."""
    if kd_cm2_s is None:
        first = sigma1(dg_star(dg_eV_per_atom, settings), settings)
    else:
        first = sigma1(kd_argument(kd_cm2_s, dg_eV_per_atom, temperature_K, settings), settings)
    return float(first * sigma2(temperature_K / tm_reactant_K, settings))


class ScoredReactions(BaseModel):
    """Energies, K_D and scores of a reaction list at the temperatures of a profile."""

    mode: str
    temperatures_K: list[float]
    energies_eV_per_atom: list[list[float]] = Field(description="[temperature][reaction]")
    kd_cm2_s: list[list[float | None]] = Field(description="[temperature][reaction]")
    scores: list[list[float]] = Field(description="[temperature][reaction]; 0 = not offered")
    warnings: list[str] = Field(default_factory=list)


def _kd_range(kd: KDSource, product: str, temperature_K: float,
              settings: ScoringSettings) -> tuple[float, float]:
    """Tabulated K_D range of ``product``; raises if T is outside it and the policy is 'error'."""
    try:
        temps = sorted(float(t) for t in kd.temperatures_K(product))
    except DataNotFoundError as exc:
        raise DataNotFoundError(f"K_D for product {product}: {exc}") from None
    lo, hi = temps[0], temps[-1]
    t = float(temperature_K)
    if not lo <= t <= hi and settings.kd_out_of_range == "error":
        raise DataNotFoundError(
            f"profile temperature {t:g} K is outside the K_D data of {product} "
            f"({lo:g}-{hi:g} K); use temperatures in that range, mode thermo-only, or "
            "kd_out_of_range='clamp'")
    return lo, hi


def _kd_at(kd: KDSource, product: str, temperature_K: float, reactants: tuple[str, str],
           mode: str, settings: ScoringSettings, warnings: list[str]) -> float:
    kd_mode = "self-only" if mode == "self-only" else "full"
    lo, hi = _kd_range(kd, product, temperature_K, settings)
    t = float(temperature_K)
    if not lo <= t <= hi:
        clamped = min(max(t, lo), hi)
        note = (f"K_D of {product} at {t:g} K taken at the nearest tabulated {clamped:g} K "
                "(kd_out_of_range='clamp')")
        if note not in warnings:
            warnings.append(note)
        t = clamped
    if kd_mode == "full" and t < settings.kd_reliable_from_K:
        note = (f"full-mode K_D below {settings.kd_reliable_from_K:g} K rests on 750 K cross "
                "terms, which are unreliable")
        if note not in warnings:
            warnings.append(note)
    value = float(kd.kd_cm2_s(product, t, reactants, mode=kd_mode))
    if not np.isfinite(value) or value < 0:
        raise DataNotFoundError(f"K_D of {product} from {reactants[0]} + {reactants[1]} at "
                                f"{t:g} K is {value!r}; cannot score the reaction")
    return value


def reaction_kd(reaction: Reaction, temperature_K: float, kd: KDSource, mode: str,
                settings: ScoringSettings, warnings: list[str]) -> float:
    """K_D (cm^2/s) of a pair reaction; several products: max_p K_D(p) * nu_p / sum(nu)."""
    reactants = tuple(reaction.reactants)
    if len(reactants) != 2:
        raise InputError(f"{reaction.label}: K_D needs exactly two reactants")
    total = sum(reaction.products.values())
    return max(_kd_at(kd, p, temperature_K, (reactants[0], reactants[1]), mode, settings,
                      warnings) * nu / total
               for p, nu in reaction.products.items())


def score_reactions(reactions: Sequence[Reaction], phases: Mapping[str, PhaseInfo],
                    energies: Mapping[float, Sequence[float]], mode: str,
                    settings: ScoringSettings, kd: KDSource | None = None) -> ScoredReactions:
    """Score every reaction at every temperature of ``energies`` (K -> dG per reaction).

    Uphill reactions (dG >= ``max_reaction_energy_eV_per_atom``) get score 0: they are not
    offered at that temperature (see ``ionflux.ca`` for why).
    """
    if mode not in SCORE_MODES:
        raise InputError(f"unknown scoring mode {mode!r}; use one of {', '.join(SCORE_MODES)}")
    if mode != "thermo-only" and kd is None:
        raise InputError(f"scoring mode {mode!r} needs K_D data")
    warnings: list[str] = []
    temps = [float(t) for t in energies]
    if mode != "thermo-only":  # fail fast, before any (slow) K_D computation
        for product in sorted({p for r in reactions if r.kind == "pair" for p in r.products}):
            for t in temps:
                _kd_range(kd, product, t, settings)
    all_kd, all_dg = [], []
    for t in temps:
        dgs = [float(v) for v in energies[t]]
        row_kd = []
        for reaction, dg in zip(reactions, dgs, strict=True):
            value = None
            if (mode != "thermo-only" and reaction.kind == "pair"
                    and dg < settings.max_reaction_energy_eV_per_atom):
                value = reaction_kd(reaction, t, kd, mode, settings, warnings)
            row_kd.append(value)
        all_kd.append(row_kd)
        all_dg.append(dgs)
    scored = ScoredReactions(mode=mode, temperatures_K=temps, energies_eV_per_atom=all_dg,
                             kd_cm2_s=all_kd, scores=[], warnings=warnings)
    return rescore(scored, reactions, phases, settings)


def rescore(scored: ScoredReactions, reactions: Sequence[Reaction],
            phases: Mapping[str, PhaseInfo], settings: ScoringSettings) -> ScoredReactions:
    """Scores from the stored energies and K_D under new constants (no K_D look-ups).

    Used to scan ``s`` cheaply (scripts/calibrate_s.py).
    """
    rows = []
    for t, dgs, kds in zip(scored.temperatures_K, scored.energies_eV_per_atom,
                           scored.kd_cm2_s, strict=True):
        row = []
        for reaction, dg, value in zip(reactions, dgs, kds, strict=True):
            if dg >= settings.max_reaction_energy_eV_per_atom:
                row.append(0.0)
                continue
            if value is None and scored.mode != "thermo-only" and reaction.kind == "pair":
                raise InputError(f"{reaction.label} at {t:g} K has no stored K_D; score it with "
                                 "score_reactions instead")
            tm = min(phases[f].melting_point_K for f in reaction.reactants)
            row.append(score_value(dg, t, tm, settings, value))
        rows.append(row)
    return scored.model_copy(update={"scores": rows})
