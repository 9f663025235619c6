"""MD speed on one cell: LAMMPS vs the home-made numba integrator (same Pedone model), and pyace.

All engines start from the same bundled melt-quenched cell (``--formula``, optionally repeated
``--repeat`` times along each axis) and run Langevin NVT at ``--temperature`` with a 1 fs step,
one thread each, interleaved (``--rounds`` rounds; every engine continues its own run from
round to round). Printed as steps per second (best round) and as the min and median over
rounds of the rate ratio against the numba integrator in the same round:

- numba BAOAB integrator, Pedone with DSF Coulomb (the baseline);
- LAMMPS, the same model (``pair_style pedone`` + ``coul/dsf``): the fair comparison; its
  it is given the numba model's DSF parameters and cut-offs;
- LAMMPS, production model (``coul/long`` + Ewald under 500 atoms, else PPPM, at 1e-5);
- pyace (ASE Langevin, the stand-in ACE potential, gamma evaluated every step).

    nice -n 15 python scripts/bench_md.py                 # ~100 atoms, about a minute
    nice -n 15 python scripts/bench_md.py --repeat 2      # ~800 atoms
"""

from __future__ import annotations

import argparse
import sys

from harness import add_arguments, interleave, start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formula", default="BaTi2O5")
    parser.add_argument("--repeat", type=int, default=1, help="cell repeats along each axis")
    parser.add_argument("--temperature", type=float, default=2000.0)
    parser.add_argument("--numba-steps", type=int, default=1000)
    parser.add_argument("--lammps-steps", type=int, default=5000)
    parser.add_argument("--ace-steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    add_arguments(parser, repeat=None)
    args = parser.parse_args(argv)
    start(args, "bench_md: MD engines on one cell")

    import numpy as np
    from ase import Atoms
    from pymatgen.core import Element

    from ionflux.io import read_trajectory
    from ionflux.md.ace import AceMDSettings, load_potential, run_ace_md, standin_potential_files
    from ionflux.md.integrate import Integrator, maxwell_boltzmann
    from ionflux.md.lammps import LammpsSettings, PedoneLammps
    from ionflux.md.library import amorphous_snapshot_files
    from ionflux.md.pedone import PedoneModel

    traj = read_trajectory(amorphous_snapshot_files()[args.formula])
    base = Atoms(traj.species, positions=traj.positions[-1], cell=traj.cells[-1], pbc=True)
    atoms = base.repeat(args.repeat)
    symbols, cell, positions = atoms.get_chemical_symbols(), atoms.cell.array, atoms.positions
    print(f"{args.formula} x {args.repeat}^3: {len(atoms)} atoms, {args.temperature:g} K, "
          f"1 fs steps, {args.threads or 'default'} thread(s)")

    model = PedoneModel.for_elements(symbols)
    masses = np.array([Element(s).atomic_mass for s in symbols])
    md = Integrator(model=model, cell=cell, types=model.type_indices(symbols), masses=masses)
    rng = np.random.default_rng(1)
    state = md.start(positions, maxwell_boltzmann(masses, args.temperature, rng))
    md.run(state, 20, args.temperature, 0.01, rng)  # compile
    numba_label = "numba integrator (Pedone, DSF)"
    sides = {numba_label: lambda: md.run(state, args.numba_steps, args.temperature, 0.01, rng)}
    work = {numba_label: args.numba_steps}

    engines = []
    # the same model: LAMMPS gets the numba model's DSF parameters and cut-offs (energies then
    # differ by two documented constants, checked in tests/md/test_lammps.py)
    same = LammpsSettings(coulomb="dsf", dsf_alpha=model.alpha,
                          cutoff_coulomb=model.cutoff_coulomb, cutoff_short=model.cutoff_short)
    for label, settings in (("LAMMPS (Pedone, DSF: same model)", same),
                            ("LAMMPS (Pedone, Ewald/PPPM 1e-5: production)", LammpsSettings())):
        lmp = PedoneLammps(symbols, cell, positions, settings)
        lmp.velocities(args.temperature)
        lmp.thermostat("langevin", args.temperature, args.temperature)
        lmp.run(100)
        engines.append(lmp)
        sides[label] = lambda lmp=lmp: lmp.run(args.lammps_steps)
        work[label] = args.lammps_steps

    yaml_path, asi_path = standin_potential_files()
    potential = load_potential(yaml_path, asi_path)
    run_ace_md(atoms, potential, AceMDSettings(temperature_K=args.temperature, steps=5,
                                               frame_every=5))
    ace_label = "pyace (stand-in ACE, ASE Langevin, gamma on)"
    ace_settings = AceMDSettings(temperature_K=args.temperature, steps=args.ace_steps,
                                 frame_every=args.ace_steps)
    sides[ace_label] = lambda: run_ace_md(atoms, potential, ace_settings)
    work[ace_label] = args.ace_steps

    timings = interleave(sides, args.rounds)
    for lmp in engines:
        lmp.close()
    print(f"{'engine':<48s}{'steps/s':>10s}  vs numba (per-round rate ratio)")
    for label in sides:
        rate = work[label] / timings.best(label)
        ratio = timings.rate_ratio(label, numba_label, work) if label != numba_label else ""
        print(f"{label:<48s}{rate:10.1f}  {ratio or 'baseline'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
