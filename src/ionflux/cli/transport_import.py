"""Implementation of ``ionflux transport import PATH`` (wired into the transport group by the
lead): read published Onsager tensors into TransportDocs and print them."""

from __future__ import annotations

import json

import typer


def import_command(path: str, as_json: bool) -> list:
    """Load published tensors from PATH (a file, or a bundled system such as Ba-Ti-O), print a
    summary (or JSON with ``as_json``) and return the TransportDocs."""
    from ionflux.transport.published import load_published

    docs = load_published(path)
    if as_json:
        typer.echo(json.dumps([{**d.summary_json(), "composition": d.composition,
                                "assumptions": d.assumptions} for d in docs], indent=1))
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
    for d in docs:
        f = [d.correlation_factor.get(s) for s in species]
        failed = [k for k, flag in d.quality.items() if not flag.passed]
        table.add_row(d.formula, f"{d.temperature_K:g}", f"{d.volume_A3:.1f}",
                      *("-" if v is None else f"{v:+.2f}" for v in f), ", ".join(failed))
    Console().print(table)
    return docs
