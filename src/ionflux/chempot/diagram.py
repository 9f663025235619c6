"""Chemical-potential diagrams of a system at temperature T, cached, with metastable domains.

Built with pymatgen's ``ChemicalPotentialDiagram`` from :meth:`ThermoData.entries_at` (formal
chemical potentials: elements at T have mu = 0). The diagram is a convex polytope
{mu : x_P . mu <= g_P for every phase P, lower <= mu_el <= 0}; the domain of a phase is the face
where its own constraint is active. The lower bounds ``lower`` (pymatgen's ``default_min_limit``)
are artificial: they only close the otherwise unbounded domains.

Metastable phases (above the hull at T) have no face. Their *metastable domain* is the face they
get when their energy is lowered by (E_above_hull + ``metastable_tol_eV``) per atom, i.e. the
domain they would have if they were just barely stable (the construction of reaction-network's
``ChemicalPotentialDiagram.metastable_domains``). As the tolerance goes to zero this face shrinks
onto the boundary between the domains of the phases it decomposes into.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ionflux.errors import AnalysisError
from ionflux.thermo.data import ThermoData
from ionflux.thermo.system import reduced_formula

#: pymatgen's default artificial lower limit of every formal chemical potential (eV).
DEFAULT_LOWER_LIMIT_EV = -50.0
#: Energy (eV/atom) below the hull at which a metastable phase is placed to get its domain.
DEFAULT_METASTABLE_TOL_EV = 1e-4
#: Fallback tolerance when the first one gives a face too small for the half-space code.
_FALLBACK_METASTABLE_TOL_EV = 1e-2


@dataclass(frozen=True)
class Faces:
    """Vertices (eV, in ``elements`` order) of the domains of some phases in one diagram."""

    elements: tuple[str, ...]
    vertices: dict[str, np.ndarray]
    lower_limit_eV: float
    stabilized: dict[str, float]  # phase -> energy lowering applied, eV/atom
    note: str | None = None
    same_polytope: bool = True  # False when metastable phases needed separate diagrams


class ChempotDiagrams:
    """Chemical-potential diagrams of one thermo data set, one per (T, lower limit), cached."""

    def __init__(self, thermo: ThermoData, lower_limit_eV: float = DEFAULT_LOWER_LIMIT_EV,
                 metastable_tol_eV: float = DEFAULT_METASTABLE_TOL_EV) -> None:
        self.thermo = thermo
        self.lower_limit_eV = float(lower_limit_eV)
        self.metastable_tol_eV = float(metastable_tol_eV)
        self._entries: dict[float, list] = {}
        self._diagrams: dict[tuple, object] = {}
        self._hull: dict[float, dict[str, float]] = {}

    def entries(self, temperature_K: float) -> list:
        t = self.thermo.check_temperature(temperature_K)
        if t not in self._entries:
            self._entries[t] = self.thermo.entries_at(t)
        return self._entries[t]

    def e_above_hull(self, temperature_K: float) -> dict[str, float]:
        """E_above_hull (eV/atom) of every phase at T."""
        from pymatgen.analysis.phase_diagram import PhaseDiagram

        t = self.thermo.check_temperature(temperature_K)
        if t not in self._hull:
            entries = self.entries(t)
            pd = PhaseDiagram(entries)
            self._hull[t] = {e.data["formula"]: float(pd.get_e_above_hull(e)) for e in entries}
        return self._hull[t]

    def diagram(self, temperature_K: float, lower_limit_eV: float | None = None,
                stabilize: tuple[tuple[str, float], ...] = ()):
        """pymatgen ChemicalPotentialDiagram at T; ``stabilize`` lowers (phase, eV/atom) pairs."""
        from pymatgen.analysis.chempot_diagram import ChemicalPotentialDiagram
        from pymatgen.entries.computed_entries import ComputedEntry

        t = self.thermo.check_temperature(temperature_K)
        lower = self.lower_limit_eV if lower_limit_eV is None else float(lower_limit_eV)
        key = (t, lower, stabilize)
        if key not in self._diagrams:
            shifts = dict(stabilize)
            entries = []
            for entry in self.entries(t):
                shift = shifts.get(entry.data["formula"])
                if shift is not None:
                    entry = ComputedEntry(entry.composition,
                                          entry.energy - shift * entry.composition.num_atoms,
                                          entry_id=entry.entry_id, data=dict(entry.data))
                entries.append(entry)
            self._diagrams[key] = ChemicalPotentialDiagram(entries, default_min_limit=lower)
        return self._diagrams[key]

    def faces(self, phases: list[str], temperature_K: float,
              lower_limit_eV: float | None = None) -> Faces:
        """Domains of ``phases`` at T, metastable ones stabilized together in one diagram.

        All returned domains are faces of one convex polytope, so touching and closest points
        are meaningful between them.
        """
        t = self.thermo.check_temperature(temperature_K)
        lower = self.lower_limit_eV if lower_limit_eV is None else float(lower_limit_eV)
        keys = [reduced_formula(p, self.thermo.elements, self.thermo.system) for p in phases]
        for key in keys:
            self.thermo.composition(key)  # raises for phases without data
        base = self.diagram(t, lower)
        missing = tuple(sorted({k for k in keys if k not in base.domains}))
        elements = tuple(el.symbol for el in base.elements)
        if not missing:
            return Faces(elements, {k: np.array(base.domains[k]) for k in keys}, lower, {})
        hull = self.e_above_hull(t)
        for tol in (self.metastable_tol_eV, _FALLBACK_METASTABLE_TOL_EV):
            stabilize = tuple((k, hull[k] + tol) for k in missing)
            cpd = self.diagram(t, lower, stabilize)
            if all(k in cpd.domains for k in keys):
                note = None if tol == self.metastable_tol_eV else (
                    f"metastable domains built {tol:g} eV/atom below the hull (the default "
                    f"{self.metastable_tol_eV:g} eV/atom gave no face)")
                return Faces(elements, {k: np.array(cpd.domains[k]) for k in keys}, lower,
                             dict(stabilize), note)
        if len(missing) > 1:
            # Stabilizing several phases at once can push one back above the new hull; give each
            # its own diagram instead.
            vertices: dict[str, np.ndarray] = {}
            shifts: dict[str, float] = {}
            for k in keys:
                if k not in missing:
                    vertices[k] = np.array(base.domains[k])
                    continue
                single = self.faces([k], t, lower)
                vertices[k] = single.vertices[k]
                shifts.update(single.stabilized)
            return Faces(elements, vertices, lower, shifts,
                         "metastable phases stabilized in separate diagrams", same_polytope=False)
        raise AnalysisError(f"cannot build a chemical-potential domain for "
                            f"{', '.join(missing)} at {t:g} K in {self.thermo.system}")
