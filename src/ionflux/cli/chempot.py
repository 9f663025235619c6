"""``ionflux chempot``: driving forces between chemical-potential domains."""

from __future__ import annotations

import typer

from ionflux.cli._parse import NIST_HELP

chempot_app = typer.Typer(help="Chemical-potential diagrams and driving forces.",
                          no_args_is_help=True)


@chempot_app.command("distance")
def distance(
    phase_a: str = typer.Argument(..., help="phase alpha, e.g. BaO"),
    phase_b: str = typer.Argument(..., help="phase beta, e.g. TiO2"),
    system: str | None = typer.Option(None, "--system", help="chemical system (default: the "
                                                             "elements of the two phases)"),
    temperature: float = typer.Option(..., "--temperature", "-T", help="temperature, K"),
    nist: bool = typer.Option(False, "--nist", help=NIST_HELP),
    as_json: bool = typer.Option(False, "--json", help="print the full DrivingForce document"),
) -> None:
    """Shortest chemical-potential vector delta_mu = mu(B) - mu(A) between two domains."""
    from ionflux.cli._parse import check_phases, positive, system_elements

    if system is None:
        check_phases([phase_a, phase_b], "phase")
        from ionflux.thermo.system import chemical_system

        system = chemical_system([phase_a, phase_b])
    system_elements(system)
    check_phases([phase_a, phase_b], "phase", system)
    positive(temperature, "--temperature", "temperature (K)")

    from ionflux.chempot.driving_force import DrivingForceCalculator
    from ionflux.thermo.data import ThermoData

    thermo = ThermoData.load(system, prefer_experimental=nist)
    force = DrivingForceCalculator(thermo)(phase_a, phase_b, temperature)
    if as_json:
        typer.echo(force.model_dump_json(indent=1))
        return
    parts = ", ".join(f"{el} {v:+.4f}" for el, v in force.delta_mu_eV.items())
    typer.echo(f"{force.phase_alpha} -> {force.phase_beta} at {force.temperature_K:g} K "
               f"({force.system})")
    typer.echo(f"delta_mu_eV (mu(beta) - mu(alpha)): {parts}")
    typer.echo(f"distance_eV: {force.distance_eV:.6g}" + ("  (domains touch)" if force.touching
                                                          else ""))
    for line in force.warnings:
        typer.echo(f"warning: {line}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(chempot_app, name="chempot")
