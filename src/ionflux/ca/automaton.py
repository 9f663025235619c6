"""The cellular automaton: initial powder mixture, heating profile, realisations, statistics.

Consumes only a :class:`~ionflux.ca.table.CATable` (no thermodynamics). Time is counted in
profile-duration units: one unit = ``sweeps_per_unit`` sweeps, one sweep = N random-site updates
for N cells (the reference maps one unit to one sweep, which is the default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ionflux.ca.request import cell_counts, check_size, parse_profile, updates_per_step
from ionflux.ca.settings import AutomatonSettings
from ionflux.ca.spread import clustered_stderr
from ionflux.ca.table import CATable
from ionflux.ca.updates import (
    PhaseTotals,
    TableUpdates,
    neighbour_table,
    rng_state,
    swap_probability,
)
from ionflux.errors import InputError

Engine = Literal["fast", "reference"]

#: Phase index per cell; int16 keeps a 30^3 grid's phases in the CPU's first-level cache.
PHASE_DTYPE = np.int16


def precursor_cells(table: CATable, precursor_moles: Mapping[str, float], n_cells: int,
                    min_cells: int) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Cells per precursor and formula units per cell for a molar ratio on ``n_cells`` cells.

    Molar amounts become volumes with the molar volumes; cell counts are the largest-remainder
    rounding of the volume fractions. Each precursor's formula units are then shared equally
    among its cells so that the molar ratio is exact (cell volumes differ from the nominal cell
    volume only by the rounding). Returns (phase indices, cell counts, formula units per cell).
    """
    if not precursor_moles:
        raise InputError("no precursors given")
    ids, moles = [], []
    for name, amount in precursor_moles.items():
        value = float(amount)
        if not np.isfinite(value) or value <= 0:
            raise InputError(f"precursor {name}: molar ratio {amount!r} must be > 0")
        ids.append(table.index(name))
        moles.append(value)
    if len(set(ids)) != len(ids):
        raise InputError("a precursor is listed twice")
    moles_arr = np.array(moles)
    volumes = moles_arr * table.molar_volume[ids]
    counts = cell_counts([table.phases[i] for i in ids], moles_arr, table.molar_volume[ids],
                         n_cells, min_cells)
    # Total volume = n_cells nominal cells; the nominal cell volume is the unit (1 Å^3 here, an
    # arbitrary choice: only ratios matter, and event_volume is in the same unit).
    scale = n_cells / volumes.sum()
    per_cell = moles_arr * scale / counts
    return ids, counts, per_cell


def initial_state(table: CATable, precursor_moles: Mapping[str, float], grid: int,
                  rng: np.random.Generator, min_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Random mixture: (phase index per cell, formula units per cell), shuffled with ``rng``."""
    if grid < 3:
        raise InputError(f"grid {grid} is too small: the periodic grid needs an edge of at "
                         "least 3 cells")
    if table.n_phases > np.iinfo(PHASE_DTYPE).max:
        raise InputError(f"too many phases ({table.n_phases}) for the automaton")
    n_cells = grid ** 3
    ids, counts, per_cell = precursor_cells(table, precursor_moles, n_cells, min_cells)
    phase = np.repeat(np.array(ids, PHASE_DTYPE), counts)
    amount = np.repeat(per_cell, counts)
    order = rng.permutation(n_cells)
    return phase[order].copy(), amount[order].copy()


@dataclass(frozen=True)
class StepPlan:
    """Update counts per recording chunk for every profile step."""

    t_index: list[int]
    chunks: list[list[int]]
    temperatures_K: list[float]
    durations: list[float]

    @property
    def total_updates(self) -> int:
        return int(sum(sum(c) for c in self.chunks))


def plan_profile(table: CATable, profile: Sequence[tuple[float, float]], n_cells: int,
                 settings: AutomatonSettings) -> StepPlan:
    """Translate durations into updates and split each step into recording chunks."""
    steps = parse_profile(profile)
    updates = updates_per_step(steps, n_cells, settings)
    total = sum(updates)
    t_index, chunks = [], []
    for (t, _), n in zip(steps, updates, strict=True):
        t_index.append(table.temperature_index(t))
        # about series_points records overall, none closer than a tenth of a sweep
        k = max(1, min(round(settings.series_points * n / total), round(10 * n / n_cells)))
        edges = np.linspace(0, n, k + 1).round().astype(np.int64)
        chunks.append([int(v) for v in np.diff(edges) if v > 0])
    return StepPlan(t_index=t_index, chunks=chunks, temperatures_K=[t for t, _ in steps],
                    durations=[d for _, d in steps])


def swap_probabilities(table: CATable, temperature_K: float,
                       settings: AutomatonSettings) -> np.ndarray:
    """Probability (per phase) that an update swaps the chosen cell with a neighbour at T."""
    if settings.cell_swaps == "off":
        return np.zeros(table.n_phases)
    if settings.cell_swaps == "fixed":
        return np.full(table.n_phases, settings.swap_rate)
    return swap_probability(float(temperature_K) / table.melting_point, settings.swap_slope,
                            settings.swap_offset)


@dataclass
class RealisationResult:
    """One run: phase formula units at each record (including t=0), events per reaction."""

    moles: np.ndarray  # (n_records, P)
    events: np.ndarray  # (R,)
    element_drift: float  # max relative change of any element total over the run
    swaps: int = 0  # cell swaps done


@dataclass
class AutomatonResult:
    """All realisations of one request, on a common time axis."""

    phases: tuple[str, ...]
    reaction_labels: tuple[str, ...]
    times: np.ndarray  # (n_records,) in profile-duration units
    temperatures_K: np.ndarray  # (n_records,) temperature of the step that ended at that time
    moles: np.ndarray  # (n_realisations, n_records, P)
    events: np.ndarray  # (n_realisations, R)
    element_drift: float
    cell_updates: int
    swaps: np.ndarray | None = None  # (n_realisations,) cell swaps done

    @property
    def mol_fractions(self) -> np.ndarray:
        """(n_realisations, n_records, P) mole fractions of all phases (formula units)."""
        return self.moles / self.moles.sum(axis=2, keepdims=True)

    def mean_and_stderr(self, groups: Sequence[int] | None = None
                        ) -> tuple[np.ndarray, np.ndarray | None]:
        """Mean over realisations and its standard error over the independent ``groups`` of
        realisations (:func:`ionflux.ca.spread.clustered_stderr`; each realisation its own
        without them); None with fewer than two groups."""
        frac = self.mol_fractions
        return frac.mean(axis=0), clustered_stderr(frac, groups)


def realisation_seeds(seed: int,
                      realisations: int) -> list[tuple[np.random.Generator, np.ndarray]]:
    """Independent (mixture generator, update-stream state) per realisation from one seed."""
    if seed < 0:
        raise InputError(f"seed {seed} must be >= 0")
    out = []
    for child in np.random.SeedSequence(seed).spawn(realisations):
        mixture_seq, update_seq = child.spawn(2)
        out.append((np.random.default_rng(mixture_seq), rng_state(update_seq)))
    return out


def run_realisation(table: CATable, plan: StepPlan, phase: np.ndarray, amount: np.ndarray,
                    grid: int, rng: np.ndarray, settings: AutomatonSettings,
                    engine: Engine = "fast",
                    on_updates: Callable[[int], None] | None = None) -> RealisationResult:
    """Run one realisation from the given initial state (modified in place).

    ``rng`` is the update-stream state (xoshiro256+ words); the reference engine seeds Python's
    ``random`` from it instead.
    """
    n_p = table.n_phases
    events = np.zeros(len(table.labels), np.int64)
    swaps = np.zeros(1, np.int64)
    totals = PhaseTotals(phase, amount, n_p)
    records = [totals()]
    start_totals = table.element_totals(records[0])
    if engine == "fast":
        nbr = neighbour_table(grid)
        rng = rng.copy()
    elif engine == "reference":
        from ionflux.ca.reference import ReferenceAutomaton

        ref = ReferenceAutomaton(table, grid, phase.tolist(), amount.tolist(),
                                 settings.inertia, settings.event_volume, int(rng[0]),
                                 pair_weight=settings.pair_weight)
    else:
        raise InputError(f"unknown engine {engine!r}; use 'fast' or 'reference'")
    for t_index, chunks in zip(plan.t_index, plan.chunks, strict=True):
        swap_p = swap_probabilities(table, table.temperatures_K[t_index], settings)
        if engine == "reference":
            ref.use_temperature(t_index, swap_p.tolist())
        else:
            updates = TableUpdates(table, t_index, phase, amount, nbr, settings.inertia,
                                   settings.event_volume, events, rng, swap_p, swaps,
                                   settings.pair_weight)
        for n in chunks:
            if engine == "fast":
                updates.run(n)
            else:
                ref.run(n)
                phase[:] = ref.phase
                amount[:] = ref.amount
                events[:] = ref.events
                swaps[0] = ref.swaps
            records.append(totals())
            if on_updates is not None:
                on_updates(n)
    moles = np.array(records)
    end_totals = table.element_totals(moles[-1])
    drift = float(np.max(np.abs(end_totals - start_totals) / np.abs(start_totals)))
    return RealisationResult(moles=moles, events=events, element_drift=drift,
                             swaps=int(swaps[0]))


def run_automaton(table: CATable, precursor_moles: Mapping[str, float],
                  profile: Sequence[tuple[float, float]], *, grid: int = 30,
                  realisations: int = 3, seed: int = 0,
                  settings: AutomatonSettings | None = None, engine: Engine = "fast",
                  on_updates: Callable[[int], None] | None = None,
                  tables: Sequence[CATable] | None = None) -> AutomatonResult:
    """Run ``realisations`` independent realisations and collect their phase amounts.

    ``tables`` (one per realisation, same phases and reactions as ``table``) gives each
    realisation its own scores, e.g. K_D drawn from its uncertainty.
    """
    settings = settings or AutomatonSettings()
    if realisations < 1:
        raise InputError(f"realisations must be >= 1, got {realisations}")
    if grid < 3:
        raise InputError(f"grid {grid} is too small: the periodic grid needs an edge of at "
                         "least 3 cells")
    n_cells = grid ** 3
    steps = parse_profile(profile)
    check_size(steps, n_cells, realisations, settings)
    plan = plan_profile(table, steps, n_cells, settings)
    total = plan.total_updates * realisations
    if tables is not None:
        tables = list(tables)
        if len(tables) != realisations or any(
                t.labels != table.labels or t.phases != table.phases for t in tables):
            raise InputError("tables: one table per realisation, with the same phases and "
                             "reactions as the first")
    runs = []
    for i, (mix_rng, stream) in enumerate(realisation_seeds(seed, realisations)):
        own = table if tables is None else tables[i]
        phase, amount = initial_state(own, precursor_moles, grid, mix_rng,
                                      settings.min_cells_per_precursor)
        runs.append(run_realisation(own, plan, phase, amount, grid, stream, settings,
                                    engine=engine, on_updates=on_updates))
    times = [0.0]
    temps = [plan.temperatures_K[0]]
    elapsed = 0.0
    for t, d, chunks in zip(plan.temperatures_K, plan.durations, plan.chunks, strict=True):
        done = 0
        n = sum(chunks)
        for c in chunks:
            done += c
            times.append(elapsed + d * done / n)
            temps.append(t)
        elapsed += d
    return AutomatonResult(
        phases=table.phases, reaction_labels=table.labels, times=np.array(times),
        temperatures_K=np.array(temps), moles=np.array([r.moles for r in runs]),
        events=np.array([r.events for r in runs]),
        element_drift=max(r.element_drift for r in runs), cell_updates=total,
        swaps=np.array([r.swaps for r in runs]))
