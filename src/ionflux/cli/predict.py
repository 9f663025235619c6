"""``ionflux predict``: phase fractions of a solid-state recipe from the cellular automaton."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ionflux.cli._parse import (
    NIST_HELP,
    check_phases,
    check_ratios,
    formula_elements,
    in_range,
    positive,
)
from ionflux.errors import InputError

_MODES = ("full", "self-only", "thermo-only")
#: Accepted --sweeps-per-unit: the default is 1; below 1e-3 a step is a handful of updates,
#: above 1e3 one hour of profile is thousands of sweeps of every cell.
SWEEPS_PER_UNIT_RANGE = (1e-3, 1e3)


def parse_precursors(text: str) -> dict[str, float]:
    """'BaO=1,TiO2=2' -> {'BaO': 1.0, 'TiO2': 2.0} (one-line InputError otherwise)."""
    out: dict[str, float] = {}
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--precursors: {item!r} is not FORMULA=RATIO (e.g. BaO=1,TiO2=2)")
        try:
            ratio = float(value)
        except ValueError:
            raise InputError(f"--precursors: ratio {value!r} of {name.strip()} is not a "
                             "number") from None
        if name.strip() in out:
            raise InputError(f"--precursors: {name.strip()} is listed twice")
        formula_elements(name.strip(), "--precursors")
        positive(ratio, "--precursors", f"ratio of {name.strip()}")
        out[name.strip()] = ratio
    if not out:
        raise InputError("--precursors is empty; e.g. BaO=1,TiO2=2")
    return check_ratios(out, "--precursors")


def parse_profile(text: str) -> list[tuple[float, float]]:
    """'1200K:50,1300K:3h' -> [(1200, 50), (1300, 3 h in sweeps)].

    Temperatures in K (the 'K' is optional); durations in sweeps, or hours with an 'h' suffix
    (converted with ionflux.ca.recipes.SWEEPS_PER_HOUR).
    """
    from ionflux.ca.recipes import SWEEPS_PER_HOUR

    steps = []
    for i, item in enumerate((p.strip() for p in text.split(",")), start=1):
        if not item:
            continue
        temp, sep, dur = item.partition(":")
        if not sep:
            raise InputError(f"--profile step {i}: {item!r} is not TEMPERATURE:DURATION "
                             "(e.g. 1200K:50)")
        temp = temp.strip()
        temp = temp[:-1] if temp[-1:] in "Kk" else temp
        dur = dur.strip().lower()
        hours = dur.endswith("h")
        try:
            t = float(temp)
            d = float(dur[:-1] if hours else dur)
        except ValueError:
            raise InputError(f"--profile step {i}: cannot read {item!r} (temperature in K, "
                             "duration in sweeps or hours with 'h')") from None
        positive(t, f"--profile step {i}", "temperature (K)")
        positive(d, f"--profile step {i}", "duration")
        steps.append((t, d * SWEEPS_PER_HOUR if hours else d))
    if not steps:
        raise InputError("--profile has no steps; e.g. '1200K:50,1300K:50'")
    return steps


def settings_from_options(cls, options: dict):
    """``cls(**options)`` without the unset (None) ones; a bad value is a one-line InputError
    naming the option."""
    from pydantic import ValidationError

    try:
        return cls(**{k: v for k, v in options.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "--" + str(error["loc"][0]).replace("_", "-")
        if name == "--cell-swaps":
            name = "--swaps"
        raise InputError(f"{name}: {error['msg'].lower()} (got {error.get('input')!r})"
                         ) from None


def _print_human(doc) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    inp = doc.inputs
    ratio = ", ".join(f"{k}={v:g}" for k, v in inp.precursors.items())
    table = Table(title=f"{inp.recipe + ': ' if inp.recipe else ''}{ratio} | mode {inp.mode} | "
                        f"{inp.realisations} realisations, grid {inp.grid}^3")
    table.add_column("phase")
    table.add_column("mole fraction (formula units)", justify="right")
    table.add_column("cation fraction", justify="right")
    table.add_column("P(largest product), 95 %", justify="right")
    cations, cation_errors = doc.final_cation_fraction, doc.final_cation_fraction_stderr
    for phase, value in sorted(doc.final_mol_fraction.items(), key=lambda kv: -kv[1]):
        table.add_row(phase, _pm(value, doc.final_mol_fraction_stderr[phase]),
                      _pm(cations[phase], cation_errors[phase]),
                      doc.majority_text(phase, draws=False))
    console.print(table)
    console.print("mean over realisations ± standard error (realisations sharing an input draw "
                  "count once), at the end of the profile; P: "
                  "share of realisations in which the phase is the largest product by formula "
                  "units (precursors excluded), with its 95 % interval over the "
                  f"{doc.uncertainty.get('independent_draws', '?')} independent input draws "
                  "(realisations sharing a draw mostly agree, so they count once)",
                  soft_wrap=True, markup=False)
    for definition in doc.fraction_definitions.values():
        console.print(definition, soft_wrap=True, markup=False)
    console.print(doc.time_axis, soft_wrap=True, markup=False)
    spread = doc.uncertainty.get("variance")
    if spread:
        parts = ", ".join(f"{k} {v ** 0.5:.3f}" for k, v in spread.items())
        console.print(f"spread of the {doc.uncertainty['quantity']} (standard deviations): "
                      f"{parts}; dominated by {doc.uncertainty['dominant']}")
    if doc.from_cache:
        timing = "served from the cache"
    elif doc.automaton_s is not None:
        # both rates: the kernel's, and the whole prediction's (scoring reactions included)
        timing = (f"automaton {doc.automaton_s:.1f} s of {doc.runtime_s:.1f} s, the rest scores "
                  f"reactions; {doc.cell_updates / max(doc.automaton_s, 1e-9):.2g} updates/s "
                  f"in the automaton, {doc.cell_updates / max(doc.runtime_s, 1e-9):.2g}/s for "
                  "the whole prediction")
    else:
        timing = f"{doc.runtime_s:.1f} s"
    console.print(f"{doc.cell_updates:.3g} cell updates ({timing}); element totals conserved "
                  f"to {doc.element_drift_max_rel:.1e} (relative)")
    for note in dict.fromkeys(doc.warnings):
        console.print(f"note: {note}", style="yellow", markup=False)


def _pm(value: float, error: float | None) -> str:
    from ionflux.cli.transport import plus_minus

    return plus_minus(value, error, ".4f")


#: Transport data for K_D (``--source``).
SOURCES = ("published", "published-corrected", "distilled-melts", "store")
#: Sources whose K_D scale differs from the published set's, so s comes from the onset rule.
ONSET_SOURCES = ("published-corrected", "distilled-melts")


def onset_scoring(scoring, kd):
    """``scoring`` with s from the onset rule on ``kd`` (ionflux.ca.calibration): the rule that
    set the default s on the published data, applied to the data in use."""
    from ionflux.ca.calibration import onset_s

    return scoring.model_copy(update={"s": onset_s(kd, scoring, "full")})


def store_kd_table(source: str, ratios: dict[str, float], store: str | None,
                   data_dir: Path | None):
    """The K_D source for ``--source``: None for the bundled published table (predict's
    default), else a table of the store's transport documents for the precursors' system."""
    if source == "published":
        return None
    if source not in SOURCES:
        raise InputError(f"--source {source!r}: use {' | '.join(SOURCES)}")
    from ionflux.ca.predict import chemical_system, load_thermo
    from ionflux.kinetics import KDTable

    system = chemical_system(list(ratios))
    if source == "published-corrected":
        from ionflux.transport.published import load_published

        thermo = load_thermo(system)
        docs = load_published(system, thermo=thermo, time_axis_factor="reference")
        return KDTable.from_transport_docs(docs, thermo)
    from ionflux.kinetics.report import load_transport_docs

    # "store" or "distilled-melts": load_transport_docs knows both
    docs = load_transport_docs(source, system, store, None if data_dir is None else str(data_dir))
    return KDTable.from_transport_docs(docs, load_thermo(system))


def predict_command(
    precursors: str = typer.Option(None, help="molar ratio, e.g. BaO=1,TiO2=2"),
    profile: str = typer.Option(None, help="heating profile, e.g. '1200K:50,1300K:3h' "
                                           "(durations in sweeps, or hours with 'h')"),
    recipe: str = typer.Option(None, help="preset R1 | R2 | R3 | R4 (SCIENCE.md §6) instead of "
                                          "--precursors/--profile"),
    mode: str = typer.Option("full", help="full | self-only | thermo-only"),
    realisations: int = typer.Option(8, help="independent realisations (multiples of 4 split "
                                                "the spread by input)"),
    seed: int = typer.Option(0, help="random seed (same seed, same result)"),
    grid: int = typer.Option(30, help="edge of the cubic grid in cells"),
    phases: str = typer.Option(None, help="candidate phases, comma-separated (default: the "
                                          "precursors and the system's candidate products)"),
    s: float = typer.Option(None, help="override the calibrated score scale s (1/s)"),
    inertia: float = typer.Option(None, help="weight of 'no reaction' per update (default 4, "
                                             "the reference CA's)"),
    swaps: str = typer.Option("reference", help="cell swaps before reacting: reference "
                                                "(swap(T/T_m)) | off | fixed (--swap-rate)"),
    swap_rate: float = typer.Option(None, help="swap probability per update with --swaps fixed"),
    sweeps_per_unit: float = typer.Option(None, help="sweeps per profile duration unit "
                                                     "(event budget; default 1)"),
    kd_sampling: str = typer.Option("lognormal", help="draw each realisation's K_D from its "
                                                      "standard error: lognormal | off"),
    nist: bool = typer.Option(False, "--nist", help=NIST_HELP),
    json_out: bool = typer.Option(False, "--json", help="print the prediction as JSON"),
    plot: Path = typer.Option(None, help="write a PNG of phase fractions vs time here"),
    source: str = typer.Option("published", help="transport data for K_D: published (bundled "
                                                 "tensors) | published-corrected (each "
                                                 "composition divided by its time-axis factor "
                                                 "against the bundled DFT-trained-potential "
                                                 "melts; s by the onset rule unless --s) | "
                                                 "distilled-melts (those melts themselves, "
                                                 "Arrhenius-shifted below 1750 K with one "
                                                 "pooled E_a; s likewise) | "
                                                 "store (MD aggregates and imported sets in the "
                                                 "store)"),
    store: str = typer.Option(None, help="store for the predictions cache and --source store: "
                                         "local | mongo | memory | config file (default "
                                         "$IONFLUX_STORE or local)"),
    data_dir: Path = typer.Option(None, help="with the local store: data folder (default "
                                             "$IONFLUX_DATA_DIR or ./ionflux-data)"),
    no_cache: bool = typer.Option(False, "--no-cache", help="neither read nor write the cache"),
) -> None:
    """Predict phase fractions for precursors and a heating profile."""
    from ionflux.ca.recipes import get_recipe

    if mode not in _MODES:
        raise InputError(f"--mode {mode!r}: use one of {', '.join(_MODES)}")
    if recipe is not None:
        if precursors is not None or profile is not None:
            raise InputError("give either --recipe or --precursors/--profile, not both")
        preset = get_recipe(recipe)
        ratios, steps, recipe = preset.precursors, preset.profile, preset.name
    else:
        if precursors is None or profile is None:
            raise InputError("give --precursors and --profile (or --recipe R1|R2|R3|R4)")
        ratios, steps = parse_precursors(precursors), parse_profile(profile)
    # every argument is checked here, before anything slow is imported or loaded
    if len(ratios) < 2:
        raise InputError("--precursors: give at least two precursors (a pair reaction needs "
                         "two phases)")
    if realisations < 1:
        raise InputError(f"--realisations must be >= 1, got {realisations}")
    if grid < 3:
        raise InputError(f"--grid must be >= 3 cells, got {grid}")
    if seed < 0:
        raise InputError(f"--seed must be >= 0, got {seed}")
    if source not in SOURCES:
        raise InputError(f"--source {source!r}: use {' | '.join(SOURCES)}")
    candidates = None if phases is None else [p.strip() for p in phases.split(",") if p.strip()]
    if candidates is not None:
        check_phases(candidates, "--phases")
    if s is not None:
        positive(s, "--s", "score scale (1/s)")
    if inertia is not None:
        positive(inertia, "--inertia", "weight of 'no reaction'")
    if sweeps_per_unit is not None:
        # the event budget of a step is duration x sweeps_per_unit x cells updates
        in_range(sweeps_per_unit, "--sweeps-per-unit", "sweeps per profile duration unit",
                 *SWEEPS_PER_UNIT_RANGE)
    if plot is not None:
        from ionflux.cli.plot import check_out

        plot = check_out(plot, "--plot")
    from ionflux.ca.settings import AutomatonSettings, ScoringSettings

    scoring = settings_from_options(ScoringSettings, {"s": s, "kd_sampling": kd_sampling})
    automaton = settings_from_options(AutomatonSettings, {
        "inertia": inertia, "cell_swaps": swaps, "swap_rate": swap_rate,
        "sweeps_per_unit": sweeps_per_unit})
    if swap_rate is not None and swaps != "fixed":
        raise InputError("--swap-rate needs --swaps fixed")
    from ionflux.ca.request import check_size

    # memory and time estimate before any store is opened or anything allocated
    check_size(steps, grid ** 3, realisations, automaton)
    from ionflux.ca.cache import BestEffortCache, StoreCache
    from ionflux.ca.predict import predict

    # a cache write blocked by another writer never costs the computed prediction
    cache = False if no_cache else BestEffortCache(StoreCache.open(store, data_dir))
    kd = None if mode == "thermo-only" else store_kd_table(source, ratios, store, data_dir)
    if source in ONSET_SOURCES and s is None and kd is not None:
        scoring = onset_scoring(scoring, kd)
        typer.echo(f"note: s = {scoring.s:.3g} 1/s, the onset rule on the {source} data",
                   err=True)
    doc = predict(ratios, steps, mode=mode, realisations=realisations, seed=seed, grid=grid,
                  phases=candidates, scoring=scoring, automaton=automaton, kd=kd, cache=cache,
                  # spinner and bar only where someone watches (rich shows neither on a pipe)
                  progress=sys.stderr.isatty(), recipe=recipe, nist=nist)
    for note in getattr(cache, "skipped", []):
        typer.echo(f"note: {note}", err=True)
    if plot is not None:
        from ionflux.plotting.ca import plot_prediction

        plot_prediction(doc, plot)
    if json_out:
        typer.echo(json.dumps(doc.model_dump(mode="json")))
    else:
        _print_human(doc)
        if plot is not None:
            typer.echo(f"plot written to {plot}")


def register(app: typer.Typer) -> None:
    app.command("predict")(predict_command)
