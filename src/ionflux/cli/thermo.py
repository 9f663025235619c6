"""``ionflux thermo``: Gibbs formation energies and the Materials Project download cache."""

from __future__ import annotations

import json

import typer

thermo_app = typer.Typer(help="Gibbs formation energies G_f(T) (MP + Bartel, NIST-JANAF).",
                         no_args_is_help=True)


@thermo_app.command("fetch")
def fetch(system: str = typer.Argument(..., help="chemical system, e.g. Ba-Ti-O")) -> None:
    """Download MP entries of SYSTEM (needs MP_API_KEY) into the local cache for offline use."""
    from ionflux.thermo.fetch import fetch_thermo

    thermo, path = fetch_thermo(system)
    typer.echo(f"cached {len(thermo.entries)} entries ({len(thermo.formulas)} phases) of "
               f"{thermo.system} in {path}")


@thermo_app.command("show")
def show(
    formulas: list[str] = typer.Argument(None, help="phases to show (default: all)"),
    system: str = typer.Option("Ba-Ti-O", "--system", help="chemical system"),
    temperature: float = typer.Option(1000.0, "--temperature", "-T", help="temperature, K"),
    no_nist: bool = typer.Option(False, "--no-nist",
                                 help="use MP + Bartel even where NIST-JANAF data exist"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Print G_f(T) (eV/atom) and where it comes from for the phases of SYSTEM."""
    from ionflux.thermo.data import ThermoData

    thermo = ThermoData.load(system, prefer_experimental=not no_nist)
    names = list(formulas) if formulas else thermo.formulas
    rows = []
    for name in names:
        rows.append({
            "formula": thermo.composition(name).reduced_formula,
            "temperature_K": thermo.check_temperature(temperature),
            "G_f_eV_per_atom": thermo.gibbs_formation_energy_per_atom(name, temperature),
            "source": thermo.gibbs_source(name),
            "melting_point_K": thermo.melting_point_K(name),
        })
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{thermo.system} at {temperature:g} K ({thermo.source.label})")
    for column in ("phase", "G_f (eV/atom)", "source", "T_m (K)"):
        table.add_column(column)
    for row in rows:
        tm = row["melting_point_K"]
        table.add_row(row["formula"], f"{row['G_f_eV_per_atom']:.4f}", row["source"],
                      "-" if tm is None else f"{tm:g}")
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(thermo_app, name="thermo")
