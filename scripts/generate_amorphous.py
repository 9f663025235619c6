"""Melt-quench amorphous Ba-Ti-O cells with the Pedone potential and write extended XYZ.

One cell::

    python scripts/generate_amorphous.py --formula BaTiO3 --atoms 100 --temperature 1500 \
        --steps 8000 --frame-every 2000 --seed 1 --out BaTiO3.extxyz

The library shipped in src/ionflux/data/amorphous (the 11 compositions of the published
Ba-Ti-O transport data, seeds 1..11 in alphabetical order of formula)::

    python scripts/generate_amorphous.py --library src/ionflux/data/amorphous --seed 1

Cells are made with LAMMPS (``--engine lammps``, the default: ``pair_style pedone`` with Ewald
Coulomb, :mod:`ionflux.md.lammps`; Langevin melt, quench and equilibration at the same
settings, Nose-Hoover production). ``--engine numba`` runs the project's own integrator
(DSF Coulomb), kept only as a test oracle; the bundled library before 2026-12 came from it.

``--steps`` is the number of production steps at the target temperature; a frame is stored at
the start of production and every ``--frame-every`` steps after it. Frames are written wrapped
into the cell unless ``--unwrapped`` is given (then positions are continuous in time and the
header says ``unwrapped=T``). A ``.gz`` suffix compresses the file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from importlib.resources import files
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ionflux.errors import IonfluxError
from ionflux.md import MeltQuenchSchedule, melt_quench
from ionflux.md.extxyz import write_extxyz
from ionflux.md.meltquench import MeltQuenchResult


def published_formulas() -> list[str]:
    """The amorphous Ba-Ti-O compositions of the bundled ACE-MD transport data."""
    records = json.loads((files("ionflux") / "data" / "ba-ti-o" /
                          "transport_tensors_ace_md.json").read_text())
    return sorted({r["reduced_formula"] for r in records})


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--formula", default="BaTiO3")
    p.add_argument("--atoms", type=int, default=100, help="approximate atoms per cell")
    p.add_argument("--temperature", type=float, default=1500.0, help="target temperature, K")
    p.add_argument("--steps", type=int, default=8000, help="production steps at the target T")
    p.add_argument("--frame-every", type=int, default=2000, help="steps between stored frames")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="output .extxyz or .extxyz.gz (single cell)")
    p.add_argument("--library", metavar="DIR",
                   help="generate every published Ba-Ti-O composition into DIR")
    p.add_argument("--melt-temperature", type=float, default=3000.0)
    p.add_argument("--melt-steps", type=int, default=6000)
    p.add_argument("--quench-steps", type=int, default=6000)
    p.add_argument("--equilibrate-steps", type=int, default=6000)
    p.add_argument("--timestep", type=float, default=1.0, help="fs")
    p.add_argument("--friction", type=float, default=0.01, help="Langevin friction, 1/fs")
    p.add_argument("--volume-scale", type=float, default=1.10,
                   help="amorphous volume / crystal (MP) volume")
    p.add_argument("--unwrapped", action="store_true", help="write continuous positions")
    p.add_argument("--engine", choices=("lammps", "numba"), default="lammps",
                   help="lammps (production) or numba (the project's test-oracle integrator)")
    args = p.parse_args(argv)
    if (args.out is None) == (args.library is None):
        p.error("give exactly one of --out and --library")
    if args.steps < args.frame_every or args.frame_every < 1:
        p.error("--steps must be at least --frame-every (>= 1)")
    return args


def schedule_from(args: argparse.Namespace) -> MeltQuenchSchedule:
    return MeltQuenchSchedule(
        temperature_K=args.temperature, melt_temperature_K=args.melt_temperature,
        melt_steps=args.melt_steps, quench_steps=args.quench_steps,
        equilibrate_steps=args.equilibrate_steps, n_frames=args.steps // args.frame_every + 1,
        frame_every=args.frame_every, timestep_fs=args.timestep,
        friction_per_fs=args.friction, volume_scale=args.volume_scale)


def melt_quench_lammps(formula: str, atoms: int, seed: int, schedule: MeltQuenchSchedule,
                       report) -> MeltQuenchResult:
    """The same schedule run by LAMMPS, as a :class:`MeltQuenchResult` (for the writer)."""
    import numpy as np

    from ionflux.errors import AnalysisError
    from ionflux.md.lammps import AmorphousSchedule, LammpsSettings, amorphous_lammps

    settings = LammpsSettings(timestep_fs=schedule.timestep_fs,
                              langevin_damp_fs=1.0 / schedule.friction_per_fs)
    run = amorphous_lammps(formula, atoms, AmorphousSchedule(
        temperature_K=schedule.temperature_K, melt_temperature_K=schedule.melt_temperature_K,
        melt_steps=schedule.melt_steps, quench_steps=schedule.quench_steps,
        equilibrate_steps=schedule.equilibrate_steps,
        production_steps=(schedule.n_frames - 1) * schedule.frame_every,
        frame_every=schedule.frame_every, volume_scale=schedule.volume_scale,
        minimize_steps=schedule.relax_steps), settings, seed=seed, progress=report)
    if run.partial:
        raise AnalysisError(f"{formula}: the LAMMPS run stopped early: {run.stop_reason}")
    n = len(run.symbols)
    return MeltQuenchResult(
        formula=run.metadata["formula"], symbols=run.symbols, cell=run.cell,
        positions=np.array(run.positions), times_fs=np.array(run.times_fs),
        temperature_K=run.temperature_K,
        kinetic_temperatures_K=np.array(run.kinetic_temperatures_K),
        potential_energies_eV=np.array(run.potential_energies_eV), seed=seed,
        schedule=schedule,
        volume_per_atom_A3=run.metadata["volume_per_atom_A3"],
        volume_source=run.metadata["volume_source"],
        log=[f"{run.metadata['formula']}: {n} atoms, {run.metadata['volume']}"],
        engine=f"LAMMPS {run.metadata['versions'].get('lammps')} (Pedone, Ewald Coulomb)")


def run_one(formula: str, seed: int, out: Path, args: argparse.Namespace,
            progress: Progress) -> dict:
    schedule = schedule_from(args)
    task = progress.add_task(f"{formula} (seed {seed})", total=1)

    def report(stage: str, done: int, total: int) -> None:
        progress.update(task, completed=done, total=total,
                        description=f"{formula} (seed {seed}) {stage}")

    start = time.perf_counter()
    if args.engine == "lammps":
        result = melt_quench_lammps(formula, args.atoms, seed, schedule, report)
    else:
        result = melt_quench(formula, target_atoms=args.atoms, seed=seed, schedule=schedule,
                             progress=report)
    write_extxyz(out, result, wrapped=not args.unwrapped)
    elapsed = time.perf_counter() - start
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    return {"file": out.name, "sha256": sha, "wall_time_s": round(elapsed, 1),
            **result.metadata(), "log": result.log,
            "kinetic_temperatures_K": [round(float(t), 1) for t in result.kinetic_temperatures_K],
            "potential_energy_eV_per_atom": [round(float(e) / len(result.symbols), 5)
                                             for e in result.potential_energies_eV]}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn())
    try:
        with Progress(*columns) as progress:
            if args.out:
                record = run_one(args.formula, args.seed, Path(args.out), args, progress)
                print("\n".join(record["log"]))
                return 0
            outdir = Path(args.library)
            outdir.mkdir(parents=True, exist_ok=True)
            records = []
            for k, formula in enumerate(published_formulas()):
                out = outdir / f"{formula}_{args.temperature:g}K.extxyz.gz"
                records.append(run_one(formula, args.seed + k, out, args, progress))
            manifest = {"generator": "scripts/generate_amorphous.py",
                        "command": " ".join(["python", "scripts/generate_amorphous.py",
                                             *(argv if argv is not None else sys.argv[1:])]),
                        "wrapped": not args.unwrapped, "cells": records}
            (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    except IonfluxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
