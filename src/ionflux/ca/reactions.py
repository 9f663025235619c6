"""Balanced reactions between the phases of a chemical system and their free energies.

Pure functions: compositions in, reactions out. Coefficients are exact (rational arithmetic) and
given per reduced formula unit; reaction free energies are in eV per atom (the total free-energy
change divided by the number of atoms on one side, as in reaction-network).

Two kinds of reactions are enumerated (see ``ionflux.ca`` for why exactly these):

* ``pair``: a A + b B -> c P for every unordered pair {A, B} of candidate phases and every
  other candidate P with a unique balance and positive coefficients (P lies "between" A and B);
* ``decomposition``: a A -> p P + q Q for every candidate A and pair {P, Q} of other candidates,
  kept at a temperature only where its free energy is negative.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from functools import reduce
from math import gcd, lcm
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from ionflux.errors import DataNotFoundError, InputError

#: The nine candidate products of SCIENCE.md §6 for BaO + TiO2.
BA_TI_O_PRODUCTS: tuple[str, ...] = (
    "BaTiO3", "Ba2TiO4", "BaTi2O5", "BaTi4O9", "BaTi5O11", "Ba2Ti9O20", "Ba4Ti13O30",
    "Ba6Ti17O40", "Ba3TiO5",
)


@runtime_checkable
class ThermoSource(Protocol):
    """What the CA needs from thermodynamic data (``ionflux.thermo.ThermoData`` fits)."""

    def composition(self, formula: str):  # -> pymatgen Composition (one formula unit)
        ...

    def gibbs_formation_energy_per_atom(self, formula: str, temperature_K: float) -> float:
        ...

    def volume_per_atom_A3(self, formula: str) -> float:
        ...

    def melting_point_K(self, formula: str) -> float | None:
        ...


class PhaseInfo(BaseModel):
    """One candidate phase: composition and size of one reduced formula unit."""

    model_config = ConfigDict(frozen=True)

    formula: str = Field(description="reduced formula")
    composition: dict[str, float] = Field(description="atoms per reduced formula unit")
    molar_volume_A3: float = Field(gt=0, description="volume per reduced formula unit, Å^3")
    melting_point_K: float = Field(gt=0, description="melting point used for Tammann's rule")

    @property
    def atoms_per_fu(self) -> float:
        return float(sum(self.composition.values()))


class Reaction(BaseModel):
    """A balanced reaction; coefficients in reduced formula units (smallest integers)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["pair", "decomposition"]
    reactants: dict[str, float]
    products: dict[str, float]

    @property
    def label(self) -> str:
        def side(terms: Mapping[str, float]) -> str:
            return " + ".join(f"{_fmt(c)}{f}" for f, c in terms.items())

        return f"{side(self.reactants)} -> {side(self.products)}"

    def atoms_per_side(self, phases: Mapping[str, PhaseInfo]) -> float:
        return sum(c * phases[f].atoms_per_fu for f, c in self.reactants.items())


def _fmt(c: float) -> str:
    return "" if c == 1 else f"{c:g} "


def phase_molar_volume_A3(thermo: ThermoSource, formula: str) -> float:
    """Å^3 per reduced formula unit as a powder: the polymorph used in practice where the thermo
    data names one (``powder_molar_volume_A3``, e.g. rutile TiO2), else the computed entry's."""
    powder = getattr(thermo, "powder_molar_volume_A3", None)
    if powder is not None:
        return float(powder(formula)[0])
    return thermo.volume_per_atom_A3(formula) * thermo.composition(formula).num_atoms


def phase_infos(formulas: Sequence[str], thermo: ThermoSource,
                melting_points_K: Mapping[str, float] | None = None) -> dict[str, PhaseInfo]:
    """Look up composition, molar volume and melting point of each formula.

    ``melting_points_K`` overrides or fills in the thermo data. A phase without any melting point
    raises :class:`DataNotFoundError` (Tammann's rule needs it).
    """
    overrides = dict(melting_points_K or {})
    out: dict[str, PhaseInfo] = {}
    for formula in formulas:
        comp = thermo.composition(formula)
        reduced = comp.reduced_composition
        key = reduced.reduced_formula
        tm = overrides.get(key, overrides.get(formula))
        if tm is None:
            tm = thermo.melting_point_K(key)
        if tm is None:
            raise DataNotFoundError(
                f"phase {key}: no melting point in the thermo data; give one with "
                f"melting_points_K={{'{key}': ...}} (Tammann's rule needs it)")
        composition = {el.symbol: float(n) for el, n in reduced.items()}
        volume = phase_molar_volume_A3(thermo, key)
        out[key] = PhaseInfo(formula=key, composition=composition, molar_volume_A3=volume,
                             melting_point_K=float(tm))
    return out


# ------------------------------------------------------------------ exact linear algebra
def _nullspace_1d(columns: Sequence[Sequence[Fraction]]) -> list[Fraction] | None:
    """Return the basis vector of a one-dimensional null space of the matrix [columns], else None.

    The matrix has one row per element and one column per phase.
    """
    n_cols = len(columns)
    rows = [list(r) for r in zip(*columns, strict=True)]
    pivots: list[int] = []
    r = 0
    for col in range(n_cols):
        pivot = next((i for i in range(r, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        inv = 1 / rows[r][col]
        rows[r] = [v * inv for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][col] != 0:
                f = rows[i][col]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(col)
        r += 1
        if r == len(rows):
            break
    free = [c for c in range(n_cols) if c not in pivots]
    if len(free) != 1:
        return None
    vec = [Fraction(0)] * n_cols
    vec[free[0]] = Fraction(1)
    for i, col in enumerate(pivots):
        vec[col] = -rows[i][free[0]]
    return vec


def _integerise(values: Iterable[Fraction]) -> list[int]:
    vals = list(values)
    den = reduce(lcm, (v.denominator for v in vals), 1)
    ints = [int(v * den) for v in vals]
    g = reduce(gcd, (abs(i) for i in ints), 0) or 1
    return [i // g for i in ints]


def _balance(reactants: Sequence[str], products: Sequence[str],
             comps: Mapping[str, Mapping[str, Fraction]]) -> list[int] | None:
    """Positive integer coefficients (reactants then products) of the unique balance, or None."""
    elements = sorted({el for f in (*reactants, *products) for el in comps[f]})
    columns = [[comps[f].get(el, Fraction(0)) for el in elements] for f in reactants]
    columns += [[-comps[f].get(el, Fraction(0)) for el in elements] for f in products]
    vec = _nullspace_1d(columns)
    if vec is None:
        return None
    if all(v < 0 for v in vec):
        vec = [-v for v in vec]
    if not all(v > 0 for v in vec):
        return None
    return _integerise(vec)


def enumerate_reactions(compositions: Mapping[str, Mapping[str, float]], *,
                        decompositions: bool = True) -> list[Reaction]:
    """All uniquely balanced pair reactions (one product) and two-product decompositions.

    ``compositions`` maps reduced formula -> atoms per formula unit. Deterministic order.
    """
    comps = {f: {el: Fraction(n).limit_denominator(10_000) for el, n in c.items() if n}
             for f, c in compositions.items()}
    names = list(comps)
    out: list[Reaction] = []
    for a_name, b_name in itertools.combinations(names, 2):
        for p_name in names:
            if p_name in (a_name, b_name):
                continue
            coeffs = _balance([a_name, b_name], [p_name], comps)
            if coeffs is not None:
                out.append(Reaction(kind="pair",
                                    reactants={a_name: coeffs[0], b_name: coeffs[1]},
                                    products={p_name: coeffs[2]}))
    if decompositions:
        for a_name in names:
            others = [n for n in names if n != a_name]
            for p_name, q_name in itertools.combinations(others, 2):
                coeffs = _balance([a_name], [p_name, q_name], comps)
                if coeffs is not None:
                    out.append(Reaction(kind="decomposition", reactants={a_name: coeffs[0]},
                                        products={p_name: coeffs[1], q_name: coeffs[2]}))
    return out


def reaction_energy_per_atom(reaction: Reaction, g_per_atom: Mapping[str, float],
                             phases: Mapping[str, PhaseInfo]) -> float:
    """dG_rxn in eV/atom: (sum_products - sum_reactants of n_fu G_f) / atoms on one side."""
    def total(terms: Mapping[str, float]) -> float:
        return sum(c * phases[f].atoms_per_fu * g_per_atom[f] for f, c in terms.items())

    return (total(reaction.products) - total(reaction.reactants)) / reaction.atoms_per_side(
        phases)


def reaction_energies(reactions: Sequence[Reaction], phases: Mapping[str, PhaseInfo],
                      temperatures_K: Sequence[float],
                      gibbs_per_atom: Callable[[str, float], float]) -> dict[float, list[float]]:
    """dG_rxn (eV/atom) of every reaction at every temperature (keys: temperatures in K)."""
    out: dict[float, list[float]] = {}
    for t in temperatures_K:
        g = {}
        for f in phases:
            try:
                g[f] = float(gibbs_per_atom(f, float(t)))
            except DataNotFoundError as exc:
                raise DataNotFoundError(f"profile temperature {t:g} K: {exc}") from None
        out[float(t)] = [reaction_energy_per_atom(r, g, phases) for r in reactions]
    return out


def check_formulas(formulas: Iterable[str]) -> list[str]:
    """Reduced formulas of ``formulas`` (one-line InputError for anything unparsable)."""
    from ionflux.formula import Composition

    out = []
    for f in formulas:
        try:
            comp = Composition(str(f).strip())  # real elements only
            if comp.num_atoms <= 0:
                raise ValueError
        except Exception:
            raise InputError(f"unknown phase {f!r}: not a chemical formula") from None
        out.append(comp.reduced_formula)
    return out
