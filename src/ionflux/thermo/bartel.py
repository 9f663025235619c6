"""Bartel's SISSO descriptor for the Gibbs energy of crystalline solids (SCIENCE.md §4).

Bartel et al., Nat. Commun. 9, 4168 (2018), Eqs. (4) and (6):

    G_delta(T) = (-2.48e-4 ln v - 8.94e-5 m_red / v) T + 0.181 ln T - 0.882     [eV/atom]

with ``v`` the volume per atom (Å^3) and ``m_red`` the pairwise reduced mass (amu).
"""

from __future__ import annotations

import math
from itertools import combinations

from ionflux.formula import Composition, element


def bartel_reduced_mass_amu(composition: Composition) -> float:
    """Pairwise reduced mass of Bartel's Eq. (6), in amu.

    m_red = 1 / ((N - 1) n) * sum_{i<j} (a_i + a_j) m_i m_j / (m_i + m_j), with ``a_i`` the
    amounts in the reduced formula, ``n`` its atom count and ``N`` the number of elements.
    Undefined for elements (no pairs): raises ValueError.
    """
    reduced = composition.reduced_composition
    amounts = reduced.get_el_amt_dict()
    if len(amounts) < 2:
        raise ValueError(f"reduced mass needs at least two elements, got {reduced.reduced_formula}")
    total = 0.0
    for (el_i, a_i), (el_j, a_j) in combinations(amounts.items(), 2):
        m_i = element(el_i).atomic_mass
        m_j = element(el_j).atomic_mass
        total += (a_i + a_j) * m_i * m_j / (m_i + m_j)
    return total / ((len(amounts) - 1) * reduced.num_atoms)


def bartel_g_delta_eV_per_atom(volume_per_atom_A3: float, reduced_mass_amu: float,
                               temperature_K: float) -> float:
    """G_delta(T) of Bartel's Eq. (4), eV/atom (volume in Å^3/atom, mass in amu, T in K)."""
    v = volume_per_atom_A3
    return ((-2.48e-4 * math.log(v) - 8.94e-5 * reduced_mass_amu / v) * temperature_K
            + 0.181 * math.log(temperature_K) - 0.882)
