"""``ionflux thermo``: Gibbs formation energies and the Materials Project download cache."""

from __future__ import annotations

import json

import typer

from ionflux.cli._parse import NIST_HELP
from ionflux.errors import InputError

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
    nist: bool = typer.Option(False, "--nist", help=NIST_HELP),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Print G_f(T) (eV/atom) and where it comes from for the phases of SYSTEM."""
    from ionflux.thermo.data import ThermoData

    thermo = ThermoData.load(system, prefer_experimental=nist)
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


@thermo_app.command("audit")
def audit(
    system: str = typer.Option("Ba-Ti-O", "--system", help="chemical system"),
    path: str = typer.Option(None, "--file", help="audit this thermo JSON file instead"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Each entry's volume against its experimental cell, and observed-polymorph breaches.

    The observed-polymorph rule is SCIENCE.md §4. Exit code 1 when a rule is broken.
    """
    import warnings

    from ionflux.thermo.audit import ThermoDataWarning
    from ionflux.thermo.data import ThermoData

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThermoDataWarning)  # printed below, once
        thermo = (ThermoData.from_file(path) if path else ThermoData.load(system))
    checks, findings = thermo.volume_audit, thermo.audit_findings
    if as_json:
        typer.echo(json.dumps({"volumes": [c.model_dump() for c in checks],
                               "findings": [f.model_dump() for f in findings]}, indent=1))
    else:
        typer.echo(f"{'phase':<12}{'entry':<12}{'V entry':>9}{'V exp':>8}{'ratio':>7}  cell")
        for c in checks:
            typer.echo(f"{c.formula:<12}{c.material_id or '-':<12}{c.volume_per_atom_A3:9.2f}"
                       f"{c.experimental_volume_per_atom_A3:8.2f}{c.ratio:7.3f}  "
                       f"{c.cell_status}: {c.reference}")
        audited = {c.formula for c in checks}
        missing = sorted(f for f in thermo.formulas
                         if f not in audited and len(thermo.composition(f).elements) > 1)
        typer.echo(f"no experimental cell in the data: {', '.join(missing) or 'none'}")
        for f in findings:
            typer.echo(f"warning: {f.message}")
        typer.echo("rule broken" if findings else "every audited entry is its observed "
                                                  "polymorph within 15 % of its cell")
    if findings:
        raise typer.Exit(1)


@thermo_app.command("hull")
def hull(
    system: str = typer.Option("Ba-Ti-O", "--system", help="chemical system"),
    temperature: float = typer.Option(..., "--temperature", "-T", help="temperature, K"),
    precursors: str | None = typer.Option(
        None, "--precursors", help="precursors whose automaton reactions are listed (default: "
                                   "the bundled system's, BaO,TiO2 for Ba-Ti-O)"),
    all_phases: bool = typer.Option(False, "--all", help="list every phase of the data, not "
                                                         "only the automaton's candidates"),
    nist: bool = typer.Option(False, "--nist", help=NIST_HELP),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Energy above the G_f(T) hull of every phase, and which automaton reactions are uphill.

    Shows why a phase is or is not offered: a phase above the hull can decompose and forms only
    by downhill reactions; uphill reactions (dG_rxn >= 0) are not offered (ionflux.ca.scoring,
    thermo_gate).
    """
    from ionflux.ca.predict import default_phases, reaction_setup
    from ionflux.ca.scoring import score_rule
    from ionflux.ca.settings import ScoringSettings
    from ionflux.cli._parse import default_precursors, parse_list
    from ionflux.thermo.data import ThermoData
    from ionflux.thermo.hull import hull_at
    from ionflux.thermo.system import chemical_system

    thermo = ThermoData.load(system, prefer_experimental=nist)
    t = thermo.check_temperature(temperature)
    names = (parse_list(precursors) or [] if precursors is not None
             else default_precursors(thermo.system))
    pair = [thermo.composition(p).reduced_formula for p in names]
    if len(pair) < 2:
        raise InputError("--precursors: give at least two phases, e.g. BaO,TiO2")
    if set(chemical_system(pair).split("-")) != set(thermo.system.split("-")):
        raise InputError(f"--precursors {precursors} do not span the system {thermo.system}")
    candidates = default_phases(pair, thermo, thermo.system)
    report = hull_at(thermo, t, None if all_phases else candidates)
    # the automaton's own phase data and reactions, so the list is what predictions offer
    settings = ScoringSettings()
    notes: list[str] = []
    _, reactions, energies = reaction_setup(pair, [t], thermo, settings, candidates, notes)
    uphill = [{"reaction": r.label, "kind": r.kind, "dG_eV_per_atom": dg,
               "score": score_rule(dg, r.kind, "full", settings)}
              for r, dg in zip(reactions, energies[t], strict=True) if dg > 0]
    if as_json:
        typer.echo(json.dumps({**report.model_dump(), "uphill_reactions": uphill,
                               "notes": notes}, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    source = "NIST-JANAF + MP + Bartel" if nist else "MP + Bartel"
    table = Table(title=f"{thermo.system} at {t:g} K, G_f(T) from {source}")
    for column in ("phase", "E above hull (meV/atom)", "decomposes to", "G_f (eV/atom)"):
        table.add_column(column)
    for row in sorted(report.phases, key=lambda r: r.e_above_hull_eV_per_atom):
        parts = " + ".join(f"{frac:.2f} {p}" for p, frac in row.decomposes_to.items())
        table.add_row(row.formula, f"{1000 * row.e_above_hull_eV_per_atom:.1f}",
                      parts or "-", f"{row.G_f_eV_per_atom:.4f}")
    console.print(table)
    rxns = Table(title=f"uphill automaton reactions among {', '.join(pair)} and their "
                       f"products at {t:g} K")
    for column in ("reaction", "dG (eV/atom)", "score"):
        rxns.add_column(column)
    for item in sorted(uphill, key=lambda r: r["dG_eV_per_atom"]):
        rxns.add_row(item["reaction"], f"{item['dG_eV_per_atom']:+.4f}", item["score"])
    console.print(rxns)
    for note in notes:
        console.print(f"note: {note}", style="yellow")


def register(app: typer.Typer) -> None:
    app.add_typer(thermo_app, name="thermo")
