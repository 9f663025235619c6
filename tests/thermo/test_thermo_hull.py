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


def test_tio2_is_rutile_in_gibbs_energy_and_cell_counts(thermo):
    """SCIENCE.md §4: the observed polymorph (rutile, mp-2657) with its own enthalpy and volume,
    in G_f(T) and in the automaton's cell counts alike (no separate powder volume)."""
    entry = thermo.entry("TiO2")
    assert entry.material_id == "mp-2657" and entry.observed
    assert thermo.volume_per_atom_A3("TiO2") == pytest.approx(10.711)
    volume, source = thermo.powder_molar_volume_A3("TiO2")
    assert volume == pytest.approx(3 * 10.711) and "mp-2657" in source
    # within 3 % of the experimental rutile cell, a^2 c / Z with Z = 2
    assert volume / (4.5937 ** 2 * 2.9587 / 2) == pytest.approx(1.029, abs=0.002)
    assert not thermo.powder_molar_volumes and not thermo.audit_findings


#: The BaO-TiO2 line of the automaton: hull phases and decompositions at 600 K.
LINE_PHASES = ("BaO", "TiO2", "BaTiO3", "Ba2TiO4", "BaTi2O5", "BaTi4O9", "BaTi5O11",
               "Ba2Ti9O20", "Ba4Ti13O30", "Ba6Ti17O40", "Ba3TiO5")
LINE_HULL_600K = {"BaO", "TiO2", "BaTiO3", "Ba2TiO4", "BaTi5O11", "Ba4Ti13O30"}


def _shape(thermo, temperature, formulas=None):
    report = hull_at(thermo, temperature, formulas)
    on = {p.formula for p in report.phases if p.e_above_hull_eV_per_atom == 0}
    into = {p.formula: frozenset(p.decomposes_to) for p in report.phases
            if p.e_above_hull_eV_per_atom > 0}
    return on, into


def test_hull_of_the_bao_tio2_line_keeps_its_shape_600_to_1750K(thermo):
    """The study: "the shape of the hull ... remains unchanged for all temperatures we consider".
    With the observed polymorphs (rutile TiO2, alpha-BaTi2O5) it holds from 600 to 1650 K, with
    one named exception above: BaTiO3 stays on the hull to 1660 K and is 0.1-2.0 meV/atom above
    the Ba2TiO4-Ba4Ti13O30 tie line from 1670 K (Bartel's descriptor lowers G of the
    larger-volume Ba2TiO4, 18.47 Å^3/atom, faster); BaTi2O5 and Ba6Ti17O40 then decompose to
    those two instead of to BaTiO3 + Ba4Ti13O30. BaTi2O5 (mp-3943) lies 4.8-6.2 meV/atom above
    BaTiO3 + Ba4Ti13O30 at every temperature (crystalline BaTi2O5 is reported metastable)."""
    on_600, into_600 = _shape(thermo, 600.0, LINE_PHASES)
    assert on_600 == LINE_HULL_600K
    assert into_600["BaTi2O5"] == frozenset({"BaTiO3", "Ba4Ti13O30"})
    for temperature in range(650, 1751, 50):
        on, into = _shape(thermo, float(temperature), LINE_PHASES)
        batio3_off = temperature >= 1700
        assert on == LINE_HULL_600K - ({"BaTiO3"} if batio3_off else set()), temperature
        expected = dict(into_600)
        if batio3_off:
            for phase in ("BaTiO3", "BaTi2O5", "Ba6Ti17O40"):
                expected[phase] = frozenset({"Ba2TiO4", "Ba4Ti13O30"})
        assert into == expected, temperature
    rows = {p.formula: p.e_above_hull_eV_per_atom for p in hull_at(thermo, 1750.0).phases}
    assert 0.001 < rows["BaTiO3"] < 0.003
    assert 0.004 < rows["BaTi2O5"] < 0.007


def test_the_replaced_bati2o5_moved_batio3_off_the_hull_at_950K(thermo):
    """The measured reason for the replacement's effect: with the unobserved mp-558159
    (14.28 Å^3/atom, 12.5 % above the cell) BaTiO3 leaves the hull at ~950 K."""
    import json
    import warnings
    from importlib import resources

    raw = json.loads((resources.files("ionflux") / "data/ba-ti-o/thermo.json").read_text())
    entry = next(e for e in raw["entries"] if e["formula"] == "BaTi2O5")
    entry.update(formation_enthalpy_per_atom=-3.5322227, volume_per_atom=14.2833,
                 composition={"Ba": 4, "Ti": 8, "O": 20}, polymorph=None, observed=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = ThermoData.from_dict(raw, system="Ba-Ti-O")
    on_900, _ = _shape(old, 900.0, LINE_PHASES)
    on_1000, _ = _shape(old, 1000.0, LINE_PHASES)
    assert "BaTiO3" in on_900 and "BaTiO3" not in on_1000


def test_whole_system_hull_changes_are_all_named(thermo):
    """Off the BaO-TiO2 line the hull moves too; every change is listed with its reason.

    BaO2 -> BaO + O2 from 1100 K (real: barium peroxide gives off oxygen near 1070 K); the
    reduced Ti-O and Ba-Ti-O phases (no open oxygen in the recipes, never offered) reorder among
    near-degenerate suboxides, a few meV/atom apart."""
    reduced = {"BaTi14O28", "Ti6O", "Ti8O13", "Ti13O22", "Ti3O5", "Ti2O3"}
    named = reduced | {"BaO2", "BaTiO3"}  # BaTiO3 from 1700 K (line test above)
    on_600, _ = _shape(thermo, 600.0)
    for temperature in range(650, 1751, 50):
        on, _ = _shape(thermo, float(temperature))
        assert (on ^ on_600) <= named, (temperature, sorted((on ^ on_600) - named))
    on_1750, _ = _shape(thermo, 1750.0)
    assert "BaO2" in on_600 and "BaO2" not in on_1750


@pytest.mark.parametrize("temperature", [1000.0, 1300.0, 1500.0])
def test_bati2o5_above_the_batio3_ba4ti13o30_tie_line_by_hand(thermo, temperature):
    """9 BaTi2O5 (72 atoms) = 5 BaTiO3 (25) + Ba4Ti13O30 (47): the energy above the hull is
    G_f of BaTi2O5 minus the atom-weighted mean of the two (eV/atom), when that is positive."""
    g = {f: thermo.gibbs_formation_energy_per_atom(f, temperature)
         for f in ("BaTi2O5", "BaTiO3", "Ba4Ti13O30")}
    by_hand = g["BaTi2O5"] - (25 * g["BaTiO3"] + 47 * g["Ba4Ti13O30"]) / 72
    report = hull_at(thermo, temperature, ["BaTi2O5", "BaO"])
    rows = {r.formula: r for r in report.phases}
    assert by_hand > 0
    assert rows["BaTi2O5"].e_above_hull_eV_per_atom == pytest.approx(by_hand, abs=1e-9)
    assert rows["BaTi2O5"].decomposes_to == pytest.approx({"BaTiO3": 25 / 72,
                                                          "Ba4Ti13O30": 47 / 72})
    assert rows["BaO"].e_above_hull_eV_per_atom == 0.0 and rows["BaO"].decomposes_to == {}


def test_batio3_on_the_hull_at_low_temperature(thermo):
    assert hull_at(thermo, 600.0, ["BaTiO3"]).phases[0].e_above_hull_eV_per_atom == 0.0


def test_hull_command_lists_phases_and_uphill_reactions(capsys):
    assert main(["thermo", "hull", "--temperature", "1500", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    rows = {r["formula"]: r for r in payload["phases"]}
    assert rows["BaTi2O5"]["e_above_hull_eV_per_atom"] > 0.004
    assert rows["BaTiO3"]["e_above_hull_eV_per_atom"] == 0.0
    uphill = {r["reaction"]: r for r in payload["uphill_reactions"]}
    reform = uphill["5 BaTiO3 + Ba4Ti13O30 -> 9 BaTi2O5"]
    assert reform["dG_eV_per_atom"] == pytest.approx(
        rows["BaTi2O5"]["e_above_hull_eV_per_atom"], rel=1e-9)
    assert reform["score"].startswith("not offered")
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


@pytest.mark.parametrize("system", ["Ba-Ti-O", "Li-Ti-O"])
def test_hull_vertices_do_not_depend_on_the_batch_size(system, monkeypatch):
    """The subsets are solved in batches small enough to stay off huge pages; any batch size
    gives the same vertices, bit for bit (one batch of everything is the reference)."""
    import numpy as np

    from ionflux.thermo import cheapest_mix
    from ionflux.thermo.hull import phase_matrix

    data = ThermoData.bundled(system)
    for temperature in (800.0, 1200.0, 1700.0):
        _, fractions, energies = phase_matrix(data, temperature)
        small = cheapest_mix.basic_solutions(fractions.T, energies)
        assert len(small[0]) >= 3
        monkeypatch.setattr(cheapest_mix, "BATCH_BYTES", 10**12)
        whole = cheapest_mix.basic_solutions(fractions.T, energies)
        monkeypatch.setattr(cheapest_mix, "BATCH_BYTES", 8 * 60 * 7)  # 7 rows a batch
        tiny = cheapest_mix.basic_solutions(fractions.T, energies)
        monkeypatch.undo()
        for got in (small, tiny):
            assert all(np.array_equal(x, y) for x, y in zip(got, whole, strict=True))
