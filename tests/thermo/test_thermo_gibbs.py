"""G_f(T): NIST-JANAF reproduced exactly, Bartel's descriptor against hand values and pymatgen."""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pytest
from pymatgen.core import Composition, Element, Lattice, Structure

from ionflux.errors import DataNotFoundError, InputError
from ionflux.thermo import ThermoData, bartel_g_delta_eV_per_atom, bartel_reduced_mass_amu


@pytest.fixture(scope="module")
def thermo() -> ThermoData:
    return ThermoData.bundled("Ba-Ti-O", prefer_experimental=True)


@pytest.fixture(scope="module")
def raw() -> dict:
    path = resources.files("ionflux") / "data" / "ba-ti-o" / "thermo.json"
    return json.loads(path.read_bytes())


@pytest.mark.parametrize("formula", ["BaO", "TiO2"])
def test_nist_janaf_reproduced_exactly_on_the_grid(thermo, raw, formula):
    table = raw["nist_janaf_gibbs_formation_eV_per_formula_unit"][formula]
    n_atoms = Composition(formula).num_atoms
    assert thermo.gibbs_source(formula) == "NIST-JANAF"
    for t, g_fu in table.items():
        assert thermo.gibbs_formation_energy_per_atom(formula, float(t)) * n_atoms == (
            pytest.approx(g_fu, rel=1e-15, abs=0))


def test_nist_janaf_interpolated_linearly_between_grid_points(thermo, raw):
    table = raw["nist_janaf_gibbs_formation_eV_per_formula_unit"]["BaO"]
    expected = table["1300"] + 0.37 * (table["1400"] - table["1300"])
    assert thermo.gibbs_formation_energy_per_atom("BaO", 1337.0) * 2 == pytest.approx(
        expected, rel=1e-14)


def test_bartel_descriptor_hand_value():
    # v = 10 Å^3, m = 20 amu, T = 1000 K worked out by hand:
    # (-2.48e-4 ln 10 - 8.94e-5 * 2) * 1000 + 0.181 ln 1000 - 0.882
    by_hand = (-2.48e-4 * 2.302585092994046 - 8.94e-5 * 2.0) * 1000 \
        + 0.181 * 6.907755278982137 - 0.882
    assert by_hand == pytest.approx(-0.38153, abs=1e-5)
    assert bartel_g_delta_eV_per_atom(10.0, 20.0, 1000.0) == pytest.approx(by_hand, rel=1e-14)


def test_reduced_mass_of_a_binary_is_the_two_body_reduced_mass():
    m_ba, m_o = float(Element("Ba").atomic_mass), float(Element("O").atomic_mass)
    assert bartel_reduced_mass_amu(Composition("BaO")) == pytest.approx(
        m_ba * m_o / (m_ba + m_o), rel=1e-14)
    with pytest.raises(ValueError):
        bartel_reduced_mass_amu(Composition("Ba"))


def _pymatgen_entry(formula: str, thermo: ThermoData, temperature_K: float):
    from pymatgen.analysis.compatibility.computed_entries import GibbsComputedStructureEntry

    comp = thermo.composition(formula)
    species = [el.symbol for el, n in comp.items() for _ in range(int(n))]
    volume = thermo.volume_per_atom_A3(formula) * len(species)
    coords = np.random.default_rng(1).random((len(species), 3))
    structure = Structure(Lattice.cubic(volume ** (1 / 3)), species, coords)
    return GibbsComputedStructureEntry(
        structure, formation_enthalpy_per_atom=thermo.entry(formula).formation_enthalpy_per_atom,
        temp=temperature_K)


@pytest.mark.parametrize("formula", ["BaTiO3", "Ba2TiO4", "BaTi2O5", "Ba4Ti13O30", "TiO2", "BaO"])
@pytest.mark.parametrize("temperature", [300.0, 1000.0, 1450.0, 2000.0])
def test_bartel_matches_pymatgen_gibbs_entry(formula, temperature):
    """pymatgen's GibbsComputedStructureEntry is an independent implementation of the same
    recipe. Its elemental references (g_els.json) are the same FactSage numbers as the bundled
    table (checked below), so the totals agree, not only the G_delta parts; at 1450 K both
    interpolate mu_el linearly between 1400 and 1500 K."""
    thermo = ThermoData.bundled("Ba-Ti-O", prefer_experimental=False)
    entry = _pymatgen_entry(formula, thermo, temperature)
    assert thermo.gibbs_formation_energy_per_atom(formula, temperature) == pytest.approx(
        entry.energy_per_atom, abs=1e-10)
    g_delta_pmg = entry._g_delta_sisso(thermo.volume_per_atom_A3(formula),
                                       entry._reduced_mass(entry.structure), temperature)
    assert thermo.g_delta_eV_per_atom(formula, temperature) == pytest.approx(g_delta_pmg,
                                                                            abs=1e-12)


def test_elemental_references_equal_pymatgen_table(thermo):
    path = resources.files("pymatgen.analysis.compatibility") / "data" / "g_els.json"
    g_els = json.loads(path.read_bytes())
    for t in ("300", "1000", "2000"):
        for el in ("Ba", "Ti", "O"):
            assert thermo.elemental_mu_eV(el, float(t)) == g_els[t][el]


def test_elements_are_zero_and_entries_cover_every_formula(thermo):
    entries = thermo.entries_at(1250.0)
    assert len(entries) == len(thermo.formulas) == 58
    by_formula = {e.data["formula"]: e for e in entries}
    for el in ("Ba", "Ti", "O2"):
        assert by_formula[el].energy == 0.0
    bto = by_formula["BaTiO3"]
    assert bto.composition.num_atoms == 5
    assert bto.energy_per_atom == pytest.approx(
        thermo.gibbs_formation_energy_per_atom("BaTiO3", 1250.0), rel=1e-14)


def test_lowest_enthalpy_polymorph_is_used_and_reported(raw):
    data = dict(raw)
    extra = dict(next(e for e in raw["entries"] if e["formula"] == "BaTiO3"))
    extra.update(material_id="mp-fake", formation_enthalpy_per_atom=-3.6, volume_per_atom=20.0)
    data["entries"] = [*raw["entries"], extra]
    thermo = ThermoData.from_dict(data, system="Ba-Ti-O")
    assert thermo.entry("BaTiO3").material_id == "mp-fake"
    assert thermo.volume_per_atom_A3("BaTiO3") == 20.0
    assert any("BaTiO3: 2 entries, using mp-fake" in note for note in thermo.polymorph_notes)


def test_subsystem_of_bundled_data(thermo):
    ba_o = ThermoData.bundled("Ba-O")
    assert set(ba_o.formulas) == {"Ba", "O2", "BaO", "BaO2"}
    assert ba_o.gibbs_formation_energy_per_atom("BaO2", 900.0) == pytest.approx(
        thermo.gibbs_formation_energy_per_atom("BaO2", 900.0), rel=1e-15)


@pytest.mark.parametrize(("call", "message"), [
    (lambda t: t.gibbs_formation_energy_per_atom("Ba4TiO6", 1000), "no thermodynamic data"),
    (lambda t: t.gibbs_formation_energy_per_atom("Xq2", 1000), "not a chemical formula"),
    (lambda t: t.gibbs_formation_energy_per_atom("Li2O", 1000), "outside the Ba-Ti-O system"),
    (lambda t: t.gibbs_formation_energy_per_atom("BaO", 2251), "outside the thermodynamic"),
    (lambda t: t.gibbs_formation_energy_per_atom("BaTiO3", 299.9), "outside the thermodynamic"),
    (lambda t: t.entries_at(250.0), "outside the thermodynamic"),
])
def test_bad_requests_give_one_line_errors(thermo, call, message):
    with pytest.raises(DataNotFoundError) as info:
        call(thermo)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_no_bundled_or_unknown_system():
    with pytest.raises(DataNotFoundError, match="no bundled thermo data for Na-Ti-O"):
        ThermoData.bundled("Na-Ti-O")
    with pytest.raises(InputError, match="not an element"):
        ThermoData.bundled("Ba-Qq-O")


def test_melting_points(thermo):
    assert thermo.melting_point_K("BaTiO3") == 2252.0
    assert thermo.melting_point_K("Ti10O11") is None
    assert math.isfinite(thermo.volume_per_atom_A3("Ti10O11"))
