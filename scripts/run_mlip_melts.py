"""Direct universal-MLIP MD of amorphous melts, resumable in chunks (data generation).

Each melt starts from the bundled melt-quenched snapshot of its composition (Pedone, 1500 K,
``ionflux/data/amorphous``; its volume is recorded there) and runs Langevin NVT with the teacher
at the published study's friction (0.01 1/fs). Every chunk is kept; a rerun continues where the
last one stopped (see ``ionflux.md.mlip``). ``--minutes`` bounds one session's wall time (a
chunk in progress at the limit is finished first).

    python scripts/run_mlip_melts.py --teacher sevenn --melts BaTi2O5:1750,Ba2TiO4:1750 \\
        --out runs/mlip --minutes 60
    python scripts/run_mlip_melts.py --out runs/mlip --assemble   # trajectories + sidecars
    python scripts/run_mlip_melts.py --out runs/mlip/distilled --export FILE.json  # documents
    python scripts/run_mlip_melts.py --activation FILE.json   # E_a between its temperatures
    python scripts/run_mlip_melts.py --lifetimes FILE.json    # how long melts stay liquid
    python scripts/run_mlip_melts.py --out runs/mlip --aging 10   # E_pot and D per 10-ps window
    python scripts/run_mlip_melts.py --out runs/mlip --aging 50 --pair-peaks Ti-Ti  # g(r) peaks

Needs the teacher installed (CPU PyTorch: ``pip install torch==2.13.0``, then ``pip install
sevenn chgnet``). Output frames are labelled with the teacher: universal-potential grade, not DFT.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ionflux.errors import InputError, IonfluxError

if TYPE_CHECKING:
    from ionflux.transport.documents import QualityFlag

DEFAULT_MELTS = "BaTi2O5:1750,Ba2TiO4:1750"


def _melts(text: str) -> list[tuple[str, float]]:
    out = []
    for item in text.split(","):
        formula, _, temp = item.partition(":")
        out.append((formula.strip(), float(temp)))
    return out


def _calculator(args: argparse.Namespace) -> tuple[object, dict]:
    if args.teacher == "distilled":
        from ionflux.md.distil_fit import load_distilled

        return load_distilled(args.potential)  # None: the bundled potential
    from ionflux.md.mlip import load_teacher

    return load_teacher(args.teacher, threads=args.threads)


def _gamma_check(potential: Path | None):
    """Frame check of a distilled melt: stop where the potential extrapolates beyond the
    study's threshold, saying which pair is closest relative to the training data's shortest
    distance of its kind (how every stop measured so far began)."""
    from ionflux.md.ace import GAMMA_STOP, frame_gamma

    def check(atoms: object) -> str | None:
        gamma = frame_gamma(atoms.calc)
        if not gamma > GAMMA_STOP:
            return None
        from ionflux.md.close_contacts import closest_contact
        from ionflux.md.distil_fit import training_shortest_distances

        pair, i, j, distance, ratio = closest_contact(atoms,
                                                      training_shortest_distances(potential))
        return (f"extrapolation grade gamma = {gamma:.3g} above {GAMMA_STOP:g}: the melt left "
                "the distilled potential's training domain (frames so far kept; closest pair "
                f"{pair} {distance:.2f} Å, atoms {i} and {j}, {ratio:.2f}x the training "
                "data's shortest)")

    return check


def _still_running(args: argparse.Namespace, melts: list[tuple[str, float]]
                   ) -> list[tuple[str, float]]:
    """``melts`` without those that stopped, converged or reached ``--total-steps`` in an
    earlier session (a note each); a run that ended at a shorter total goes on, and so does a
    run whose convergence verdict the current rule (``--blocks``) no longer gives (the earlier
    verdict is kept in its manifest under ``reopened``)."""
    import json

    from ionflux.md.convergence import convergence_check
    from ionflux.md.mlip import assemble, reopen_converged

    out = []
    for formula, temperature in melts:
        path = Path(args.out) / args.teacher / f"{formula}_{temperature:g}K" / "manifest.json"
        earlier = json.loads(path.read_text()) if path.is_file() else {"status": "running"}
        if earlier.get("converged") and earlier["chunks"][-1]["last_step"] < args.total_steps:
            passed, why = convergence_check(assemble(path.parent), n_blocks=args.blocks)
            if not passed:
                earlier = reopen_converged(path.parent, f"the current rule fails: {why}")
                print(f"{formula} {temperature:g} K: converged under an earlier rule, fails "
                      f"the current one ({why}); goes on")
        longer = (earlier["status"] == "finished" and not earlier.get("converged")
                  and earlier["chunks"][-1]["last_step"] < args.total_steps)
        if earlier["status"] != "running" and not longer:  # the others go on without it
            print(f"{formula} {temperature:g} K: {earlier['status']} earlier "
                  f"({earlier.get('stop_reason') or earlier.get('converged')}); skipped")
            continue
        out.append((formula, temperature))
    return out


def run_melts(args: argparse.Namespace, melts: list[tuple[str, float]]) -> None:
    """Round-robin over ``melts`` (one chunk each in turn) until all end or time is up."""
    from ase.io import read

    from ionflux.md.convergence import converged_reason
    from ionflux.md.library import amorphous_snapshot_files
    from ionflux.md.mlip import ChunkSettings, assemble, mark_converged, run_chunks

    calc, teacher = _calculator(args)
    check = _gamma_check(args.potential) if args.teacher == "distilled" else None
    snapshots = amorphous_snapshot_files()
    deadline = time.monotonic() + 60 * args.minutes
    settings = ChunkSettings(temperature_K=1.0, timestep_fs=args.timestep_fs,
                             frame_every=args.frame_every, chunk_steps=args.chunk_steps,
                             total_steps=args.total_steps,
                             equilibration_steps=args.equilibration_steps, seed=args.seed)
    pending = {}
    for formula, temperature in melts:
        if formula not in snapshots:
            raise IonfluxError(f"no bundled snapshot for {formula}; have {', '.join(snapshots)}")
        pending[(formula, temperature)] = replace(settings, temperature_K=temperature)
    # one chunk per melt in turn, so every melt advances in a short session
    while pending and time.monotonic() < deadline:
        for (formula, temperature), melt_settings in list(pending.items()):
            outdir = Path(args.out) / args.teacher / f"{formula}_{temperature:g}K"
            manifest = run_chunks(read(snapshots[formula]), calc, melt_settings, outdir,
                                  teacher, max_chunks=1, frame_check=check)
            last = manifest["chunks"][-1] if manifest["chunks"] else None
            steps = last["last_step"] if last else 0
            # every N chunks, and once more when the run reaches --total-steps (its last word)
            at_cap = manifest["status"] == "finished" and not manifest.get("converged")
            if args.converge_every and (at_cap or (
                    manifest["status"] == "running"
                    and len(manifest["chunks"]) % args.converge_every == 0)):
                reason = converged_reason(assemble(outdir), n_blocks=args.blocks)
                if reason:
                    manifest = mark_converged(outdir, reason)
            per_step = last["wall_s"] / settings.chunk_steps if last else float("nan")
            print(f"{formula} {temperature:g} K: {steps}/{settings.total_steps} steps, "
                  f"{per_step:.3g} s/step, {manifest['status']}"
                  + (f" ({manifest['converged']})" if manifest.get("converged") else "")
                  + (f" ({manifest['stop_reason']})" if manifest["stop_reason"] else ""),
                  flush=True)
            if manifest["status"] != "running":
                del pending[(formula, temperature)]
            if time.monotonic() >= deadline:
                break


def run(args: argparse.Namespace) -> None:
    """Every melt of ``--melts`` still running; with ``--parallel N`` split across N
    processes."""
    melts = _still_running(args, _melts(args.melts or DEFAULT_MELTS))
    if args.parallel <= 1 or len(melts) < 2:
        run_melts(args, melts)
        return
    from concurrent.futures import ProcessPoolExecutor

    shares = [melts[k::args.parallel] for k in range(args.parallel)]
    with ProcessPoolExecutor(max_workers=args.parallel) as pool:
        for future in [pool.submit(run_melts, args, share) for share in shares if share]:
            future.result()


def assemble_all(args: argparse.Namespace) -> None:
    from ionflux.md.mlip import assemble
    from ionflux.md.run import write_run

    for manifest in sorted(Path(args.out).glob("*/*/manifest.json")):
        outdir = manifest.parent
        melt = assemble(outdir)
        formula = outdir.name.rpartition("_")[0]
        teacher = melt.metadata["teacher"]
        sidecar = {"formula": formula, "temperature_K": melt.temperature_K,
                   "replicate": f"{teacher['teacher']}-seed{melt.seed}",
                   "phase": "amorphous (melt)", "potential": teacher["label"],
                   "potential_version": teacher["model"],
                   "md_engine": melt.metadata["md_engine"],
                   "md_engine_version": ", ".join(f"{k} {v}" for k, v in
                                                  teacher["versions"].items()),
                   "thermostat_gamma_per_fs": melt.metadata["settings"]["friction_per_fs"],
                   "notes": ("MD with a potential distilled from "
                             f"{teacher.get('distilled_from')}" if teacher["teacher"] == "distilled"
                             else "direct universal-MLIP MD")
                            + " (universal-potential grade, not DFT); "
                            f"start: bundled Pedone snapshot of {formula}"}
        traj, side = write_run(outdir.parent / f"{outdir.name}.extxyz.gz", melt, sidecar)
        status = f"partial ({melt.stop_reason})" if melt.partial else "finished"
        print(f"{traj}: {melt.n_frames} frames after equilibration, {status}; {side.name}")


def _published_and_pedone(formula: str, temperature: float) -> tuple[dict, dict]:
    """D (cm^2/s) of the published ACE-MD record (crystal-density atom count, a lower bound)
    and of the bundled Pedone demo analysis at the same composition and temperature."""
    import json
    from importlib.resources import files

    from ionflux.transport.published import load_published

    published = {}
    for doc in load_published("Ba-Ti-O"):
        if doc.formula == formula and abs(doc.temperature_K - temperature) < 1:
            evidence = (doc.provenance.physics_checks or {}) if doc.provenance else {}
            published = evidence.get("D_cm2_s") or {}
    results = json.loads((files("ionflux") / "data" / "melts" / "results.json").read_text())
    pedone = next((r["D_self_cm2_s"] for r in results if r["formula"] == formula
                   and abs(r["temperature_K"] - temperature) < 1), {})
    return published, pedone


def report(args: argparse.Namespace) -> None:
    """D per species of every run (partial runs too) against the published and Pedone values."""
    from ionflux.md.mlip import assemble
    from ionflux.transport.onsager import analyze_trajectories

    for manifest in sorted(Path(args.out).glob("*/*/manifest.json")):
        melt = assemble(manifest.parent)
        if melt.n_frames < 20:
            print(f"{manifest.parent}: {melt.n_frames} frames after equilibration, too few")
            continue
        formula = manifest.parent.name.rpartition("_")[0]
        traj = melt.to_trajectory()
        published, pedone = _published_and_pedone(formula, melt.temperature_K)
        span = melt.times_fs[-1] - melt.times_fs[0]
        print(f"{formula} {melt.temperature_K:g} K, {manifest.parent.parent.name}: "
              f"{span / 1000:.1f} ps after equilibration "
              f"({'partial' if melt.partial else 'finished'})")
        _print_msd(traj, melt.times_fs)
        try:
            doc = analyze_trajectories([traj], formula=formula, n_blocks=args.blocks)
        except IonfluxError as err:  # too short for the estimator: the MSD above is the answer
            print(f"  estimator: {err}")
            print(f"  published D: {_fmt(published)}; Pedone D: {_fmt(pedone)} (cm^2/s)")
            continue
        print(f"  {'':3s} {'MLIP D':>10s} {'stderr':>9s} {'diffusive':>9s} "
              f"{'published':>10s} {'Pedone':>9s}  (cm^2/s)")
        for el in doc.species:
            d, err = doc.D_self_cm2_s.get(el), (doc.D_self_cm2_s_stderr or {}).get(el)
            flag = doc.quality.get(f"diffusive_{el}")
            diffusive = None if flag is None else flag.passed
            print(f"  {el:3s} {_num(d):>10s} {_num(err):>9s} {diffusive!s:>9s} "
                  f"{_num(published.get(el)):>10s} {_num(pedone.get(el)):>9s}")


def validate(args: argparse.Namespace) -> None:
    """D of every distilled run in ``--out`` against the direct run of the same melt in
    ``--validate`` (same cell, thermostat and frame spacing), both cut to their common span;
    with ``--write-validation`` the record goes into ``--potential``'s manifest."""
    import datetime
    import json

    from ionflux.md.distil_fit import load_distilled, shipped_potential
    from ionflux.md.mlip import assemble
    from ionflux.md.validation import (
        agreement_summary,
        common_span,
        coordination_agreement,
        diffusion_agreement,
    )
    from ionflux.transport.onsager import analyze_trajectories

    direct_root = Path(args.validate)
    per_melt, spans, seeds_of, structure, models = {}, {}, {}, {}, set()
    pairs = [_pair(item) for item in args.pairs.split(",")] if args.pairs else []
    for manifest in sorted((Path(args.out) / "distilled").glob("*/manifest.json")):
        name = manifest.parent.name
        direct_dirs = sorted(direct_root.glob(f"*/{name}/manifest.json"))
        direct_dirs = [d for d in direct_dirs if d.parent.parent.name != "distilled"]
        if not direct_dirs:
            continue
        distilled_run = assemble(manifest.parent)
        direct_run = assemble(direct_dirs[0].parent)
        models.add(distilled_run.metadata["teacher"]["model"])
        ours, theirs = common_span(distilled_run, direct_run)
        # other seeds of the distilled melt (--replicates), each cut to the same span
        replicates, _ = _replicate_runs(args, manifest.parent, distilled_run)
        ours_all = [ours, *(common_span(rep, theirs)[0] for rep in replicates)]
        formula = name.rpartition("_")[0]
        span = min((run.times_fs[-1] - run.times_fs[0]) / 1000 for run in ours_all)
        try:
            docs = [analyze_trajectories([run.to_trajectory() for run in runs],
                                         formula=formula, n_blocks=args.blocks)
                    for runs in (ours_all, [theirs])]
        except IonfluxError as err:  # too short yet: the other melts are still compared
            print(f"{name}: {span:.1f} ps in common, not compared: {err}")
            continue
        per_melt[name] = diffusion_agreement(*docs)
        spans[name] = span
        seeds_of[name] = [run.seed for run in ours_all]
        published, pedone = _published_and_pedone(formula, distilled_run.temperature_K)
        seeds = ", ".join(str(run.seed) for run in ours_all)
        print(f"{name}: {spans[name]:.1f} ps of each after equilibration "
              f"(direct: {direct_dirs[0].parent.parent.name}; distilled seeds {seeds})")
        print(f"  {'':3s} {'distilled':>18s} {'direct':>18s} {'ratio':>6s} {'z':>5s} "
              f"{'published':>10s} {'Pedone':>9s}  (D, cm^2/s)")
        for el, v in per_melt[name].items():
            print(f"  {el:3s} {_num(v['distilled'][0]):>9s} ± {_num(v['distilled'][1]):<7s} "
                  f"{_num(v['direct'][0]):>9s} ± {_num(v['direct'][1]):<7s} "
                  f"{_fixed(v['ratio'], 6, 2)} {_fixed(v['z'], 5, 1)} "
                  f"{_num(published.get(el)):>10s} "
                  f"{_num(pedone.get(el)):>9s}")
        if pairs:
            structure[name] = coordination_agreement(ours_all, [theirs], pairs)
            print(f"  {'coordination':16s} {'distilled':>13s} {'direct':>13s} {'z':>5s}")
            for label, v in structure[name].items():
                print(f"  {label:16s} {v['distilled'][0]:6.2f} ± {v['distilled'][1]:4.2f} "
                      f"{v['direct'][0]:6.2f} ± {v['direct'][1]:4.2f} {_fixed(v['z'], 5, 1)}")
    if not per_melt:
        raise IonfluxError(f"no melt of {args.out}/distilled could be compared with a "
                           f"direct run under {direct_root}")
    summary = agreement_summary(per_melt)
    print(f"distilled / direct: {summary['ratio_min']:.2f}-{summary['ratio_max']:.2f} "
          f"(median {summary['ratio_median']:.2f}); {summary['n_within']} of "
          f"{summary['n_compared']} within {summary['z_within']:g} combined standard errors")
    if not args.write_validation:
        return
    if len(models) != 1:
        raise IonfluxError(f"the distilled runs were made with {len(models)} potentials")
    _, record = load_distilled(args.potential)
    if record["model"] not in models:
        raise IonfluxError(f"the distilled runs were made with {models.pop()}, not with "
                           f"{args.potential or 'the bundled potential'} ({record['model']})")
    path = Path(args.potential or shipped_potential()) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["validation"] = {
        "what": (f"D per species (cm^2/s, standard estimator, {args.blocks} blocks, one "
                 "replicate) from Langevin MD of the bundled Pedone cells, the distilled "
                 "potential against direct MD with its teacher, both cut to their common span"),
        "command": "python scripts/run_mlip_melts.py --out DISTILLED_RUNS --validate "
                   "DIRECT_RUNS --write-validation --potential FOLDER",
        "date": datetime.date.today().isoformat(), "potential": record["model"],
        **{name: {"ps_each": round(spans[name], 2), "distilled_seeds": seeds_of[name],
                  **values, **({"coordination": structure[name]} if name in structure else {})}
           for name, values in per_melt.items()},
        "summary": summary}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1) + "\n")
    tmp.replace(path)
    print(f"validation written to {path}")


def aging(args: argparse.Namespace) -> None:
    """Potential energy and D per species in consecutive windows of every run in ``--out``
    (``TEACHER/MELT`` folders; only ``--melts`` if given), runs of one melt side by side."""
    from ionflux.md.aging import OrderSpec, aging_profile, energy_drift, parse_element_pair
    from ionflux.md.mlip import assemble

    wanted = {f"{f}_{t:g}K" for f, t in _melts(args.melts)} if args.melts else None
    lags = tuple(float(x) for x in args.fit_lags_fs.split(",")) if args.fit_lags_fs else None
    if lags is not None and (len(lags) != 2 or not 0 <= lags[0] < lags[1]):
        raise IonfluxError(f"--fit-lags-fs wants START,END in fs, got {args.fit_lags_fs!r}")
    order = OrderSpec.parse(args.order) if args.order else None
    pairs = [parse_element_pair(text) for text in args.pair_peaks.split(",")] \
        if args.pair_peaks else None
    manifests = sorted(Path(args.out).glob("*/*/manifest.json"),
                       key=lambda m: (m.parent.name, m.parent.parent.name))
    shown = 0
    for manifest in manifests:
        name = manifest.parent.name
        if wanted is not None and name not in wanted:
            continue
        run = assemble(manifest.parent)
        if len(run.times_fs) < 2:
            print(f"{name} ({manifest.parent.parent.name}): no frames after equilibration yet")
            continue
        try:
            windows = aging_profile(run, args.aging, formula=name.rpartition("_")[0],
                                    n_blocks=args.blocks, fit_window_fs=lags, order=order,
                                    pairs=pairs)
        except IonfluxError as err:
            print(f"{name} ({manifest.parent.parent.name}): {err}")
            continue
        shown += 1
        span = (run.times_fs[-1] - run.times_fs[0]) / 1000
        header = (f"{name} ({manifest.parent.parent.name}, seed "
                  f"{run.seed}): {span:.1f} ps after equilibration")
        if len(windows) > 1:
            drift, err = energy_drift(windows)
            header += f"; E_pot last - first window {drift:+.1f} ± {err:.1f} meV/atom"
        print(header)
        e0 = windows[0].e_pot_meV_atom
        for w in windows:
            d_text = ", ".join(f"{el} {_num(d)} ± {_num(e)}" for el, (d, e) in w.d_self.items())
            local = ("" if order is None else
                     f"  CN {order.centre}-{order.neighbour} {w.coordination:.2f}, "
                     f"q6 {order.q_element} {w.q6:.3f}, solid-like {w.solid_like:.2f}")
            local += "".join(f"  g {pair} {height:.2f} at {r:.2f} Å"
                             for pair, (height, r) in w.pair_peaks.items())
            print(f"  {w.start_ps:5.1f}-{w.end_ps:5.1f} ps  E_pot {w.e_pot_meV_atom - e0:+6.1f} "
                  f"± {w.e_pot_stderr_meV_atom:.1f} meV/atom{local}  D (cm^2/s) "
                  + (d_text or f"none: {w.note}"))
    if not shown:
        raise IonfluxError(f"no run under {args.out} to profile"
                           + (f" for {args.melts}" if args.melts else ""))


def _pair(text: str) -> tuple[str, str, float]:
    """``A-B:CUTOFF`` (Å) as (centre, neighbour, cutoff)."""
    from ionflux.md.aging import parse_pair

    try:
        return parse_pair(text)
    except ValueError:
        raise IonfluxError(f"--pairs wants A-B:CUTOFF,... (Å), got {text!r}") from None


def _replicate_runs(args: argparse.Namespace, run: Path, melt: object,
                    keep_partial: bool = False) -> tuple[list[object], list[str]]:
    """Runs of the same melt (folder name) under each ``--replicates`` folder, made with the
    same potential and MD settings but another seed (a mismatch is an error, not a skip), and
    notes on those left out: a replicate that stopped early (e.g. left the potential's
    training domain) is not used (its last frames before the stop are extrapolated, and a
    short one would cut the lag window of the run it joins), unless ``keep_partial`` (then
    ionflux.md.selection decides)."""
    from ionflux.md.mlip import assemble
    from ionflux.md.selection import left_out_entry

    same = ("temperature_K", "timestep_fs", "friction_per_fs", "frame_every",
            "equilibration_steps")
    runs, notes = [], []
    for folder in filter(None, args.replicates.split(",")):
        other = Path(folder) / run.name
        if not (other / "manifest.json").is_file():
            continue
        rep = assemble(other)
        ours, theirs = melt.metadata, rep.metadata
        if theirs["teacher"].get("model") != ours["teacher"].get("model"):
            raise IonfluxError(f"{other}: made with {theirs['teacher'].get('model')}, not "
                               f"{ours['teacher'].get('model')}; replicates need one potential")
        differ = [k for k in same if theirs["settings"][k] != ours["settings"][k]]
        if differ or theirs["settings"]["seed"] == ours["settings"]["seed"]:
            raise IonfluxError(f"{other}: not a replicate of {run} ("
                               + (f"{', '.join(differ)} differ" if differ else "same seed") + ")")
        if rep.partial and not keep_partial:
            span = (rep.times_fs[-1] - rep.times_fs[0]) / 1000
            notes.append(left_out_entry(theirs["settings"]["seed"], f"partial run "
                                        f"({rep.stop_reason}) after {span:.1f} ps"))
            continue
        runs.append(rep)
    return runs, notes


def export(args: argparse.Namespace) -> None:
    """Transport documents of every run under ``--out`` (partial runs too, with their status in
    ``warnings``) as one JSON file: the reference set of :mod:`ionflux.transport.time_axis`.
    With ``--replicates``, runs of the same melt with other seeds are analysed together (equal
    weight per replicate, :func:`ionflux.transport.onsager.analyze_trajectories`). Which runs
    and frames a document uses follows :mod:`ionflux.md.selection` (runs that stayed in the
    potential's domain and liquid; ``--keep-ordered``: ordering cuts nothing).
    Runs too short for the estimator are listed under ``skipped`` with the reason."""
    import json

    from ionflux.md.aging import ORDER_FLAG_MAX, energy_stationarity
    from ionflux.md.mlip import assemble
    from ionflux.md.selection import measure_order, order_flag, select_runs
    from ionflux.transport.onsager import analyze_trajectories

    level = (None if args.keep_ordered
             else ORDER_FLAG_MAX if args.order_level is None else args.order_level)
    if args.skip_ps < 0 or args.max_ps < 0 or (args.max_ps and args.skip_ps >= args.max_ps):
        raise InputError(f"--skip-ps {args.skip_ps:g} and --max-ps {args.max_ps:g}: both must "
                         "be >= 0, and --skip-ps below --max-ps (ps after equilibration)")
    window = _window_fs(args)
    documents, skipped = [], []
    wanted = ({float(t) for t in args.temperatures.split(",")} if args.temperatures else None)
    for manifest in sorted(Path(args.out).glob("*/manifest.json")):
        melt = assemble(manifest.parent)
        if wanted is not None and melt.temperature_K not in wanted:
            continue
        formula = manifest.parent.name.rpartition("_")[0]
        teacher = melt.metadata["teacher"]
        replicates, _ = _replicate_runs(args, manifest.parent, melt, keep_partial=True)
        runs = [melt, *replicates]
        whole = [round((m.times_fs[-1] - m.times_fs[0]) / 1000, 3) for m in runs]
        if args.max_ps:  # a sensitivity: every melt the same age, not its whole run
            runs = [m.up_to(m.times_fs[0] + 1000 * args.max_ps) for m in runs]
        if args.skip_ps:  # a sensitivity: a longer equilibration, the first frames dropped
            runs = [m.from_time(m.times_fs[0] + 1000 * args.skip_ps) for m in runs]
        chosen = select_runs([measure_order(m) for m in runs], level)
        melts = chosen.runs
        spans = [round((m.times_fs[-1] - m.times_fs[0]) / 1000, 3) for m in melts]
        status = ", ".join([f"seed {m.seed}: "
                            + (f"partial run ({m.stop_reason})" if m.partial else "finished run")
                            + f", {span:.1f} ps after equilibration"
                            + (f" (the first of {whole[used.source]:.1f} ps)"
                               if span < whole[used.source] else "")
                            + (f", {used.end}" if used.cut_ps is not None else "")
                            for m, span, used in zip(melts, spans, chosen.used, strict=True)]
                           + [left.why for left in chosen.left_out])
        try:
            doc = analyze_trajectories([m.to_trajectory() for m in melts], formula=formula,
                                       n_blocks=args.blocks, window_fs=window)
        except IonfluxError as err:
            skipped.append({"formula": formula, "temperature_K": melt.temperature_K,
                            "ps": spans, "reason": str(err)})
            print(f"{formula}: skipped ({err})")
            continue
        method = {**doc.provenance.method, "potential": teacher["label"],
                  "teacher": str(teacher.get("distilled_from") or teacher["teacher"]),
                  # the label is shared by every fit; the file hash tells two fits apart
                  "model": str(teacher.get("model")),
                  "thermostat_gamma_per_fs": melt.metadata["settings"]["friction_per_fs"],
                  # method values are scalars: the shortest run, and every replicate as text
                  "run_ps_after_equilibration": min(spans),
                  "replicate_run_ps": ", ".join(f"{span:g}" for span in spans),
                  "seeds": ", ".join(str(m.seed) for m in melts),
                  "run_ends": "; ".join(used.end for used in chosen.used),
                  "run_selection": (
                      "runs that stayed in the potential's domain and liquid (ionflux.md."
                      "selection); cations count as ordered above a solid-like fraction of "
                      f"{level:g}" if level is not None else
                      "runs that stayed in the potential's domain (ionflux.md.selection); "
                      "ordered frames kept (a sensitivity)"),
                  **({"runs_not_used": "; ".join(left.why for left in chosen.left_out)}
                     if chosen.left_out else {}),
                  **({"cut_to_ps_after_equilibration": args.max_ps} if args.max_ps else {}),
                  **({"skipped_ps_after_equilibration": args.skip_ps} if args.skip_ps else {}),
                  **({"window_given": args.window_why or "--window-fs"}
                     if args.window_fs else {})}
        count = "one replicate" if len(melts) == 1 else f"{len(melts)} replicates"
        grade = "" if "not DFT" in teacher["label"] else " (universal-potential grade, not DFT)"
        note = (f"{status}; {count}, {args.blocks} error blocks each; MD with "
                f"{teacher['label']}{grade}")
        quality = {**doc.quality, "stationary_energy": energy_stationarity(melts),
                   "convergence_rule": _convergence_flag(melts, args.blocks, doc)}
        flag = order_flag(chosen)
        if flag is not None:
            quality["cation_order"] = flag
        if chosen.unmeasured:  # e.g. a cell too small for the order's cutoff
            note += f"; cation order not measured ({'; '.join(chosen.unmeasured)})"
        doc = doc.model_copy(update={
            "provenance": doc.provenance.model_copy(update={"method": method}),
            "quality": quality, "warnings": [*doc.warnings, note]})
        documents.append(doc.model_dump(mode="json", exclude={"correlation_functions"}))
        print(f"{formula} {melt.temperature_K:g} K: {count}, {status}")
    payload = {"description": "transport documents of melts run with the potential named in "
                              "each document's provenance (scripts/run_mlip_melts.py --export)",
               "documents": documents, "skipped": skipped}
    Path(args.export).write_text(json.dumps(payload, indent=1) + "\n")
    print(f"{len(documents)} documents, {len(skipped)} skipped -> {args.export}")


def _window_fs(args: argparse.Namespace) -> tuple[float, float] | None:
    """``--window-fs START,END`` as a fit window (fs), or None for the window rule's."""
    if not args.window_fs:
        return None
    try:
        start, end = (float(x) for x in args.window_fs.split(","))
    except ValueError:
        raise InputError(f"--window-fs wants START,END in fs, got {args.window_fs!r}") from None
    if not 0 < start < end:
        raise InputError(f"--window-fs: need 0 < start < end, got {start:g}, {end:g}")
    return start, end


def _convergence_flag(melts: list, n_blocks: int, document: object) -> QualityFlag:
    """The convergence rule (:func:`ionflux.md.convergence.convergence_check`) on ``document``,
    the analysis of ``melts`` pooled (``n_blocks`` blocks per run)."""
    from ionflux.md.convergence import convergence_check
    from ionflux.transport.documents import QualityFlag

    passed, why = convergence_check(melts, n_blocks=n_blocks, document=document)
    seeds = ", ".join(str(m.seed) for m in melts)
    return QualityFlag(passed=passed, value=float(passed), threshold=1.0,
                       reason=f"seeds {seeds} pooled as in the document, {n_blocks} blocks per "
                              f"run: {'passes' if passed else 'fails'} ({why})")


def _export_documents(path: Path) -> list:
    """The transport documents of an ``--export`` file; a clear error if it is not one."""
    import json

    from ionflux.transport.documents import TransportDoc

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        raw = json.loads(path.read_text())["documents"]
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{path}: not an --export file (no 'documents' list)") from None
    return [TransportDoc.model_validate(doc) for doc in raw]


def compare(args: argparse.Namespace) -> None:
    """D per species of two ``--export`` files (e.g. the same melts run with two potentials),
    paired by composition and temperature: ratio second / first and z in combined standard
    errors; a Markdown table, then the range over every pair and the melts found in one file
    only."""
    from ionflux.md.validation import agreement_summary, diffusion_agreement, paired_documents

    files = [Path(name) for name in args.compare.split(",")]
    if len(files) != 2:
        raise InputError(f"--compare takes two files (FIRST,SECOND), got {args.compare!r}")
    pairs, alone = paired_documents(*(_export_documents(path) for path in files))
    print(f"D ratio {files[1].name} / {files[0].name} per species (z: difference in combined "
          "standard errors); run ps after equilibration, first / second")
    print("| melt | T (K) | run ps | Ba | Ti | O |")
    print("|---|---|---|---|---|---|")
    per_melt = {}
    for first, second in pairs:
        agree = diffusion_agreement(second, first)
        per_melt[f"{first.formula} {first.temperature_K:g} K"] = agree

        def cell(el: str, agree: dict = agree) -> str:
            if el not in agree or agree[el]["ratio"] is None:
                return "-"
            z = agree[el]["z"]
            return f"{agree[el]['ratio']:.2f}" + ("" if z is None else f" ({z:+.1f})")

        spans = "/".join(str(doc.provenance.method.get("run_ps_after_equilibration", "?"))
                         for doc in (first, second))
        print(f"| {first.formula} | {first.temperature_K:g} | {spans} | "
              + " | ".join(cell(el) for el in ("Ba", "Ti", "O")) + " |")
    if per_melt:
        summary = agreement_summary(per_melt, z_within=2.0)
        print(f"{summary['n_compared']} species in {len(per_melt)} melts: ratio "
              f"{summary['ratio_min']:.2f}-{summary['ratio_max']:.2f} (median "
              f"{summary['ratio_median']:.2f}), {summary['n_within']} within 2 combined "
              "standard errors")
    for line in alone:
        print(line)


def _end_of_run(doc) -> str:
    """How the runs of an exported document ended: the first used run that stopped early or
    was cut where its cations order (``provenance.method.run_ends``; a replicate left out is
    not a used run), else the convergence rule's verdict on the document's runs."""
    ends = doc.provenance.method.get("run_ends") if doc.provenance else None
    if ends is None:
        return "(end not recorded)"
    stopped = [end for end in str(ends).split("; ") if end != "finished"]
    if stopped:
        return stopped[0]
    rule = doc.quality.get("convergence_rule")
    if rule is None:
        return "(rule not recorded)"
    return "converged" if rule.passed else "not converged"


def _with_error(value: float, err: float | None) -> str:
    """``3.6e-6 ± 0.5e-6``: value and error in one power of ten."""
    import math

    exponent = math.floor(math.log10(abs(value))) if value else 0
    if round(abs(value) / 10.0 ** exponent, 1) >= 10:  # 9.99e-6 prints as 1.0e-5
        exponent += 1
    scale = 10.0 ** exponent
    digits = 1 if err is None or err / scale >= 0.095 else 2  # a small error keeps a digit
    return (f"{value / scale:.{digits}f}e{exponent}"
            + ("" if err is None else f" ± {err / scale:.{digits}f}e{exponent}"))


def table(args: argparse.Namespace) -> None:
    """D per species (cm^2/s, +- standard error; "nd": fails the diffusive check, an upper
    bound) of every document in ``--table FILE`` (an ``--export`` file), how its runs ended,
    and published / ours where the published set has the same melt; a Markdown table."""
    print("| melt | T (K) | ps (seeds) | end | D Ba | pub/ours | D Ti | pub/ours | D O | "
          "pub/ours |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    docs = _export_documents(Path(args.table))
    for doc in sorted(docs, key=lambda d: (d.temperature_K, d.formula)):
        published, _ = _published_and_pedone(doc.formula, doc.temperature_K)
        cells = []
        for el in ("Ba", "Ti", "O"):
            d = doc.D_self_cm2_s.get(el)
            err = (doc.D_self_cm2_s_stderr or {}).get(el)
            flag = doc.quality.get(f"diffusive_{el}")
            text = "-" if d is None else _with_error(d, err)
            text += " (nd)" if flag is not None and not flag.passed else ""
            ratio = published.get(el)
            cells += [text, "" if ratio is None or not d else f"{ratio / d:.0f}x"]
        method = doc.provenance.method
        print(f"| {doc.formula} | {doc.temperature_K:g} | {method.get('replicate_run_ps')} "
              f"({method.get('seeds')}) | {_end_of_run(doc)} | " + " | ".join(cells) + " |")


def check_shifts(args: argparse.Namespace) -> None:
    """Documents of ``--check-shift FILE`` (an ``--export`` of melts below the bundled ones)
    against the Arrhenius shift that ``--source distilled-melts`` would put in their place:
    the bundled melt of the same composition at its lowest temperature, shifted with the
    activation energy pooled over the bundled melts (ionflux.transport.extrapolation)."""

    from ionflux.transport.documents import TransportDoc
    from ionflux.transport.extrapolation import check_shift, pooled_activation_energy
    from ionflux.transport.time_axis import load_reference

    reference = load_reference("Ba-Ti-O")
    pooled = pooled_activation_energy(reference)
    lowest: dict[str, TransportDoc] = {}
    for doc in reference:
        if doc.formula not in lowest or doc.temperature_K < lowest[doc.formula].temperature_K:
            lowest[doc.formula] = doc
    print(f"shift: {pooled.describe()}")
    print("| melt | T (K) | from (K) | simulated / shifted L_self: Ba | Ti | run |")
    print("|---|---|---|---|---|---|")
    for doc in _export_documents(Path(args.check_shift)):
        got = check_shift(doc, lowest[doc.formula], pooled)
        cells = " | ".join(
            f"{got.ratios[el]:.2f}" + ("" if got.sigmas[el] is None
                                       else f" ({got.sigmas[el]:+.1f} sigma)")
            for el in ("Ba", "Ti"))
        ps = doc.provenance.method.get("run_ps_after_equilibration")
        print(f"| {doc.formula} | {doc.temperature_K:g} | {got.from_K:g} | {cells} | {ps} ps |")


def activation(args: argparse.Namespace) -> None:
    """Apparent activation energies (eV) per composition and species between the lowest and
    highest temperature of the documents in ``--activation FILE`` (an ``--export`` file), next
    to the published records' between 1500 and 1750 K; a Markdown table."""
    import warnings

    from ionflux.transport.arrhenius import activation_energies
    from ionflux.transport.documents import TransportDoc
    from ionflux.transport.published import load_published

    ours: dict[str, list[TransportDoc]] = {}
    for doc in _export_documents(Path(args.activation)):
        ours.setdefault(doc.formula, []).append(doc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        published = {(d.formula, d.temperature_K): d for d in load_published("Ba-Ti-O")}
    print("| melt | T (K) | E_a Ba | E_a Ti | E_a O | published 1500-1750 K: Ba | Ti | O |")
    print("|---|---|---|---|---|---|---|---|")
    for formula, docs in sorted(ours.items()):
        if len(docs) < 2:
            continue
        docs.sort(key=lambda d: d.temperature_K)
        mine = activation_energies(docs[0], docs[-1])
        pair = [published.get((formula, t)) for t in (1500.0, 1750.0)]
        theirs = activation_energies(*pair) if None not in pair else {}

        def cell(values: dict, el: str) -> str:
            if el not in values:
                return "-"
            energy, err = values[el]
            return f"{energy:.2f}" + ("" if err is None else f" ± {err:.2f}")

        print(f"| {formula} | {docs[0].temperature_K:g}-{docs[-1].temperature_K:g} | "
              + " | ".join(cell(mine, el) for el in ("Ba", "Ti", "O")) + " | "
              + " | ".join(cell(theirs, el) for el in ("Ba", "Ti", "O")) + " |")


def lifetimes(args: argparse.Namespace) -> None:
    """Liquid lifetime (ps, ``ionflux.md.nucleation``) of every melt in ``--lifetimes FILE``
    (an ``--export`` file) one of whose runs ordered: runs, how many ordered, and the
    maximum-likelihood mean lifetime with its 95 % interval; a Markdown table."""
    from ionflux.md.nucleation import liquid_lifetime, run_fates

    print("| melt | T (K) | runs | ordered | liquid ps | lifetime (ps) | 95 % interval (ps) |")
    print("|---|---|---|---|---|---|---|")
    for doc in sorted(_export_documents(Path(args.lifetimes)),
                      key=lambda d: (d.temperature_K, d.formula)):
        fates = run_fates(doc.provenance.method)
        if not fates[0]:
            continue
        got = liquid_lifetime(*fates)
        print(f"| {doc.formula} | {doc.temperature_K:g} | {got.n_runs} | {got.n_ordered} | "
              f"{got.liquid_ps:.0f} | {got.tau_ps:.0f} | {got.low_ps:.0f}-{got.high_ps:.0f} |")


def crosscheck(args: argparse.Namespace) -> None:
    """Forces of ``--crosscheck`` teacher against the run's own teacher on frames of each run
    (RMS of the per-component difference, eV/Å, and of the forces themselves), and how each
    sees the potential energy change from the first third of those frames to the last: a melt
    that relaxes under a distilled potential relaxes downhill for the teacher too, or the fit
    made the basin (use ``--frames`` of 30 or more)."""
    import numpy as np
    from ase import Atoms

    from ionflux.md.mlip import assemble, load_teacher

    other, other_info = load_teacher(args.crosscheck, threads=args.threads)
    own_calcs: dict[str, object] = {}
    for manifest in sorted(Path(args.out).glob("*/*/manifest.json")):
        teacher = manifest.parent.parent.name
        if teacher == args.crosscheck:
            continue
        if teacher not in own_calcs:
            if teacher == "distilled":  # the potential of --potential (default: the bundled)
                from ionflux.md.distil_fit import load_distilled

                own_calcs[teacher] = load_distilled(args.potential)[0]
            else:
                own_calcs[teacher] = load_teacher(teacher, threads=args.threads)[0]
        melt = assemble(manifest.parent)
        picks = np.linspace(0, melt.n_frames - 1, args.frames).astype(int)
        diffs, norms, energies = [], [], []
        for k in picks:
            atoms = Atoms(melt.symbols, positions=melt.positions[k], cell=melt.cell, pbc=True)
            atoms.calc = own_calcs[teacher]
            f_own = atoms.get_forces().copy()
            e_own = atoms.get_potential_energy()
            atoms.calc = other
            f_other = atoms.get_forces().copy()
            energies.append((e_own, atoms.get_potential_energy()))
            diffs.append(f_other - f_own)
            norms.append(f_own)
        rms = float(np.sqrt(np.mean(np.square(diffs))))
        scale = float(np.sqrt(np.mean(np.square(norms))))
        print(f"{manifest.parent.name} ({teacher} frames): {other_info['label']} vs {teacher}: "
              f"force RMS difference {rms:.3f} eV/Å over {len(picks)} frames "
              f"(RMS force {scale:.3f} eV/Å)")
        third = len(picks) // 3
        if third >= 2:
            per_atom = np.array(energies) / len(melt.symbols) * 1000.0  # meV/atom
            first, last = per_atom[:third], per_atom[-third:]
            change = last.mean(axis=0) - first.mean(axis=0)
            error = np.hypot(first.std(axis=0, ddof=1), last.std(axis=0, ddof=1)) / np.sqrt(third)
            span = (melt.times_fs[picks[-1]] - melt.times_fs[picks[0]]) / 1000
            print(f"  E_pot, last third of those frames minus the first ({span:.0f} ps apart "
                  f"end to end): {teacher} {change[0]:+.1f} ± {error[0]:.1f}, "
                  f"{args.crosscheck} {change[1]:+.1f} ± {error[1]:.1f} meV/atom")


def _print_msd(traj, times_fs: list[float]) -> None:
    """Per-species MSD (Å^2, centre-of-mass frame, averaged over origins) at a few lags, and the
    apparent D = MSD / (6 t) at the longest (an upper bound while motion is sub-diffusive)."""
    import numpy as np

    pos = np.asarray(traj.positions)
    masses = np.array([_mass(el) for el in traj.species])
    pos = pos - ((pos * masses[None, :, None]).sum(axis=1) / masses.sum())[:, None, :]
    dt = times_fs[1] - times_fs[0]
    n = len(pos)
    lags = [k for k in (int(250 / dt), int(500 / dt), int(1000 / dt), n // 2) if 0 < k < n]
    species = np.array(traj.species)
    for el in dict.fromkeys(traj.species):
        sel = pos[:, species == el]
        msd = [float(((sel[k:] - sel[:-k]) ** 2).sum(axis=2).mean()) for k in lags]
        text = ", ".join(f"{m:.2f} at {k * dt / 1000:g} ps" for m, k in zip(msd, lags, strict=True))
        d_apparent = msd[-1] / (6 * lags[-1] * dt) * 0.1  # Å^2/fs -> cm^2/s
        print(f"  {el}: MSD {text}; MSD/(6t) = {d_apparent:.2e} cm^2/s")


def _mass(element: str) -> float:
    from pymatgen.core import Element

    return float(Element(element).atomic_mass)


def _fmt(values: dict) -> str:
    return ", ".join(f"{el} {_num(v)}" for el, v in values.items()) or "-"


def _fixed(x: float | None, width: int, digits: int) -> str:
    return f"{x:{width}.{digits}f}" if x is not None else f"{'-':>{width}s}"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", default="sevenn", choices=["sevenn", "chgnet", "distilled"])
    parser.add_argument("--potential", help="folder of a distilled potential (with --teacher "
                        "distilled; default: the bundled one)")
    parser.add_argument("--parallel", type=int, default=1, help="melts run in N processes")
    parser.add_argument("--converge-every", type=int, default=0,
                        help="check the convergence rule every N chunks and end a melt that "
                             "passes it (0: run to --total-steps)")
    parser.add_argument("--melts", default=None,
                        help=f"FORMULA:T_K,... (bundled snapshots; default {DEFAULT_MELTS}; "
                             "with --aging: only these melts)")
    parser.add_argument("--out", default="runs/mlip")
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timestep-fs", type=float, default=2.0)
    parser.add_argument("--frame-every", type=int, default=5)
    parser.add_argument("--chunk-steps", type=int, default=100)
    parser.add_argument("--total-steps", type=int, default=10_000, help="20 ps at 2 fs")
    parser.add_argument("--equilibration-steps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--assemble", action="store_true",
                        help="write each run's frames as trajectory + ingest sidecar")
    parser.add_argument("--crosscheck", choices=["sevenn", "chgnet"],
                        help="forces of this teacher against each run's own, on --frames frames")
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--blocks", type=int, default=3,
                        help="error blocks per run of every analysis here: the convergence "
                             "rule, --report, --validate and the documents of --export (3: the "
                             "cations of the 1750 K melts need long lags)")
    parser.add_argument("--report", action="store_true",
                        help="D per species of every run against published and Pedone values")
    parser.add_argument("--validate", metavar="DIRECT_RUNS",
                        help="D of --out's distilled runs against the direct runs of the same "
                             "melts in this folder (common span)")
    parser.add_argument("--pairs", metavar="A-B:CUT,...",
                        help="with --validate: also compare the mean coordination of A by B "
                             "within CUT (Å), e.g. Ti-O:2.5,Ba-O:3.5,Ti-Ti:4.4")
    parser.add_argument("--write-validation", action="store_true",
                        help="with --validate: record it in --potential's manifest.json")
    parser.add_argument("--aging", type=float, metavar="WINDOW_PS",
                        help="potential energy and D in consecutive windows of this length "
                             "(ps) of every run in --out: does the melt change as it runs?")
    parser.add_argument("--fit-lags-fs", metavar="START,END",
                        help="with --aging: fit every window's MSD over these lags (fs), so "
                             "slow windows compare at equal lags (default: the estimator's)")
    parser.add_argument("--order", metavar="A-B:CUT,C:CUT",
                        help="with --aging: mean coordination of A by B within CUT (Å) and q6 "
                             "of the C sublattice per window, e.g. Ti-O:2.5,Ti:4.4")
    parser.add_argument("--pair-peaks", metavar="A-B,...",
                        help="with --aging: height and position of each pair's g(r) peak "
                             "per window (out to half the cell), e.g. Ti-Ti,Ba-Ti")
    parser.add_argument("--export", metavar="FILE",
                        help="transport documents of every run in --out (one folder per melt) "
                             "to FILE (JSON)")
    parser.add_argument("--activation", metavar="FILE",
                        help="activation energies between the temperatures of an --export "
                             "file, next to the published records'")
    parser.add_argument("--lifetimes", metavar="FILE",
                        help="how long the melts of an --export file stay liquid before their "
                             "cations order (ionflux.md.nucleation)")
    parser.add_argument("--replicates", default="",
                        help="with --export or --validate: folders (comma-separated) holding "
                             "runs of the same melts with other seeds, analysed together with "
                             "--out's")
    parser.add_argument("--max-ps", type=float, default=0.0,
                        help="with --export: analyse only each run's first N ps after "
                             "equilibration (equal spans for melts that relax as they run)")
    parser.add_argument("--skip-ps", type=float, default=0.0,
                        help="with --export: drop each run's first N ps after equilibration "
                             "(a longer equilibration, for melts that age; a sensitivity)")
    parser.add_argument("--window-fs", metavar="START,END",
                        help="with --export: fit every document over this lag window (fs) "
                             "instead of the window rule's (a sensitivity; recorded)")
    parser.add_argument("--window-why", help="with --window-fs: the reason, recorded in "
                                             "each document's method")
    parser.add_argument("--order-level", type=float,
                        help="with --export: solid-like fraction of the cations above which a "
                             "20-ps window counts as ordered (ionflux.md.selection; default "
                             "ionflux.md.aging.ORDER_FLAG_MAX, 0.1)")
    parser.add_argument("--keep-ordered", action="store_true",
                        help="with --export: ordering neither cuts nor leaves out a run (a "
                             "sensitivity; the cation-order flag still reports it)")
    parser.add_argument("--temperatures", default="",
                        help="with --export: only runs at these temperatures (K, comma-separated)")
    parser.add_argument("--compare", metavar="FIRST,SECOND",
                        help="D per species of two --export files, paired by melt")
    parser.add_argument("--table", metavar="FILE",
                        help="D per species of every document of an --export file, how its "
                             "runs ended, and published / ours")
    parser.add_argument("--check-shift", metavar="FILE",
                        help="documents of an --export file against the Arrhenius shift of the "
                             "bundled melts with the pooled activation energy")
    args = parser.parse_args()
    try:
        if args.check_shift:
            check_shifts(args)
        elif args.compare:
            compare(args)
        elif args.table:
            table(args)
        elif args.activation:
            activation(args)
        elif args.lifetimes:
            lifetimes(args)
        elif args.export:
            export(args)
        elif args.aging:
            aging(args)
        elif args.crosscheck:
            crosscheck(args)
        elif args.validate:
            validate(args)
        elif args.report:
            report(args)
        elif args.assemble:
            assemble_all(args)
        else:
            run(args)
    except IonfluxError as err:
        raise SystemExit(f"error: {err}") from None


if __name__ == "__main__":
    main()
