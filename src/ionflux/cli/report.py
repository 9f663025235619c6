"""``ionflux report``: the main job, from bundled data to a synthesis-prediction report."""

from __future__ import annotations

from pathlib import Path

import typer


def report_command(
    out: Path = typer.Option(Path("ionflux-report"), "--out", help="report folder"),
    store: str | None = typer.Option(None, "--store", help="local | mongo | memory | config "
                                     "file (default $IONFLUX_STORE or the embedded local store)"),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="with the local store: data "
                                         "folder (default $IONFLUX_DATA_DIR or ./ionflux-data)"),
    realisations: int = typer.Option(8, "--realisations", help="CA realisations per recipe"),
    grid: int = typer.Option(30, "--grid", help="edge of the CA grid in cells"),
    seed: int = typer.Option(0, "--seed", help="random seed of the CA"),
) -> None:
    """Predict recipes R1-R4 from the bundled Ba-Ti-O data and write a markdown report.

    Loads the bundled data into the store, builds K_D documents, predicts R1-R4 in full and
    thermo-only modes, and writes the report with figures.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ionflux.synthesis_report import ReportSettings, run_synthesis_report

    settings = ReportSettings(realisations=realisations, grid=grid, seed=seed)
    tasks: dict = {}
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as bar:

        def tick(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)

        result = run_synthesis_report(out, store=store, data_dir=data_dir, settings=settings,
                                      say=lambda line: typer.echo(line, err=True),
                                      progress=tick)
    from ionflux.ca.fidelity import evaluate

    by_recipe = {(d.inputs.recipe, d.inputs.mode): d for d in result.predictions}
    for doc in result.predictions:
        best = doc.largest_product() or "-"
        others = {m: d for (r, m), d in by_recipe.items() if r == doc.inputs.recipe}
        verdicts = [ok for _, ok, _ in evaluate(doc, others)]
        typer.echo(f"{doc.inputs.recipe} {doc.inputs.mode:11s} largest product (formula "
                   f"units) {best} "
                   f"(P {doc.majority_text(best)}); literature statements met "
                   f"{sum(verdicts)}/{len(verdicts)}" + (" [cached]" if doc.from_cache else ""))
    typer.echo(f"report written to {result.markdown.resolve()}")


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
