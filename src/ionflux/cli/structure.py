"""``ionflux structure ...``: local structure of amorphous cells (CrystalNN bond counts)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

structure_app = typer.Typer(help="Local structure of amorphous cells (CrystalNN bond counts).",
                            no_args_is_help=True)


@structure_app.command("bonds")
def bonds(
    path: Path = typer.Argument(..., help="trajectory file (extended XYZ, ...)"),
    frames: int = typer.Option(10, "--frames", help="frames to analyse, spread evenly"),
    workers: int | None = typer.Option(None, "--workers",
                                       help="processes (default: one per CPU)"),
    fmt: str = typer.Option("auto", "--format",
                            help="auto, extxyz, lammps-dump, xdatcar or traj"),
    as_json: bool = typer.Option(False, "--json", help="print the document as JSON"),
) -> None:
    """CrystalNN bonds per atom for every element pair within 5 Å, averaged over frames."""
    from ionflux.io import read_trajectory
    from ionflux.structure.bonds import bond_counts

    trajectory = read_trajectory(path, format=fmt)
    doc = bond_counts(trajectory, n_frames=frames, workers=workers)
    if as_json:
        typer.echo(json.dumps(doc.model_dump(mode="json"), indent=1))
        return
    typer.echo(format_bond_table(doc))


def format_bond_table(doc) -> str:
    """A plain-text table of a :class:`~ionflux.structure.documents.BondCountDoc`."""
    t = "unknown" if doc.temperature_K is None else f"{doc.temperature_K:g} K"
    lines = [f"{doc.formula}  ({sum(doc.composition.values())} atoms, T = {t}, "
             f"{len(doc.frames)} of {doc.n_frames_total} frames, CrystalNN within "
             f"{doc.cutoff_A:g} Å)",
             f"{'pair':<10s}{'bonds/atom':>12s}{'std':>10s}{'stderr':>10s}"]
    for key, mean, std, err in doc.table():
        center = key.split("-")[0]
        lines.append(f"{key + ' /' + center:<10s}{mean:12.3f}{_num(std):>10s}{_num(err):>10s}")
    for el, c in doc.coordination.items():
        lines.append(f"{'all /' + el:<10s}{c.mean:12.3f}{_num(c.std):>10s}{_num(c.stderr):>10s}")
    lines.extend(f"warning: {w}" for w in doc.warnings)
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def bonds_plot_command(out: str, frames: int) -> None:
    """Bond counts of the bundled amorphous snapshots, plotted against Ba:Ti into ``out``."""
    from rich.progress import Progress, TimeElapsedColumn

    from ionflux.io import read_trajectory
    from ionflux.md.library import amorphous_snapshot_files
    from ionflux.plotting.bonds import plot_bonds
    from ionflux.structure.bonds import bond_counts

    files = amorphous_snapshot_files()
    docs = []
    with Progress(*Progress.get_default_columns(), TimeElapsedColumn(),
                  transient=True) as progress:
        # one tick per frame: a cell takes ~10 s, so a bar per file would sit still
        task = progress.add_task("CrystalNN bond counts", total=len(files) * frames)
        for i, (name, path) in enumerate(files.items()):
            progress.update(task, description=f"CrystalNN bond counts: {name}")
            docs.append(bond_counts(read_trajectory(path), n_frames=frames,
                                    progress=lambda done, _n, i=i: progress.update(
                                        task, completed=i * frames + done)))
        progress.update(task, description="plotting")
        plot_bonds(docs, out)


def register(app: typer.Typer) -> None:
    app.add_typer(structure_app, name="structure")
