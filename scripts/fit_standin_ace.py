"""Fit the bundled STAND-IN ACE potential: a pyace B-basis fitted to the classical Pedone model.

No Ba-Ti-O ACE potential is available offline. This script makes one that exercises the ACE
path honestly labelled as what it is: training configurations are snapshots of LAMMPS Pedone
melts (``ionflux.md.lammps``, DSF Coulomb) of four compositions spanning Ba:Ti at three
temperatures; their energies and forces come from the project's numba Pedone model (same DSF
Coulomb); the linear coefficients of a small pyace B-basis (``ionflux.md.ace.STANDIN_BASIS``)
are fitted by least squares; the active set (MaxVol over the training environments) is saved
for gamma QC. Writes ``OUT/BaTiO_pedone_standin.yaml``, ``.asi`` and ``fit.json``::

    nice -n 15 python scripts/fit_standin_ace.py --out src/ionflux/data/ace
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

COMPOSITIONS = ("Ba2TiO4", "BaTiO3", "BaTi2O5", "BaTi4O9")
TEMPERATURES = (1500.0, 2500.0, 3500.0)


def training_configurations(atoms_per_cell: int, snapshots: int, every_fs: float,
                            seed: int) -> list:
    import numpy as np
    from ase import Atoms

    from ionflux.md.lammps import LammpsSettings, PedoneLammps, initial_cell

    settings = LammpsSettings(coulomb="dsf")
    configs = []
    k = 0
    for formula in COMPOSITIONS:
        for temperature in TEMPERATURES:
            k += 1
            _, symbols, cell, positions, _, _ = initial_cell(formula, atoms_per_cell, seed + k)
            md = PedoneLammps(symbols, cell, positions, settings, seed=seed + k)
            try:
                md.minimize(300)
                md.velocities(temperature)
                md.thermostat("langevin", temperature, temperature)
                md.run(3000)
                for _ in range(snapshots):
                    md.run(round(every_fs / settings.timestep_fs))
                    configs.append(Atoms(symbols, positions=np.array(md.positions()),
                                         cell=cell, pbc=True))
            finally:
                md.close()
    return configs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--atoms", type=int, default=80)
    parser.add_argument("--snapshots", type=int, default=8)
    parser.add_argument("--every-fs", type=float, default=250.0)
    parser.add_argument("--seed", type=int, default=100)
    args = parser.parse_args(argv)

    from ionflux.md.ace import (
        STANDIN_BASIS,
        STANDIN_LABEL,
        build_active_set,
        fit_linear_ace,
        save_active_set,
    )
    from ionflux.md.calculator import PedoneCalculator

    start = time.perf_counter()
    configs = training_configurations(args.atoms, args.snapshots, args.every_fs, args.seed)
    energies, forces = [], []
    calc = PedoneCalculator()
    for atoms in configs:
        atoms.calc = calc
        energies.append(atoms.get_potential_energy())
        forces.append(atoms.get_forces().copy())
        atoms.calc = None
    fit = fit_linear_ace(configs, energies, forces, metadata={
        "name": "Ba-Ti-O Pedone stand-in (linear ACE)",
        "training": (f"{len(configs)} LAMMPS Pedone (DSF) snapshots of "
                     f"{', '.join(COMPOSITIONS)} at {', '.join(f'{t:g}' for t in TEMPERATURES)}"
                     f" K, ~{args.atoms} atoms, seed {args.seed}"),
        "generator": "scripts/fit_standin_ace.py"})
    inverse = build_active_set(fit.basis, configs)
    args.out.mkdir(parents=True, exist_ok=True)
    yaml_path = args.out / "BaTiO_pedone_standin.yaml"
    fit.basis.to_BBasisConfiguration().save(str(yaml_path))
    save_active_set(args.out / "BaTiO_pedone_standin.asi", fit.basis, inverse)
    report = {"label": STANDIN_LABEL, "basis": STANDIN_BASIS,
              "n_functions": len(fit.basis.basis_coeffs), "n_structures": fit.n_structures,
              "n_atoms": fit.n_atoms, "energy_rmse_meV_per_atom":
                  1000 * fit.energy_rmse_eV_per_atom,
              "force_rmse_eV_A": fit.force_rmse_eV_A, "force_std_eV_A": fit.force_std_eV_A,
              "reference_energies_eV": fit.e0_eV,
              "command": "python scripts/fit_standin_ace.py " + " ".join(argv or sys.argv[1:]),
              "wall_s": round(time.perf_counter() - start, 1)}
    (args.out / "fit.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
