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

    from ionflux.stages.predictions import prediction_builder
    from ionflux.stages.runner import run_builder

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
    from ionflux.stages.predictions import file_requests, prediction_stores, request_grid

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
    from ionflux.stages.predictions import prediction_stores, request_status

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


@batch_app.command("list")
def list_command(store: str = _STORE, data_dir: Path = _DATA_DIR,
                 phase: str = typer.Option(None, help="only results where this phase is the "
                                                      "largest product"),
                 top: int = typer.Option(3, min=1, help="phases shown per result"),
                 json_out: bool = typer.Option(False, "--json")) -> None:
    """Results of the filed requests: state, and the largest product and main phases.

    Per request, when done, both fractions of each main phase (mole fraction of formula
    units, cation fraction; mean ± standard error, realisations that share an input draw
    counted once).
    """
    from ionflux.stages.predictions import prediction_stores

    stores = prediction_stores(store, data_dir)
    for s in stores:
        s.connect()
    try:
        rows = _results(*stores, top)
    finally:
        for s in stores:
            s.close()
    if phase is not None:
        rows = [r for r in rows if r.get("largest_product") == phase]
    if json_out:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo("no results" + (f" with {phase} the largest product" if phase else "")
                   + "; file requests with `ionflux batch request`")
        return
    from ionflux.ca.documents import FRACTION_DEFINITIONS

    for r in rows:
        head = (f"{r['label'] or r['request_id']} {r['mode']}, profile "
                f"{r['profile']}: {r['state']}")
        if r["state"] != "done":
            typer.echo(head + (f" ({r['error']})" if r.get("error") else ""))
            continue
        typer.echo(f"{head}; largest product by formula units {r['largest_product']} "
                   f"(P {r['largest_product_probability_text']})")
        for p in r["phases"]:
            typer.echo(f"  {p['phase']:<12} mole fraction {_pm(p['mol_fraction'])}, "
                       f"cation fraction {_pm(p['cation_fraction'])}")
    typer.echo("; ".join(FRACTION_DEFINITIONS.values()))
    typer.echo(rows[0].get("time_axis") or "")


def _pm(pair: list) -> str:
    from ionflux.cli.transport import plus_minus

    return plus_minus(pair[0], pair[1], ".3f")


def _results(requests, predictions, failures, top: int) -> list[dict]:
    """One row per filed request (stores connected), newest result per request."""
    from ionflux.ca.documents import PredictionDoc
    from ionflux.stages.predictions import request_status

    failed = request_status(requests, predictions, failures)["failed"]
    done = {r["request_id"]: r for r in predictions.query(
        {"request_id": {"$exists": True}}, properties=["request_id", "prediction"])}
    rows = []
    for req in sorted(requests.query(), key=lambda r: (r.get("label") or "", r["mode"])):
        profile = ", ".join(f"{t:g} K x {d:g}" for t, d in req["profile"])
        row = {"request_id": req["request_id"], "label": req.get("label"),
               "precursors": req["precursors"], "mode": req["mode"], "profile": profile,
               "state": "pending"}
        record = done.get(req["request_id"])
        if req["request_id"] in failed:
            row.update(state="failed", error=failed[req["request_id"]])
        elif record is not None:
            doc = PredictionDoc.model_validate(record["prediction"])
            chances = doc.majority_probability
            best = doc.largest_product()
            main = sorted(doc.final_mol_fraction, key=lambda p: -doc.final_mol_fraction[p])
            interval = doc.majority_probability_interval.get(best) if best else None
            row.update(state="done", largest_product=best,
                       largest_product_probability=chances.get(best, 0.0) if best else 0.0,
                       largest_product_probability_interval=(
                           None if interval is None else list(interval)),
                       largest_product_probability_text=doc.majority_text(best) if best
                       else "-",
                       time_axis=doc.time_axis,
                       phases=[{"phase": p,
                                "mol_fraction": [doc.final_mol_fraction[p],
                                                 doc.final_mol_fraction_stderr[p]],
                                "cation_fraction": [doc.final_cation_fraction[p],
                                                    doc.final_cation_fraction_stderr[p]]}
                               for p in main[:top]])
        rows.append(row)
    return rows


def register(app: typer.Typer) -> None:
    app.add_typer(batch_app, name="batch")
