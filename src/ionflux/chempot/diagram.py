"""Chemical-potential diagrams of a system at temperature T, cached, with metastable domains.

Built as pymatgen's ``ChemicalPotentialDiagram`` builds it from :meth:`ThermoData.entries_at`
(formal chemical potentials: elements at T have mu = 0), by vertex enumeration
(:mod:`ionflux.chempot.polytope`). The diagram is a convex polytope
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

from ionflux.chempot.polytope import faces
from ionflux.errors import AnalysisError
from ionflux.thermo.data import ThermoData
from ionflux.thermo.hull import energies_above_hull, phase_matrix
from ionflux.thermo.system import reduced_formula

#: pymatgen's default artificial lower limit of every formal chemical potential (eV).
DEFAULT_LOWER_LIMIT_EV = -50.0
#: Energy (eV/atom) below the hull at which a metastable phase is placed to get its domain.
DEFAULT_METASTABLE_TOL_EV = 1e-4
#: Fallback tolerance when the first one gives a face too small for the half-space code.
_FALLBACK_METASTABLE_TOL_EV = 1e-2
#: Phases with a formation energy above -this (eV/atom) bound nothing (pymatgen's
#: ``PhaseDiagram.formation_energy_tol``).
_FORMATION_TOL_EV = 1e-11
#: Phases within this of the hull (eV/atom) may touch the polytope.
_ON_HULL_EV = 1e-9


@dataclass(frozen=True)
class Faces:
    """Vertices (eV, in ``elements`` order) of the domains of some phases in one diagram."""

    elements: tuple[str, ...]
    vertices: dict[str, np.ndarray]
    lower_limit_eV: float
    stabilized: dict[str, float]  # phase -> energy lowering applied, eV/atom
    note: str | None = None
    same_polytope: bool = True  # False when metastable phases needed separate diagrams


@dataclass(frozen=True)
class Diagram:
    """One chemical-potential diagram: the vertices (eV) of the domain of every phase that has
    one, in ``elements`` order (the layout of pymatgen's ``ChemicalPotentialDiagram.domains``)."""

    elements: tuple[str, ...]
    domains: dict[str, np.ndarray]


class ChempotDiagrams:
    """Chemical-potential diagrams of one thermo data set, one per (T, lower limit), cached."""

    def __init__(self, thermo: ThermoData, lower_limit_eV: float = DEFAULT_LOWER_LIMIT_EV,
                 metastable_tol_eV: float = DEFAULT_METASTABLE_TOL_EV) -> None:
        self.thermo = thermo
        self.lower_limit_eV = float(lower_limit_eV)
        self.metastable_tol_eV = float(metastable_tol_eV)
        self._phases: dict[float, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._diagrams: dict[tuple, Diagram] = {}
        self._hull: dict[float, dict[str, float]] = {}

    def phases(self, temperature_K: float) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Names, atom fractions (elements x phases) and G_f(T) (eV/atom) of every phase."""
        t = self.thermo.check_temperature(temperature_K)
        if t not in self._phases:
            self._phases[t] = phase_matrix(self.thermo, t)
        return self._phases[t]

    def e_above_hull(self, temperature_K: float) -> dict[str, float]:
        """E_above_hull (eV/atom) of every phase at T."""
        t = self.thermo.check_temperature(temperature_K)
        if t not in self._hull:
            names, fractions, energies = self.phases(t)
            above, _ = energies_above_hull(fractions, energies)
            self._hull[t] = dict(zip(names, above.tolist(), strict=True))
        return self._hull[t]

    def diagram(self, temperature_K: float, lower_limit_eV: float | None = None,
                stabilize: tuple[tuple[str, float], ...] = ()) -> Diagram:
        """Diagram at T; ``stabilize`` lowers (phase, eV/atom) pairs.

        As in pymatgen's ``ChemicalPotentialDiagram``: the elements and every phase with a
        negative formation energy bound the polytope (x_P . mu <= G_P), and each element's
        formal chemical potential lies between ``lower`` and 0. Phases above the hull at T
        (and not stabilized) have no domain and are left out.
        """
        t = self.thermo.check_temperature(temperature_K)
        lower = self.lower_limit_eV if lower_limit_eV is None else float(lower_limit_eV)
        key = (t, lower, stabilize)
        if key not in self._diagrams:
            names, fractions, energies = self.phases(t)
            shifts = dict(stabilize)
            energies = energies - np.array([shifts.get(n, 0.0) for n in names])
            is_element = np.count_nonzero(fractions, axis=0) == 1
            # a phase above the hull bounds nothing (its constraint is slack everywhere):
            # leaving it out keeps the vertex enumeration small
            hull = self.e_above_hull(t)
            bounding = np.array([hull[n] <= _ON_HULL_EV or n in shifts for n in names])
            keep = np.flatnonzero(((energies < -_FORMATION_TOL_EV) & bounding) | is_element)
            found = faces(fractions[:, keep].T, energies[keep], lower)
            self._diagrams[key] = Diagram(tuple(self.thermo.elements),
                                          {names[keep[i]]: v for i, v in found.items()})
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
        elements = base.elements
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
