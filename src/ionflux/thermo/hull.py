"""The convex hull of G_f(T): which phases are stable at a temperature, and by how much not.

Pure functions over a :class:`~ionflux.thermo.data.ThermoData` (no I/O). Energies are Gibbs
formation energies G_f(T) in eV/atom from :meth:`ThermoData.gibbs_formation_energy_per_atom`,
so the hull moves with temperature and with the thermodynamic source (MP + Bartel by default,
NIST-JANAF binaries with ``prefer_experimental``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field


class HullPhase(BaseModel):
    """One phase at one temperature."""

    formula: str
    G_f_eV_per_atom: float
    e_above_hull_eV_per_atom: float = Field(description="0 on the hull")
    decomposes_to: dict[str, float] = Field(
        default_factory=dict, description="hull phases and their atom fractions (empty when "
                                          "the phase is on the hull)")
    gibbs_source: str = Field(description="MP+Bartel, NIST-JANAF or element")


class HullReport(BaseModel):
    """Energies above the G_f(T) hull of every phase of a system at one temperature."""

    system: str
    temperature_K: float
    prefer_experimental: bool
    phases: list[HullPhase]


def hull_at(thermo, temperature_K: float, formulas: Sequence[str] | None = None) -> HullReport:
    """Energy above the hull (eV/atom) at ``temperature_K`` of ``formulas`` (default: all).

    The hull is built from every phase of ``thermo``, whatever ``formulas`` selects. Each phase's
    hull energy is the cheapest mix of phases with its composition
    (:func:`~ionflux.thermo.cheapest_mix.cheapest_mixes`, exact, without scipy.optimize or
    pymatgen's entry machinery on the automaton's query path); tests/thermo check it against
    pymatgen's ``PhaseDiagram``.
    """
    t = thermo.check_temperature(temperature_K)
    names, fractions, energies = phase_matrix(thermo, t)
    wanted = names if formulas is None else [thermo.composition(f).reduced_formula
                                             for f in formulas]
    columns = [names.index(name) for name in wanted]
    above, weights = energies_above_hull(fractions, energies, columns)
    rows = []
    for col, (name, i) in enumerate(zip(wanted, columns, strict=True)):
        parts = {}
        if above[col] > 0:
            parts = {names[k]: round(float(w), 6) for k, w in enumerate(weights[:, col])
                     if w > 1e-9}
        rows.append(HullPhase(formula=name, G_f_eV_per_atom=float(energies[i]),
                              e_above_hull_eV_per_atom=float(above[col]), decomposes_to=parts,
                              gibbs_source=thermo.gibbs_source(name)))
    return HullReport(system=thermo.system, temperature_K=t,
                      prefer_experimental=bool(thermo.prefer_experimental), phases=rows)


def phase_matrix(thermo, temperature_K: float) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every phase of ``thermo``: names, atom fractions (elements in ``thermo.elements`` order x
    phases) and G_f(T) in eV/atom."""
    names = list(thermo.formulas)
    comps = [thermo.composition(f) for f in names]
    fractions = np.array([[c.get_atomic_fraction(el) for c in comps] for el in thermo.elements])
    energies = np.array([thermo.gibbs_formation_energy_per_atom(f, temperature_K)
                         for f in names])
    return names, fractions, energies


def energies_above_hull(fractions: np.ndarray, energies: np.ndarray,
                        columns: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """E_above_hull (eV/atom, exactly 0 within 1e-12) of the phases ``columns`` (default all) of
    :func:`phase_matrix`, and the hull mix below each (phases x columns atom fractions)."""
    from ionflux.thermo.cheapest_mix import cheapest_mixes

    columns = list(range(len(energies))) if columns is None else list(columns)
    lowest, weights = cheapest_mixes(fractions, energies, fractions[:, columns])
    if not np.all(np.isfinite(lowest)):  # cannot happen with the elements among the phases
        raise ValueError("the hull: no mix of phases has the composition of every phase")
    above = np.maximum(energies[columns] - lowest, 0.0)
    above[above <= 1e-12] = 0.0
    return above, weights
