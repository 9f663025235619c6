"""``ionflux transport analyze|synthetic|import``: Onsager transport from trajectories or tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ionflux.cli._parse import check_output_file
from ionflux.errors import InputError

if TYPE_CHECKING:
    from ionflux.transport.synthetic import SyntheticSystem

transport_app = typer.Typer(help="Onsager transport coefficients.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(transport_app, name="transport")


def parse_type_map(text: str | None) -> dict[int, str] | None:
    """'1=Ba,2=Ti,3=O' -> {1: 'Ba', 2: 'Ti', 3: 'O'}."""
    if text is None:
        return None
    mapping = {}
    for item in text.split(","):
        key, sep, element = item.partition("=")
        if not sep or not key.strip().isdigit() or not element.strip():
            raise InputError(f"--type-map: {item!r} is not TYPE=ELEMENT (e.g. 1=Ba,2=Ti,3=O)")
        mapping[int(key)] = element.strip()
    return mapping


@transport_app.command("analyze")
def analyze(
    paths: list[Path] = typer.Argument(..., help="trajectory files: replicates of one system "
                                                 "and temperature"),
    temperature: float | None = typer.Option(None, "--temperature", help="temperature, K "
                                             "(required unless the file gives it)"),
    frame_interval_fs: float | None = typer.Option(
        None, "--frame-interval-fs", help="time between stored frames, fs (required unless the "
                                          "file gives times)"),
    format: str = typer.Option("auto", "--format",
                               help="auto | extxyz | lammps-dump | xdatcar | traj"),
    window_fs: tuple[float, float] | None = typer.Option(
        None, "--window-fs", help="fit window START END in fs (default: detected)"),
    blocks: int = typer.Option(10, "--blocks", help="blocks per trajectory for standard errors"),
    estimator: str = typer.Option("scaled-window", "--estimator",
                                  help="scaled-window (default) | half-block (ionflux's "
                                       "earlier estimator); NAME@REVISION recomputes an "
                                       "earlier revision, e.g. half-block@1"),
    type_map: str | None = typer.Option(None, "--type-map",
                                        help="LAMMPS types, e.g. 1=Ba,2=Ti,3=O"),
    formula: str | None = typer.Option(None, "--formula", help="system name (default: the "
                                                               "cell's reduced formula)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Onsager matrix L (total, self, distinct), correlation factors and D, with errors.

    D: self-diffusion coefficients; every number with its standard error.
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ionflux.io import read_trajectory
    from ionflux.transport import analyze_trajectories

    types = parse_type_map(type_map)
    console = Console(stderr=True)
    trajectories = []
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True, disable=as_json) as progress:
        for path in paths:
            task = progress.add_task(f"reading {path}", total=None)
            trajectory = read_trajectory(path, format, type_map=types)
            trajectories.append(trajectory.with_metadata(temperature, frame_interval_fs))
            progress.remove_task(task)
        progress.add_task("analysing", total=None)
        doc = analyze_trajectories(trajectories, window_fs=window_fs, n_blocks=blocks,
                                   estimator=estimator, formula=formula)
    if as_json:
        typer.echo(json.dumps(doc.summary_json(), indent=1))
    else:
        print_transport_table(doc)


def _estimator_label(doc) -> str:
    """NAME@REVISION where the document records it (what to pass to recompute it)."""
    return str(doc.provenance.method.get("estimator_spec", doc.estimator))


def print_transport_table(doc) -> None:
    """A readable summary of a TransportDoc on stdout."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    window = doc.fit_window_fs
    console.print(f"[bold]{doc.formula}[/] at {doc.temperature_K:g} K: {doc.n_replicates} "
                  f"replicate(s), {doc.n_frames} frames every {doc.frame_interval_fs:g} fs, "
                  f"V = {doc.volume_A3:.1f} Å^3, fit window {window[0]:g}-{window[1]:g} fs "
                  f"({doc.fit_window_source}"
                  f"{', estimator ' + _estimator_label(doc) if doc.estimator else ''})")
    per_species = Table(title="per species")
    for column in ("species", "D_self (cm^2/s)", "L_self (1/(eV cm s))", "f = L_dist/L_self"):
        per_species.add_column(column, justify="right")
    for k, el in enumerate(doc.species):
        per_species.add_row(
            el,
            plus_minus(doc.D_self_cm2_s[el], _get(doc.D_self_cm2_s_stderr, el)),
            plus_minus(doc.L_self[k], None if doc.L_self_stderr is None else doc.L_self_stderr[k]),
            plus_minus(doc.correlation_factor[el], _get(doc.correlation_factor_stderr, el), "+.3f"))
    console.print(per_species)
    matrix = Table(title="total Onsager matrix L_ij, 1/(eV cm s)")
    matrix.add_column("")
    for el in doc.species:
        matrix.add_column(el, justify="right")
    for i, el in enumerate(doc.species):
        matrix.add_row(el, *(plus_minus(doc.L[i][j], None if doc.L_stderr is None
                                 else doc.L_stderr[i][j]) for j in range(len(doc.species))))
    console.print(matrix)
    failed = [flag.reason for flag in doc.quality.values() if not flag.passed]
    if failed:
        console.print("[yellow]quality checks failed:[/]")
        for reason in failed:
            console.print(f"  - {reason}")
    else:
        console.print("[green]all quality checks passed[/]")
    for warning in doc.warnings:
        if not warning.startswith("failed quality checks"):
            console.print(f"[yellow]warning:[/] {warning}")


def _get(values: dict | None, key: str):
    return None if values is None else values.get(key)


def plus_minus(value: float | None, error: float | None, fmt: str = ".3e") -> str:
    """``value ± error`` (error to two figures), ``value`` without one, ``-`` for None."""
    if value is None:
        return "-"
    return f"{value:{fmt}}" if error is None else f"{value:{fmt}} ± {error:.2g}"


_TRAJECTORY_SUFFIXES = (".extxyz", ".extxyz.gz", ".xyz", ".xyz.gz")


@transport_app.command("synthetic")
def synthetic(
    out: Path = typer.Argument(..., help="trajectory file to write (.extxyz or .extxyz.gz; "
                                         ".extxyz is added when missing)"),
    frames: int = typer.Option(20000, "--frames", help="number of frames per replicate"),
    formula_units: int = typer.Option(4, "--formula-units", help="BaTiO3 units in the cell"),
    replicates: int = typer.Option(4, "--replicates",
                                   help="independent trajectories (OUT.r1.extxyz, ...); 1 "
                                        "writes OUT itself"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
) -> None:
    """Write a synthetic trajectory with an exactly known Onsager matrix, for validation.

    BaTiO3-like; the analytic coefficients go next to it (OUT.truth.json), for validating
    any transport code, and a metadata sidecar next to each file, so `ionflux ingest` takes
    the folder as it is (a way to try the database pipeline without MD; the sidecar names the
    data synthetic).

    The defaults (4 replicates of 20,000 frames) pass every quality check of `ionflux transport
    analyze` on all of them together: total L_ij errors shrink with replicates, not length.
    """
    from contextlib import ExitStack

    import numpy as np

    from ionflux.io.atomic import atomic_output
    from ionflux.io.writers import write_extxyz_stream
    from ionflux.transport.synthetic import validation_system

    if frames < 2 or formula_units < 1 or replicates < 1:
        raise InputError("--frames must be >= 2, --formula-units and --replicates >= 1")
    check_output_file(out, "OUT")
    name = out.name
    suffix = next((s for s in _TRAJECTORY_SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        suffix = ".extxyz"
        typer.echo(f"note: {out} has no trajectory extension; adding {suffix}")
    stem = name[:-len(suffix)] if name.endswith(suffix) else name
    system = validation_system(formula_units)
    paths = ([out.with_name(stem + suffix)] if replicates == 1 else
             [out.with_name(f"{stem}.r{r}{suffix}") for r in range(1, replicates + 1)])
    truth = out.with_name(stem + suffix + ".truth.json") if replicates == 1 else \
        out.with_name(stem + ".truth.json")
    sidecars = [path.with_name(path.name + ".yaml") for path in paths]
    for path in (*paths, truth, *sidecars):
        check_output_file(path, "OUT")
    rng = np.random.default_rng(seed)
    seeds = [seed] if replicates == 1 else [int(s) for s in rng.integers(0, 2**31, replicates)]
    # every file under a temporary name until all are complete: a full disk or an interrupt
    # leaves none of them (and no truncated one), with a one-line error
    with ExitStack() as files:
        for path, s in zip(paths, seeds, strict=True):
            raw = files.enter_context(atomic_output(path, "wb"))
            write_extxyz_stream(raw, system.generate(frames, seed=s),
                                gzipped=path.suffix == ".gz")
        files.enter_context(atomic_output(truth, "w", encoding="utf-8")).write(
            system.truth().model_dump_json(indent=1))
        for k, (sidecar, s) in enumerate(zip(sidecars, seeds, strict=True), start=1):
            files.enter_context(atomic_output(sidecar, "w", encoding="utf-8")).write(
                _synthetic_sidecar(system, f"r{k}", s, truth.name))
    written = ", ".join(str(p) for p in paths)
    typer.echo(f"wrote {written} and {truth} (T = {system.temperature_K:g} K, frame interval "
               f"{system.frame_interval_fs:g} fs, both stored in the file), each with a "
               f"sidecar (.yaml); analyse them together: ionflux transport analyze "
               f"{' '.join(str(p) for p in paths)}; or register them: ionflux ingest "
               f"{out.parent}")


def _synthetic_sidecar(system: SyntheticSystem, replicate: str, seed: int, truth_name: str) -> str:
    """The metadata sidecar (YAML) of one synthetic replicate: a valid
    :class:`~ionflux.storage.documents.TrajectoryMetadata` that says the data are synthetic."""
    import yaml

    from ionflux import __version__
    from ionflux.formula import Composition
    from ionflux.storage.documents import TrajectoryMetadata

    metadata = TrajectoryMetadata(
        formula=Composition(system.counts).reduced_formula,
        temperature_K=system.temperature_K, replicate=replicate,
        frame_interval_fs=system.frame_interval_fs,
        phase="synthetic: correlated Brownian walks, not a material",
        potential="none (synthetic trajectory with an exactly known Onsager matrix)",
        potential_version=__version__, md_engine="ionflux transport synthetic",
        md_engine_version=__version__,
        notes=f"seed {seed}; the analytic Onsager matrix is in {truth_name}")
    return yaml.safe_dump(metadata.model_dump(exclude_none=True, exclude_defaults=True),
                          sort_keys=False)


def _time_axis_factor(text: str | None) -> float | str | None:
    """``--time-axis-factor``: None, "reference" or a number in (1e-6, 1e6)."""
    if text is None or text == "reference":
        return text
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"--time-axis-factor {text!r}: give a number or 'reference'") from None
    if not 1e-6 <= value <= 1e6:
        raise InputError(f"--time-axis-factor {text}: must lie in [1e-06, 1e+06]")
    return value


@transport_app.command("import")
def import_published(
    path: str = typer.Argument(..., help="a bundled system (Ba-Ti-O, Li-Ti-O), or a "
                                         "published tensor file given as a path (./NAME, "
                                         "NAME.json)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    store: str | None = typer.Option(None, "--store", help="import into this store (local | "
                                     "mongo | memory | config file) instead of printing"),
    data_dir: str | None = typer.Option(None, "--data-dir", help="with --store local"),
    time_axis_factor: str | None = typer.Option(
        None, "--time-axis-factor",
        help="correction on request: divide every published L by F (the true time between "
             "frames taken as F times the stated one), or 'reference': each composition by its "
             "factor against the bundled melts of a DFT-trained potential; recorded in each "
             "document's provenance and hashes. Without it the published numbers are kept"),
) -> None:
    """Read published Onsager tensors (rxn-ca transport_db format) and check their physics.

    Physics checks: free-particle bound, centre-of-mass constraint, D monotonic in T, MSD
    floor. With --store, import them into the store so `ionflux build` makes K_D documents.
    """
    time_axis_factor = _time_axis_factor(time_axis_factor)
    if store is None:
        from ionflux.cli.transport_import import import_command

        import_command(path, as_json, time_axis_factor)
        return
    from ionflux.stages.runner import Pipeline

    with Pipeline.open(store, data_dir=data_dir) as pipeline:
        report = pipeline.import_published(path, time_axis_factor=time_axis_factor)
        location = pipeline.stores.location
    if as_json:
        typer.echo(json.dumps({"store": location, "new": report.new, "changed": report.changed,
                               "unchanged": report.unchanged, "removed": report.removed,
                               "notes": report.notes}, indent=1))
        return
    typer.echo(f"{path} -> {location}: {report.summary()}, {len(report.removed)} removed")
    for note in report.notes:
        typer.echo(f"note: {note}")
    from ionflux.transport.physics_checks import summary_lines
    from ionflux.transport.published import load_published

    for line in summary_lines(load_published(path, time_axis_factor=time_axis_factor)):
        typer.echo(line)
