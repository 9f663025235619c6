"""``ionflux plot``: PNG figures. One command per figure; each calls a function of
``ionflux.plotting`` so the figure code stays separate from the analysis.

To add a figure, define another ``@plot_app.command("name")`` function below; ``register``
picks up every command of ``plot_app``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ionflux.cli._parse import NIST_HELP

plot_app = typer.Typer(help="Figures (PNG).", no_args_is_help=True)


def check_out(out: Path, option: str = "--out") -> Path:
    """The file a figure asked for as ``out`` is written to (``out``, or ``out.png`` without a
    suffix), if its folder exists and it is not a folder itself; checked before any work."""
    from ionflux.cli._parse import check_output_file
    from ionflux.errors import InputError
    from ionflux.plotting.figures import figure_path

    if out.is_dir():
        raise InputError(f"{option} {out} is a folder; give a file name such as "
                         f"{out / 'plot.png'}")
    check_output_file(out, option)
    return check_output_file(figure_path(out, option), option)


@plot_app.command("kd")
def kd(
    out: Path = typer.Option(..., "--out", "-o", help="output PNG file"),
    system: str = typer.Option("Ba-Ti-O", "--system", help="chemical system"),
    precursors: str | None = typer.Option(
        None, "--precursors", help="two phases, e.g. Li2O,TiO2 (default: the bundled "
                                   "system's, BaO,TiO2 for Ba-Ti-O)"),
    temperatures: str = typer.Option("1000,1250,1500,1750", "--temperatures",
                                     help="comma-separated temperatures, K"),
    source: str = typer.Option("published", "--source", help="published | store"),
    self_only: bool = typer.Option(False, "--self-only", help="plot the self-only K_D"),
    products: str = typer.Option(None, "--products", help="comma-separated products"),
    include_anions: bool = typer.Option(False, "--include-anions", help="sum anion fluxes"),
    nist: bool = typer.Option(False, "--nist", help=NIST_HELP),
    store: str | None = typer.Option(None, "--store", help="with --source store: which store"),
    data_dir: str | None = typer.Option(None, "--data-dir", help="with --store local"),
) -> None:
    """K_D versus cation ratio, one line per temperature (log axes)."""
    out = check_out(out)
    from ionflux.cli.kd import compute_rows
    from ionflux.plotting.kd import plot_kd

    rows, notes, _ = compute_rows(system, precursors, temperatures, source, products,
                                  include_anions, nist, store, data_dir)
    path = plot_kd(rows, out, self_only=self_only)
    for note in notes:
        typer.echo(f"warning: {note}", err=True)
    typer.echo(f"wrote {path}")


@plot_app.command("correlation")
def correlation(
    out: Path = typer.Option(..., "--out", "-o", help="output PNG file"),
    system: str = typer.Option("Ba-Ti-O", "--system",
                               help="system with published tensors, or a tensor file given as "
                                    "a path (./NAME, NAME.json)"),
    cations: str = typer.Option("Ba,Ti", "--cations", help="the two cations, e.g. Ba,Ti"),
    source: str = typer.Option("published", "--source", help="published | store"),
    store: str | None = typer.Option(None, "--store", help="with --source store: which store"),
    data_dir: str | None = typer.Option(None, "--data-dir", help="with --store local"),
) -> None:
    """Correlation factors f_i of the two cations versus their ratio, one line per temperature."""
    out = check_out(out)
    from ionflux.cli._parse import parse_pair
    from ionflux.kinetics.report import load_transport_docs
    from ionflux.plotting.correlation import plot_correlation

    pair = parse_pair(cations, "--cations")
    from ionflux.transport.published import published_file

    if published_file(system) is None:  # a system name (a file is given as a path)
        from ionflux.cli._parse import system_elements

        system_elements(system)
    docs = load_transport_docs(source, system, store, data_dir)
    path = plot_correlation(docs, out, cations=pair,
                            title=f"{system}: correlation factors ({source} tensors)")
    typer.echo(f"wrote {path}")


@plot_app.command("bonds")
def bonds(
    out: Path = typer.Option(..., "--out", "-o", help="output PNG file"),
    frames: int = typer.Option(5, "--frames", help="frames per bundled amorphous cell"),
) -> None:
    """CrystalNN bond counts per atom versus Ba:Ti for the bundled amorphous Ba-Ti-O cells."""
    out = check_out(out)
    from ionflux.cli.structure import bonds_plot_command

    bonds_plot_command(str(out), frames)
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(plot_app, name="plot")
