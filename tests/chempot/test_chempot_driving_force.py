"""Driving forces: a two-element system worked out by hand, touching domains, Ba-Ti-O checks."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest

from ionflux.chempot import DrivingForceCalculator
from ionflux.cli import main
from ionflux.errors import DataNotFoundError
from ionflux.thermo import ThermoData

# Toy Ti-O system with temperature-independent G_f (eV/atom): TiO g1 = -1.0, TiO2 g2 = -1.2,
# Ti2O3 -1.10 (0.02 eV/atom above the TiO-TiO2 tie line, which is at -1.12 for x_O = 0.6).
G1, G2 = -1.0, -1.2


def _toy_thermo() -> ThermoData:
    flat = {str(t): {"Ti": 0.0, "O": 0.0} for t in range(300, 2001, 100)}

    def table(g_per_fu):
        return {str(t): g_per_fu for t in range(300, 2001, 100)}

    data = {
        "entries": [
            {"formula": "Ti", "material_id": "ti", "composition": {"Ti": 1},
             "formation_enthalpy_per_atom": 0.0, "volume_per_atom": 17.0},
            {"formula": "O2", "material_id": "o2", "composition": {"O": 2},
             "formation_enthalpy_per_atom": 0.0, "volume_per_atom": 13.0},
        ],
        "nist_janaf_gibbs_formation_eV_per_formula_unit": {
            "TiO": table(2 * G1), "TiO2": table(3 * G2), "Ti2O3": table(5 * -1.10)},
        "factsage_elemental_chemical_potentials_eV_per_atom": flat,
    }
    return ThermoData.from_dict(data, system="Ti-O", prefer_experimental=True)


@pytest.fixture(scope="module")
def toy() -> DrivingForceCalculator:
    return DrivingForceCalculator(_toy_thermo())


def test_two_element_system_distance_by_hand(toy):
    # Ti domain: mu_Ti = 0, mu_O <= 2 g1 = -2 (where TiO takes over).
    # TiO2 domain: mu_Ti/3 + 2 mu_O/3 = g2 between its vertex with TiO,
    # (mu_Ti, mu_O) = (4 g1 - 3 g2, 3 g2 - 2 g1) = (-0.4, -1.6), and (3 g2, 0) = (-3.6, 0).
    # The nearest points are the end (0, -2) of the Ti segment and (-0.4, -1.6): projecting
    # (0, -2) onto the TiO2 segment gives parameter -0.15 < 0, i.e. its end point.
    force = toy("Ti", "TiO2", 1000.0)
    assert force.delta_mu_eV["Ti"] == pytest.approx((4 * G1 - 3 * G2) - 0.0, abs=1e-12)
    assert force.delta_mu_eV["O"] == pytest.approx((3 * G2 - 2 * G1) - 2 * G1, abs=1e-12)
    assert force.distance_eV == pytest.approx(math.sqrt(0.32), abs=1e-12)
    assert force.mu_alpha_eV == pytest.approx({"Ti": 0.0, "O": -2.0}, abs=1e-12)
    assert not force.touching and force.metastable_phases == []
    swapped = toy("TiO2", "Ti", 1000.0)
    assert swapped.delta_mu_eV == pytest.approx({k: -v for k, v in force.delta_mu_eV.items()})


@pytest.mark.parametrize(("a", "b"), [("Ti", "TiO"), ("TiO", "TiO2"), ("TiO2", "O2")])
def test_neighbouring_domains_give_exactly_zero(toy, a, b):
    force = toy(a, b, 1500.0)
    assert force.touching
    assert force.distance_eV == 0.0
    assert all(v == 0.0 for v in force.delta_mu_eV.values())


def test_metastable_phase_uses_its_metastable_domain(toy):
    force = toy("Ti", "Ti2O3", 1000.0)
    assert force.metastable_phases == ["Ti2O3"]
    assert force.e_above_hull_eV_per_atom["Ti2O3"] == pytest.approx(0.02, abs=1e-12)
    assert any("Ti2O3 is not on the hull" in w for w in force.warnings)
    # Its stabilized domain collapses onto the TiO|TiO2 vertex (-0.4, -1.6) as the tolerance
    # goes to zero, so the distance to the Ti domain tends to sqrt(0.32).
    assert force.distance_eV == pytest.approx(math.sqrt(0.32), abs=2e-3)


@pytest.fixture(scope="module")
def batio() -> DrivingForceCalculator:
    # NIST-JANAF binaries (opt-in): TiO2 off the hull exercises the metastable-domain path
    return DrivingForceCalculator(ThermoData.bundled("Ba-Ti-O", prefer_experimental=True))


def test_touching_iff_tie_line_in_the_phase_diagram(batio):
    """Domains share a point exactly when the two phases share a facet of the convex hull
    (pymatgen's PhaseDiagram, an independent construction)."""
    from pymatgen.analysis.phase_diagram import PhaseDiagram

    t = 1500.0
    entries = batio.thermo.entries_at(t)
    pd = PhaseDiagram(entries)
    stable = sorted(e.data["formula"] for e in pd.stable_entries)
    facet_pairs = set()
    for facet in pd.facets:
        names = [pd.qhull_entries[i].data["formula"] for i in facet]
        facet_pairs |= {frozenset(p) for p in combinations(names, 2)}
    checked = 0
    for a, b in combinations(stable, 2):
        if not {a, b} & {"BaO", "BaTiO3", "BaTi2O5", "Ba2TiO4", "O2", "Ti2O"}:
            continue  # a representative subset keeps the test quick
        force = batio(a, b, t)
        assert force.touching == (frozenset((a, b)) in facet_pairs), (a, b)
        assert (force.distance_eV == 0.0) == force.touching
        checked += 1
    assert checked > 20


def test_bao_tio2_closest_points_lie_on_their_domains(batio):
    t = 1500.0
    force = batio("BaO", "TiO2", t)
    thermo = batio.thermo
    order = force.elements
    mu_a = np.array([force.mu_alpha_eV[e] for e in order])
    mu_b = np.array([force.mu_beta_eV[e] for e in order])
    x_bao = np.array([thermo.composition("BaO").get_atomic_fraction(e) for e in order])
    x_tio2 = np.array([thermo.composition("TiO2").get_atomic_fraction(e) for e in order])
    assert x_bao @ mu_a == pytest.approx(thermo.gibbs_formation_energy_per_atom("BaO", t),
                                         abs=1e-9)
    # TiO2 (NIST-JANAF) is above the MP+Bartel hull: its domain is built below the hull by
    # E_above_hull + tolerance.
    shift = force.stabilization_eV_per_atom["TiO2"]
    assert x_tio2 @ mu_b == pytest.approx(
        thermo.gibbs_formation_energy_per_atom("TiO2", t) - shift, abs=1e-9)
    assert force.metastable_phases == ["TiO2"]
    assert force.distance_eV == pytest.approx(np.linalg.norm(mu_b - mu_a), rel=1e-12)
    assert not force.depends_on_artificial_limit


def test_non_unique_pair_on_the_artificial_limit(batio):
    # Ba and O2 domains in Ba-Ti-O at 1000 K: mu_Ba = 0 with mu_O <= G(BaO per formula unit),
    # and mu_O = 0 with mu_Ba <= G(BaO); mu_Ti is free on both down to the artificial cut, so
    # delta_mu = (G, 0, -G) is unique but the closest pair is not.
    g = batio.thermo.gibbs_formation_energy_per_atom("BaO", 1000.0) * 2
    force = batio("Ba", "O2", 1000.0)
    assert force.delta_mu_eV == pytest.approx({"Ba": g, "Ti": 0.0, "O": -g}, abs=1e-9)
    assert force.distance_eV == pytest.approx(math.sqrt(2) * abs(g), rel=1e-12)
    assert not force.depends_on_artificial_limit
    # the closest pair is not unique, and the one found lies on the artificial limit: said so
    assert force.on_artificial_limit
    assert any("unchanged" in note for note in force.notes)


def test_unknown_and_foreign_phases(batio, capsys):
    with pytest.raises(DataNotFoundError, match="not a chemical formula"):
        batio("BaO", "Bogus", 1000)
    with pytest.raises(DataNotFoundError, match="outside the Ba-Ti-O system"):
        batio("BaO", "Li2O", 1000)
    with pytest.raises(DataNotFoundError, match="2500 K is outside"):
        batio("BaO", "TiO2", 2500)
    assert main(["chempot", "distance", "BaO", "Ba4TiO6", "--temperature", "1000"]) == 2
    err = capsys.readouterr().err
    assert "no thermodynamic data for phase 'Ba4TiO6'" in err and err.count("\n") == 1


def test_cli_prints_delta_mu_and_distance(capsys):
    assert main(["chempot", "distance", "BaO", "TiO2", "--temperature", "1500", "--json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    assert set(doc["delta_mu_eV"]) == {"Ba", "Ti", "O"}
    assert doc["distance_eV"] == pytest.approx(
        math.sqrt(sum(v * v for v in doc["delta_mu_eV"].values())), rel=1e-12)


def test_cli_system_defaults_to_the_phases_elements(capsys):
    # Li2O and TiO2 name Li-Ti-O; the default used to be Ba-Ti-O, which rejected Li2O
    import json

    assert main(["chempot", "distance", "Li2O", "TiO2", "-T", "1500", "--json"]) == 0
    implied = json.loads(capsys.readouterr().out)
    assert main(["chempot", "distance", "Li2O", "TiO2", "-T", "1500", "--json",
                 "--system", "Li-Ti-O"]) == 0
    named = json.loads(capsys.readouterr().out)
    assert set(implied["delta_mu_eV"]) == {"Li", "Ti", "O"}
    assert implied["delta_mu_eV"] == named["delta_mu_eV"] and implied["distance_eV"] > 0
