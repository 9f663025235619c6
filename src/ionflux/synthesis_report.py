"""The main job: bundled Ba-Ti-O data -> store -> K_D documents -> predicted recipes -> report.

1. Import the bundled published transport tensors into the store (``published_transport``).
2. Build the K_D stage: one K_D document per (phase, temperature, precursor pair).
3. Predict the recipes R1-R4 (SCIENCE.md §6) in ``full`` and ``thermo-only`` modes with K_D from
   the store's transport documents; predictions are cached in the store.
4. Write ``report.md`` and PNG figures to the output folder.

Every step is incremental: a second run on the same store imports nothing, builds nothing and
serves every prediction from the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ionflux import __version__


@dataclass(frozen=True)
class ReportSettings:
    """What the report covers."""

    system: str = "Ba-Ti-O"
    precursors: tuple[str, str] = ("BaO", "TiO2")
    kd_temperatures_K: tuple[float, ...] = (1000.0, 1250.0, 1500.0, 1750.0)
    recipes: tuple[str, ...] = ("R1", "R2", "R3", "R4")
    modes: tuple[str, ...] = ("full", "thermo-only")
    realisations: int = 8
    grid: int = 30
    seed: int = 0


@dataclass
class ReportResult:
    folder: Path
    markdown: Path
    figures: list[Path]
    predictions: list[Any]
    store_location: str
    kd_built: int
    kd_failures: list[dict] = field(default_factory=list)


def run_synthesis_report(out_dir: str | Path, *, store: str | None = None,
                         data_dir: str | Path | None = None,
                         settings: ReportSettings | None = None,
                         say: Callable[[str], Any] = lambda _: None,
                         progress: Callable[[str, int, int], Any] | None = None
                         ) -> ReportResult:
    """Run the whole flow on a store (default ``$IONFLUX_STORE`` or the embedded ``local``) and
    write the report into ``out_dir``; ``say`` receives one line per step, ``progress``
    (step, done, total) the progress of the K_D build and of the figures."""
    from ionflux.ca.cache import StoreCache
    from ionflux.ca.predict import load_thermo, run_recipes
    from ionflux.kinetics import KDTable
    from ionflux.stages.runner import Pipeline

    settings = settings or ReportSettings()
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with Pipeline.open(store, data_dir=data_dir) as pipeline:
        location = pipeline.stores.location
        say(f"store: {location}")
        imported = pipeline.import_published(settings.system)
        say(f"published {settings.system} tensors: {imported.summary()}")
        (kd_stage,) = pipeline.build(["kd"], progress=progress)
        say(f"K_D documents: {kd_stage.succeeded} built, {kd_stage.failed} failed")
        pipeline.stores.connect()
        kd_count = pipeline.stores.kd.count()
        failures = [_clean(f) for f in pipeline.stores.failures.query({"stage": "kd"})]
        transport = pipeline.transport_docs(settings.system, source="all")
        thermo = load_thermo(settings.system)
        table = KDTable.from_transport_docs(transport, thermo)
        say(f"predicting {len(settings.recipes)} recipes x {len(settings.modes)} modes")
        predictions = run_recipes(settings.recipes, settings.modes,
                                  realisations=settings.realisations, seed=settings.seed,
                                  grid=settings.grid, progress=True,
                                  cache=StoreCache(pipeline.stores.predictions), kd=table)
    say("K_D table and figures")
    figures, kd_rows, kd_notes = _figures(folder, settings, table, transport, predictions,
                                          progress)
    markdown = folder / "report.md"
    markdown.write_text(_markdown(settings, location, imported, kd_count, failures, transport,
                                  thermo, kd_rows, kd_notes, predictions, figures))
    return ReportResult(folder, markdown, figures, predictions, location, kd_count, failures)


def _figures(folder: Path, settings: ReportSettings, table: Any, transport: Sequence[Any],
             predictions: Sequence[Any],
             progress: Callable[[str, int, int], Any] | None = None
             ) -> tuple[list[Path], list[Any], list[str]]:
    from ionflux.kinetics.report import kd_rows
    from ionflux.plotting.ca import plot_final_fractions, plot_prediction, plot_recipe_grid
    from ionflux.plotting.correlation import plot_correlation
    from ionflux.plotting.kd import plot_kd

    total = 6 + len(predictions)
    tick = progress or (lambda *_: None)
    tick("figures", 0, total)
    rows, notes = kd_rows(table, settings.precursors, settings.kd_temperatures_K)
    tick("figures", 1, total)
    steps = [lambda: plot_kd(rows, folder / "kd.png"),
             lambda: plot_kd(rows, folder / "kd_self_only.png", self_only=True),
             lambda: plot_correlation(transport, folder / "correlation.png"),
             lambda: plot_recipe_grid(predictions, folder / "recipes.png"),
             lambda: plot_final_fractions(predictions, folder / "final_fractions.png")]
    steps += [lambda doc=doc: plot_prediction(
        doc, folder / f"{doc.inputs.recipe}_{doc.inputs.mode}.png") for doc in predictions]
    figures = []
    for i, step in enumerate(steps, start=2):
        figures.append(step())
        tick("figures", i, total)
    return [Path(f) for f in figures], rows, notes


def _markdown(settings: ReportSettings, location: str, imported: Any, kd_count: int,
              failures: list[dict], transport: Sequence[Any], thermo: Any, rows: Sequence[Any],
              kd_notes: list[str], predictions: Sequence[Any], figures: list[Path]) -> str:
    from ionflux.ca.documents import FRACTION_DEFINITIONS
    from ionflux.ca.recipes import get_recipe
    from ionflux.stages.runner import explain_failure

    alpha, beta = settings.precursors
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    thermo_source = thermo.describe()["source"]
    lines = [
        f"# ionflux synthesis report: {alpha} + {beta}",
        "",
        f"Generated {stamp} by ionflux {__version__}. Store: `{location}`.",
        "",
        "## Data",
        "",
        f"- Transport: {len(transport)} {settings.system} documents in the store (bundled "
        f"published ACE-MD tensors; import this run: {imported.summary()}).",
        f"- Thermodynamics: {thermo.describe()['gibbs_source']}; {thermo_source['label']} "
        f"(sha256 `{(thermo_source.get('sha256') or '')[:12]}`).",
        f"- K_D documents in the store: {kd_count}; failed items: {len(failures)}.",
    ]
    lines += [f"  - `{f['item_key']}`: {f['error']} ({explain_failure(f)[1]})" for f in failures]
    lines += ["", f"## K_D for {alpha} + {beta} (cm^2/s; full, self-only in brackets)", ""]
    lines += _kd_table(rows, settings.kd_temperatures_K)
    lines += [f"- {note}" for note in kd_notes]
    lines += ["", "![K_D](kd.png)", "", "![self-only K_D](kd_self_only.png)", "",
              "![correlation factors](correlation.png)", "",
              "## Predicted outcomes",
              "",
              f"Cellular automaton, {settings.realisations} realisations of a {settings.grid}^3 "
              f"grid, seed {settings.seed}; final phase fractions, mean over realisations ± "
              "standard error over their independent input draws (realisations sharing a draw "
              "count once), in two measures:",
              "",
              *[f"- {text}" for text in FRACTION_DEFINITIONS.values()],
              f"- time: {_time_axis(predictions)}",
              f"- literature statements: {_verdict_basis(predictions, settings.seed)}",
              ""]
    lines += _model_lines(predictions)
    for name in settings.recipes:
        docs = [d for d in predictions if d.inputs.recipe == name]
        lines += [f"### {name}: {get_recipe(name).description}", ""]
        lines += _prediction_table(docs)
        lines += ["", *_statement_lines(docs)]
        lines += [""] + [f"![{d.inputs.recipe} {d.inputs.mode}]({d.inputs.recipe}_"
                         f"{d.inputs.mode}.png)" for d in docs] + [""]
    lines += ["![all recipes](recipes.png)", "", "![final fractions](final_fractions.png)", "",
              "## Notes and warnings", ""]
    lines += [f"- {n}" for n in _notes(predictions, thermo)] or ["- none"]
    lines += ["", "## Reproduce", "", "```bash", "ionflux report --out <folder>",
              f"ionflux kd --system {settings.system} --precursors {alpha},{beta} --source store",
              "ionflux predict --recipe R1 --mode full --source store", "```", ""]
    return "\n".join(lines)


def _notes(predictions: Sequence[Any], thermo: Any) -> list[str]:
    """The predictions' notes, each once; the notes on phases above the hull are made once over
    every candidate and every profile temperature of all predictions, one per phase (each
    prediction's own cover only its temperatures, so they differ and would repeat)."""
    from ionflux.ca.predict import HULL_NOTE, hull_positions

    notes = [w for d in predictions for w in d.warnings if HULL_NOTE not in w]
    if any(HULL_NOTE in w for d in predictions for w in d.warnings):
        phases = list(dict.fromkeys(p for d in predictions for p in d.inputs.phases))
        temps = sorted({t for d in predictions for t, _ in d.inputs.profile})
        hull_positions(thermo, phases, temps, notes)
    return list(dict.fromkeys(notes))


def _model_lines(predictions: Sequence[Any]) -> list[str]:
    """The modelling choices the predictions rest on (from the first transport-mode document)."""
    model = next((d.model for d in predictions if d.inputs.mode != "thermo-only" and d.model),
                 None)
    if not model:
        return []
    out = ["Modelling choices (recorded in every prediction document; see the README for how "
           "outcomes move when they change):", ""]
    for name in ("s", "inertia", "cell_swaps", "time", "thermo_gate", "decompositions",
                 "kd_uncertainty", "thermo_uncertainty"):
        value = model.get(name)
        if isinstance(value, dict):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        if value is not None:
            out.append(f"- {name}: {value}")
    return [*out, ""]


def _time_axis(predictions: Sequence[Any]) -> str:
    axes = list(dict.fromkeys(d.time_axis for d in predictions))
    return "; ".join(axes) if axes else "no predictions"


def _kd_table(rows: Sequence[Any], temperatures: Sequence[float]) -> list[str]:
    by_phase: dict[str, dict[float, Any]] = {}
    for row in rows:
        by_phase.setdefault(row.phase, {})[row.temperature_K] = row
    header = "| phase | " + " | ".join(f"{t:g} K" for t in temperatures) + " |"
    out = [header, "|---|" + "---|" * len(temperatures)]
    for phase, cells in by_phase.items():
        values = []
        for t in temperatures:
            row = cells.get(float(t))
            values.append("-" if row is None else
                          f"{row.K_D_cm2_s:.2e} ({row.K_D_self_cm2_s:.2e})")
        out.append(f"| {phase} | " + " | ".join(values) + " |")
    return [*out, ""]


def _prediction_table(docs: Sequence[Any]) -> list[str]:
    phases = sorted({p for d in docs for p, v in d.final_mol_fraction.items() if v >= 0.005},
                    key=lambda p: -max(d.final_mol_fraction.get(p, 0.0) for d in docs))
    out = ["| phase | " + " | ".join(f"{d.inputs.mode}: mole fraction | {d.inputs.mode}: "
                                     "cation fraction" for d in docs) + " |",
           "|---|" + "---|---|" * len(docs)]
    for phase in phases:
        cells = []
        for d in docs:
            for values, errors in ((d.final_mol_fraction, d.final_mol_fraction_stderr),
                                   (d.final_cation_fraction, d.final_cation_fraction_stderr)):
                err = errors.get(phase)
                cells.append(f"{values.get(phase, 0.0):.3f}"
                             + ("" if err is None else f" ± {err:.3f}"))
        out.append(f"| {phase} | " + " | ".join(cells) + " |")
    out.append("| largest product by formula units (P over realisations; 95 % interval over "
               "the independent input draws) | " + " | ".join(
        f"{_largest_product(d)} | " for d in docs) + "|")
    return out


def _largest_product(doc: Any) -> str:
    best = doc.largest_product()
    return "-" if best is None else f"{best} ({doc.majority_text(best)})"


def _verdict_basis(predictions: Sequence[Any], seed: int) -> str:
    """What the report's PASS/fail verdicts rest on, and where the reference judgement is."""
    draws = sorted({d.uncertainty.get("independent_draws") for d in predictions} - {None})
    size = (f"{' or '.join(map(str, draws))} independent input draws" if draws
            else "its realisations")
    return (f"PASS/fail from this one seed ({seed}) and {size}; a verdict that rests on a "
            "lead of a few standard errors can change with the seed or the number of "
            "realisations. The reference judgement is the ionflux repository's "
            "`python scripts/bench_fidelity.py` (3 seeds x 96 realisations; a verdict counts "
            "only when every seed agrees; docs/fidelity.md)")


def _statement_lines(docs: Sequence[Any]) -> list[str]:
    """PASS/fail of every literature statement of the recipe (ionflux.ca.fidelity), per mode.

    One seed here; scripts/bench_fidelity.py judges over several seeds.
    """
    from ionflux.ca.fidelity import evaluate

    by_mode = {d.inputs.mode: d for d in docs}
    out = []
    for doc in docs:
        for statement, ok, detail in evaluate(doc, by_mode):
            out.append(f"- {'PASS' if ok else 'fail'} ({doc.inputs.mode}): {statement.text} "
                       f"[test: {statement.test}] {detail}")
    return out


def _clean(doc: dict) -> dict:
    doc.pop("_id", None)
    return doc
