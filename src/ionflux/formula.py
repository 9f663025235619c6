"""Chemical formulas without pymatgen: parsing, pymatgen's reduced formulas, element data.

``pymatgen.core`` costs ~0.1 s to import, and every ``ionflux predict`` and ``query`` only needs
it to read formulas. :class:`Composition` is the part of pymatgen's ``Composition`` that
ionflux uses, written for formulas of real elements: the same amounts (the same floating-point
numbers, in the same order), ``reduced_formula`` by pymatgen's rules (elements ordered by
electronegativity, then symbol; the greatest common divisor; a trailing pair of close
electronegativities written as a polyanion, ``Ba(PO3)2``; ``O2``, ``Li2O2`` and the other
special formulas) and ``num_atoms``. ``tests/test_formula.py`` compares it with pymatgen on
every formula of the bundled data and on generated ones. Anything pymatgen would turn into a
dummy species (``Xx``, the isotopes ``D`` and ``T``) is a ValueError here.

Element data (Pauling electronegativity, NaN where there is none; atomic mass in u) as
pymatgen 2026.10 gives them; the test checks every element.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import NamedTuple

#: symbol, Pauling electronegativity, atomic mass (u), in order of atomic number
_TABLE = """
H 2.2 1.00794   He nan 4.002602   Li 0.98 6.941   Be 1.57 9.012182
B 2.04 10.811   C 2.55 12.0107   N 3.04 14.0067   O 3.44 15.9994
F 3.98 18.9984032   Ne nan 20.1797   Na 0.93 22.98976928   Mg 1.31 24.305
Al 1.61 26.9815386   Si 1.9 28.0855   P 2.19 30.973762   S 2.58 32.065
Cl 3.16 35.453   Ar nan 39.948   K 0.82 39.0983   Ca 1 40.078
Sc 1.36 44.955912   Ti 1.54 47.867   V 1.63 50.9415   Cr 1.66 51.9961
Mn 1.55 54.938045   Fe 1.83 55.845   Co 1.88 58.933195   Ni 1.91 58.6934
Cu 1.9 63.546   Zn 1.65 65.409   Ga 1.81 69.723   Ge 2.01 72.64
As 2.18 74.9216   Se 2.55 78.96   Br 2.96 79.904   Kr 3 83.798
Rb 0.82 85.4678   Sr 0.95 87.62   Y 1.22 88.90585   Zr 1.33 91.224
Nb 1.6 92.90638   Mo 2.16 95.94   Tc 1.9 98.0   Ru 2.2 101.07
Rh 2.28 102.9055   Pd 2.2 106.42   Ag 1.93 107.8682   Cd 1.69 112.411
In 1.78 114.818   Sn 1.96 118.71   Sb 2.05 121.76   Te 2.1 127.6
I 2.66 126.90447   Xe 2.6 131.293   Cs 0.79 132.9054519   Ba 0.89 137.327
La 1.1 138.90547   Ce 1.12 140.116   Pr 1.13 140.90765   Nd 1.14 144.242
Pm 1.13 145.0   Sm 1.17 150.36   Eu 1.2 151.964   Gd 1.2 157.25
Tb 1.1 158.92535   Dy 1.22 162.5   Ho 1.23 164.93032   Er 1.24 167.259
Tm 1.25 168.93421   Yb 1.1 173.04   Lu 1.27 174.967   Hf 1.3 178.49
Ta 1.5 180.94788   W 2.36 183.84   Re 1.9 186.207   Os 2.2 190.23
Ir 2.2 192.217   Pt 2.28 195.084   Au 2.54 196.966569   Hg 2 200.59
Tl 1.62 204.3833   Pb 2.33 207.2   Bi 2.02 208.9804   Po 2 210.0
At 2.2 210.0   Rn 2.2 220.0   Fr 0.7 223.0   Ra 0.9 226.0
Ac 1.1 227.0   Th 1.3 232.03806   Pa 1.5 231.03588   U 1.38 238.02891
Np 1.36 237.0   Pu 1.28 244.0   Am 1.3 243.0   Cm 1.3 247.0
Bk 1.3 247.0   Cf 1.3 251.0   Es 1.3 252.0   Fm 1.3 257.0
Md 1.3 258.0   No 1.3 259.0   Lr 1.3 262.0   Rf nan 267.0
Db nan 268.0   Sg nan 269.0   Bh nan 270.0   Hs nan 270.0
Mt nan 278.0   Ds nan 281.0   Rg nan 282.0   Cn nan 285.0
Nh nan 286.0   Fl nan 289.0   Mc nan 290.0   Lv nan 293.0
Ts nan 294.0   Og nan 294.0
"""


class Element(NamedTuple):
    """An element: symbol, Pauling electronegativity ``X`` (NaN if none), atomic mass (u)."""

    symbol: str
    X: float
    atomic_mass: float

    def __str__(self) -> str:
        return self.symbol


def _elements() -> dict[str, Element]:
    words = _TABLE.split()
    return {words[i]: Element(words[i], float(words[i + 1]), float(words[i + 2]))
            for i in range(0, len(words), 3)}


ELEMENTS: dict[str, Element] = _elements()

#: Amounts below this are dropped, and within it of an integer count as one (pymatgen's).
AMOUNT_TOLERANCE = 1e-8
#: Reduced formulas written with a factor of two (peroxides, diatomic elements), as pymatgen.
SPECIAL_FORMULAS = {"LiO": "Li2O2", "NaO": "Na2O2", "KO": "K2O2", "HO": "H2O2", "CsO": "Cs2O2",
                    "RbO": "Rb2O2", "O": "O2", "N": "N2", "F": "F2", "Cl": "Cl2", "H": "H2"}
#: Electronegativity gap below which the last two elements are written as a polyanion.
_POLYANION_GAP = 1.65

_TOKEN = re.compile(r"\s*(?:([A-Z][a-z]*)|([(\[{])|([)\]}])|(\d+\.?\d*|\.\d+)|(.))")


def element(symbol: str) -> Element:
    """The element of ``symbol`` (ValueError if it is not one)."""
    try:
        return ELEMENTS[symbol]
    except (KeyError, TypeError):
        raise ValueError(f"{symbol!r} is not an element") from None


def _parse(text: str) -> tuple[tuple[str, float], ...]:
    """(symbol, amount) of a formula, in order of first appearance.

    Amounts as pymatgen computes them: within a group, each amount times the group's
    multiplier, summed left to right (a group's sums enter the enclosing group as amounts);
    '@' is ignored and [] {} are parentheses.
    """
    tokens = _TOKEN.findall(text.replace("@", ""))
    position = 0
    bad = ValueError(f"{text!r} is not a chemical formula")

    def number() -> float:
        nonlocal position
        if position < len(tokens) and tokens[position][3]:
            position += 1
            return float(tokens[position - 1][3])
        return 1.0

    def group(closing: bool) -> list[tuple[str | list, float]]:
        """Items up to the closing parenthesis (or the end): (symbol or sub-group, number)."""
        nonlocal position
        items: list[tuple[str | list, float]] = []
        while position < len(tokens):
            symbol, opening, close, _, _ = tokens[position]
            position += 1
            if close and closing and items:
                return items
            if symbol:
                element(symbol)  # a real element, else ValueError
                items.append((symbol, number()))
            elif opening:
                inner = group(True)
                items.append((inner, number()))
            else:  # a stray number, character or parenthesis
                raise bad
        if closing or not items:
            raise bad
        return items

    def amounts(items: list[tuple[str | list, float]], factor: float) -> dict[str, float]:
        out: dict[str, float] = {}
        for item, value in items:
            parts = {item: value} if isinstance(item, str) else amounts(item, value)
            for symbol, amount in parts.items():
                out[symbol] = out.get(symbol, 0.0) + amount * factor
        return out

    try:
        return tuple(amounts(group(False), 1.0).items())
    except ValueError:
        raise bad from None


_parse_cached = lru_cache(maxsize=4096)(_parse)


def _sort_key(symbol: str) -> tuple[float, str]:
    x = ELEMENTS[symbol].X
    return (math.inf if math.isnan(x) else x, symbol)


def _format_amount(value: float, ignore_ones: bool = True) -> str:
    """An amount as pymatgen writes it in formulas: '' for 1, an integer, or 8 decimals."""
    if ignore_ones and math.isclose(value, 1, abs_tol=AMOUNT_TOLERANCE):
        return ""
    if math.isclose(value, round(value), abs_tol=AMOUNT_TOLERANCE, rel_tol=0):
        return str(round(value))
    return str(round(value, 8))


def _reduce(amounts: Mapping[str, float]) -> tuple[str, int]:
    """Reduced formula and factor of integer (or integral float) amounts."""
    symbols = [s for s in sorted(amounts, key=_sort_key) if abs(amounts[s]) > AMOUNT_TOLERANCE]
    factor = 1
    if all(int(a) == a for a in amounts.values()):
        factor = abs(math.gcd(*(int(a) for a in amounts.values())))
    polyanion = ""
    if len(symbols) >= 3 and (ELEMENTS[symbols[-1]].X - ELEMENTS[symbols[-2]].X
                              < _POLYANION_GAP):
        inner, inner_factor = _reduce({s: amounts[s] / factor for s in symbols[-2:]})
        if inner_factor != 1:
            polyanion = f"({inner}){inner_factor}"
            symbols = symbols[:-2]
    return "".join(s + _format_amount(amounts[s] * 1.0 / factor) for s in symbols) + polyanion, \
        factor


@lru_cache(maxsize=4096)
def _reduced_of(items: tuple[tuple[str, float], ...]) -> tuple[str, float]:
    """Reduced formula and factor of (symbol, amount) pairs (cached: the same few phases are
    reduced thousands of times in one prediction)."""
    amounts = dict(items)
    if not all(abs(a - round(a)) < AMOUNT_TOLERANCE for a in amounts.values()):
        # not integral: every amount written out, in electronegativity order
        return "".join(s + _format_amount(amounts[s], False)
                       for s in sorted(amounts, key=_sort_key)), 1
    formula, factor = _reduce({s: round(a) for s, a in amounts.items()})
    if formula in SPECIAL_FORMULAS:
        return SPECIAL_FORMULAS[formula], factor / 2
    return formula, factor


class Composition:
    """Amounts of elements, from a formula (``"Ba2TiO4"``) or a mapping of symbols (or
    :class:`Element`) to amounts. Amounts below 1e-8 are dropped; negative ones are an error."""

    __slots__ = ("_amounts", "_n_atoms", "_reduced")

    def __init__(self, formula: str | Mapping[str | Element, float]) -> None:
        items = (_parse_cached(formula) if isinstance(formula, str)
                 else ((str(k), v) for k, v in formula.items()))
        amounts: dict[str, float] = {}
        n_atoms: float = 0  # stays an int for integer amounts, as pymatgen's
        for symbol, value in items:
            element(symbol)
            if value < -AMOUNT_TOLERANCE:
                raise ValueError(f"negative amount of {symbol}: {value}")
            if abs(value) >= AMOUNT_TOLERANCE:
                amounts[symbol] = value
                n_atoms += abs(value)
        self._amounts = amounts
        self._n_atoms = n_atoms
        self._reduced: tuple[str, float] | None = None

    def __repr__(self) -> str:
        return "Composition(" + " ".join(f"{s}{a:g}" for s, a in self._amounts.items()) + ")"

    def __len__(self) -> int:
        return len(self._amounts)

    def __iter__(self) -> Iterator[Element]:
        return iter(self.elements)

    def __getitem__(self, key: str | Element) -> float:
        return self._amounts.get(str(key), 0.0)

    def items(self) -> list[tuple[Element, float]]:
        """(element, amount) pairs in order of first appearance."""
        return [(ELEMENTS[s], a) for s, a in self._amounts.items()]

    @property
    def elements(self) -> list[Element]:
        return [ELEMENTS[s] for s in self._amounts]

    @property
    def num_atoms(self) -> float:
        """Atoms in the composition (the sum of the amounts)."""
        return self._n_atoms

    @property
    def is_element(self) -> bool:
        return len(self._amounts) == 1

    def get_el_amt_dict(self) -> dict[str, float]:
        """{symbol: amount}."""
        return dict(self._amounts)

    def get_atomic_fraction(self, el: str | Element) -> float:
        """Share of the atoms that are ``el``."""
        return abs(self[el]) / self._n_atoms

    def get_reduced_formula_and_factor(self) -> tuple[str, float]:
        """Reduced formula and the factor it was divided by (pymatgen's rules)."""
        if self._reduced is None:
            self._reduced = _reduced_of(tuple(self._amounts.items()))
        return self._reduced

    @property
    def reduced_formula(self) -> str:
        """``Ba2Ti2O6`` -> ``BaTiO3``, as pymatgen writes it."""
        return self.get_reduced_formula_and_factor()[0]

    @property
    def reduced_composition(self) -> Composition:
        """The composition divided by the factor of its reduced formula."""
        factor = self.get_reduced_formula_and_factor()[1]
        return Composition({s: a / factor for s, a in self._amounts.items()})


def reduced_formula(formula: str) -> str:
    """Reduced formula of ``formula`` in pymatgen's convention (ValueError if not one)."""
    composition = Composition(formula)
    if composition.num_atoms <= 0:
        raise ValueError(f"{formula!r} is not a chemical formula")
    return composition.reduced_formula
