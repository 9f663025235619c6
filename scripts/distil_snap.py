"""Distil a SNAP potential (LAMMPS ML-SNAP) from universal-MLIP labels: fit, MD, speed.

Steps (data generation; labels from ``scripts/distil_potential.py label``):

    # 1. fit plain SNAP and SNAP on top of Pedone for a few descriptor settings, choose each
    #    form's best by held-out force error (whole conditions held out, as for the ACE fit),
    #    write both with their held-out errors per composition; a fit above the limit is refused
    python scripts/distil_snap.py fit --labels runs/distil/labels --out runs/distil/snap
    # 2. Langevin MD (2 fs, 0.01 1/fs, fixed volume) from the bundled cells, D per species
    python scripts/distil_snap.py md --model runs/distil/snap/snap_pedone.snapcoeff \\
        --melts BaTi2O5:1750,Ba2TiO4:1750 --ps 20 --out runs/distil/snap/md
    # 3. MD speed against pyace's ASE MD of the bundled linear ACE (1 thread, interleaved)
    python scripts/distil_snap.py speed --model runs/distil/snap/snap_pedone.snapcoeff

Models are distilled from the teacher: universal-potential grade, not DFT.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from ionflux.errors import AnalysisError, IonfluxError

FORMS = ("none", "pedone")


def _grid(text: str) -> list[tuple[int, float]]:
    out = []
    for item in text.split(","):
        twojmax, _, rcut = item.partition(":")
        out.append((int(twojmax), float(rcut)))
    return out


def fit(args: argparse.Namespace) -> None:
    from ionflux.md.distil import LABELS_MANIFEST, LabelStore
    from ionflux.md.distil_fit import FORCE_LIMIT_EV_A, check_fit, split_held_out
    from ionflux.md.snap import (
        SnapSettings,
        design_matrix,
        fit_snap,
        held_out_errors,
        matrix_errors,
    )

    labels = Path(args.labels)
    frames = LabelStore(labels).load()
    record = json.loads((labels / LABELS_MANIFEST).read_text()).get("teacher", {})
    teacher = record.get("label", record.get("model", "unknown teacher"))
    train, test = split_held_out(frames)
    print(f"{len(frames)} labelled frames: {len(train)} for the fit, {len(test)} held out "
          f"(whole conditions); teacher: {teacher}", flush=True)
    scan, best = [], {}
    for twojmax, rcut in _grid(args.grid):
        settings = SnapSettings(twojmax=twojmax, rcut_A=rcut, reference="pedone",
                                pair_knots=args.pair_knots, pair_rcut_A=args.pair_rcut)
        start, cpu = time.perf_counter(), time.process_time()
        rows_train, rows_test = design_matrix(train, settings), design_matrix(test, settings)
        descriptor_s = time.process_time() - cpu
        for form in FORMS:
            model = fit_snap(rows_train.with_fit(reference=form))
            errors = matrix_errors(model, rows_test.with_fit(reference=form))
            row = {"twojmax": twojmax, "rcut_A": rcut, "reference": form,
                   "held_out_force_rmse_eV_A": round(errors["force_rmse_eV_A"], 4),
                   "held_out_energy_rmse_meV_atom": round(errors["energy_rmse_meV_atom"], 2),
                   "training": model.metadata["training"],
                   "descriptor_cpu_s": round(descriptor_s, 1)}
            scan.append(row)
            print(f"  2J={twojmax} rcut={rcut:g} Å reference={form}: held-out force RMSE "
                  f"{row['held_out_force_rmse_eV_A']:.3f} eV/Å, energy "
                  f"{row['held_out_energy_rmse_meV_atom']:.1f} meV/atom "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
            if form not in best or errors["force_rmse_eV_A"] < best[form][0]:
                best[form] = (errors["force_rmse_eV_A"], model)
        del rows_train, rows_test
    out = Path(args.out)
    results = {}
    for form, (_, model) in best.items():
        model.metadata.update({"teacher": teacher, "teacher_record": record,
                               "frames": {"fit": len(train), "held_out": len(test)},
                               "force_limit_eV_A": FORCE_LIMIT_EV_A})
        model.write(out / f"snap_{form}")
        errors = held_out_errors(model, test)  # as LAMMPS runs it
        model.metadata["held_out"] = errors.as_dict()
        try:
            check_fit(errors)
            model.metadata["accepted"], verdict = True, "accepted"
        except AnalysisError as err:
            model.metadata["accepted"], verdict = False, str(err)
        model.write(out / f"snap_{form}")
        results[form] = {"files": [str(p) for p in model.files], "settings":
                         model.settings.record(), "held_out": errors.as_dict(),
                         "verdict": verdict}
        s = model.settings
        print(f"\nreference={form}: 2J={s.twojmax}, rcut {s.rcut_A:g} Å, pair term "
              f"{s.pair_knots} splines to {s.pair_rcut_A:g} Å -> {model.coeff_path}")
        print(f"  held-out force RMSE {errors.force_rmse_eV_A:.3f} eV/Å (labels' spread "
              f"{errors.force_std_eV_A:.2f}), energy {errors.energy_rmse_meV_atom:.1f} meV/atom")
        for formula, e in errors.per_composition.items():
            print(f"  {formula:10s} {e['force_rmse_eV_A']:.3f} eV/Å  "
                  f"{e['energy_rmse_meV_atom']:6.1f} meV/atom  ({e['n_frames']} frames)")
        print(f"  {verdict}")
    (out / "snap_report.json").write_text(json.dumps({"scan": scan, "chosen": results},
                                                     indent=1))


def _load(args: argparse.Namespace):
    from ionflux.md.snap import load_snap

    model = load_snap(args.model)
    if not model.metadata.get("accepted") and not args.allow_refused:
        held = model.metadata.get("held_out", {}).get("force_rmse_eV_A")
        raise AnalysisError(f"{model.name}: a refused fit (held-out force RMSE {held} eV/Å "
                            f"above {model.metadata.get('force_limit_eV_A')} eV/Å); "
                            "--allow-refused runs it for speed and stability checks only")
    return model


def md(args: argparse.Namespace) -> None:
    from ase.io import read

    from ionflux.md.library import amorphous_snapshot_files
    from ionflux.md.run import write_run
    from ionflux.md.snap import SNAP_LABEL, SnapMDSettings, run_snap_md
    from ionflux.transport.onsager import analyze_trajectories

    model = _load(args)
    snapshots = amorphous_snapshot_files()
    steps = round(args.ps * 1000 / args.timestep_fs)
    for item in args.melts.split(","):
        formula, _, temp = item.partition(":")
        if formula not in snapshots:
            raise IonfluxError(f"no bundled snapshot for {formula}; have {', '.join(snapshots)}")
        settings = SnapMDSettings(temperature_K=float(temp), steps=steps,
                                  timestep_fs=args.timestep_fs, frame_every=args.frame_every,
                                  equilibrate_steps=int(1000 * args.equilibrate_ps
                                                        / args.timestep_fs), seed=args.seed)
        run = run_snap_md(read(snapshots[formula]), model, settings)
        wall, cpu = run.metadata["wall_s"], run.metadata["cpu_s"]
        done = settings.equilibrate_steps + (run.n_frames - 1) * settings.frame_every
        status = f"partial: {run.stop_reason}" if run.partial else "finished"
        print(f"{formula} {float(temp):g} K, {model.name}: {run.n_frames} frames "
              f"({(run.n_frames - 1) * settings.frame_every * settings.timestep_fs / 1000:g} ps "
              f"after {args.equilibrate_ps:g} ps equilibration), {status}; "
              f"{done / wall:.0f} steps/s wall, {done / cpu:.0f} per CPU s", flush=True)
        on_pedone = " on Pedone" if model.settings.reference == "pedone" else ""
        sidecar = {"formula": formula, "temperature_K": float(temp),
                   "replicate": f"snap-{model.settings.reference}-seed{args.seed}",
                   "phase": "amorphous (melt)",
                   "potential": f"SNAP{on_pedone}, {SNAP_LABEL} "
                                f"(teacher: {model.metadata.get('teacher')})",
                   "potential_version": run.metadata["potential_sha256"][:12],
                   "md_engine": run.metadata["md_engine"],
                   "md_engine_version": ", ".join(f"{k} {v}" for k, v in
                                                  run.metadata["versions"].items()),
                   "thermostat_gamma_per_fs": settings.friction_per_fs,
                   "notes": f"distilled SNAP ({SNAP_LABEL}); start: bundled Pedone snapshot"}
        traj, _ = write_run(Path(args.out) / f"{formula}_{float(temp):g}K_"
                            f"{Path(model.name).stem}.extxyz.gz", run, sidecar)
        print(f"  frames: {traj}")
        if run.n_frames < 20:
            continue
        try:
            doc = analyze_trajectories([run.to_trajectory()], formula=formula,
                                       n_blocks=args.blocks)
        except IonfluxError as err:  # a short (blown-up) run: say why, go on to the next melt
            print(f"  no D: {err}")
            continue
        for el in doc.species:
            d, err = doc.D_self_cm2_s.get(el), (doc.D_self_cm2_s_stderr or {}).get(el)
            flag = doc.quality.get(f"diffusive_{el}")
            print(f"  D_{el} = {d:.2e} +- {err or float('nan'):.1e} cm^2/s"
                  f"{'' if flag is None or flag.passed else ' (not diffusive)'}")


def _distilled_steps(atoms, folder: Path, steps: int) -> int:
    """Steps of ASE Langevin MD (2 fs, 0.01 1/fs, 1750 K) with the distilled linear ACE as its
    production runs use it (ACE with active set + its Pedone reference)."""
    import numpy as np
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    from ionflux.md.distil_fit import load_distilled

    work = atoms.copy()
    work.calc, _ = load_distilled(folder)
    rng = np.random.default_rng(1)
    MaxwellBoltzmannDistribution(work, temperature_K=1750.0, rng=rng)
    Langevin(work, timestep=2.0 * units.fs, temperature_K=1750.0,
             friction=0.01 / units.fs, rng=rng).run(steps)
    return steps


def speed(args: argparse.Namespace) -> None:
    from importlib.resources import files

    from ase.io import read

    from ionflux.md.ace import AceMDSettings, load_potential, run_ace_md
    from ionflux.md.library import amorphous_snapshot_files
    from ionflux.md.snap import SnapMDSettings, run_snap_md

    model = _load(args)
    ace = load_potential(files("ionflux") / "data" / "ace" / args.ace)
    atoms = read(amorphous_snapshot_files()[args.formula])

    def done(run, every: int = 5) -> int:  # steps actually run (a blown-up run stops early)
        return (run.n_frames - 1) * every

    runs = {
        f"SNAP {model.name} (LAMMPS)": lambda: done(run_snap_md(atoms, model, SnapMDSettings(
            temperature_K=1750.0, steps=args.snap_steps, frame_every=5))),
        f"{ace.name} (pyace, ASE)": lambda: done(run_ace_md(atoms, ace, AceMDSettings(
            temperature_K=1750.0, steps=args.ace_steps, frame_every=5, timestep_fs=2.0))),
    }
    if args.distilled:
        runs[f"distilled ACE {args.distilled} + reference (pyace, ASE)"] = \
            lambda: _distilled_steps(atoms, args.distilled, args.ace_steps)
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(args.rounds):  # interleaved, so a change in machine load hits all
        for name, call in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            steps = call()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rates[name].append((steps / wall, steps / cpu))
    print(f"{args.formula}, {len(atoms)} atoms, 1 thread, {args.rounds} interleaved rounds "
          "(median):")
    for name, values in rates.items():
        walls, cpus = sorted(v[0] for v in values), sorted(v[1] for v in values)
        print(f"  {name}: {walls[len(walls) // 2]:.0f} steps/s wall, "
              f"{cpus[len(cpus) // 2]:.0f} steps per CPU s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("fit", help="fit both forms, choose by held-out error, write them")
    p.add_argument("--labels", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--grid", default="6:5.0,8:5.0,8:4.5", help="TWOJMAX:RCUT_A,...")
    p.add_argument("--pair-knots", type=int, default=16, help="pair splines (0: none)")
    p.add_argument("--pair-rcut", type=float, default=6.0, help="pair term cut-off (Å)")
    for name in ("md", "speed"):
        p = sub.add_parser(name)
        p.add_argument("--model", type=Path, required=True, help=".snapcoeff file")
        p.add_argument("--allow-refused", action="store_true",
                       help="run a fit above the force limit (speed/stability checks only)")
        if name == "md":
            p.add_argument("--melts", default="BaTi2O5:1750,Ba2TiO4:1750")
            p.add_argument("--ps", type=float, default=20.0)
            p.add_argument("--equilibrate-ps", type=float, default=1.0)
            p.add_argument("--timestep-fs", type=float, default=2.0)
            p.add_argument("--frame-every", type=int, default=5)
            p.add_argument("--seed", type=int, default=1)
            p.add_argument("--blocks", type=int, default=5)
            p.add_argument("--out", type=Path, required=True)
        else:
            p.add_argument("--formula", default="BaTi2O5")
            p.add_argument("--ace", default="BaTiO_pedone_standin.yaml",
                           help="bundled pyace potential (ionflux/data/ace)")
            p.add_argument("--distilled", type=Path,
                           help="a distilled ACE folder (scripts/distil_potential.py fit)")
            p.add_argument("--snap-steps", type=int, default=1000)
            p.add_argument("--ace-steps", type=int, default=300)
            p.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        {"fit": fit, "md": md, "speed": speed}[args.step](args)
    except IonfluxError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
