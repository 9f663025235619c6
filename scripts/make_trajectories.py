"""Demo melts of the eleven Ba-Ti-O compositions with LAMMPS (Pedone model), ready to ingest.

Every cell: ~``--atoms`` atoms at the Materials Project density x 1.10, minimised, melted at
``--melt-temperature`` (Langevin), quenched linearly to the target, equilibrated (Langevin,
``--equilibrate-ps``, 100 ps by default), then Nose-Hoover NVT production with a frame every
``--frame-every-fs`` (see ``ionflux.md.lammps``). Output per (composition, temperature):
``FORMULA_TK.extxyz.gz`` plus the ingest sidecar ``FORMULA_TK.extxyz.gz.yaml``, and
``manifest.json`` (rewritten after every run) with the production length, speed and self-term
quality of each. The seed of run k (formulas in alphabetical order, then temperatures
ascending) is ``--seed + k`` whatever ``--jobs`` is: reruns are reproducible on the same LAMMPS
build (MD trajectories diverge at round-off level between builds).

The demo-melt set of docs/md-engines.md (all eleven at 2000 and 2250 K, each run stopped as
soon as it is long enough, two runs at a time; ~40 min on two cores)::

    nice -n 10 python scripts/make_trajectories.py --out demo-melts --until-converged --jobs 2

How long is long enough is measured, not guessed: with ``--until-converged`` production is
checked every ``--check-every-ps`` (after ``--min-production-ps``) by
:func:`ionflux.md.convergence.converged_reason` (every species diffusive, every self term
within 20 %, the two halves of the run agreeing on every D) and ends when it passes;
``--production-ps`` is then the cap, and the manifest records where each run stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial
from importlib.resources import files
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def published_formulas() -> list[str]:
    records = json.loads((files("ionflux") / "data" / "ba-ti-o" /
                          "transport_tensors_ace_md.json").read_text())
    return sorted({r["reduced_formula"] for r in records})


def self_term_check(path: Path, estimator: str | None) -> dict:
    """Self-term quality of a trajectory file (:func:`ionflux.md.convergence.self_term_quality`)."""
    from ionflux.io import read_trajectory
    from ionflux.md.convergence import self_term_quality

    return self_term_quality(read_trajectory(path), estimator)


def make_one(job: dict) -> dict:
    """One melt: run LAMMPS, write the trajectory and its sidecar, return the manifest line."""
    from ionflux.errors import IonfluxError
    from ionflux.md.convergence import converged_reason
    from ionflux.md.lammps import AmorphousSchedule, LammpsSettings, amorphous_lammps
    from ionflux.md.run import write_run

    args = job["args"]
    formula, temperature, seed = job["formula"], job["temperature"], job["seed"]
    settings = LammpsSettings()
    dt = settings.timestep_fs
    schedule = AmorphousSchedule(
        temperature_K=temperature, melt_temperature_K=args.melt_temperature,
        melt_steps=round(args.melt_ps * 1000 / dt),
        quench_steps=round(args.quench_ps * 1000 / dt),
        equilibrate_steps=round(args.equilibrate_ps * 1000 / dt),
        production_steps=round(args.production_ps * 1000 / dt),
        frame_every=round(args.frame_every_fs / dt))
    check_every = (max(1, round(args.check_every_ps * 1000 / args.frame_every_fs))
                   if args.until_converged else 0)
    start = time.perf_counter()
    try:
        converged = (partial(converged_reason, min_production_fs=args.min_production_ps * 1000,
                             estimator=args.estimator)
                     if args.until_converged else None)
        run = amorphous_lammps(formula, args.atoms, schedule, settings, seed=seed,
                               converged=converged, check_every_frames=check_every)
    except IonfluxError as exc:
        return {"formula": formula, "temperature_K": temperature, "seed": seed,
                "error": str(exc)}
    wall = time.perf_counter() - start
    production_ps = run.times_fs[-1] / 1000.0 if run.times_fs else 0.0
    sidecar = {"formula": run.metadata["formula"], "temperature_K": temperature,
               "replicate": f"seed{seed}", "phase": "amorphous (melt-quenched)",
               "potential": "Pedone 2006 (classical)",
               "potential_version": "J. Phys. Chem. B 110, 11780",
               "md_engine": "LAMMPS",
               "md_engine_version": run.metadata["versions"].get("lammps"),
               "notes": (f"make_trajectories.py seed {seed}, {len(run.symbols)} atoms, "
                         f"melt {args.melt_temperature:g} K {args.melt_ps:g} ps, quench "
                         f"{args.quench_ps:g} ps, equilibrate {args.equilibrate_ps:g} "
                         f"ps, NVT production {production_ps:g} ps"
                         + (" (stopped when converged)" if "converged" in run.metadata
                            else "") + f"; {run.metadata['volume']}")}
    name = f"{run.metadata['formula']}_{temperature:g}K.extxyz.gz"
    traj, _ = write_run(args.out / name, run, sidecar, float_format=f"13.{args.decimals}f")
    steps = (schedule.melt_steps + schedule.quench_steps + schedule.equilibrate_steps
             + round(production_ps * 1000 / dt))
    line = {"file": traj.name, "formula": run.metadata["formula"],
            "temperature_K": temperature, "seed": seed, "atoms": len(run.symbols),
            "production_ps": production_ps, "wall_s": round(wall, 1),
            "steps_per_s": round(steps / wall), "partial": run.partial,
            "stop_reason": run.stop_reason,
            "converged": run.metadata.get("converged")}
    if (args.check or args.until_converged) and not run.partial:
        line["check"] = self_term_check(traj, args.estimator)
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--formulas", nargs="*", default=None,
                        help="default: the eleven compositions of the published data")
    parser.add_argument("--temperatures", nargs="*", type=float, default=[2000.0, 2250.0])
    parser.add_argument("--atoms", type=int, default=100)
    parser.add_argument("--melt-temperature", type=float, default=3500.0)
    parser.add_argument("--melt-ps", type=float, default=10.0)
    parser.add_argument("--quench-ps", type=float, default=10.0)
    parser.add_argument("--equilibrate-ps", type=float, default=100.0)
    parser.add_argument("--production-ps", type=float, default=1500.0,
                        help="production length; with --until-converged, its cap")
    parser.add_argument("--frame-every-fs", type=float, default=200.0)
    parser.add_argument("--decimals", type=int, default=6,
                        help="decimals of the positions written (Å); 4 makes files ~25 %% "
                             "smaller and is far below thermal motion")
    parser.add_argument("--until-converged", action="store_true",
                        help="end production once it is long enough for transport "
                             "(ionflux.md.convergence; checked every --check-every-ps)")
    parser.add_argument("--check-every-ps", type=float, default=100.0)
    parser.add_argument("--min-production-ps", type=float, default=200.0,
                        help="with --until-converged: never stop before this")
    parser.add_argument("--estimator", default=None,
                        help="estimator of the convergence check (NAME or NAME@REVISION; "
                             "default: the current default; the shipped melts used "
                             "scaled-window@2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1,
                        help="runs in parallel (one LAMMPS thread each); seeds do not depend "
                             "on it")
    parser.add_argument("--check", action="store_true",
                        help="analyse each trajectory and print the self-term quality")
    args = parser.parse_args(argv)
    if args.production_ps <= 0 or args.check_every_ps <= 0 or args.jobs < 1:
        parser.error("--production-ps, --check-every-ps and --jobs must be positive")

    formulas = args.formulas or published_formulas()
    jobs = [{"formula": f, "temperature": t, "seed": args.seed + k, "args": args}
            for k, (f, t) in enumerate((f, t) for f in sorted(formulas)
                                       for t in sorted(args.temperatures))]
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = args.out / "manifest.json"
    previous = json.loads(manifest.read_text())["runs"] if manifest.exists() else []
    summary = {(r["file"] if "file" in r else r.get("formula")): r for r in previous}
    command = "python scripts/make_trajectories.py " + " ".join(argv or sys.argv[1:])
    failed = 0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for future in as_completed([pool.submit(make_one, job) for job in jobs]):
            line = future.result()
            failed += "error" in line or bool(line.get("partial"))
            summary[line.get("file", line["formula"])] = line
            print(json.dumps(line), flush=True)
            # written after every run: a long session that is stopped keeps what it made
            manifest.write_text(json.dumps({"command": command,
                                            "runs": list(summary.values())}, indent=1))
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
