"""Implementation of ``ionflux transport import PATH`` (wired into the transport group by the
lead): read published Onsager tensors into TransportDocs and print them."""

from __future__ import annotations

import json

import typer

#: Table abbreviations of the physics flag codes.
_SHORT_CODES = {"above_free_particle_bound": "bound", "com_constraint_violated": "COM",
                "D_falls_with_T": "D falls", "not_diffusive": "MSD"}


def import_command(path: str, as_json: bool,
                   time_axis_factor: float | str | None = None) -> list:
    """Load published tensors from PATH (a file, or a bundled system such as Ba-Ti-O), print a
    summary with the physics checks (or JSON with ``as_json``) and return the TransportDocs.
    ``time_axis_factor``: divide every L by it (recorded; never applied otherwise)."""
    from ionflux.transport.physics_checks import summary_lines
    from ionflux.transport.published import load_published

    docs = load_published(path, time_axis_factor=time_axis_factor)
    if as_json:
        typer.echo(json.dumps([{**d.summary_json(), "composition": d.composition,
                                "assumptions": d.assumptions,
                                "physics_checks": d.provenance.physics_checks}
                               for d in docs], indent=1))
        return docs
    from rich.console import Console
    from rich.table import Table

    species = sorted({s for d in docs for s in d.species},
                     key=lambda s: next(d.species.index(s) for d in docs if s in d.species))
    table = Table(title=f"{len(docs)} published transport documents from {path}")
    table.add_column("formula")
    table.add_column("T (K)", justify="right")
    table.add_column("V (Å^3)", justify="right")
    for s in species:
        table.add_column(f"f_{s}", justify="right")
    table.add_column("failed checks")
    table.add_column("physics flags (bound: D / kT/(m gamma); COM: residual / 0.2)")
    for d in docs:
        f = [d.correlation_factor.get(s) for s in species]
        failed = [k for k, flag in d.quality.items() if not flag.passed]
        physics = [_SHORT_CODES.get(p.code, p.code) + (f" {p.species}" if p.species else "")
                   + (f" {p.ratio:.2g}x" if p.ratio is not None else "")
                   for p in d.physics_flags]
        table.add_row(d.formula, f"{d.temperature_K:g}", f"{d.volume_A3:.1f}",
                      *("-" if v is None else f"{v:+.2f}" for v in f), ", ".join(failed),
                      ", ".join(physics))
    console = Console()
    console.print(table)
    if time_axis_factor == "reference":
        console.print("time-axis factors applied on request, each composition's against the "
                      "bundled reference melts:", soft_wrap=True)
        for line in dict.fromkeys(d.provenance.method["time_axis_origin"] for d in docs):
            console.print(f"  {line}", soft_wrap=True, highlight=False)
    elif time_axis_factor is not None and time_axis_factor != 1.0:
        console.print(f"time-axis factor {time_axis_factor:g} applied on request: every L "
                      "divided by it (recorded in each document's provenance)")
    for line in summary_lines(docs):
        console.print(line, soft_wrap=True, highlight=False)
    return docs
