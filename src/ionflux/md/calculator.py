"""An ASE calculator for the Pedone potential, so ASE dynamics and optimisers can drive it."""

from __future__ import annotations

from ase.calculators.calculator import Calculator, all_changes

from ionflux.errors import InputError
from ionflux.md.pedone import PedoneModel


class PedoneCalculator(Calculator):
    """Energy (eV) and forces (eV/Å) of the Pedone model with DSF Coulomb (fully periodic cells).

    No stress: the melt-quench runs at fixed volume.
    """

    implemented_properties = ("energy", "free_energy", "forces")

    def __init__(self, alpha: float = 0.25, cutoff_coulomb: float = 8.0,
                 cutoff_short: float = 5.5, **kwargs) -> None:
        super().__init__(**kwargs)
        self.alpha = alpha
        self.cutoff_coulomb = cutoff_coulomb
        self.cutoff_short = cutoff_short

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        if not all(self.atoms.pbc):
            raise InputError("PedoneCalculator: the cell must be periodic in all directions")
        symbols = self.atoms.get_chemical_symbols()
        model = PedoneModel.for_elements(symbols, alpha=self.alpha,
                                         cutoff_coulomb=self.cutoff_coulomb,
                                         cutoff_short=self.cutoff_short)
        energy, forces = model.energy_forces(self.atoms.positions, self.atoms.cell.array,
                                             model.type_indices(symbols))
        self.results = {"energy": energy, "free_energy": energy, "forces": forces}
