"""Uncertainty of Bartel's G_delta: an error model and per-realisation draws (pure functions).

Bartel et al. (Nat. Commun. 9, 4168 (2018)) predict G for inorganic solids "with ~50 meV/atom
resolution ... for temperatures ranging from 300-1800 K". Independent errors of that size per
phase would overstate the uncertainty of reaction energies: compounds of one chemical family share
most of the descriptor's error (it is a smooth function of volume and reduced mass). The model:

    eps_p(T) = sigma(T) [ sqrt(rho) sum_el x_el,p z_el + sqrt(1 - rho) z_p ],
    sigma(T) = sigma_1800 (T - 298.15 K) / (1800 K - 298.15 K) + sigma_floor       [eV/atom]

with x_el,p the atom fractions of phase p and z standard normal draws, one per element (shared)
and one per phase (own). The shared part is linear in composition, so it cancels exactly in every
balanced reaction and in the hull: only the own part, sqrt(1 - rho) sigma(T), moves reaction
energies. sigma_1800 = 50 meV/atom is the published resolution, taken at the top of the range
because G_delta is fitted to G(T) - H(298 K) and its error grows from ~0 at 298 K. rho = 0.8 puts
the own part at 10 meV/atom at 1000 K and 16 at 1400 K. Measured on the bundled data: MP +
Bartel minus NIST-JANAF for TiO, Ti2O3, Ti3O5 and TiO2, less its 300 K value (the enthalpy
error), less a linear fit in composition (the shared part of the model), scatters by 8, 11, 15
and 18 meV/atom at 1000, 1200, 1400 and 1600 K, within 30 % of the model
(tests/thermo/test_thermo_uncertainty.py; scripts/bench_fidelity.py shows how outcomes move
with rho). sigma_floor (default 0) is an error
present at every temperature, e.g. of the 0 K enthalpies.

A model whose own spread at 0 K (2 sqrt(1 - rho) sigma_floor) exceeds the 0 K stability margin
of a phase on the hull would reorder the hull the DFT enthalpies give: it is refused
(:func:`check_error_model`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ionflux.errors import InputError

T_REFERENCE_K = 298.15
T_TOP_K = 1800.0


class GibbsErrorModel(BaseModel):
    """Constants of the G_delta error model (module docstring)."""

    model_config = ConfigDict(frozen=True)

    sigma_1800K_eV_per_atom: float = Field(0.05, ge=0, description="total spread at 1800 K")
    shared_fraction: float = Field(0.8, ge=0, le=1, description="rho: share of the variance "
                                                                "common to the family")
    sigma_floor_eV_per_atom: float = Field(0.0, ge=0, description="spread at every T (0 K too)")

    def sigma(self, temperature_K: float) -> float:
        """Total standard deviation (eV/atom) at ``temperature_K``."""
        ramp = max(0.0, (temperature_K - T_REFERENCE_K) / (T_TOP_K - T_REFERENCE_K))
        return self.sigma_1800K_eV_per_atom * ramp + self.sigma_floor_eV_per_atom

    def own_sigma(self, temperature_K: float) -> float:
        """Standard deviation (eV/atom) of the part that does not cancel in reactions."""
        return math.sqrt(1.0 - self.shared_fraction) * self.sigma(temperature_K)


def draw_errors(model: GibbsErrorModel, compositions: Mapping[str, Mapping[str, float]],
                temperatures_K: Sequence[float], rng: np.random.Generator
                ) -> dict[float, dict[str, float]]:
    """One realisation's errors eps_p(T) (eV/atom) per temperature and phase.

    One draw per element and per phase, used at every temperature (the descriptor's error of a
    compound is one number scaled by sigma(T), not new noise at each temperature).
    """
    elements = sorted({el for comp in compositions.values() for el in comp})
    shared = dict(zip(elements, rng.standard_normal(len(elements)), strict=True))
    own = dict(zip(compositions, rng.standard_normal(len(compositions)), strict=True))
    out: dict[float, dict[str, float]] = {}
    for t in temperatures_K:
        s = model.sigma(float(t))
        row = {}
        for phase, comp in compositions.items():
            total = sum(comp.values())
            common = sum(n / total * shared[el] for el, n in comp.items())
            row[phase] = s * (math.sqrt(model.shared_fraction) * common
                              + math.sqrt(1.0 - model.shared_fraction) * own[phase])
        out[float(t)] = row
    return out


def _atom_fractions(compositions: Mapping[str, Mapping[str, float]], names: Sequence[str]
                    ) -> np.ndarray:
    """(elements, phases) atom fractions."""
    elements = sorted({el for c in compositions.values() for el in c})
    return np.array([[compositions[f].get(el, 0.0) / sum(compositions[f].values())
                      for f in names] for el in elements])


def _gaps_to_others(fractions: np.ndarray, energies: np.ndarray) -> np.ndarray:
    """For each phase, the cheapest mix of the other phases with its composition minus its own
    energy (eV/atom): > 0 on the hull (how far below), +inf where the others cannot make it."""
    from scipy.optimize import linprog

    gaps = np.full(len(energies), np.inf)
    for i in range(len(energies)):
        others = [k for k in range(len(energies)) if k != i]
        res = linprog(energies[others], A_eq=fractions[:, others], b_eq=fractions[:, i],
                      bounds=(0, None), method="highs")
        if res.success:
            gaps[i] = res.fun - energies[i]
    return gaps


def hull_margins_0K(enthalpies: Mapping[str, float],
                    compositions: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """For each phase on the 0 K hull of ``enthalpies`` (eV/atom), how far (eV/atom) it lies
    below the hull of the others: the error that would take it off."""
    names = list(enthalpies)
    gaps = _gaps_to_others(_atom_fractions(compositions, names),
                           np.array([enthalpies[f] for f in names]))
    return {f: float(g) for f, g in zip(names, gaps, strict=True) if 0 < g < np.inf}


def check_error_model(model: GibbsErrorModel, enthalpies: Mapping[str, float],
                      compositions: Mapping[str, Mapping[str, float]]) -> None:
    """Refuse a model whose own spread at 0 K (two standard deviations) would reorder the 0 K
    hull of ``enthalpies``; one-line InputError naming the phase."""
    spread = 2.0 * math.sqrt(1.0 - model.shared_fraction) * model.sigma_floor_eV_per_atom
    if spread <= 0:
        return
    margins = hull_margins_0K(enthalpies, compositions)
    if not margins:
        return
    phase = min(margins, key=margins.__getitem__)
    if spread > margins[phase]:
        raise InputError(
            f"thermodynamic error model refused: its own spread at 0 K, {1000 * spread:.1f} "
            f"meV/atom (2 sigma), exceeds {phase}'s 0 K stability margin of "
            f"{1000 * margins[phase]:.1f} meV/atom, so it would reorder the hull the enthalpies "
            "give; lower sigma_floor or raise shared_fraction")


def hull_probabilities(thermo, formulas: Sequence[str], temperature_K: float,
                       model: GibbsErrorModel, draws: int, rng: np.random.Generator
                       ) -> dict[str, float]:
    """Probability (over ``draws`` draws of the error model) that each of ``formulas`` is on
    the G_f(T) hull of ``formulas`` at ``temperature_K``."""
    names = [thermo.composition(f).reduced_formula for f in formulas]
    comps = {f: {el.symbol: float(n) for el, n in thermo.composition(f).items()} for f in names}
    fractions = _atom_fractions(comps, names)
    mean = np.array([thermo.gibbs_formation_energy_per_atom(f, temperature_K) for f in names])
    on = np.zeros(len(names))
    for _ in range(draws):
        eps = draw_errors(model, comps, [temperature_K], rng)[float(temperature_K)]
        on += _gaps_to_others(fractions, mean + np.array([eps[f] for f in names])) > 0
    return {f: float(n) / draws for f, n in zip(names, on, strict=True)}
