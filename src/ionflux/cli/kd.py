"""``ionflux kd``: effective diffusion rate constants K_D per product and temperature."""

from __future__ import annotations

import json

import typer

from ionflux.cli._parse import (
    NIST_HELP,
    check_phases,
    parse_list,
    parse_temperatures,
    precursor_pair,
    system_elements,
)
from ionflux.errors import InputError


def compute_rows(system: str, precursors: str | None, temperatures: str, source: str,
                 products: str | None, include_anions: bool, nist: bool,
                 store: str | None = None, data_dir: str | None = None):
    """K_D rows (see ionflux.kinetics.report.kd_rows) for the CLI options given."""
    # arguments first: nothing is imported or loaded for a request that cannot be served
    system_elements(system)
    pair = precursor_pair(precursors, system)
    check_phases(list(pair), "--precursors", system)
    temps = parse_temperatures(temperatures)
    names = parse_list(products)
    if names:
        check_phases(names, "--products", system)
    from ionflux.kinetics.report import SOURCES, kd_rows, load_transport_docs

    if source not in SOURCES:
        raise InputError(f"--source {source!r}: use {' | '.join(SOURCES)}")

    from ionflux.kinetics.table import KDTable
    from ionflux.thermo.data import ThermoData

    thermo = ThermoData.load(system, prefer_experimental=nist)
    for phase in pair:
        thermo.composition(phase)  # one error for an unknown precursor, not one per product
    docs = load_transport_docs(source, system, store, data_dir)
    table = KDTable.from_transport_docs(docs, thermo, include_anions=include_anions)
    rows, skipped = kd_rows(table, pair, temps, names)
    # one line for the shift shared by every composition, not one per product, and only where
    # a row shown rests on it
    shifted = any(row.arrhenius_shifted for row in rows)
    notes = [f"Arrhenius shift below the simulated temperatures with {text}"
             for text in table.arrhenius_energies()] if shifted else []
    return rows, skipped + table.warnings + notes, temps


def kd(
    system: str = typer.Option("Ba-Ti-O", "--system", help="chemical system"),
    precursors: str | None = typer.Option(
        None, "--precursors", help="two phases, e.g. Li2O,TiO2 (default: the bundled "
                                   "system's, BaO,TiO2 for Ba-Ti-O)"),
    temperatures: str = typer.Option("1000,1250,1500,1750", "--temperatures",
                                     help="comma-separated temperatures, K"),
    source: str = typer.Option("published", "--source",
                               help="transport documents: published | store | "
                                    "distilled-melts (our bundled melts, Arrhenius-shifted "
                                    "below 1750 K with one pooled E_a)"),
    self_only: bool = typer.Option(False, "--self-only",
                                   help="show the self-only K_D (L_self in place of L)"),
    products: str = typer.Option(None, "--products",
                                 help="comma-separated products (default: all with data)"),
    include_anions: bool = typer.Option(False, "--include-anions",
                                        help="sum anion fluxes too"),
    nist: bool = typer.Option(False, "--nist", help=NIST_HELP),
    as_json: bool = typer.Option(False, "--json", help="print a JSON list, one object per row"),
    store: str | None = typer.Option(None, "--store", help="with --source store: local | mongo "
                                     "| memory | config file (default $IONFLUX_STORE or local)"),
    data_dir: str | None = typer.Option(None, "--data-dir",
                                        help="with --store local: data folder"),
) -> None:
    """K_D (cm^2/s) of every product with transport data, ordered by cation ratio."""
    rows, notes, temps = compute_rows(system, precursors, temperatures, source, products,
                                      include_anions, nist, store, data_dir)
    mode = "self-only" if self_only else "full"
    if as_json:
        typer.echo(json.dumps([{**r.model_dump(mode="json"), "mode": mode} for r in rows],
                              indent=1))
        for note in notes:
            typer.echo(f"warning: {note}", err=True)
        return
    from rich.console import Console
    from rich.table import Table

    label = next((r.cation_ratio_label for r in rows if r.cation_ratio_label), "ratio")
    pair = precursor_pair(precursors, system)
    title = (f"K_D{' (self-only)' if self_only else ''} in cm^2/s, {pair[0]} + {pair[1]}, "
             f"{system}, source {source}")
    table = Table(title=title)
    table.add_column("phase")
    table.add_column(label, justify="right")
    for t in temps:
        table.add_column(f"{t:g} K", justify="right")
    by_phase: dict[str, dict[float, object]] = {}
    order: list[str] = []
    for row in rows:
        if row.phase not in by_phase:
            by_phase[row.phase] = {}
            order.append(row.phase)
        by_phase[row.phase][row.temperature_K] = row
    for phase in order:
        cells = []
        first = next(iter(by_phase[phase].values()))
        for t in temps:
            row = by_phase[phase][t]
            value = row.K_D_self_cm2_s if self_only else row.K_D_cm2_s
            err = row.K_D_self_stderr_cm2_s if self_only else row.K_D_stderr_cm2_s
            text = f"{value:.3e}" + (f" ± {err:.1e}" if err is not None else "")
            cells.append(text + ("*" if row.interpolated else "")
                         + ("†" if row.arrhenius_shifted else ""))
        ratio = first.cation_ratio
        table.add_row(phase, "-" if ratio is None else f"{ratio:.3f}", *cells)
    console = Console()
    console.print(table)
    if any(r.interpolated for r in rows):
        console.print("* interpolated: log K_D linear in 1/T between tabulated temperatures")
    if any(r.arrhenius_shifted for r in rows):
        console.print("† not simulated at this temperature: Arrhenius-shifted from the lowest "
                      "simulated one (the activation energy is in each document's provenance)")
    meta = sorted({p for r in rows for p in r.metastable_phases})
    if meta:
        console.print(f"metastable at some temperature (metastable domain used): "
                      f"{', '.join(meta)}")
    for note in notes:
        typer.echo(f"warning: {note}", err=True)


def register(app: typer.Typer) -> None:
    app.command("kd")(kd)
