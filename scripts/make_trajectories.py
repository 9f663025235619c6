"""Demo melts of the eleven Ba-Ti-O compositions with LAMMPS (Pedone model), ready to ingest.

Every cell: ~``--atoms`` atoms at the Materials Project density x 1.10, minimised, melted at
``--melt-temperature`` (Langevin), quenched linearly to the target, equilibrated (Langevin),
then ``--production-ps`` of Nose-Hoover NVT production with a frame every ``--frame-every-fs``
(see ``ionflux.md.lammps``). Output per (composition, temperature): ``FORMULA_TK.extxyz.gz``
plus the ingest sidecar ``FORMULA_TK.extxyz.gz.yaml``. The seed of run k (formulas in
alphabetical order, then temperatures ascending) is ``--seed + k``: reruns are reproducible
on the same LAMMPS build (MD trajectories diverge at round-off level between builds).

All eleven at 1750 and 2000 K, 1 ns of production each (~10-20 min per run on one core)::

    nice -n 15 python scripts/make_trajectories.py --out demo-melts

How long is long enough (measured on ~100-atom cells, see the README): the fit window ends at
half a block, i.e. at 1/20 of the run, and every mobile species needs an MSD above 1 Å^2
there, so a run must exceed 20 / (6 D) (D in Å^2/fs); the jackknife errors of the self terms
fall roughly as 1/sqrt(length). At 2000 K, 0.8 ns brings every self term of BaTi2O5 within
20 % (measured; 0.4 ns does not), and BaTiO3 needs about as much (estimated); at 1750 K BaTiO3
needs about 3 ns. Ba-rich melts are much faster (Ba2TiO4 passes in 0.4 ns at 1750 K).

The small set shipped in ``src/ionflux/data/melts`` (see its PROVENANCE.md for the command).
``--check`` runs the Onsager analysis on each result and prints whether every mobile species
reached the diffusive regime and whether the self terms pass the 20 % rule.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from importlib.resources import files
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def published_formulas() -> list[str]:
    records = json.loads((files("ionflux") / "data" / "ba-ti-o" /
                          "transport_tensors_ace_md.json").read_text())
    return sorted({r["reduced_formula"] for r in records})


def self_term_check(path: Path) -> dict:
    """Quality of the self terms of one trajectory (20 % rule, diffusive regime)."""
    from ionflux.io import read_trajectory
    from ionflux.transport import analyze_trajectories

    doc = analyze_trajectories([read_trajectory(path)])
    out = {"D_self_cm2_s": doc.D_self_cm2_s, "fit_window_fs": doc.fit_window_fs,
           "flags": {k: {"passed": f.passed, "value": f.value, "reason": f.reason}
                     for k, f in doc.quality.items()}}
    rel = {}
    for i, el in enumerate(doc.species):
        err = (doc.L_self_stderr or [None] * len(doc.species))[i]
        val = doc.L_self[i]
        rel[el] = None if err is None or not val else abs(err / val)
    out["L_self_relative_error"] = rel
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--formulas", nargs="*", default=None,
                        help="default: the eleven compositions of the published data")
    parser.add_argument("--temperatures", nargs="*", type=float, default=[1750.0, 2000.0])
    parser.add_argument("--atoms", type=int, default=100)
    parser.add_argument("--melt-temperature", type=float, default=3500.0)
    parser.add_argument("--melt-ps", type=float, default=10.0)
    parser.add_argument("--quench-ps", type=float, default=10.0)
    parser.add_argument("--equilibrate-ps", type=float, default=10.0)
    parser.add_argument("--production-ps", type=float, default=1000.0)
    parser.add_argument("--frame-every-fs", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true",
                        help="analyse each trajectory and print the self-term quality")
    args = parser.parse_args(argv)

    from ionflux.errors import IonfluxError
    from ionflux.md.lammps import AmorphousSchedule, LammpsSettings, amorphous_lammps
    from ionflux.md.run import write_run

    formulas = args.formulas or published_formulas()
    settings = LammpsSettings()
    dt = settings.timestep_fs
    k = 0
    summary = []
    for formula in sorted(formulas):
        for temperature in sorted(args.temperatures):
            seed = args.seed + k
            k += 1
            schedule = AmorphousSchedule(
                temperature_K=temperature, melt_temperature_K=args.melt_temperature,
                melt_steps=round(args.melt_ps * 1000 / dt),
                quench_steps=round(args.quench_ps * 1000 / dt),
                equilibrate_steps=round(args.equilibrate_ps * 1000 / dt),
                production_steps=round(args.production_ps * 1000 / dt),
                frame_every=round(args.frame_every_fs / dt))
            start = time.perf_counter()
            try:
                run = amorphous_lammps(formula, args.atoms, schedule, settings, seed=seed)
            except IonfluxError as exc:
                print(f"error: {formula} {temperature:g} K: {exc}", file=sys.stderr)
                return 2
            wall = time.perf_counter() - start
            sidecar = {"formula": run.metadata["formula"], "temperature_K": temperature,
                       "replicate": f"seed{seed}", "phase": "amorphous (melt-quenched)",
                       "potential": "Pedone 2006 (classical)",
                       "potential_version": "J. Phys. Chem. B 110, 11780",
                       "md_engine": "LAMMPS",
                       "md_engine_version": run.metadata["versions"].get("lammps"),
                       "notes": (f"make_trajectories.py seed {seed}, {len(run.symbols)} atoms, "
                                 f"melt {args.melt_temperature:g} K {args.melt_ps:g} ps, quench "
                                 f"{args.quench_ps:g} ps, equilibrate {args.equilibrate_ps:g} "
                                 f"ps, NVT production {args.production_ps:g} ps; "
                                 f"{run.metadata['volume']}")}
            name = f"{run.metadata['formula']}_{temperature:g}K.extxyz.gz"
            traj, _ = write_run(args.out / name, run, sidecar)
            line = {"file": traj.name, "seed": seed, "wall_s": round(wall, 1),
                    "steps_per_s": round((schedule.melt_steps + schedule.quench_steps
                                          + schedule.equilibrate_steps
                                          + schedule.production_steps) / wall),
                    "partial": run.partial, "stop_reason": run.stop_reason}
            if args.check and not run.partial:
                line["check"] = self_term_check(traj)
            summary.append(line)
            print(json.dumps(line), flush=True)
    (args.out / "manifest.json").write_text(json.dumps(
        {"command": "python scripts/make_trajectories.py " + " ".join(argv or sys.argv[1:]),
         "runs": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
