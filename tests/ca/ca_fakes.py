"""Fakes for the thermo and K_D sources, and small hand-made chemistries (tests/ca)."""

from __future__ import annotations

from pymatgen.core import Composition

from ionflux.ca.reactions import PhaseInfo, Reaction
from ionflux.errors import DataNotFoundError


class FakeThermo:
    """G_f per atom = h + s_slope * T (eV/atom), fixed volumes and melting points."""

    def __init__(self, phases: dict[str, tuple[float, float, float, float | None]],
                 t_range=(300.0, 2000.0), data_version: str | None = "fake-thermo-1"):
        # formula -> (h, slope per K, volume per atom A^3, melting point K)
        self.phases = {Composition(f).reduced_formula: v for f, v in phases.items()}
        self.t_range = t_range
        if data_version is not None:
            self.data_version = data_version

    def _key(self, formula):
        key = Composition(formula).reduced_formula
        if key not in self.phases:
            raise DataNotFoundError(f"no thermodynamic data for phase {formula!r}")
        return key

    @property
    def formulas(self):
        return list(self.phases)

    def composition(self, formula):
        return Composition(self._key(formula)).reduced_composition

    def gibbs_formation_energy_per_atom(self, formula, temperature_K):
        lo, hi = self.t_range
        if not lo <= temperature_K <= hi:
            raise DataNotFoundError(f"temperature {temperature_K:g} K is outside the "
                                    f"thermodynamic data range {lo:g}-{hi:g} K")
        h, slope, _, _ = self.phases[self._key(formula)]
        return h + slope * temperature_K

    def volume_per_atom_A3(self, formula):
        return self.phases[self._key(formula)][2]

    def melting_point_K(self, formula):
        return self.phases[self._key(formula)][3]


class FakeKD:
    """K_D (cm^2/s) = value per product, tabulated on 750-1750 K; 'self-only' halves it."""

    def __init__(self, values: dict[str, float], temps=(750.0, 1000.0, 1250.0, 1500.0, 1750.0),
                 data_version: str | None = "fake-kd-1"):
        self.values = values
        self.temps = list(temps)
        self.calls: list[tuple] = []
        if data_version is not None:
            self.data_version = data_version

    def temperatures_K(self, product):
        if product not in self.values:
            raise DataNotFoundError(f"no transport data for {product}")
        return self.temps

    def kd_cm2_s(self, product, temperature_K, reactants, mode="full"):
        self.calls.append((product, temperature_K, tuple(reactants), mode))
        if not self.temps[0] <= temperature_K <= self.temps[-1]:
            raise DataNotFoundError("outside")
        return self.values[product] * (0.5 if mode == "self-only" else 1.0)


#: A toy pseudo-binary X-Y: A = X, B = Y and three compounds (all downhill from A + B).
TOY = {
    "X": (0.0, 0.0, 10.0, 1500.0),
    "Y": (0.0, 0.0, 10.0, 1500.0),
    "XY": (-0.30, 0.0, 10.0, 1600.0),
    "XY2": (-0.25, 0.0, 10.0, 1600.0),
    "X2Y": (-0.22, 0.0, 10.0, 1600.0),
}


def simple_phases(volumes: dict[str, float] | None = None) -> dict[str, PhaseInfo]:
    """Phases A = X, B = Y, C = XY, D = XY2, E = X2Y with given molar volumes (default 1)."""
    comps = {"A": {"X": 1.0}, "B": {"Y": 1.0}, "C": {"X": 1.0, "Y": 1.0},
             "D": {"X": 1.0, "Y": 2.0}, "E": {"X": 2.0, "Y": 1.0}}
    volumes = volumes or {}
    return {k: PhaseInfo(formula=k, composition=v, molar_volume_A3=volumes.get(k, 1.0),
                         melting_point_K=2000.0) for k, v in comps.items()}


def rxn(kind: str, reactants: dict[str, float], products: dict[str, float]) -> Reaction:
    return Reaction(kind=kind, reactants=reactants, products=products)


def fake_batio_thermo() -> FakeThermo:
    """BaO, TiO2 and the nine products with made-up but ordered energies."""
    g = {"BaO": -2.8, "TiO2": -3.2, "BaTiO3": -3.35, "Ba2TiO4": -3.2, "BaTi2O5": -3.35,
         "BaTi4O9": -3.3, "BaTi5O11": -3.29, "Ba2Ti9O20": -3.3, "Ba4Ti13O30": -3.33,
         "Ba6Ti17O40": -3.33, "Ba3TiO5": -3.0}
    phases = {f: (v, 1e-5, 14.0, 2093.0 if f == "TiO2" else 2100.0) for f, v in g.items()}
    return FakeThermo(phases)
