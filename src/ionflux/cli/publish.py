"""``ionflux publish``: transport aggregates, K_D and structures to MPContribs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import typer

from ionflux.errors import InputError


def _summary(prepared, dry_run: bool) -> dict:
    v = prepared.validation
    return {
        "project": prepared.project, "source": prepared.where,
        "contributions": len(prepared.contributions),
        "columns": v.n_columns, "max_nesting": v.max_nesting, "structures": v.structures,
        "tables": v.tables, "max_compressed_bytes": v.max_compressed_bytes,
        "valid": v.ok, "errors": v.errors, "dry_run": dry_run,
        "notes": {f"{g.key}:{g.source}": g.notes for g in prepared.groups if g.notes},
        "sources": ", ".join(f"{n} {s}" for s, n in sorted(
            Counter(c.source for c in prepared.contributions).items())),
    }


def _render(contribution, project: str) -> list[str]:
    """A contribution as a reader sees it: data, tables (long ones shortened), structures."""
    lines = [f"contribution {contribution.key} (identifier {contribution.identifier}, "
             f"project {project})"]
    width = max(len(path) for path in contribution.data)
    lines += [f"  {path:<{width}}  {value}" for path, value in contribution.data.items()]
    for table in contribution.tables:
        lines.append(f"  table {table.attrs['name']!r}: {table.attrs['title']}")
        shown = table if len(table) <= 12 else table.iloc[:: max(1, len(table) // 8)]
        text = shown.to_string(float_format=lambda v: f"{v:.4g}", na_rep="")
        lines += [f"    {row}" for row in text.splitlines()]
        if shown is not table:
            lines.append(f"    ({len(shown)} of {len(table)} rows shown)")
    for structure in contribution.structures:
        lines.append(f"  structure {structure.formula}: {len(structure)} sites, "
                     f"{structure.volume:.1f} Å^3 ({getattr(structure, 'name', '')})")
    return lines


def publish_command(
    project: str = typer.Option(..., help="MPContribs project name"),
    dry_run: bool = typer.Option(None, "--dry-run/--submit",
                                 help="validate offline only (the default without an API key) "
                                      "or submit"),
    formula: list[str] = typer.Option(None, help="publish only these phases (repeatable)"),
    source: str = typer.Option("auto", help="auto (the store, else the bundled data) | store | "
                                            "bundled"),
    store: str = typer.Option(None, help="local | mongo | memory | config file (default "
                                         "$IONFLUX_STORE or local)"),
    data_dir: Path = typer.Option(None, help="local store folder (default ./ionflux-data)"),
    record: Path = typer.Option(None, help="publish record (default: a file in the data "
                                           "folder named after the project)"),
    bonds: bool = typer.Option(True, help="bundled data: compute bond counts of the "
                                          "amorphous cells"),
    structures: bool = typer.Option(True, help="attach a representative cell to each "
                                               "contribution"),
    host: str = typer.Option(None, help="MPContribs API host (default the client's)"),
    reference: str = typer.Option(None, help="DOI or citation of the MD study, stated in every "
                                             "contribution from MD runs"),
    show: int = typer.Option(None, min=0, help="print this many contributions in full (data, "
                                               "tables, structures); default 1 in a dry run, "
                                               "0 when submitting"),
    json_out: bool = typer.Option(False, "--json", help="print the summary (and the shown "
                                                        "contributions) as JSON"),
) -> None:
    """Publish transport, K_D and structures to MPContribs, or validate them offline.

    One contribution per composition, temperature and data source; the dry run shows some.
    """
    from rich.console import Console

    from ionflux.publish import MPContribsAPI, Record, prepare, submit
    from ionflux.publish.submit import check_api_key, find_api_key, scrub

    console = Console(stderr=True)
    key = find_api_key()
    if dry_run is None:
        dry_run = key is None
    if not dry_run and key is None:
        raise InputError("--submit needs an API key in $MPCONTRIBS_API_KEY (or $MP_API_KEY)")
    if not dry_run:
        check_api_key(key)  # before the slow part, and without echoing the key
    with console.status("collecting documents") as status:
        prepared = prepare(project, store=store, data_dir=data_dir, formulas=formula,
                           source=source, bonds=bonds, reference=reference,
                           structures=structures,
                           progress=lambda m: status.update(f"collecting: {m}"))
    summary = _summary(prepared, dry_run)
    shown = prepared.contributions[:(1 if dry_run else 0) if show is None else show]
    if json_out:
        summary["shown"] = [c.as_json(project) for c in shown]
        typer.echo(json.dumps(summary))
    else:
        for c in shown:
            typer.echo("\n".join(_render(c, project)))
        mode = "dry run (nothing sent)" if dry_run else "submission"
        typer.echo(f"{mode}: {summary['contributions']} contributions to project {project} "
                   f"from {prepared.where}")
        typer.echo(f"  columns {summary['columns']} (MPContribs allows 160), nesting "
                   f"{summary['max_nesting']}, structures {summary['structures']}, tables "
                   f"{summary['tables']}, largest contribution "
                   f"{summary['max_compressed_bytes']} compressed bytes; "
                   f"{summary['sources']}")
        for group, notes in summary["notes"].items():
            typer.echo(f"  note {group}: {'; '.join(notes)}")
        if prepared.validation.ok:
            typer.echo("  valid: every check MPContribs' rules allow offline passed")
    if not prepared.validation.ok:
        first = next(iter(prepared.validation.errors.items()))
        count = sum(len(v) for v in prepared.validation.errors.values())
        raise InputError(f"{count} problem(s) against MPContribs' rules; first: "
                         f"{first[0] or 'project'}: {first[1][0]}")
    if dry_run:
        return
    from ionflux.storage.stores import load_store_config, resolve_data_dir

    if record is None:
        folder = resolve_data_dir(load_store_config("local"), data_dir)
        record = folder / f"publish-{project}.json"
    log = Record.load(record, project)
    with console.status("submitting"):
        report = submit(MPContribsAPI(key, host=host), project, prepared.contributions, log,
                        secrets=[key])
    typer.echo(scrub(f"created {len(report.created)}, updated {len(report.updated)}, "
                     f"unchanged {len(report.unchanged)}, failed {len(report.failed)}, "
                     f"not attempted {len(report.not_attempted)} (retries {report.retries}); "
                     f"record {record}", [key]))
    for k, why in report.failed.items():
        typer.echo(scrub(f"  failed {k}: {why}", [key]), err=True)
    if not report.complete:
        raise InputError("publication incomplete; rerun the same command to finish it")


def register(app: typer.Typer) -> None:
    app.command("publish")(publish_command)
