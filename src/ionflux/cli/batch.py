"""``ionflux batch``: file a composition x profile grid of predictions and run it as a builder."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

from ionflux.errors import InputError

batch_app = typer.Typer(help="Batch predictions: prediction_requests -> predictions "
                             "(the same builder runs under mrun).", no_args_is_help=True)

_STORE = typer.Option(None, help="local | mongo | memory | config file (default "
                                 "$IONFLUX_STORE or local)")
_DATA_DIR = typer.Option(None, help="local store folder (default ./ionflux-data)")


def parse_ratios(text: str, names: list[str]) -> list[list[float]]:
    """'1:1,1:2' -> [[1, 1], [1, 2]] (each with a positive number per precursor in ``names``,
    within the limits of :func:`~ionflux.cli._parse.check_ratios`)."""
    from ionflux.cli._parse import check_ratios

    n = len(names)
    out = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        try:
            values = [float(v) for v in item.split(":")]
        except ValueError:
            raise InputError(f"--ratios: {item!r} is not numbers joined by ':'") from None
        if len(values) != n or any(not v > 0 for v in values):
            raise InputError(f"--ratios: {item!r} needs {n} positive numbers (one per "
                             "precursor)")
        check_ratios(dict(zip(names, values, strict=True)), f"--ratios {item}")
        out.append(values)
    if not out:
        raise InputError("--ratios is empty; e.g. 1:1,1:2")
    return out


def _run(store, data_dir, processes: int, retry_failed: bool) -> dict:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ionflux.pipeline.predictions import prediction_builder
    from ionflux.pipeline.runner import run_builder

    builder = prediction_builder(store, data_dir, retry_failed=retry_failed)
    # the progress bar says what maggma's INFO lines would (and --json output stays JSON)
    builder.logger.setLevel(logging.WARNING)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total}"), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("predictions", total=None)

        def tick(_stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        report = run_builder(builder, tick, processes=processes, label="predictions")
    return {"processed": report.processed, "succeeded": report.succeeded,
            "failed": report.failed, "seconds": round(report.seconds, 2)}


@batch_app.command("request")
def request_command(
    precursors: str = typer.Option(..., help="precursors, e.g. BaO,TiO2"),
    ratios: str = typer.Option(..., help="molar ratios, e.g. 1:1,1:2,2:1"),
    profiles: str = typer.Option(..., help="heating profiles separated by ';', each like "
                                           "'1200K:4h,1300K:4h' (durations in sweeps or h)"),
    modes: str = typer.Option("full", help="comma-separated: full, self-only, thermo-only"),
    realisations: int = typer.Option(8, min=1),
    seed: int = typer.Option(0, min=0),
    grid: int = typer.Option(30, min=3, help="edge of the cubic grid in cells"),
    run: bool = typer.Option(False, "--run", help="run the pending requests right away"),
    processes: int = typer.Option(1, min=1, help="with --run: worker processes"),
    store: str = _STORE, data_dir: Path = _DATA_DIR,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """File every (ratio x profile x mode) combination as a prediction request."""
    from ionflux.cli.predict import parse_profile
    from ionflux.pipeline.predictions import file_requests, prediction_stores, request_grid

    names = [p.strip() for p in precursors.split(",") if p.strip()]
    if len(names) < 2:
        raise InputError("--precursors needs at least two phases, e.g. BaO,TiO2")
    steps = [parse_profile(p) for p in profiles.split(";") if p.strip()]
    if not steps:
        raise InputError("--profiles is empty; e.g. '1200K:4h,1300K:4h;1400K:2h'")
    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    bad = [m for m in mode_list if m not in ("full", "self-only", "thermo-only")]
    if bad or not mode_list:
        raise InputError(f"--modes: unknown {bad or 'none given'}; use full, self-only, "
                         "thermo-only")
    try:
        requests = request_grid(names, parse_ratios(ratios, names), steps, mode_list,
                                realisations=realisations, seed=seed, grid=grid)
    except ValueError as exc:
        raise InputError(" ".join(str(exc).split())) from None
    req_store, _, _ = prediction_stores(store, data_dir)
    req_store.connect()
    try:
        new, old = file_requests(req_store, requests)
    finally:
        req_store.close()
    out: dict = {"filed": len(requests), "new": new, "already_filed": old}
    if run:
        out["run"] = _run(store, data_dir, processes, False)
    if json_out:
        typer.echo(json.dumps(out))
    else:
        typer.echo(f"{len(requests)} requests: {new} new, {old} already filed")
        if run:
            r = out["run"]
            typer.echo(f"ran {r['processed']}: {r['succeeded']} done, {r['failed']} failed "
                       f"({r['seconds']} s)")


@batch_app.command("run")
def run_command(store: str = _STORE, data_dir: Path = _DATA_DIR,
                processes: int = typer.Option(1, min=1, help="worker processes"),
                retry_failed: bool = typer.Option(False, "--retry-failed"),
                json_out: bool = typer.Option(False, "--json")) -> None:
    """Run every pending request (incremental: done requests are skipped)."""
    r = _run(store, data_dir, processes, retry_failed)
    if json_out:
        typer.echo(json.dumps(r))
    else:
        typer.echo(f"ran {r['processed']}: {r['succeeded']} done, {r['failed']} failed "
                   f"({r['seconds']} s)")


@batch_app.command("status")
def status_command(store: str = _STORE, data_dir: Path = _DATA_DIR,
                   json_out: bool = typer.Option(False, "--json")) -> None:
    """Requests done, pending and failed (with reasons)."""
    from ionflux.pipeline.predictions import prediction_stores, request_status

    stores = prediction_stores(store, data_dir)
    for s in stores:
        s.connect()
    try:
        status = request_status(*stores)
    finally:
        for s in stores:
            s.close()
    if json_out:
        typer.echo(json.dumps(status))
        return
    typer.echo(f"{status['requests']} requests: {status['done']} done, {status['pending']} "
               f"pending, {len(status['failed'])} failed")
    for key, why in status["failed"].items():
        typer.echo(f"  failed {key}: {why}")


def register(app: typer.Typer) -> None:
    app.add_typer(batch_app, name="batch")
