"""The chemical-potential domains and the hull without pymatgen's entries, against pymatgen."""

from __future__ import annotations

import numpy as np
import pytest

from ionflux.chempot import polytope
from ionflux.chempot.diagram import ChempotDiagrams
from ionflux.thermo import ThermoData
from ionflux.thermo import cheapest_mix as mix


def _same_points(ours: np.ndarray, theirs: np.ndarray, atol: float = 1e-7) -> bool:
    """Whether two vertex lists hold the same points (duplicates and order aside)."""
    gaps = np.max(np.abs(ours[:, None, :] - theirs[None, :, :]), axis=2)
    return bool(np.all(gaps.min(axis=1) <= atol) and np.all(gaps.min(axis=0) <= atol))


@pytest.mark.parametrize(("system", "nist", "temperature"), [
    ("Ba-Ti-O", False, 600.0), ("Ba-Ti-O", False, 1700.0), ("Ba-Ti-O", True, 600.0),
    ("Ba-Ti-O", True, 1700.0), ("Li-Ti-O", False, 1200.0)])
def test_domains_match_pymatgen_chemical_potential_diagram(system, nist, temperature):
    """Every domain, with and without a stabilized metastable phase, is the one pymatgen's
    ChemicalPotentialDiagram (qhull) builds from the same G_f(T) entries."""
    from pymatgen.analysis.chempot_diagram import ChemicalPotentialDiagram
    from pymatgen.entries.computed_entries import ComputedEntry

    thermo = ThermoData.bundled(system, prefer_experimental=nist)
    diagrams = ChempotDiagrams(thermo)
    hull = diagrams.e_above_hull(temperature)
    above = sorted(f for f, e in hull.items() if e > 0)
    assert above  # the stabilized case is exercised
    for stabilize in ((), ((above[0], hull[above[0]] + 1e-4),)):
        shifts = dict(stabilize)
        entries = [ComputedEntry(e.composition, e.energy - shifts.get(e.data["formula"], 0.0)
                                 * e.composition.num_atoms, data=e.data)
                   for e in thermo.entries_at(temperature)]
        theirs = ChemicalPotentialDiagram(entries, default_min_limit=-50.0)
        order = [thermo.elements.index(el.symbol) for el in theirs.elements]
        ours = diagrams.diagram(temperature, stabilize=stabilize)
        assert set(ours.domains) == set(theirs.domains)
        for formula, points in theirs.domains.items():
            assert _same_points(ours.domains[formula][:, order], points), formula


def test_fallbacks_for_large_systems_agree(monkeypatch):
    """Above MAX_BASES the hull uses HiGHS and the vertices qhull: the same numbers."""
    thermo = ThermoData.bundled("Ba-Ti-O")
    _, fractions, energies = ChempotDiagrams(thermo).phases(1250.0)
    lowest, weights = mix.cheapest_mixes(fractions, energies, fractions)
    a, b = polytope.constraints(fractions.T, energies, -50.0)
    points = polytope.vertices(a, b)
    monkeypatch.setattr(mix, "MAX_BASES", 0)
    monkeypatch.setattr(polytope, "MAX_BASES", 0)
    lowest_lp, weights_lp = mix.cheapest_mixes(fractions, energies, fractions)
    assert lowest == pytest.approx(lowest_lp, abs=1e-9)
    assert np.abs(weights - weights_lp).max() < 1e-6
    assert _same_points(points, polytope.vertices(a, b))


def test_cheapest_mix_by_hand():
    """A-B line: AB at -1 eV/atom, A3B at -0.2 (above the A-AB tie line at -0.5)."""
    fractions = np.array([[1.0, 0.0, 0.5, 0.75], [0.0, 1.0, 0.5, 0.25]])
    energies = np.array([0.0, 0.0, -1.0, -0.2])
    lowest, weights = mix.cheapest_mixes(fractions, energies, fractions[:, [3]])
    assert lowest[0] == pytest.approx(-0.5)
    assert weights[:, 0] == pytest.approx([0.5, 0.0, 0.5, 0.0])
    unreachable = mix.cheapest_mixes(fractions[:, 2:], energies[2:], np.array([[1.0], [0.0]]))
    assert np.isinf(unreachable[0][0])
