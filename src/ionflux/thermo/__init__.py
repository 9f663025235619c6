"""Gibbs formation energies G_f(T) from Materials Project, Bartel's descriptor and NIST-JANAF."""

from __future__ import annotations

from ionflux.thermo.bartel import bartel_g_delta_eV_per_atom, bartel_reduced_mass_amu
from ionflux.thermo.data import ThermoData, ThermoEntry, ThermoSource, cache_dir, thermo_cache_path
from ionflux.thermo.system import parse_system, reduced_formula

__all__ = [
    "ThermoData",
    "ThermoEntry",
    "ThermoSource",
    "bartel_g_delta_eV_per_atom",
    "bartel_reduced_mass_amu",
    "cache_dir",
    "parse_system",
    "reduced_formula",
    "thermo_cache_path",
]
