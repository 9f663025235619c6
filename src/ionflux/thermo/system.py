"""Chemical-system names ("Ba-Ti-O") and formulas: parsing with one-line errors."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from ionflux.errors import DataNotFoundError, InputError
from ionflux.formula import Composition, element


def parse_system(system: str) -> list[str]:
    """Elements of a chemical system written as "Ba-Ti-O" (order kept, duplicates removed)."""
    parts = [p.strip() for p in str(system).replace(",", "-").split("-") if p.strip()]
    if len(parts) < 2:
        raise InputError(f"chemical system {system!r} must name at least two elements, "
                         "e.g. 'Ba-Ti-O'")
    elements: list[str] = []
    for part in parts:
        try:
            symbol = element(part).symbol
        except ValueError:
            raise InputError(f"chemical system {system!r}: {part!r} is not an element") from None
        if symbol not in elements:
            elements.append(symbol)
    return elements


def chemical_system(formulas: Sequence[str]) -> str:
    """'Ba-Ti-O'-style name of the elements of ``formulas`` (ordered by electronegativity)."""
    elements = {el.symbol for f in formulas for el in Composition(f).elements}
    return "-".join(sorted(elements, key=lambda e: (element(e).X, e)))


def system_key(elements: list[str] | set[str]) -> str:
    """Order-independent name of a chemical system: elements sorted alphabetically, '-'-joined."""
    return "-".join(sorted(elements))


def reduced_formula(formula: str, system_elements: list[str] | None = None,
                    system: str | None = None) -> str:
    """Reduced formula of ``formula``; with ``system_elements``, also check it lies in the system.

    Raises DataNotFoundError (one line) for strings that are not formulas or phases outside the
    system.
    """
    parsed = _parse_formula(str(formula).strip())
    if parsed is None:
        raise DataNotFoundError(f"unknown phase {formula!r}: not a chemical formula")
    result, elements = parsed
    if system_elements is not None:
        outside = sorted(elements - set(system_elements))
        if outside:
            name = system or "-".join(system_elements)
            raise DataNotFoundError(f"phase {formula!r} contains {', '.join(outside)}, "
                                    f"which is outside the {name} system")
    return result


@lru_cache(maxsize=4096)
def _parse_formula(text: str) -> tuple[str, frozenset[str]] | None:
    """(reduced formula, elements) of ``text``, or None if it is not a formula."""
    try:
        comp = Composition(text)
    except ValueError:  # not a formula of real elements
        return None
    if comp.num_atoms <= 0:
        return None
    return comp.reduced_formula, frozenset(el.symbol for el in comp.elements)
