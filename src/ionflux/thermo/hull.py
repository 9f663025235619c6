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

    The hull is built from every phase of ``thermo``, whatever ``formulas`` selects.
    """
    from pymatgen.analysis.phase_diagram import PhaseDiagram

    entries = thermo.entries_at(temperature_K)
    diagram = PhaseDiagram(entries)
    by_formula = {e.data["formula"]: e for e in entries}
    names = list(by_formula) if formulas is None else [
        thermo.composition(f).reduced_formula for f in formulas]
    rows = []
    for name in names:
        entry = by_formula[name]
        decomposition, e_hull = diagram.get_decomp_and_e_above_hull(entry, allow_negative=True)
        e_hull = max(float(e_hull), 0.0)
        parts = {} if e_hull <= 0 else {
            d.data["formula"]: round(float(frac), 6) for d, frac in decomposition.items()}
        rows.append(HullPhase(formula=name, G_f_eV_per_atom=entry.energy_per_atom,
                              e_above_hull_eV_per_atom=e_hull, decomposes_to=parts,
                              gibbs_source=entry.data["gibbs_source"]))
    return HullReport(system=thermo.system, temperature_K=float(temperature_K),
                      prefer_experimental=bool(thermo.prefer_experimental), phases=rows)
