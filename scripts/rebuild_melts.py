"""Remake the distilled-potential runs behind bundled melt documents and check them (data).

Each document names its seeds and frame counts, so its runs can be made again. On the machine
that made them the remade document equals the bundled one number for number; on another the
rounding differs and the MD diverges, so the remade document is another realisation and must
agree within the combined standard errors (``ionflux.md.rebuild``).

    python scripts/rebuild_melts.py --melts Ba3TiO5:1750 --out runs/rebuild --processes 2
    python scripts/rebuild_melts.py --melts Ba3TiO5:1750 --out runs/rebuild --check [--scan]
    python scripts/rebuild_melts.py --plan          # every run of the bundle and its steps

Runs resume where they stopped (a rerun continues each chunked run), one process per run, each
single-threaded. Layout: ``OUT/FORMULA_TK/seedN/distilled/FORMULA_TK`` (run_mlip_melts.py's).
Needs the MD extras (``pip install -e ".[mlip,md]"``, CPU torch first: DEVELOPERS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path

from ionflux.errors import InputError, IonfluxError
from ionflux.md.rebuild import (
    CHUNK_STEPS,
    EQUILIBRATION_STEPS,
    PlannedRun,
    document_agreement,
    document_differences,
    planned_runs,
    replace_documents,
    update_variant,
)
from ionflux.md.selection import ordering_changed
from ionflux.transport.time_axis import REFERENCE_FILE, variant_file

SCRIPTS = Path(__file__).resolve().parent
#: Span (ps after equilibration) of the bundled cut variant (transport_distilled_melts_59ps.json).
CUT_PS = 59.0


def _bundled(path: str | None) -> Path:
    if path:
        return Path(path)
    return Path(str(resources.files("ionflux") / "data" / "ba-ti-o" / REFERENCE_FILE))


def _documents(args: argparse.Namespace) -> list[dict]:
    docs = json.loads(_bundled(args.bundle).read_text())["documents"]
    if not args.melts:
        return docs
    wanted = []
    for item in args.melts.split(","):
        formula, _, temp = item.partition(":")
        if not temp:
            raise InputError(f"--melts wants FORMULA:T,..., got {item!r}")
        wanted.append((formula.strip(), float(temp)))
    chosen = [d for d in docs if (d["formula"], d["temperature_K"]) in wanted]
    missing = set(wanted) - {(d["formula"], d["temperature_K"]) for d in chosen}
    if missing:
        raise InputError("not in the bundle: "
                         + ", ".join(f"{f} {t:g} K" for f, t in sorted(missing)))
    return chosen


def _run_dir(out: Path, run: PlannedRun) -> Path:
    return out / run.folder / f"seed{run.seed}"


def _command(out: Path, run: PlannedRun, minutes: float) -> list[str]:
    return [sys.executable, str(SCRIPTS / "run_mlip_melts.py"), "--teacher", "distilled",
            "--out", str(_run_dir(out, run)), "--seed", str(run.seed),
            "--total-steps", str(run.total_steps), "--chunk-steps", str(CHUNK_STEPS),
            "--equilibration-steps", str(EQUILIBRATION_STEPS), "--parallel", "1",
            "--converge-every", "0", "--minutes", f"{minutes:g}", "--melts", run.melt]


def _longer(docs: list[dict], total_steps: int | None) -> list[PlannedRun]:
    """Every planned run of ``docs``; with ``total_steps``, each continued to that length (a
    run the rule failed goes on as the same trajectory; none is shortened)."""
    runs = [r for d in docs for r in planned_runs(d)]
    if total_steps is None:
        return runs
    short = [r for r in runs if r.total_steps > total_steps]
    if short:
        raise InputError(f"--total-steps {total_steps} is shorter than "
                         + ", ".join(f"{r.melt} K seed {r.seed} ({r.total_steps})"
                                     for r in short) + ": runs are continued, never cut")
    return [replace(r, total_steps=total_steps) for r in runs]


def run_all(args: argparse.Namespace, docs: list[dict]) -> None:
    """Make (or continue) every planned run, ``--processes`` at a time, longest first."""
    out = Path(args.out)
    runs = sorted(_longer(docs, args.total_steps), key=lambda r: -r.total_steps)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    total = sum(r.total_steps for r in runs)
    print(f"{len(runs)} runs, {total:,} MD steps, {args.processes} at a time -> {out}")
    finished = 0

    def one(run: PlannedRun) -> tuple[PlannedRun, int, Path]:
        log = _run_dir(out, run) / "rebuild.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as handle:
            code = subprocess.call(_command(out, run, args.minutes), stdout=handle,
                                   stderr=subprocess.STDOUT, env=env)
        return run, code, log

    with ThreadPoolExecutor(max_workers=args.processes) as pool:
        for future in as_completed([pool.submit(one, r) for r in runs]):
            run, code, log = future.result()
            finished += run.total_steps
            manifest = _run_dir(out, run) / "distilled" / run.folder / "manifest.json"
            # "running" after a clean exit: stopped at --minutes; a rerun continues it
            status = (json.loads(manifest.read_text()).get("status", "?")
                      if manifest.is_file() else "no manifest")
            state = status if code == 0 else f"FAILED (exit {code}, see {log})"
            print(f"[{100 * finished / total:5.1f} % of steps] {run.melt} K seed {run.seed}: "
                  f"{state}", flush=True)


def check(args: argparse.Namespace, docs: list[dict]) -> int:
    """Export each document from its remade runs and compare it with the bundled one; the
    number of documents that differ (or could not be exported)."""
    out = Path(args.out)
    bad = 0
    late: list[dict] = []
    collected: list[dict] = []
    for doc in docs:
        runs = planned_runs(doc)
        name = f"{doc['formula']} {doc['temperature_K']:g} K"
        folders = [_run_dir(out, r) / "distilled" for r in runs]
        if not all((f / runs[0].folder / "manifest.json").is_file() for f in folders):
            print(f"{name}: not every run made yet (seeds {doc['provenance']['method']['seeds']})")
            bad += 1
            continue
        target = out / runs[0].folder / "remade.json"
        remade = _export(folders, target, ["--temperatures", f"{doc['temperature_K']:g}"])
        if remade is None:
            print(f"{name}: export failed")
            bad += 1
            continue
        if len(remade) != 1:
            print(f"{name}: {len(remade)} documents exported, expected 1")
            bad += 1
            continue
        collected.extend(remade)
        lines = document_differences(remade[0], doc, rtol=args.rtol)
        if not lines:
            print(f"{name}: same numbers (the runs are the bundled ones)")
        else:
            # another machine's rounding: another realisation, judged within errors
            agree = document_agreement(remade[0], doc)
            worst = max(abs(z) for z in agree["D_z"].values())
            print(f"{name}: another realisation ({len(lines)} quantities differ); D remade / "
                  "bundled " + ", ".join(f"{el} {r:.2f} ({agree['D_z'][el]:+.1f} sigma)"
                                         for el, r in agree["D_ratio"].items())
                  + "; L " + ", ".join(f"{k} {z:+.1f}" for k, z in agree["L_z"].items())
                  + f"; window {_ps(remade[0]['fit_window_fs'])} vs "
                  f"{_ps(doc['fit_window_fs'])} ps; rule "
                  f"{_verdict(remade[0])} vs {_verdict(doc)}")
            if args.verbose:
                for line in lines:
                    print(f"    {line}")
            bad += not worst <= args.max_z
        if args.scan or args.late_window:
            scan = _print_scan(folders, runs[0].folder, remade[0])
            later = [window for window, _ in scan if window[0] > doc["fit_window_fs"][0]]
            if args.late_window and later:
                late.extend(_late_export(folders, out / runs[0].folder, later[-1]))
    if args.remade:
        Path(args.remade).write_text(json.dumps(
            {"description": "transport documents of the bundled melts named, exported from "
                            "their runs remade from the documents' seeds and lengths "
                            "(scripts/rebuild_melts.py; on another machine another "
                            "realisation of each)", "documents": collected, "skipped": []},
            indent=1) + "\n")
        print(f"{len(collected)} remade documents -> {args.remade}")
    if args.late_window:
        description = (
            "transport documents of the melts named, each fitted over the latest window of its "
            "plateau scan (start a power of 2 times the window rule's, end at most half an "
            "error block) instead of the window rule's: a sensitivity for melts whose D still "
            "falls with the lag (scripts/rebuild_melts.py --late-window); the runs are the "
            "bundled documents' remade")
        Path(args.late_window).write_text(json.dumps(
            {"description": description, "documents": late, "skipped": []}, indent=1) + "\n")
        print(f"{len(late)} documents at later windows -> {args.late_window}")
    return bad


def replacement_note(day: str, seeds: str | None, why: str | None, first_name: str) -> str:
    """What each replacement records in ``provenance.method['replaces']``: how its runs were
    made, the seeds pooled (``--seeds``), why they replace the bundled ones (``--why``, e.g.
    the policy fixed before the runs) and where the replaced document is kept."""
    return (f"runs remade on {day} from the seeds of the document it replaces, another "
            "realisation (MD is not bit-for-bit reproducible across machines), and continued "
            "as the same trajectories (scripts/rebuild_melts.py --total-steps, --rebundle)"
            + (f"; seeds {seeds} pooled, those it does not name added as new runs of the same "
               "settings (--seeds)" if seeds else "")
            + (f"; {why.strip()}" if why and why.strip() else "")
            + f"; the document it replaces is in {first_name}")


def rebundle(args: argparse.Namespace, docs: list[dict]) -> int:
    """Write into ``--rebundle`` DIR the bundled files with the named documents exported from
    their runs under ``--out`` (remade, and continued): the whole-run file, the 59-ps cut
    (where the bundle holds one for the melt), ``_first.json`` with the documents they
    replace (added to an existing one, where a melt replaced before keeps its first) and
    ``_ordered.json`` following the new runs' selection (ordered frames kept). Nothing
    is written unless every melt exports; returns the number that did not."""
    out, target = Path(args.out), Path(args.rebundle)
    bundled_dir = _bundled(args.bundle).parent
    first_name, cut_name = variant_file("first"), variant_file(f"{CUT_PS:g}ps")
    ordered_name = variant_file("ordered")
    cut_bundle = json.loads((bundled_dir / cut_name).read_text())
    cut_melts = {(d["formula"], d["temperature_K"]) for d in cut_bundle["documents"]}
    whole, cut, kept_ordered, not_ordered, bad = [], [], [], [], 0
    seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else None
    for doc in docs:
        runs = planned_runs(doc)
        if seeds:  # the runs of these seeds (more seeds than the document's), lengths as made
            runs = [replace(runs[0], seed=seed) for seed in seeds]
        name = f"{doc['formula']} {doc['temperature_K']:g} K"
        folders = [_run_dir(out, r) / "distilled" for r in runs]
        temps = ["--temperatures", f"{doc['temperature_K']:g}"]
        exported = _export_one(folders, out / runs[0].folder / "rebundle.json", temps,
                               f"{name}: export failed; not replaced")
        if exported is None:
            bad += 1
            continue
        shorter = None
        if (doc["formula"], doc["temperature_K"]) in cut_melts:
            shorter = _export_one(folders, out / runs[0].folder / f"rebundle_{CUT_PS:g}ps.json",
                                  [*temps, "--max-ps", f"{CUT_PS:g}"],
                                  f"{name}: the {CUT_PS:g}-ps export failed; not replaced")
            if shorter is None:
                bad += 1
                continue
        # the sensitivity that keeps ordered frames follows the selection of the new runs
        if ordering_changed(exported["provenance"]["method"]):
            with_order = _export_one(folders, out / runs[0].folder / "rebundle_ordered.json",
                                     [*temps, "--keep-ordered"], f"{name}: the export with "
                                     "ordered frames kept failed; not replaced")
            if with_order is None:
                bad += 1
                continue
            kept_ordered.append(with_order)
        else:
            not_ordered.append((doc["formula"], float(doc["temperature_K"])))
        whole.append(exported)
        if shorter is not None:
            cut.append(shorter)
        print(f"{name}: {exported['provenance']['method']['replicate_run_ps']} ps, rule "
              f"{_verdict(exported)} (bundled: {_verdict(doc)})")
    if bad:
        # a bundle with some documents replaced and others not is not what was asked for
        print(f"{bad} melts could not be exported; nothing written")
        return bad
    note = replacement_note(date.today().isoformat(), args.seeds, args.why, first_name)
    bundle = json.loads(_bundled(args.bundle).read_text())
    new_bundle, replaced = replace_documents(bundle, whole, note)
    new_cut, _ = replace_documents(cut_bundle, cut, note)
    new_ordered = update_variant(json.loads((bundled_dir / ordered_name).read_text()),
                                 kept_ordered, note, drop=not_ordered)
    first_path = bundled_dir / first_name
    first = (json.loads(first_path.read_text()) if first_path.is_file() else
             {"description": "bundled melt documents as first made, each replaced in "
                             f"{REFERENCE_FILE} by one from runs remade and continued (its "
                             "provenance.method['replaces']); another realisation of the same "
                             "melt, kept as a sensitivity", "documents": [], "skipped": []})
    # a melt replaced before keeps its first document there
    kept = {(d["formula"], d["temperature_K"]) for d in first["documents"]}
    first["documents"].extend(d for d in replaced
                              if (d["formula"], d["temperature_K"]) not in kept)
    target.mkdir(parents=True, exist_ok=True)
    for name, content in ((REFERENCE_FILE, new_bundle), (cut_name, new_cut),
                          (first_name, first), (ordered_name, new_ordered)):
        (target / name).write_text(json.dumps(content, indent=1) + "\n")
    print(f"{len(whole)} documents replaced -> {target}")
    return bad


def _late_export(folders: list[Path], where: Path, window: tuple[float, float]) -> list[dict]:
    """The document of the runs in ``folders`` fitted over ``window`` (fs)."""
    target = where / "late_window.json"
    why = (f"latest window of the plateau scan, {window[0]:g}-{window[1]:g} fs "
           "(scripts/rebuild_melts.py --late-window)")
    documents = _export(folders, target, ["--window-fs", f"{window[0]:g},{window[1]:g}",
                                          "--window-why", why])
    if documents is None:
        print("    late-window export failed")
    return documents or []


def _export(folders: list[Path], target: Path, extra: list[str]) -> list[dict] | None:
    """Documents of the runs in ``folders`` (the first the main run, the others its
    replicates) exported by run_mlip_melts.py into ``target``; None when the export failed
    (its last error line printed)."""
    command = [sys.executable, str(SCRIPTS / "run_mlip_melts.py"), "--out", str(folders[0]),
               "--replicates", ",".join(map(str, folders[1:])), "--export", str(target), *extra]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not target.is_file():
        print(f"    {' '.join(result.stderr.strip().splitlines()[-1:])}")
        return None
    return json.loads(target.read_text())["documents"]


def _export_one(folders: list[Path], target: Path, extra: list[str],
                failure: str) -> dict | None:
    """The one document of the runs in ``folders`` (:func:`_export`), or None with
    ``failure`` printed when the export failed or gave no single document."""
    documents = _export(folders, target, extra) or []
    if len(documents) != 1:
        print(failure)
        return None
    return documents[0]


def _ps(window: list[float]) -> str:
    return f"{window[0] / 1000:g}-{window[1] / 1000:g}"


def _verdict(document: dict) -> str:
    """The convergence rule's verdict and, when failed, what failed first."""
    flag = document["quality"].get("convergence_rule")
    if flag is None:
        return "not judged"
    if flag["passed"]:
        return "passes"
    # the rule's reason reads "<runs pooled>: fails (<what failed, with its numbers>)"
    _, found, why = flag["reason"].partition(": fails (")
    return f"fails ({why.removesuffix(')')})" if found else f"fails ({flag['reason']})"


def _print_scan(folders: list[Path], melt: str, document: dict) -> list:
    """D over the document's window moved to later lags (ionflux.md.convergence.plateau_scan),
    relative to the document's D, with paired errors."""
    from ionflux.md.convergence import plateau_scan
    from ionflux.md.mlip import assemble
    from ionflux.transport.documents import TransportDoc

    doc = TransportDoc.model_validate(document)
    # the runs and frames the document used (the selection may leave a run out)
    by_seed = {int(folder.parent.name.removeprefix("seed")): folder for folder in folders}
    runs = []
    for run, source in zip(planned_runs(document), document["provenance"]["sources"],
                           strict=True):
        trajectory = assemble(by_seed[run.seed] / melt).to_trajectory()
        runs.append(trajectory.subset_frames(0, int(source["n_frames"])))
    start, end = doc.fit_window_fs
    print(f"    plateau scan (document window {start / 1000:g}-{end / 1000:g} ps):")
    scan = plateau_scan(runs, doc)
    for (a, b), shifts in scan:
        print(f"      {a / 1000:g}-{b / 1000:g} ps: " + ", ".join(
            f"{el} {100 * s:+.0f} ± {100 * e:.0f} %" if e is not None else f"{el} {100 * s:+.0f} %"
            for el, (s, e) in shifts.items()))
    return scan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", help="export file whose documents to remake (default: the "
                                         "bundled transport_distilled_melts.json)")
    parser.add_argument("--melts", default="", help="FORMULA:T,... (default: every document)")
    parser.add_argument("--out", default="runs/rebuild")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=600.0,
                        help="wall-time bound per run and call (a stopped run resumes)")
    parser.add_argument("--rtol", type=float, default=1e-9,
                        help="relative difference below which a number counts as the same")
    parser.add_argument("--max-z", type=float, default=3.0,
                        help="largest D difference (combined standard errors) accepted between "
                             "a document remade elsewhere and the bundled one")
    parser.add_argument("--verbose", action="store_true", help="name every number that differs")
    parser.add_argument("--seeds", help="with --rebundle: pool the runs of these seeds "
                                         "(comma-separated) under --out instead of the "
                                         "document's, e.g. to add seeds")
    parser.add_argument("--why", help="with --rebundle: why these runs replace the bundled "
                        "documents, recorded in each replacement (e.g. the policy fixed before "
                        "the runs)")
    parser.add_argument("--total-steps", type=int,
                        help="continue every named run to this many MD steps (a document the "
                             "rule failed goes on; runs are never cut)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--plan", action="store_true", help="print the runs, make nothing")
    mode.add_argument("--rebundle", metavar="DIR",
                      help="write the bundled files into DIR with the named documents exported "
                           "from their runs under --out (remade and continued), the replaced "
                           "ones kept in transport_distilled_melts_first.json")
    mode.add_argument("--check", action="store_true",
                      help="export from the remade runs and compare with the bundle: the "
                           "same numbers (same machine) or within --max-z combined errors")
    parser.add_argument("--scan", action="store_true",
                        help="with --check: D over the document's window moved to later lags")
    parser.add_argument("--remade", metavar="FILE",
                        help="with --check: write the remade documents into FILE")
    parser.add_argument("--late-window", metavar="FILE",
                        help="with --check: also export each document fitted over the latest "
                             "window of its scan, into FILE (a sensitivity)")
    args = parser.parse_args()
    try:
        if args.why is not None and not args.rebundle:
            raise InputError("--why goes with --rebundle")
        docs = _documents(args)
        if args.plan:
            total = 0
            for doc in docs:
                runs = _longer([doc], args.total_steps)
                total += sum(r.total_steps for r in runs)
                print(f"{doc['formula']} {doc['temperature_K']:g} K: "
                      + ", ".join(f"seed {r.seed} {r.total_steps} steps" for r in runs))
            print(f"{total:,} steps in all")
        elif args.rebundle:
            if args.why is not None and not args.why.strip():
                raise InputError("--why is empty; say why the runs replace the bundled ones")
            if not args.melts:
                raise InputError("--rebundle replaces the documents of --melts; name them")
            if args.seeds and (len(docs) != 1 or not all(
                    x.strip().isdigit() for x in args.seeds.split(","))):
                raise InputError("--seeds wants one melt in --melts and seeds as N,N,...")
            sys.exit(1 if rebundle(args, docs) else 0)
        elif args.check:
            sys.exit(1 if check(args, docs) else 0)
        else:
            run_all(args, docs)
    except IonfluxError as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
