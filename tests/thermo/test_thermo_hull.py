"""The G_f(T) hull, the default thermodynamic source and the powder molar volumes."""

from __future__ import annotations

import json

import pytest

from ionflux.cli import main
from ionflux.thermo import ThermoData
from ionflux.thermo.hull import hull_at


@pytest.fixture(scope="module")
def thermo() -> ThermoData:
    return ThermoData.bundled("Ba-Ti-O")


def test_one_consistent_source_by_default(thermo):
    assert not thermo.prefer_experimental
    for formula in ("BaO", "TiO2", "BaTiO3", "Ba2TiO4"):
        assert thermo.gibbs_source(formula) == "MP+Bartel"
    nist = ThermoData.bundled("Ba-Ti-O", prefer_experimental=True)
    assert nist.gibbs_source("TiO2") == "NIST-JANAF"
    assert thermo.describe()["gibbs_source"] == "MP + Bartel for every solid"


def test_rutile_molar_volume_for_the_powder(thermo):
    volume, source = thermo.powder_molar_volume_A3("TiO2")
    assert volume == pytest.approx(4.5937 ** 2 * 2.9587 / 2, abs=0.01)  # a^2 c / Z, Z = 2
    assert "rutile" in source
    # Bartel's descriptor keeps the computed entry's own volume
    assert thermo.volume_per_atom_A3("TiO2") == pytest.approx(17.0789101565843)
    bao, where = thermo.powder_molar_volume_A3("BaO")
    assert bao == pytest.approx(2 * thermo.volume_per_atom_A3("BaO")) and "mp-1342" in where


@pytest.mark.parametrize("temperature", [1000.0, 1300.0, 1500.0])
def test_batio3_above_the_ba2tio4_bati2o5_tie_line_by_hand(thermo, temperature):
    """3 BaTiO3 (15 atoms) = Ba2TiO4 (7) + BaTi2O5 (8): the energy above the hull is G_f of
    BaTiO3 minus the atom-weighted mean of the two (eV/atom), when that is positive."""
    g = {f: thermo.gibbs_formation_energy_per_atom(f, temperature)
         for f in ("BaTiO3", "Ba2TiO4", "BaTi2O5")}
    by_hand = g["BaTiO3"] - (7 * g["Ba2TiO4"] + 8 * g["BaTi2O5"]) / 15
    report = hull_at(thermo, temperature, ["BaTiO3", "BaO"])
    rows = {r.formula: r for r in report.phases}
    assert by_hand > 0
    assert rows["BaTiO3"].e_above_hull_eV_per_atom == pytest.approx(by_hand, abs=1e-9)
    assert rows["BaTiO3"].decomposes_to == pytest.approx({"Ba2TiO4": 7 / 15, "BaTi2O5": 8 / 15})
    assert rows["BaO"].e_above_hull_eV_per_atom == 0.0 and rows["BaO"].decomposes_to == {}


def test_batio3_on_the_hull_at_low_temperature(thermo):
    assert hull_at(thermo, 600.0, ["BaTiO3"]).phases[0].e_above_hull_eV_per_atom == 0.0


def test_hull_command_lists_phases_and_uphill_reactions(capsys):
    assert main(["thermo", "hull", "--temperature", "1500", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    rows = {r["formula"]: r for r in payload["phases"]}
    assert rows["BaTiO3"]["e_above_hull_eV_per_atom"] > 0.01
    assert rows["BaTi2O5"]["e_above_hull_eV_per_atom"] == 0.0
    uphill = {r["reaction"]: r for r in payload["uphill_reactions"]}
    reform = uphill["Ba2TiO4 + BaTi2O5 -> 3 BaTiO3"]
    assert reform["dG_eV_per_atom"] == pytest.approx(
        rows["BaTiO3"]["e_above_hull_eV_per_atom"], rel=1e-9)
    assert reform["score"].startswith("uphill")
    assert all(r["dG_eV_per_atom"] > 0 for r in payload["uphill_reactions"])
    assert main(["thermo", "hull", "--temperature", "5000"]) == 2
    assert "outside" in capsys.readouterr().err


@pytest.mark.parametrize("nist", [False, True])
@pytest.mark.parametrize("temperature", [800.0, 1250.0, 1700.0])
def test_hull_agrees_with_pymatgen_phase_diagram(nist, temperature):
    """An independent construction: pymatgen's PhaseDiagram of the same G_f(T) entries."""
    from pymatgen.analysis.phase_diagram import PhaseDiagram

    thermo = ThermoData.bundled("Ba-Ti-O", prefer_experimental=nist)
    entries = thermo.entries_at(temperature)
    diagram = PhaseDiagram(entries)
    ours = {r.formula: r for r in hull_at(thermo, temperature).phases}
    for entry in entries:
        decomposition, e_hull = diagram.get_decomp_and_e_above_hull(entry, allow_negative=True)
        row = ours[entry.data["formula"]]
        assert row.e_above_hull_eV_per_atom == pytest.approx(max(e_hull, 0.0), abs=1e-8)
        if e_hull > 1e-6:
            expected = {d.data["formula"]: f for d, f in decomposition.items()}
            assert row.decomposes_to == pytest.approx(expected, abs=1e-5)
