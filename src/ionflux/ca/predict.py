"""Query layer: precursors + heating profile -> :class:`PredictionDoc`, cached by inputs.

``predict`` mirrors ``ionflux predict``; ``run_recipes`` runs the literature recipes of
SCIENCE.md §6 in several scoring modes (for the lead's main job).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ionflux.ca.cache import PredictionCache, StoreCache
from ionflux.ca.documents import (
    PredictionDoc,
    PredictionInputs,
    ReactionSummary,
    SeriesPoint,
    StepEnd,
)
from ionflux.ca.reactions import (
    BA_TI_O_PRODUCTS,
    PhaseInfo,
    Reaction,
    ThermoSource,
    check_formulas,
    enumerate_reactions,
    phase_infos,
    phase_molar_volume_A3,
    reaction_energies,
)
from ionflux.ca.request import cell_counts, check_size, parse_profile
from ionflux.ca.scoring import (
    KDSource,
    SampledKD,
    ScoredReactions,
    can_sample,
    score_reactions,
)
from ionflux.ca.settings import (
    DEFAULT_REALISATIONS,
    SCORE_MODES,
    AutomatonSettings,
    ScoringSettings,
)
from ionflux.ca.spread import (
    attribute_spread,
    draw_layout,
    independent_draws,
    majority_interval,
    majority_probability,
)
from ionflux.ca.table import CATable, build_table
from ionflux.ca.table_cache import PreparedTables, ReactionTableCache
from ionflux.errors import DataNotFoundError, InputError
from ionflux.thermo.system import chemical_system

#: Bump when the automaton's rules or the documents' statistics change, so cached predictions
#: are recomputed (4: standard errors count realisations sharing an input draw as one, and
#: K_D is drawn once per product and set of MD runs; 5: what is drawn per set of runs is the
#: error of L, so K_D correlate as their linearised errors).
CA_ENGINE_VERSION = "5"

#: Melting points used only when the thermo data has none (K), with how they were estimated.
MELTING_POINT_ESTIMATES_K: dict[str, tuple[float, str]] = {
    # Linear in Ba/(Ba+Ti) between the ML estimates of its neighbours on the BaO-TiO2 line,
    # Ba4Ti13O30 (0.235, 2172 K) and BaTi2O5 (0.333, 2220 K): 0.261 -> 2185 K.
    "Ba6Ti17O40": (2185.0, "interpolated between Ba4Ti13O30 and BaTi2O5"),
}


# ------------------------------------------------------------------ phases and data
def _normalise_precursors(precursors: Mapping[str, float]) -> dict[str, float]:
    if not precursors:
        raise InputError("no precursors given; e.g. BaO=1,TiO2=1")
    out: dict[str, float] = {}
    for name, ratio in precursors.items():
        try:
            value = float(ratio)
        except (TypeError, ValueError):
            raise InputError(f"precursor {name}: ratio {ratio!r} is not a number") from None
        if not np.isfinite(value) or value <= 0:
            raise InputError(f"precursor {name}: ratio {ratio!r} must be > 0")
        (formula,) = check_formulas([name])
        if formula in out:
            raise InputError(f"precursor {formula} is listed twice")
        out[formula] = value
    if len(out) < 2:
        raise InputError("give at least two precursors (a pair reaction needs two phases)")
    return out


def _in_cone(target: Mapping[str, float], basis: Sequence[Mapping[str, float]],
             elements: Sequence[str]) -> bool:
    from scipy.optimize import nnls

    a = np.array([[b.get(el, 0.0) for b in basis] for el in elements])
    y = np.array([target.get(el, 0.0) for el in elements])
    _, residual = nnls(a, y)
    return residual < 1e-8 * max(1.0, float(np.linalg.norm(y)))


def default_phases(precursors: Sequence[str], thermo: Any, system: str) -> list[str]:
    """Precursors, then the candidate products.

    Ba-Ti-O: the nine products of SCIENCE.md §6. Other systems: every compound of the thermo data
    whose composition is a non-negative combination of the precursors' (reachable without an
    open element).
    """
    names = list(precursors)
    if set(system.split("-")) == {"Ba", "Ti", "O"}:
        products = list(BA_TI_O_PRODUCTS)
    else:
        basis = [{el.symbol: float(n) for el, n in thermo.composition(p).items()}
                 for p in precursors]
        elements = sorted({el for b in basis for el in b})
        products = []
        for formula in thermo.formulas:
            comp = {el.symbol: float(n) for el, n in thermo.composition(formula).items()}
            if len(comp) > 1 and set(comp) <= set(elements) and _in_cone(comp, basis, elements):
                products.append(formula)
    return names + [p for p in products if p not in names]


def candidate_phase_infos(formulas: Sequence[str], thermo: ThermoSource,
                          scoring: ScoringSettings, warnings: list[str]) -> dict[str, PhaseInfo]:
    """Phase data of the candidates; missing melting points from MELTING_POINT_ESTIMATES_K
    (each use recorded in ``warnings``), overridden by ``scoring.melting_points_K``."""
    overrides = dict(scoring.melting_points_K)
    for formula in formulas:
        if formula in overrides or formula not in MELTING_POINT_ESTIMATES_K:
            continue
        if thermo.melting_point_K(formula) is None:
            value, how = MELTING_POINT_ESTIMATES_K[formula]
            overrides[formula] = value
            warnings.append(f"melting point of {formula} not in the data: {value:g} K "
                            f"({how})")
    return phase_infos(formulas, thermo, overrides)


@lru_cache(maxsize=8)
def load_thermo(system: str, nist: bool = False) -> Any:
    """Thermo data of ``system`` (fetched cache, else bundled); one instance per process.

    MP + Bartel for every solid by default; ``nist`` prefers NIST-JANAF where it has data.
    """
    from ionflux.thermo import ThermoData

    return ThermoData.load(system, prefer_experimental=nist)


@lru_cache(maxsize=8)
def load_kd(system: str, nist: bool = False) -> Any:
    """Published K_D table of ``system``; one instance per process (it caches its K_D docs)."""
    try:
        from ionflux.kinetics import KDTable
    except ImportError:
        raise DataNotFoundError("K_D data is not available (ionflux.kinetics.KDTable missing); "
                                "use mode thermo-only") from None
    return KDTable.published(system=system, thermo=load_thermo(system, nist))


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _package_file_sha(system: str, name: str) -> str | None:
    folder = resources.files("ionflux") / "data" / system.lower()
    path = folder / name
    return _sha(path.read_bytes()) if path.is_file() else None


def data_version(system: str, mode: str, thermo: Any, kd: Any, default_kd: bool) -> str | None:
    """Hash of the data a prediction rests on; None when it cannot be known (custom sources).

    Thermo: ``thermo.data_version`` or the sha256 of its source file. K_D (transport modes):
    ``kd.data_version``, or for the default published table the sha256 of the bundled tensors.
    The ionflux version is part of it, so a new release recomputes cached predictions.
    """
    thermo_version = getattr(thermo, "data_version", None) or getattr(
        getattr(thermo, "source", None), "sha256", None)
    if thermo_version is None:
        return None
    from ionflux import __version__

    # the package version stands in for the K_D/driving-force code that produced the numbers
    parts = [f"engine={CA_ENGINE_VERSION}", f"ionflux={__version__}",
             f"thermo={thermo_version}"]
    if mode != "thermo-only":
        kd_version = getattr(kd, "data_version", None)
        if kd_version is None and default_kd:
            kd_version = _package_file_sha(system, "transport_tensors_ace_md.json")
        if kd_version is None:
            return None
        parts.append(f"kd={kd_version}")
    return _sha(";".join(parts))[:32]


# ------------------------------------------------------------------ table
def reaction_setup(precursors: Sequence[str], temperatures_K: Sequence[float],
                   thermo: ThermoSource, scoring: ScoringSettings, phases: Sequence[str],
                   warnings: list[str]
                   ) -> tuple[dict[str, PhaseInfo], list[Reaction], dict[float, list[float]]]:
    """Phase data, enumerated reactions and their free energies (eV/atom) at each temperature."""
    infos = candidate_phase_infos(phases, thermo, scoring, warnings)
    compositions = {f: p.composition for f, p in infos.items()}
    reactions = enumerate_reactions(compositions)
    if not any(r.kind == "pair" and set(r.reactants) <= set(precursors) for r in reactions):
        raise InputError(f"no balanced reaction between the precursors "
                         f"{', '.join(precursors)} among the candidate phases")
    energies = reaction_energies(reactions, infos, sorted(set(temperatures_K)),
                                 thermo.gibbs_formation_energy_per_atom)
    return infos, reactions, energies


def _table(infos: Mapping[str, PhaseInfo], reactions: Sequence[Reaction],
           scored: ScoredReactions) -> CATable:
    scores = {t: row for t, row in zip(scored.temperatures_K, scored.scores, strict=True)}
    return build_table(infos, reactions, scores)


def build_reaction_table(precursors: Sequence[str], temperatures_K: Sequence[float], mode: str,
                         thermo: ThermoSource, kd: KDSource | None,
                         scoring: ScoringSettings, phases: Sequence[str],
                         warnings: list[str]) -> tuple[CATable, list[Reaction], ScoredReactions]:
    """Enumerate, energise and score the reactions among ``phases``; return the numeric table."""
    infos, reactions, energies = reaction_setup(precursors, temperatures_K, thermo, scoring,
                                                phases, warnings)
    scored = score_reactions(reactions, infos, energies, mode, scoring, kd)
    warnings.extend(scored.warnings)
    return _table(infos, reactions, scored), reactions, scored


def error_model(scoring: ScoringSettings) -> Any:
    """The G_delta error model of the settings, or None when thermodynamics is not sampled."""
    if scoring.thermo_sampling == "off":
        return None
    from ionflux.thermo.uncertainty import GibbsErrorModel

    return GibbsErrorModel(sigma_1800K_eV_per_atom=scoring.gibbs_sigma_1800K_eV_per_atom,
                           shared_fraction=scoring.gibbs_shared_fraction,
                           sigma_floor_eV_per_atom=scoring.gibbs_sigma_floor_eV_per_atom)


def sampled_scores(infos: Mapping[str, PhaseInfo], reactions: Sequence[Reaction],
                   energies: Mapping[float, Sequence[float]], mode: str, kd: KDSource | None,
                   scoring: ScoringSettings, realisations: int, seed: int, thermo_model: Any = None
                   ) -> tuple[list[list[list[float]]] | None, dict[str, bool]]:
    """Each realisation's scores ([realisation][temperature][reaction]): G_delta errors drawn
    from ``thermo_model`` and K_D from its standard errors (SampledKD), laid out by
    :func:`draw_layout`. Returns (None, ...) when nothing could be drawn, and which inputs were
    sampled."""
    layout = draw_layout(realisations)
    n_draws = max(max(t, k) for t, k in layout) + 1
    streams = np.random.SeedSequence([seed, 0x4B44]).spawn(2 * n_draws)
    shifted: list[Mapping[float, Sequence[float]]] = [energies] * n_draws
    if thermo_model is not None:
        from ionflux.ca.reactions import reaction_energy_per_atom
        from ionflux.thermo.uncertainty import draw_errors

        comps = {f: p.composition for f, p in infos.items()}
        shifted = []
        for i in range(n_draws):
            eps = draw_errors(thermo_model, comps, list(energies),
                              np.random.default_rng(streams[n_draws + i]))
            shifted.append({t: [dg + reaction_energy_per_atom(r, eps[t], infos)
                                for r, dg in zip(reactions, row, strict=True)]
                            for t, row in energies.items()})
    use_kd = (mode != "thermo-only" and scoring.kd_sampling != "off" and can_sample(kd))
    sources = [SampledKD(kd, np.random.default_rng(streams[i])) if use_kd else kd
               for i in range(n_draws)]
    scores = [score_reactions(reactions, infos, shifted[t_draw], mode, scoring,
                              None if mode == "thermo-only" else sources[k_draw]).scores
              for t_draw, k_draw in layout]
    sampled = {"thermodynamics": thermo_model is not None,
               "K_D": use_kd and any(getattr(s, "sampled", False) for s in sources)}
    return (scores if any(sampled.values()) else None), sampled


#: Words of every note on a candidate above the hull (so a report can merge them).
HULL_NOTE = "above the G_f(T) hull"


def hull_positions(thermo: Any, phases: Sequence[str], temperatures_K: Sequence[float],
                   warnings: list[str]) -> dict[str, dict[str, float]]:
    """Energy above the hull (eV/atom) of ``phases`` at each temperature ('T' -> phase -> e);
    a warning names every candidate off the hull and what it decomposes to."""
    from ionflux.thermo.hull import hull_at

    out: dict[str, dict[str, float]] = {}
    off: dict[str, list[tuple[float, float, str]]] = {}
    for t in sorted(set(temperatures_K)):
        report = hull_at(thermo, t, phases)
        out[f"{t:g}"] = {p.formula: p.e_above_hull_eV_per_atom for p in report.phases}
        for p in report.phases:
            if p.e_above_hull_eV_per_atom > 0:
                off.setdefault(p.formula, []).append(
                    (t, 1000 * p.e_above_hull_eV_per_atom, " + ".join(sorted(p.decomposes_to))))
    for formula, rows in off.items():
        temps = [t for t, _, _ in rows]
        meV = [e for _, e, _ in rows]
        into = ", ".join(sorted({d for _, _, d in rows}))
        span = f"{temps[0]:g} K" if len(temps) == 1 else f"{temps[0]:g}-{temps[-1]:g} K"
        low, high = f"{min(meV):.0f}", f"{max(meV):.0f}"
        size = low if low == high else f"{low}-{high}"
        warnings.append(f"{formula} is {HULL_NOTE} at {span} ({size} meV/atom; -> "
                        f"{into}): it can decompose and forms only by downhill reactions "
                        "(ionflux thermo hull)")
    return out


# ------------------------------------------------------------------ progress
class PredictionCancelled(Exception):
    """Raised inside ``predict`` when its ``cancel`` callback says nobody waits any more."""


def check_cancelled(cancel: Callable[[], bool] | None) -> None:
    """Raise PredictionCancelled when ``cancel()`` is true."""
    if cancel is not None and cancel():
        raise PredictionCancelled("prediction cancelled: nobody waits for it")


def with_cancel(tick: Callable[[int], None] | None, cancel: Callable[[], bool] | None
                ) -> Callable[[int], None] | None:
    """``tick`` that first raises PredictionCancelled when ``cancel()`` is true."""
    if cancel is None:
        return tick

    def checked(n: int) -> None:
        check_cancelled(cancel)
        if tick is not None:
            tick(n)

    return checked



@contextmanager
def progress_bar(total_updates: int, enabled: bool, label: str,
                 settings: AutomatonSettings) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar (stderr) for runs estimated to take more than a couple of seconds."""
    if not enabled or total_updates / settings.assumed_rate_per_s < 2.0:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    # off when stderr is a file or pipe: a transient bar there leaves only blank lines
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>5.1f}%"), TimeElapsedColumn(),
                  TextColumn("eta"), TimeRemainingColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=total_updates)
        yield lambda n: bar.advance(task, n)


@contextmanager
def _status(enabled: bool, message: str) -> Iterator[None]:
    """A rich spinner on stderr while ``message`` is being done (no-op when disabled)."""
    if not enabled:
        yield
        return
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    with console.status(message):
        yield


# ------------------------------------------------------------------ documents
def _fractions(phases: Sequence[str], values: np.ndarray) -> dict[str, float]:
    return {p: float(v) for p, v in zip(phases, values, strict=True)}


def _stderr(phases: Sequence[str], values: np.ndarray | None) -> dict[str, float | None]:
    if values is None:
        return {p: None for p in phases}
    return _fractions(phases, values)


def step_ends(result: Any, steps: Sequence[tuple[float, float]],
              groups: Sequence[int] | None = None) -> list[StepEnd]:
    """Per-realisation mole fractions at the end of every profile step, with each
    realisation's group of shared input draws."""
    frac = result.mol_fractions
    ends = np.cumsum([d for _, d in steps])
    out = []
    for k, ((temperature, _), end) in enumerate(zip(steps, ends, strict=True)):
        i = int(np.argmin(np.abs(result.times - end)))
        out.append(StepEnd(step=k, time=float(result.times[i]), temperature_K=float(temperature),
                           mol_fraction_realisations=[_fractions(result.phases, row[i])
                                                      for row in frac],
                           draw_group=None if groups is None else [int(g) for g in groups]))
    return out


def _document(inputs: PredictionInputs, key: str, version: str, result: Any,
              table: CATable, reactions: Sequence[Reaction], scored: ScoredReactions,
              warnings: list[str], *, runtime_s: float, automaton_s: float,
              model: dict | None = None, hull: dict | None = None,
              uncertainty: dict | None = None,
              groups: Sequence[int] | None = None) -> PredictionDoc:
    from ionflux import __version__

    mean, err = result.mean_and_stderr(groups)
    series = [SeriesPoint(time=float(t), temperature_K=float(temp),
                          mol_fraction=_fractions(table.phases, mean[i]),
                          mol_fraction_stderr=_stderr(table.phases,
                                                      None if err is None else err[i]))
              for i, (t, temp) in enumerate(zip(result.times, result.temperatures_K,
                                                strict=True))]
    events = result.events.mean(axis=0)
    by_label = dict(zip(table.labels, events, strict=True))
    summaries = [ReactionSummary(
        label=r.label, kind=r.kind, temperatures_K=scored.temperatures_K,
        energy_eV_per_atom=[row[i] for row in scored.energies_eV_per_atom],
        kd_cm2_s=[row[i] for row in scored.kd_cm2_s], score=[row[i] for row in scored.scores],
        mean_events=float(by_label[r.label])) for i, r in enumerate(reactions)]
    if result.moles.shape[0] < 2:
        warnings.append("one realisation: standard errors are undefined (null)")
    elif err is None:
        warnings.append(f"{result.moles.shape[0]} realisations share one input draw: standard "
                        "errors are undefined (null); run more realisations")
    swaps = getattr(result, "swaps", None)
    chances = majority_probability(result, list(inputs.precursors))
    return PredictionDoc(
        key=key, data_version=version, inputs=inputs,
        final_mol_fraction=series[-1].mol_fraction,
        final_mol_fraction_stderr=series[-1].mol_fraction_stderr, series=series,
        reactions=summaries, element_drift_max_rel=result.element_drift,
        cell_updates=result.cell_updates, runtime_s=runtime_s, automaton_s=automaton_s,
        warnings=warnings, model=model or {}, hull=hull or {},
        step_ends=step_ends(result, inputs.profile, groups),
        majority_probability=chances,
        majority_probability_interval=(
            majority_interval(chances, uncertainty["independent_draws"])
            if uncertainty and "independent_draws" in uncertainty else {}),
        uncertainty=uncertainty or {},
        mean_swaps=None if swaps is None else float(np.mean(swaps)),
        ionflux_version=__version__)


def model_description(mode: str, scoring: ScoringSettings, automaton: AutomatonSettings,
                      thermo: Any, infos: Mapping[str, PhaseInfo], kd_uncertainty: str
                      ) -> dict[str, Any]:
    """Every modelling choice a prediction rests on, with its value and the rule behind it."""
    from ionflux.ca.recipes import SWEEPS_PER_HOUR

    powder = getattr(thermo, "powder_molar_volume_A3", None)
    volumes = {name: {"A3_per_formula_unit": info.molar_volume_A3,
                      "source": powder(name)[1] if powder is not None else "thermo data"}
               for name, info in infos.items()}
    describe = getattr(thermo, "describe", None)
    return {
        "thermodynamics": (describe()["gibbs_source"] if describe is not None
                           else "custom thermo source"),
        "molar_volumes": volumes,
        "score": "S = sigma1(K_D/(r0^2 s) dG*/(kB T)) sigma2(T/T_m) (SCIENCE.md §5); "
                 f"mode {mode}",
        "s": {"value_per_s": scoring.s,
              "rule": "K_D(BaO + TiO2 -> BaTiO3) / (r0^2 s kB T) = 1 at the reported onset, "
                      "1100 K (ionflux.ca.calibration)"},
        "thermo_gate": (
            {"rule": "second-law", "what": "dG_rxn >= 0: not offered; below, S = [sigma1(x) - "
             "sigma1(0)(1 - g)] sigma2 with g = max(0, (dG*(dG) - dG*(0))/(2 - dG*(0))) and 2g "
             "in place of dG* (continuous, zero at dG = 0; ionflux.ca.scoring)"}
            if scoring.thermo_gate == "second-law" else
            {"rule": "reference", "what": f"dG_rxn > {scoring.uphill_threshold_eV_per_atom:g} "
             "eV/atom: (dG*/2) sigma2, as the reference CA; below it the plain score"}),
        "decompositions": "no pair of domains, Delta_mu = 0: x = 0 in the transport modes, "
                          "x = 2g (dG* under the reference gate) in thermo-only mode; need a "
                          "same-phase neighbour",
        "inertia": {"value": automaton.inertia,
                    "rule": "the reference CA's no-op weight 2, offered twice"},
        "cell_swaps": {"rule": automaton.cell_swaps,
                       "swap": "(20x - 18.5)/(2 sqrt((20x - 18.5)^2 + 1)) + 1/2, x = T/T_m of "
                               "the cell's phase (reference)" if automaton.cell_swaps ==
                               "reference" else automaton.swap_rate},
        "time": {"sweeps_per_unit": automaton.sweeps_per_unit,
                 "presets_sweeps_per_hour": SWEEPS_PER_HOUR,
                 "rule": "one profile unit = sweeps_per_unit sweeps (the reference: 1); the "
                         "presets write hours with SWEEPS_PER_HOUR (ionflux.ca.recipes)"},
        "neighbours": "all six face neighbours offered per update (the reference: one)",
        "kd_uncertainty": kd_uncertainty,
    }


def prepare_tables(precursors: Sequence[str], temperatures_K: Sequence[float],
                   phases: Sequence[str], thermo: Any, kd: KDSource | None, mode: str,
                   scoring: ScoringSettings, realisations: int, seed: int, thermo_model: Any
                   ) -> PreparedTables:
    """Everything before the automaton: phase data, reactions, their energies, K_D and scores
    (mean and per realisation), the hull and the warnings they raise; none of it depends on
    the molar ratio (:mod:`ionflux.ca.table_cache` keeps it across processes)."""
    warnings: list[str] = []
    infos, reactions, energies = reaction_setup(precursors, temperatures_K, thermo, scoring,
                                                phases, warnings)
    scored = score_reactions(reactions, infos, energies, mode, scoring, kd)
    warnings.extend(scored.warnings)
    # hull_at needs the whole data set behind the source (ThermoData), not only the
    # ThermoSource protocol the automaton uses
    hull = (hull_positions(thermo, phases, temperatures_K, warnings)
            if hasattr(thermo, "gibbs_source") else {})
    if thermo_model is not None and hasattr(thermo, "entry"):
        from ionflux.thermo.uncertainty import check_error_model

        entries = {f: thermo.entry(f) for f in infos}
        check_error_model(thermo_model,
                          {f: e.formation_enthalpy_per_atom for f, e in entries.items()
                           if e is not None},
                          {f: infos[f].composition for f, e in entries.items() if e is not None})
    drawn, sampled = None, {"thermodynamics": False, "K_D": False}
    if thermo_model is not None or (mode != "thermo-only" and can_sample(kd)):
        drawn, sampled = sampled_scores(infos, reactions, energies, mode, kd, scoring,
                                        realisations, seed, thermo_model)
    if mode == "thermo-only":
        kd_uncertainty = "not used (thermo-only mode)"
    elif scoring.kd_sampling == "off":
        kd_uncertainty = "off: every realisation uses the mean K_D"
    elif not can_sample(kd):
        kd_uncertainty = "not available from this K_D source"
    else:
        kd_uncertainty = (
            "each realisation draws K_D (log-normal, mean and standard error of its "
            "document), from one draw of the Onsager matrix's error per product and set of MD "
            "runs (its covariance), so the K_D of its reactant pairs and of documents shifted "
            "from those runs move as their linearised errors correlate: the spread includes "
            "transport uncertainty" if sampled["K_D"]
            else "the K_D documents have no standard error (published tensors carry "
                 "none): K_D adds no spread")
    time_axis = kd.time_axis_corrections() if hasattr(kd, "time_axis_corrections") else {}
    arrhenius = kd.arrhenius_shifts() if hasattr(kd, "arrhenius_shifts") else {}
    return PreparedTables(infos=dict(infos), reactions=list(reactions), scored=scored, hull=hull,
                          warnings=warnings, sampled_scores=drawn, sampled=sampled,
                          kd_uncertainty=kd_uncertainty, time_axis=time_axis,
                          arrhenius=arrhenius)


def prediction_key(inputs: PredictionInputs, version: str) -> str:
    payload = json.dumps({"inputs": inputs.model_dump(mode="json"), "data_version": version},
                         sort_keys=True)
    return _sha(payload)


# ------------------------------------------------------------------ public API
def predict(precursors: Mapping[str, float], profile: Sequence[tuple[float, float]],
            mode: str = "full", realisations: int = DEFAULT_REALISATIONS, seed: int = 0,
            grid: int = 30, *,
            phases: Sequence[str] | None = None, scoring: ScoringSettings | None = None,
            automaton: AutomatonSettings | None = None, thermo: Any = None, kd: Any = None,
            cache: PredictionCache | bool | None = True, progress: bool = False,
            recipe: str | None = None, nist: bool = False,
            cancel: Callable[[], bool] | None = None) -> PredictionDoc:
    """Predict phase fractions for ``precursors`` (formula -> molar ratio) over ``profile``.

    ``profile`` is a list of (temperature K, duration) steps; one duration unit is
    ``automaton.sweeps_per_unit`` sweeps (default 1). G_f(T) comes from MP + Bartel for every
    solid; ``nist`` prefers NIST-JANAF where it has data (ignored with a custom ``thermo``).
    Where the K_D data has standard errors each realisation draws its own K_D
    (``scoring.kd_sampling``), so the spread includes transport uncertainty. ``cache=True`` uses
    the ``predictions``
    store of the default store configuration (``$IONFLUX_STORE`` or the embedded ``local`` store
    in ``./ionflux-data``); pass a PredictionCache to use another, or False/None to skip
    caching (then the reaction tables are computed afresh too; with a cache they are reused
    from :mod:`ionflux.ca.table_cache` when only the molar ratio, grid or automaton settings
    differ). Custom ``thermo``/``kd`` objects without a ``data_version`` are never cached.
    ``cancel()`` is asked before the reactions are scored and between automaton chunks; when it
    returns True the run stops with :class:`PredictionCancelled` (the web API uses it for
    requests whose clients have all gone).
    """
    t_start = time.perf_counter()
    if mode not in SCORE_MODES:
        raise InputError(f"unknown mode {mode!r}; use one of {', '.join(SCORE_MODES)}")
    if not isinstance(realisations, int) or realisations < 1:
        raise InputError(f"realisations must be a positive integer, got {realisations!r}")
    if not isinstance(grid, int) or grid < 3:
        raise InputError(f"grid must be an integer >= 3, got {grid!r}")
    if not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    scoring = scoring or ScoringSettings()
    automaton = automaton or AutomatonSettings()
    steps = parse_profile(profile)
    ratios = _normalise_precursors(precursors)
    system = chemical_system(list(ratios))
    default_kd = kd is None
    if thermo is None:
        thermo = load_thermo(system, nist)
    nist_used = bool(getattr(thermo, "prefer_experimental", False))
    for formula in ratios:
        try:
            thermo.composition(formula)
        except DataNotFoundError as exc:
            raise DataNotFoundError(f"unknown precursor {formula}: {exc}") from None
    # cheap checks first: nothing slow (K_D) runs for a request that cannot be served
    check_size(steps, grid ** 3, realisations, automaton)
    cell_counts(list(ratios), list(ratios.values()),
                [phase_molar_volume_A3(thermo, f) for f in ratios],
                grid ** 3, automaton.min_cells_per_precursor)
    candidates = (check_formulas(phases) if phases is not None
                  else default_phases(list(ratios), thermo, system))
    candidates = list(ratios) + [p for p in dict.fromkeys(candidates) if p not in ratios]
    inputs = PredictionInputs(
        system=system, precursors=ratios, profile=steps, mode=mode, realisations=realisations,
        seed=seed, grid=grid, phases=candidates, recipe=recipe,
        scoring=scoring.model_dump(mode="json"), automaton=automaton.model_dump(mode="json"),
        thermo_source="NIST-JANAF+MP+Bartel" if nist_used else "MP+Bartel",
        engine_version=CA_ENGINE_VERSION)
    version = data_version(system, mode, thermo, kd, default_kd)
    store: PredictionCache | None
    if cache is True:
        store = StoreCache.open()
    elif cache is False or cache is None:
        store = None
    else:
        store = cache
    key = prediction_key(inputs, version or "unversioned")
    if store is not None and version is not None:
        hit = store.get(key)
        if hit is not None:
            try:
                doc = PredictionDoc.model_validate(hit)
            except ValueError:
                doc = None  # stale layout: recompute
            if doc is not None:
                return doc.model_copy(update={"from_cache": True})
    check_cancelled(cancel)
    warnings: list[str] = []
    if version is None:
        warnings.append("custom thermo/K_D sources without a data_version: not cached")
    temps = [t for t, _ in steps]
    thermo_model = error_model(scoring)
    # the reaction tables (ionflux.ca.table_cache) are reused wherever predictions are cached
    tables_cache = (ReactionTableCache.default() if version is not None and store is not None
                    else None)
    tables_key = ReactionTableCache.key({
        "data_version": version, "precursors": list(ratios), "temperatures_K": temps,
        **inputs.model_dump(mode="json", include={
            "system", "mode", "realisations", "seed", "phases", "scoring", "thermo_source",
            "engine_version"})})
    prepared = None if tables_cache is None else tables_cache.load(tables_key)
    if prepared is None:
        if mode != "thermo-only" and kd is None:
            # after the cache look-ups: building the K_D table is slow
            kd = load_kd(system, nist_used)
        with _status(progress, f"scoring reactions among {len(candidates)} phases"
                     + ("" if mode == "thermo-only" else " (K_D from transport data; the first "
                        "query of a session computes the driving forces)")):
            prepared = prepare_tables(list(ratios), temps, candidates, thermo, kd, mode, scoring,
                                      realisations, seed, thermo_model)
        if tables_cache is not None:
            tables_cache.store(tables_key, prepared)
    warnings.extend(prepared.warnings)
    infos, reactions, scored, hull = (prepared.infos, prepared.reactions, prepared.scored,
                                      prepared.hull)
    sampled, kd_uncertainty = prepared.sampled, prepared.kd_uncertainty
    table, tables = prepared.tables()
    thermo_uncertainty = (
        "off: every realisation uses the mean G_f(T)" if thermo_model is None else
        f"each realisation draws G_delta errors (ionflux.thermo.uncertainty): "
        f"{1000 * thermo_model.own_sigma(1000.0):.0f}/"
        f"{1000 * thermo_model.own_sigma(1500.0):.0f} meV/atom at 1000/1500 K move "
        "reaction energies (shared fraction "
        f"{thermo_model.shared_fraction:g} of {1000 * thermo_model.sigma(1800.0):.0f} "
        "meV/atom at 1800 K cancels)")
    if not sampled["K_D"] and mode != "thermo-only":
        warnings.append(f"K_D uncertainty: {kd_uncertainty}")
    model = model_description(mode, scoring, automaton, thermo, infos, kd_uncertainty)
    model["thermo_uncertainty"] = thermo_uncertainty
    if prepared.time_axis and mode != "thermo-only":
        model["transport_time_axis"] = prepared.time_axis
    if prepared.arrhenius and mode != "thermo-only":
        model["transport_arrhenius"] = prepared.arrhenius
    from ionflux.ca.automaton import plan_profile, run_automaton

    plan = plan_profile(table, steps, grid ** 3, automaton)
    label = f"{recipe or 'predict'} {mode}"
    t_automaton = time.perf_counter()
    check_cancelled(cancel)
    with progress_bar(plan.total_updates * realisations, progress, label, automaton) as tick:
        result = run_automaton(table, ratios, steps, grid=grid, realisations=realisations,
                               seed=seed, settings=automaton,
                               on_updates=with_cancel(tick, cancel), tables=tables)
    t_end = time.perf_counter()
    groups = independent_draws(realisations, sampled)
    uncertainty = {"sampled": sampled, "layout": "blocks of 4 crossing 2 thermodynamic x 2 "
                                                 "K_D draws" if realisations % 4 == 0 else
                   "own draws per realisation",
                   "independent_draws": len(set(groups)),
                   **attribute_spread(result, list(ratios), realisations, sampled)}
    doc = _document(inputs, key, version or "unversioned", result, table, reactions, scored,
                    warnings, runtime_s=t_end - t_start, automaton_s=t_end - t_automaton,
                    model=model, hull=hull, uncertainty=uncertainty, groups=groups)
    if store is not None and version is not None:
        store.put(key, doc.model_dump(mode="json"))
    return doc


def run_recipes(recipes: Sequence[str] = ("R1", "R2", "R3", "R4"),
                modes: Sequence[str] = ("full", "thermo-only"),
                realisations: int = DEFAULT_REALISATIONS,
                seed: int = 0, grid: int = 30, progress: bool = True,
                cache: PredictionCache | bool | None = True,
                scoring: ScoringSettings | None = None,
                automaton: AutomatonSettings | None = None,
                kd: Any = None, nist: bool = False) -> list[PredictionDoc]:
    """Run the SCIENCE.md §6 recipes in every mode; one document per (recipe, mode).

    ``kd`` is the K_D source of the transport modes (default: the bundled published table).
    """
    from ionflux.ca.recipes import get_recipe

    docs = []
    for name in recipes:
        recipe = get_recipe(name)
        for mode in modes:
            docs.append(predict(recipe.precursors, recipe.profile, mode=mode,
                                realisations=realisations, seed=seed, grid=grid,
                                scoring=scoring, automaton=automaton, cache=cache,
                                progress=progress, recipe=recipe.name, nist=nist,
                                kd=None if mode == "thermo-only" else kd))
    return docs
