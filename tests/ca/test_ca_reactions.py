"""Reaction enumeration and reaction free energies against hand calculations."""

from __future__ import annotations

import pytest
from ca_fakes import FakeThermo
from pymatgen.core import Composition

from ionflux.ca.reactions import (
    BA_TI_O_PRODUCTS,
    enumerate_reactions,
    phase_infos,
    reaction_energies,
    reaction_energy_per_atom,
)
from ionflux.errors import DataNotFoundError


def _comps(formulas):
    return {f: {el.symbol: float(n) for el, n in Composition(f).items()} for f in formulas}


def _balanced(reaction) -> bool:
    totals: dict[str, float] = {}
    for side, sign in ((reaction.reactants, 1), (reaction.products, -1)):
        for formula, coeff in side.items():
            for el, n in Composition(formula).items():
                totals[el.symbol] = totals.get(el.symbol, 0.0) + sign * coeff * n
    return all(abs(v) < 1e-12 for v in totals.values())


def test_bao_tio2_pair_reactions_are_the_nine_hand_balanced_ones():
    reactions = enumerate_reactions(_comps(["BaO", "TiO2", *BA_TI_O_PRODUCTS]))
    from_precursors = {r.label for r in reactions
                       if r.kind == "pair" and set(r.reactants) == {"BaO", "TiO2"}}
    assert from_precursors == {
        "BaO + TiO2 -> BaTiO3", "2 BaO + TiO2 -> Ba2TiO4", "BaO + 2 TiO2 -> BaTi2O5",
        "BaO + 4 TiO2 -> BaTi4O9", "BaO + 5 TiO2 -> BaTi5O11", "2 BaO + 9 TiO2 -> Ba2Ti9O20",
        "4 BaO + 13 TiO2 -> Ba4Ti13O30", "6 BaO + 17 TiO2 -> Ba6Ti17O40",
        "3 BaO + TiO2 -> Ba3TiO5"}
    assert all(_balanced(r) for r in reactions)
    # every coefficient is a positive integer
    assert all(c == int(c) and c > 0 for r in reactions
               for c in (*r.reactants.values(), *r.products.values()))


def test_product_must_lie_between_the_reactants():
    reactions = enumerate_reactions(_comps(["BaO", "TiO2", "BaTiO3", "Ba2TiO4"]))
    labels = {r.label for r in reactions if r.kind == "pair"}
    # BaTiO3 + TiO2 cannot make the Ba-richer Ba2TiO4; BaTiO3 + BaO can
    assert "BaO + BaTiO3 -> Ba2TiO4" in labels
    assert not any(set(r.reactants) == {"BaTiO3", "TiO2"} for r in reactions
                   if r.kind == "pair")
    decompositions = {r.label for r in reactions if r.kind == "decomposition"}
    assert "Ba2TiO4 -> BaO + BaTiO3" in decompositions
    assert "BaTiO3 -> BaO + TiO2" in decompositions
    assert len(reactions) == 4 + 4  # one pair reaction and one decomposition per ternary


def test_no_reaction_between_unrelated_compositions():
    # Li2O and TiO2 cannot make BaTiO3: not uniquely balanced -> no reaction at all
    reactions = enumerate_reactions(_comps(["Li2O", "TiO2", "BaTiO3"]))
    assert reactions == []


def test_reaction_energy_per_atom_by_hand():
    thermo = FakeThermo({"BaO": (-2.8, 0.0, 22.0, 2297.0), "TiO2": (-3.2, 0.0, 17.0, 2093.0),
                         "BaTiO3": (-3.4, 0.0, 13.6, 2252.0)})
    infos = phase_infos(["BaO", "TiO2", "BaTiO3"], thermo)
    (r,) = [x for x in enumerate_reactions({f: p.composition for f, p in infos.items()})
            if x.kind == "pair"]
    # (5 * -3.4 - 2 * -2.8 - 3 * -3.2) / 5 atoms = (-17 + 5.6 + 9.6) / 5
    expected = (-17.0 + 5.6 + 9.6) / 5.0
    g = {"BaO": -2.8, "TiO2": -3.2, "BaTiO3": -3.4}
    assert reaction_energy_per_atom(r, g, infos) == pytest.approx(expected, abs=1e-12)
    assert infos["BaTiO3"].molar_volume_A3 == pytest.approx(13.6 * 5)
    energies = reaction_energies([r], infos, [1000.0], thermo.gibbs_formation_energy_per_atom)
    assert energies[1000.0][0] == pytest.approx(expected, abs=1e-12)


def test_per_atom_energy_uses_atoms_of_one_side():
    thermo = FakeThermo({"BaO": (-2.8, 0.0, 22.0, 2297.0), "TiO2": (-3.2, 0.0, 17.0, 2093.0),
                         "Ba2TiO4": (-3.3, 0.0, 18.0, 2131.0)})
    infos = phase_infos(["BaO", "TiO2", "Ba2TiO4"], thermo)
    r = next(x for x in enumerate_reactions({f: p.composition for f, p in infos.items()})
             if x.kind == "pair")
    assert r.label == "2 BaO + TiO2 -> Ba2TiO4"
    g = {"BaO": -2.8, "TiO2": -3.2, "Ba2TiO4": -3.3}
    assert reaction_energy_per_atom(r, g, infos) == pytest.approx(
        (7 * -3.3 - 4 * -2.8 - 3 * -3.2) / 7.0)


def test_missing_melting_point_and_temperature_outside_data_are_one_line_errors():
    thermo = FakeThermo({"BaO": (-2.8, 0.0, 22.0, None), "TiO2": (-3.2, 0.0, 17.0, 2093.0)},
                        t_range=(300.0, 2000.0))
    with pytest.raises(DataNotFoundError, match="BaO: no melting point"):
        phase_infos(["BaO", "TiO2"], thermo)
    infos = phase_infos(["BaO", "TiO2"], thermo, {"BaO": 2297.0})
    assert infos["BaO"].melting_point_K == 2297.0
    with pytest.raises(DataNotFoundError, match="profile temperature 2500 K"):
        reaction_energies([], infos, [2500.0], thermo.gibbs_formation_energy_per_atom)
