"""The convex hull of G_f(T): which phases are stable at a temperature, and by how much not.

Pure functions over a :class:`~ionflux.thermo.data.ThermoData` (no I/O). Energies are Gibbs
formation energies G_f(T) in eV/atom from :meth:`ThermoData.gibbs_formation_energy_per_atom`,
so the hull moves with temperature and with the thermodynamic source (MP + Bartel by default,
NIST-JANAF binaries with ``prefer_experimental``).
"""

from __future__ import annotations

from collections.abc import Sequence

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
    hull energy is a small linear programme (the cheapest mix of phases with its composition,
    atom fractions >= 0), which avoids importing pymatgen's entry machinery (~3 s) in the
    automaton's query path; tests/thermo check it against pymatgen's ``PhaseDiagram``.
    """
    import numpy as np
    from scipy.optimize import linprog

    t = thermo.check_temperature(temperature_K)
    names = list(thermo.formulas)
    elements = list(thermo.elements)
    fractions = np.array([[thermo.composition(f).get_atomic_fraction(el) for f in names]
                          for el in elements])
    energies = np.array([thermo.gibbs_formation_energy_per_atom(f, t) for f in names])
    wanted = names if formulas is None else [thermo.composition(f).reduced_formula
                                             for f in formulas]
    rows = []
    for name in wanted:
        i = names.index(name)
        result = linprog(energies, A_eq=fractions, b_eq=fractions[:, i], bounds=(0, None),
                         method="highs")
        if not result.success:  # cannot happen with the elements among the phases
            raise ValueError(f"hull of {name} at {t:g} K: {result.message}")
        e_hull = max(float(energies[i] - result.fun), 0.0)
        parts = {}
        if e_hull > 1e-12:
            parts = {names[k]: round(float(w), 6) for k, w in enumerate(result.x) if w > 1e-9}
        else:
            e_hull = 0.0
        rows.append(HullPhase(formula=name, G_f_eV_per_atom=float(energies[i]),
                              e_above_hull_eV_per_atom=e_hull, decomposes_to=parts,
                              gibbs_source=thermo.gibbs_source(name)))
    return HullReport(system=thermo.system, temperature_K=t,
                      prefer_experimental=bool(thermo.prefer_experimental), phases=rows)
