"""Literature statements about BaO + TiO2 recipes R1 and R4, checked on predictions.

Each statement is what the experiments (as summarised by the study the automaton reproduces)
report, turned into a test on a :class:`~ionflux.ca.documents.PredictionDoc`'s mean mole
fractions. "Products" are every phase except the precursors; shares of products are fractions of
the product formula units. Thresholds are the statements' own words ("< 5 mol%", "majority");
where the words are qualitative ("first", "major impurity", "mostly consumed") the test is
written out in :attr:`Statement.test`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ionflux.ca.documents import PredictionDoc, SeriesPoint

PRECURSORS = ("BaO", "TiO2")


def products(point: SeriesPoint) -> dict[str, float]:
    """Mole fractions of the non-precursor phases."""
    return {p: v for p, v in point.mol_fraction.items() if p not in PRECURSORS}


def product_shares(point: SeriesPoint) -> dict[str, float]:
    """Each product's share of all product formula units (empty before anything formed)."""
    made = products(point)
    total = sum(made.values())
    return {} if total <= 0 else {p: v / total for p, v in made.items()}


def end_of_step(doc: PredictionDoc, temperature_K: float) -> SeriesPoint:
    """The last recorded point at ``temperature_K`` (end of the last step at that T)."""
    points = [p for p in doc.series if abs(p.temperature_K - temperature_K) < 1e-6]
    if not points:
        raise ValueError(f"no recorded point at {temperature_K:g} K")
    return points[-1]


def first_product(doc: PredictionDoc, threshold: float = 0.01) -> tuple[str, float] | None:
    """(largest product, temperature) at the first record where products reach ``threshold``."""
    for point in doc.series:
        made = products(point)
        if sum(made.values()) >= threshold:
            return max(made, key=made.__getitem__), point.temperature_K
    return None


@dataclass(frozen=True)
class Statement:
    """A literature statement, the test it becomes, and the check itself."""

    recipe: str
    key: str
    text: str
    test: str
    check: Callable[[PredictionDoc], tuple[bool, str]]


def _r1_majority(doc: PredictionDoc) -> tuple[bool, str]:
    shares = product_shares(doc.series[-1])
    value = shares.get("BaTiO3", 0.0)
    return value > 0.5 and value == max(shares.values()), f"BaTiO3 {value:.0%} of products"


def _r1_impurity(doc: PredictionDoc) -> tuple[bool, str]:
    value = doc.final_mol_fraction.get("BaTi2O5", 0.0)
    return value < 0.05, f"BaTi2O5 {value:.3f}"


def _r1_first(doc: PredictionDoc) -> tuple[bool, str]:
    first = first_product(doc)
    if first is None:
        return False, "nothing formed"
    return first[0] == "Ba2TiO4", f"first: {first[0]} at {first[1]:g} K"


def _r1_major_impurity(doc: PredictionDoc) -> tuple[bool, str]:
    point = end_of_step(doc, 1300.0)
    made = {p: v for p, v in products(point).items() if p != "BaTiO3"}
    top = max(made, key=made.__getitem__)
    return top == "BaTi2O5", f"largest impurity at 1300 K: {top} {made[top]:.3f}"


def _r1_consumed(doc: PredictionDoc) -> tuple[bool, str]:
    peak = max(p.mol_fraction.get("BaTi2O5", 0.0) for p in doc.series)
    end = doc.final_mol_fraction.get("BaTi2O5", 0.0)
    return end <= 0.5 * peak, f"BaTi2O5 peak {peak:.3f}, end {end:.3f}"


def _r4_first_anneal(doc: PredictionDoc) -> tuple[bool, str]:
    made = products(end_of_step(doc, 1200.0))
    top = max(made, key=made.__getitem__)
    return top == "BaTiO3", (f"after 1200 K: BaTiO3 {made.get('BaTiO3', 0):.3f}, "
                             f"BaTi2O5 {made.get('BaTi2O5', 0):.3f}")


def _r4_second_anneal(doc: PredictionDoc) -> tuple[bool, str]:
    made = products(end_of_step(doc, 1300.0))
    ok = made.get("BaTi2O5", 0.0) > made.get("BaTiO3", 0.0)
    return ok, (f"after 1300 K: BaTi2O5 {made.get('BaTi2O5', 0):.3f}, "
                f"BaTiO3 {made.get('BaTiO3', 0):.3f}")


def _r4_pure(doc: PredictionDoc) -> tuple[bool, str]:
    final = doc.final_mol_fraction
    bt, b6, b2 = (final.get(p, 0.0) for p in ("BaTiO3", "Ba6Ti17O40", "BaTi2O5"))
    return bt < 0.05 and b6 < 0.05 and b2 >= 0.9, (
        f"BaTi2O5 {b2:.3f}, BaTiO3 {bt:.3f}, Ba6Ti17O40 {b6:.3f}")


STATEMENTS: tuple[Statement, ...] = (
    Statement("R1", "R1.majority", "BaTiO3 is the predominant product at the end",
              "BaTiO3 > 50 % of the product formula units at the end", _r1_majority),
    Statement("R1", "R1.impurity", "BaTi2O5, the main impurity, < 5 mol% at the end",
              "final BaTi2O5 mole fraction < 0.05", _r1_impurity),
    Statement("R1", "R1.first", "Ba2TiO4 forms first, at low temperature",
              "largest product when products first reach 1 mol% is Ba2TiO4", _r1_first),
    Statement("R1", "R1.impurity1300", "BaTi2O5 is the major impurity past ~1200 K",
              "largest product other than BaTiO3 at the end of the 1300 K step is BaTi2O5",
              _r1_major_impurity),
    Statement("R1", "R1.consumed", "BaTi2O5 is then mostly consumed",
              "final BaTi2O5 <= half its peak mole fraction", _r1_consumed),
    Statement("R4", "R4.first", "BaTiO3 is the majority product after the first anneal",
              "largest product at the end of the 1200 K anneal is BaTiO3", _r4_first_anneal),
    Statement("R4", "R4.second", "BaTi2O5 overtakes BaTiO3 in the second anneal",
              "BaTi2O5 > BaTiO3 at the end of the 1300 K anneal", _r4_second_anneal),
    Statement("R4", "R4.pure", "near phase-pure BaTi2O5 at the end (< 5 % BaTiO3, Ba6Ti17O40)",
              "final BaTi2O5 >= 0.9, BaTiO3 < 0.05, Ba6Ti17O40 < 0.05", _r4_pure),
)


def contrast(full: PredictionDoc, thermo_only: PredictionDoc,
             margin: float = 0.1) -> tuple[bool, str]:
    """R1: thermodynamics-only scoring ends with a visibly worse mixture than full scoring.

    Test: BaTiO3's final share of the products is lower by at least ``margin`` (0.1) in
    thermo-only mode (the study: ~70 % BaTiO3, ~15 % Ba2TiO4, ~20 % BaTi2O5).
    """
    a = product_shares(full.series[-1]).get("BaTiO3", 0.0)
    b = product_shares(thermo_only.series[-1]).get("BaTiO3", 0.0)
    return a - b >= margin, f"BaTiO3 share of products: full {a:.0%}, thermo-only {b:.0%}"


def evaluate(doc: PredictionDoc) -> list[tuple[Statement, bool, str]]:
    """Every statement of ``doc``'s recipe with its verdict and the numbers behind it."""
    return [(s, *s.check(doc)) for s in STATEMENTS if s.recipe == doc.inputs.recipe]
