"""ionflux.formula against pymatgen's Composition: the same amounts (bit for bit), atom counts,
reduced formulas and reduced compositions, on the bundled data's formulas and ~3,000 generated
ones; the same element data; a ValueError where pymatgen has no real element."""

from __future__ import annotations

import json
import math
import random
import re
import warnings
from pathlib import Path

import pytest
from pymatgen.core import Composition as PmgComposition
from pymatgen.core import Element as PmgElement

from ionflux.formula import ELEMENTS, Composition, element, reduced_formula

DATA = Path(__file__).resolve().parents[1] / "src" / "ionflux" / "data"


def _same(text: str | dict) -> None:
    """Every quantity ionflux reads from a composition agrees with pymatgen's, exactly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymatgen warns about missing electronegativities
        _compare(Composition(text), PmgComposition(text), text)


def _compare(ours: Composition, theirs: PmgComposition, text: str | dict) -> None:
    assert [(str(e), a) for e, a in ours.items()] == [(e.symbol, a) for e, a in theirs.items()]
    assert ours.num_atoms == theirs.num_atoms
    assert ours.reduced_formula == theirs.reduced_formula, text
    assert ours.get_reduced_formula_and_factor() == theirs.get_reduced_formula_and_factor()
    assert ([(str(e), a) for e, a in ours.reduced_composition.items()]
            == [(e.symbol, a) for e, a in theirs.reduced_composition.items()])
    assert ours.is_element == theirs.is_element
    for el in theirs.elements:
        assert ours.get_atomic_fraction(el.symbol) == theirs.get_atomic_fraction(el)


def _bundled_formulas() -> set[str]:
    found: set[str] = set()
    for path in DATA.glob("*/*.json"):
        text = path.read_text()
        found.update(re.findall(r'"((?:[A-Z][a-z]?\d*(?:\.\d+)?)+)"', text))
    return {f for f in found if all(s in ELEMENTS for s in re.findall(r"[A-Z][a-z]?", f))}


def test_bundled_formulas_agree_with_pymatgen():
    formulas = _bundled_formulas()
    assert len(formulas) > 40  # the thermo and transport data of both systems
    for formula in sorted(formulas):
        _same(formula)


@pytest.mark.parametrize("formula", [
    "BaTiO3", "Ba2Ti2O6", "TiO2", "O2", "O", "Li2O2", "LiO", "H2O2", "HO", "N2", "Cl", "Fe",
    "Ba(PO3)2", "Ca3(PO4)2", "LiFePO4", "Li4Fe4P4O16", "K2SO4", "NaNO3", "CaCO3", "BaCO3",
    "Na2B4O7", "Ba(OH)2", "Ba(OH)2O", "Fe2(SO4)3", "Cu[Fe(CN)6]", "Y3N@C80", "Ba0.5Sr0.5TiO3",
    "Li0.33La0.56TiO3", "BaTiO2.95", "Fe0.947O", "Li4 Fe4 P4 O16", "( OH )2Ba", "SiO2", "HeNe",
    "CNe", "HfO2", "Mg2SiO4", "Al2(SiO4)O", "((CH3)2N)3P", "K4[Fe(CN)6]", "Ba2TiO4", "Xe",
    "NaCl", "UO2", "PuO2", "ThO2", "OgO2", "RfO2", "BaO0", "Ba{OH}2", "NH4NO3", "C6H12O6",
])
def test_hand_picked_formulas_agree_with_pymatgen(formula):
    _same(formula)


def test_generated_formulas_agree_with_pymatgen():
    rng = random.Random(7)
    symbols = list(ELEMENTS)
    common = ["O", "O", "Ba", "Ti", "Li", "Sr", "P", "S", "N", "C", "H", "F", "Cl", "Si", "B"]

    def amount() -> str:
        kind = rng.random()
        if kind < 0.35:
            return ""
        if kind < 0.75:
            return str(rng.randint(1, 12))
        return f"{rng.uniform(0.01, 6):.{rng.randint(1, 4)}f}"

    def part(depth: int) -> str:
        if depth < 2 and rng.random() < 0.2:
            return "(" + "".join(part(depth + 1) for _ in range(rng.randint(1, 3))) + ")" + (
                amount())
        return rng.choice(common if rng.random() < 0.6 else symbols) + amount()

    for _ in range(3000):
        _same("".join(part(0) for _ in range(rng.randint(1, 5))))


@pytest.mark.parametrize("text", ["", "  ", "12", "Xx2O", "DO2", "T2O", "Ba(O", "BaO)", "()",
                                  "Ba-O", "ba2O", "Ba2O!", "(2)O", "2BaO"])
def test_what_is_not_a_formula_of_real_elements_is_a_value_error(text):
    with pytest.raises(ValueError, match="is not"):
        Composition(text)


def test_reduced_formula_refuses_no_atoms():
    assert reduced_formula("Ba2Ti2O6") == "BaTiO3"
    with pytest.raises(ValueError, match="not a chemical formula"):
        reduced_formula("Ba0")


def test_element_data_are_pymatgens():
    assert list(ELEMENTS) == [el.symbol for el in PmgElement]
    for el in PmgElement:
        ours = element(el.symbol)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = el.X
        assert (math.isnan(ours.X) and math.isnan(x)) or ours.X == x
        assert ours.atomic_mass == float(el.atomic_mass)
    with pytest.raises(ValueError, match="not an element"):
        element("Xx")


def test_mapping_input_and_lookups():
    comp = Composition({"Ba": 2.0, element("Ti"): 2, "O": 6.0})
    assert comp.reduced_formula == "BaTiO3" and comp["O"] == 6.0 and comp["Sr"] == 0.0
    assert [str(e) for e in comp] == ["Ba", "Ti", "O"] and len(comp) == 3
    with pytest.raises(ValueError, match="negative"):
        Composition({"Ba": -1.0})
    assert json.dumps(comp.get_el_amt_dict()) == '{"Ba": 2.0, "Ti": 2, "O": 6.0}'
    for amounts in ({"Ba": 2, "Ti": 2, "O": 6}, {"Ba": 2.0, "Ti": 1, "O": 4.5}, {"O": 2}):
        _same(amounts)
        assert str(Composition(amounts).num_atoms) == str(PmgComposition(amounts).num_atoms)
