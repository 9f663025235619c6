"""``ionflux ingest | build | status | query``: the maggma pipeline from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

_STORE_HELP = "local (embedded, default), mongo ($IONFLUX_MONGO_URI), memory, or a config file"


_STORE = typer.Option(None, "--store", help=_STORE_HELP + "; default $IONFLUX_STORE or local")
_DATA_DIR = typer.Option(None, "--data-dir",
                         help="local store folder (default $IONFLUX_DATA_DIR or ./ionflux-data)")
_SETTINGS = typer.Option(None, "--settings",
                         help="pipeline settings YAML, or 'default' for the built-in defaults "
                              "(default: $IONFLUX_PIPELINE_SETTINGS, else the settings the "
                              "store's last build recorded)")


def _open(store: str | None, data_dir: Path | None, settings: Path | None = None,
          read_only: bool = False) -> Any:
    from ionflux.stages.runner import Pipeline

    return Pipeline.open(store, data_dir=data_dir, settings=settings, read_only=read_only)


def ingest(
    directory: Path = typer.Argument(..., help="folder of trajectories with metadata sidecars"),
    store: str = _STORE,
    data_dir: Path = _DATA_DIR,
    recursive: bool = typer.Option(True, "--recursive/--no-recursive",
                                   help="look in sub-folders too"),
    rehash: bool = typer.Option(False, "--rehash",
                                help="hash every file even if size and time are unchanged"),
    follow_links: bool = typer.Option(False, "--follow-links",
                                      help="follow symbolic links that lead out of DIRECTORY"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Register trajectory files (+ YAML/JSON sidecars) in the raw-trajectory store.

    Sidecar of run1.extxyz: run1.extxyz.yaml or run1.yaml (or .json).

    Required sidecar fields: formula, temperature_K and replicate (any id, unique per formula
    and temperature, e.g. r1); frame_interval_fs (fs between stored frames) too for XDATCAR and
    ASE .traj files, which store no times. Optional: potential, potential_version, md_engine,
    notes.

    Exit code 1 when some files could not be registered.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    pipe = _open(store, data_dir)
    try:
        with Progress(TextColumn("hashing"), BarColumn(), MofNCompleteColumn(),
                      transient=True, disable=as_json) as bar:
            task = bar.add_task("ingest", total=None)

            def tick(done: int, total: int, _path: str) -> None:
                bar.update(task, completed=done, total=total)

            report = pipe.ingest(directory, recursive=recursive, rehash=rehash,
                                 follow_links=follow_links, progress=tick)
    finally:
        pipe.close()
    from ionflux.stages.settings import build_hint

    # reader messages name `transport analyze` options; say where ingest takes the value from
    failed = [(p, build_hint(e)) for p, e in report.failed]
    if as_json:
        typer.echo(json.dumps({"new": report.new, "changed": report.changed,
                               "unchanged": report.unchanged, "removed": report.removed,
                               "failed": [{"path": p, "error": e} for p, e in failed],
                               "notes": report.notes}, indent=1))
    else:
        console = Console(highlight=False)
        console.print(f"ingest {directory}: {report.summary()} ({pipe.stores.location})",
                      soft_wrap=True)
        for _path, error in failed:
            console.print(f"  failed: {error}", soft_wrap=True, markup=False)
        for note in report.notes:
            console.print(f"  note: {note}", soft_wrap=True)
    if report.failed:
        raise typer.Exit(1)


def retire(
    paths: list[Path] = typer.Argument(None, help="registered trajectory files that were "
                                                  "deleted"),
    missing: bool = typer.Option(False, "--missing",
                                 help="retire every registered trajectory whose file is gone"),
    reason: str = typer.Option(None, "--reason", help="why (kept in the record)"),
    store: str = _STORE,
    data_dir: Path = _DATA_DIR,
    as_json: bool = typer.Option(False, "--json", help="print the records as JSON"),
) -> None:
    """Unregister deleted trajectory files; `ionflux build` then updates their groups.

    Their raw and per-replicate documents go; a record of what was removed stays (the
    `retired` store).

    A file that still exists is refused (it would come back with the next ingest).
    """
    pipe = _open(store, data_dir)
    try:
        report = pipe.retire(paths or [], missing=missing, reason=reason)
    finally:
        pipe.close()
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in report.retired], indent=1))
        return
    for r in report.retired:
        others = ", ".join(f"{len(v)} {k}" for k, v in r.removed.items()
                           if k != "raw_trajectories")
        typer.echo(f"retired {r.traj_id} ({r.path})" + (f"; removed {others}" if others else ""))
    typer.echo(report.summary())


def build(
    store: str = _STORE,
    stage: list[str] = typer.Option(None, "--stage",
                                    help="gamma, transport, bonds, aggregate or kd "
                                         "(repeatable; default all, in that order)"),
    data_dir: Path = _DATA_DIR,
    settings: Path = _SETTINGS,
    retry_failed: bool = typer.Option(False, "--retry-failed",
                                      help="retry items that failed with the same inputs"),
    processes: int = typer.Option(1, "--processes", min=1,
                                  help="process items in parallel on this machine"),
) -> None:
    """Build the documents that are missing or outdated (incremental; a rerun does nothing).

    The settings used are recorded in the store: a later `status`, `query` or plain `build`
    uses them until another --settings is given.

    Exit code 1 when some items failed (the build still completes every other item).
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    pipe = _open(store, data_dir, settings)
    console = Console(highlight=False)
    tasks: dict[str, Any] = {}
    try:
        with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as bar:

            def tick(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done, total=total)

            reports = pipe.build(stage or None, retry_failed=retry_failed, processes=processes,
                                 progress=tick)
    finally:
        pipe.close()
    for r in reports:
        console.print(f"{r.stage:<10} {r.processed} processed: {r.succeeded} built, "
                      f"{r.failed} failed ({r.seconds:.1f} s)"
                      + (f", {r.claimed_elsewhere} left to another build running now"
                         if r.claimed_elsewhere else ""))
    console.print(f"settings: {pipe.settings_source}", soft_wrap=True)
    if any(r.failed for r in reports):
        console.print("some items failed (their earlier documents, if any, are kept); "
                      "see `ionflux status` for the reasons")
        raise typer.Exit(1)


def status(
    store: str = _STORE,
    data_dir: Path = _DATA_DIR,
    settings: Path = _SETTINGS,
    as_json: bool = typer.Option(False, "--json", help="print the status as JSON"),
    check: bool = typer.Option(False, "--check",
                               help="exit code 1 when an item is pending or failed for a "
                                    "reason that needs action (known data gaps do not count)"),
) -> None:
    """Documents per stage (up to date, pending, failed) and every failure with its reason.

    Each failure also gets one line on what it means.

    Uses the settings the store's last build recorded unless --settings says otherwise.

    Exit code 0; with --check, 1 when something is pending or failed for a reason that needs
    action. Known data gaps (the reference data do not cover an item, e.g. a phase without
    thermodynamic data) are listed but do not fail the check: no rebuild removes them.
    """
    pipe = _open(store, data_dir, settings, read_only=True)
    try:
        report = pipe.status()
    finally:
        pipe.close()
    from ionflux.stages.runner import explain_failure
    from ionflux.stages.settings import build_hint

    explained = [(f, build_hint(f.get("error") or ""), *explain_failure(f))
                 for f in report.failures]
    verdict = _check_verdict(report) if check else None
    if as_json:
        typer.echo(json.dumps({
            "location": report.location,
            "settings": report.settings_note,
            "stages": [vars(s) for s in report.stages],
            "failures": [{**{k: f.get(k) for k in ("stage", "item_key", "error_type")},
                          "error": error, "known_gap": known, "why": why}
                         for f, error, known, why in explained],
            "notes": report.notes,
            **({"check": {"ok": verdict[0], "summary": verdict[1]}} if verdict else {})},
            indent=1, default=str))
        _check_exit(verdict)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ionflux pipeline: {report.location}")
    for column in ("stage", "items", "up to date", "pending", "failed", "old doc kept"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for s in report.stages:
        table.add_row(s.stage, str(s.total), str(s.up_to_date), str(s.pending), str(s.failed),
                      str(s.outdated))
    console = Console(highlight=False)
    console.print(table)
    for f, error, known, why in explained:
        console.print(f"{'known gap' if known else 'failed'} {f['stage']:<9} {f['item_key']}: "
                      f"{error} [{why}]", soft_wrap=True, markup=False)
    for note in report.notes:
        console.print(f"note: {note}", soft_wrap=True, markup=False)
    console.print(report.settings_note, soft_wrap=True, markup=False)
    if verdict is not None:
        console.print(f"check {'passed' if verdict[0] else 'FAILED'}: {verdict[1]}",
                      soft_wrap=True, markup=False)
    _check_exit(verdict)


def _check_verdict(report: Any) -> tuple[bool, str]:
    """(passed?, why in one line) of ``status --check``."""
    pending = sum(s.pending for s in report.stages)
    action = len(report.needs_action())
    gaps = len(report.failures) - action
    parts = [f"{pending} item(s) pending (run `ionflux build`)" if pending else "",
             f"{action} failure(s) that need action (listed above)" if action else ""]
    gap_words = f"{gaps} known data gap(s), listed above, do not count" if gaps else ""
    problems = [p for p in parts if p]
    if problems:
        return False, "; ".join(problems + ([gap_words] if gap_words else []))
    return True, "every item is built" + (f"; {gap_words}" if gap_words else "")


def _check_exit(verdict: tuple[bool, str] | None) -> None:
    if verdict is not None and not verdict[0]:
        raise typer.Exit(1)


def query(
    what: str = typer.Argument(..., help="transport, kd or flags"),
    formula: str | None = typer.Option(None, "--formula",
                                       help="phase, e.g. BaTiO3 (transport, kd: required)"),
    temperature: float | None = typer.Option(None, "--temperature",
                                             help="temperature, K (transport, kd: required)"),
    precursors: str = typer.Option(None, "--precursors", help="kd: e.g. BaO,TiO2"),
    replicates: bool = typer.Option(False, "--replicates",
                                    help="transport: per-replicate documents"),
    source: str = typer.Option("all", "--source",
                               help="transport: md, published or all (MD wins where both); "
                                    "flags: md, published or all (both)"),
    flag: str = typer.Option("any", "--flag",
                             help="flags: codes, comma-separated (any | "
                                  "above_free_particle_bound, com_constraint_violated, "
                                  "D_falls_with_T, not_diffusive)"),
    store: str = _STORE,
    data_dir: Path = _DATA_DIR,
    as_json: bool = typer.Option(False, "--json", help="print the documents as JSON"),
) -> None:
    """Print stored transport or K_D documents, or the transport documents with physics flags.

    Transport: aggregated over replicates, or imported published tensors. Flags: every stored
    transport document (of --formula, if given) that carries one of the --flag codes.
    """
    from ionflux.errors import InputError

    if what not in ("transport", "kd", "flags"):
        raise InputError(f"query what {what!r}? use 'transport', 'kd' or 'flags'")
    if what == "flags":
        _query_flags(flag, source, formula, store, data_dir, as_json)
        return
    missing = [name for name, value in (("--formula", formula), ("--temperature", temperature))
               if value is None]
    if missing:
        raise InputError(f"query {what} needs {' and '.join(missing)}")
    pipe = _open(store, data_dir, read_only=True)
    try:
        if what == "transport":
            result = pipe.transport(formula, temperature, replicates=replicates, source=source)
            docs = result if isinstance(result, list) else [result]
        else:
            pair = [p.strip() for p in precursors.split(",")] if precursors else None
            if pair is not None and len(pair) != 2:
                raise InputError(f"--precursors needs two phases, e.g. BaO,TiO2; got "
                                 f"{precursors!r}")
            docs = pipe.kd(formula, temperature, pair)
        settings_line = f"settings: {pipe.settings_source}"
    finally:
        pipe.close()
    if as_json:
        # transport: one object (a list with --replicates); kd: a list, one per precursor pair
        single = what == "transport" and not replicates
        typer.echo(json.dumps(docs[0] if single else docs, indent=1, default=str))
        return
    for doc in docs:
        typer.echo(_format_transport(doc) if what == "transport" else _format_kd(doc))
        if doc.get("stale"):
            typer.echo(_format_stale(doc["stale"]))
    if any(d.get("transport_source") != "published" for d in docs):
        typer.echo(settings_line)  # what the MD documents were built with


def _query_flags(flag: str, source: str, formula: str | None, store: str | None,
                 data_dir: Path | None, as_json: bool) -> None:
    """``query flags``: one line per flag of every flagged transport document."""
    from ionflux.errors import InputError
    from ionflux.transport.physics_checks import FLAG_CODES, flag_codes

    codes = flag_codes(flag)
    if codes is None:
        raise InputError("--flag is empty: give any or flag codes")
    pipe = _open(store, data_dir, read_only=True)
    try:
        records, seen = pipe.flagged(codes, source=source, formula=formula)
    finally:
        pipe.close()
    if as_json:
        typer.echo(json.dumps([{k: r.get(k) for k in ("group_id", "formula", "temperature_K",
                                                      "transport_source", "physics_flags")}
                               for r in records], indent=1, default=str))
        return
    for record in records:
        for f in record["physics_flags"]:
            species = f" ({f['species']})" if f.get("species") else ""
            typer.echo(f"{record['group_id']} [{record['transport_source']}] "
                       f"{f['code']}{species}: {f.get('detail', '')}")
    asked = "a physics flag" if set(codes) == set(FLAG_CODES) else " or ".join(codes)
    typer.echo(f"{len(records)} of {seen} transport documents carry {asked}"
               + (f" ({formula})" if formula else ""))


def _format_stale(stale: dict) -> str:
    return (f"  STALE: newer inputs (from {stale['failed_inputs_from']}) failed the "
            f"{stale['stage']} stage: {stale['error']}; this document is from the older inputs")


def _format_transport(doc: dict) -> str:
    """The document as text, every value with its standard error (± ...) where there is one."""
    from ionflux.cli.transport import plus_minus

    species = doc["species"]
    if doc.get("transport_source") == "published":
        head = (f"{doc.get('group_id')} (published tensors, {doc.get('published_source')}): "
                f"V = {doc['volume_A3']:.1f} Å^3")
    else:
        name = doc.get("group_id") if "replicates" in doc else doc.get("traj_id")
        head = (f"{name}: {doc['n_replicates']} replicate(s), V = {doc['volume_A3']:.1f} Å^3, "
                f"fit window {doc.get('fit_window_fs')} fs")
    L_err = doc.get("L_stderr")
    width = 11 if L_err is None else 21
    lines = [head,
             "L (1/(eV cm s)):  " + "  ".join(f"{s:>{width}s}" for s in species)]
    for i, (s, row) in enumerate(zip(species, doc["L"], strict=True)):
        lines.append(f"  {s:<15s}" + "  ".join(
            f"{plus_minus(v, None if L_err is None else L_err[i][j]):>{width}s}"
            for j, v in enumerate(row)))
    if L_err is None:
        lines.append("  (no standard errors: the source gives none)")
    D_err = doc.get("D_self_cm2_s_stderr") or {}
    f_err = doc.get("correlation_factor_stderr") or {}
    bounds = doc.get("D_self_upper_bound_cm2_s") or {}
    for s in species:
        d, f = doc["D_self_cm2_s"].get(s), doc["correlation_factor"].get(s)
        if d is None and s in bounds:
            bound = bounds[s]
            d_text = ("not given: not diffusive" + ("" if bound is None else
                                                    f", D < {bound:.1e} cm^2/s"))
        elif d is None:
            d_text = "not given by the source"
        else:
            d_text = f"{plus_minus(d, D_err.get(s))} cm^2/s"
        lines.append(f"  {s}: D_self = {d_text}, f = {plus_minus(f, f_err.get(s), '.3f')}")
    for flag in doc.get("physics_flags") or []:
        lines.append(f"  physics flag {flag.get('code')}"
                     + (f" ({flag['species']})" if flag.get("species") else "")
                     + (f": {flag['detail']}" if flag.get("detail") else ""))
    lines += [f"  warning: {w}" for w in doc.get("warnings", [])]
    return "\n".join(lines)


def _format_kd(doc: dict) -> str:
    err = doc.get("K_D_stderr_cm2_s")
    lines = [f"{doc['kd_id']}: K_D = {doc['K_D_cm2_s']:.3e}"
             + (f" ± {err:.1e}" if err is not None else "")
             + f" cm^2/s (self-only {doc['K_D_self_cm2_s']:.3e})"]
    if err is None and doc.get("K_D_stderr_note"):
        lines.append(f"  {doc['K_D_stderr_note']}")
    warnings = doc.get("warnings", [])
    # documents built before issue 11 carry both the K_D document's and the transport
    # document's line for each failed quality check: print one
    restated = {w.split()[3] for w in warnings if w.startswith("transport quality check ")}
    lines += [f"  warning: {w}" for w in warnings
              if not (w.startswith("quality check ") and w.split()[2] in restated)]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("build")(build)
    app.command("retire")(retire)
    app.command("status")(status)
    app.command("query")(query)
