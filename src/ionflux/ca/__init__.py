"""Cellular automaton (CA) for solid-state synthesis outcomes (SCIENCE.md §5-§6).

Layers, each usable alone: :mod:`~ionflux.ca.reactions` (enumeration, free energies),
:mod:`~ionflux.ca.scoring` (scores, three modes), :mod:`~ionflux.ca.table` (numeric reaction
table), :mod:`~ionflux.ca.kernel` (update loop, numba source) and :mod:`~ionflux.ca.updates`
(its machine code, loaded without numba), :mod:`~ionflux.ca.reference` (slow
pure-Python twin for tests), :mod:`~ionflux.ca.automaton` (grid, profile, realisations),
:mod:`~ionflux.ca.request` (cheap validation), :mod:`~ionflux.ca.predict` (query layer),
:mod:`~ionflux.ca.cache`, :mod:`~ionflux.ca.recipes` (R1-R4), :mod:`~ionflux.ca.calibration`
(onset rule for s). The engine needs no thermodynamics: it consumes a
:class:`~ionflux.ca.table.CATable`; thermo and K_D enter through two small protocols
(``reactions.ThermoSource``, ``scoring.KDSource``) that ``ThermoData`` and ``KDTable`` satisfy.

Modelling decisions (where SCIENCE.md or the reference CA, ReactCA = mcgalcode/rxn-ca, leave a
choice, or where we deliberately differ from the reference):

Thermodynamics
  * G_f(T) from one consistent source for every solid by default, MP + Bartel (SCIENCE.md §4);
    NIST-JANAF binaries are opt-in (``nist=True``, ``--nist``) and recorded in the document
    (``inputs.thermo_source``). Mixing them shifted BaO + TiO2 -> BaTiO3 from -0.24 to
    -0.42 eV/atom and over-favoured everything that eats TiO2.
  * Polymorphs: each composition is its observed polymorph with its own enthalpy and volume,
    in G_f(T) and in the cell counts alike (TiO2: rutile, mp-2657; SCIENCE.md §4); loading a
    thermo file audits it (``ionflux thermo audit``). Molar volumes are recorded per phase in
    ``PredictionDoc.model``.
  * Every candidate above the G_f(T) hull at a profile temperature is named in the warnings
    (``ionflux thermo hull`` shows the hull and the uphill reactions). With MP + Bartel and the
    observed polymorphs, BaTi2O5 (mp-3943) lies ~5 meV/atom above BaTiO3 + Ba4Ti13O30 at every
    temperature, and BaTiO3 leaves the hull only above 1660 K (tests/thermo name both).

Reactions
  * Candidate phases: the precursors plus, for Ba-Ti-O, the nine products of SCIENCE §6; for
    other systems every compound of the thermo data that is a non-negative combination of the
    precursors (reachable without an open element). ``phases=`` overrides.
  * Pair reactions ``a A + b B -> c P``: every unordered pair of candidates and every other
    candidate P with a unique balance and positive coefficients (exact rational arithmetic).
    Only single-product pair reactions are enumerated: a pair event involves two cells, which
    can hold the product and the leftover of the excess reactant, not a second product (on a
    pseudo-binary line such as BaO-TiO2 every uniquely balanced pair reaction has one product
    anyway). Decompositions ``a A -> p P + q Q``: every candidate and pair of others.
  * Reaction free energy per atom: (sum over products - sum over reactants of n_fu * atoms per
    fu * G_f per atom) / atoms on one side, i.e. per atom of reactants, as in reaction-network.
    Coefficients are per reduced formula unit.

Scores (SCIENCE §5; constants in :class:`~ionflux.ca.settings.ScoringSettings`)
  * Thermodynamic gate (``thermo_gate``, ionflux.ca.scoring): by default ("second-law") a
    reaction with dG_rxn >= 0 is not offered, and the score falls continuously to zero as
    dG_rxn -> 0 (the erf window rescaled to vanish at dG = 0, sigma1's floor gated by it); far
    downhill it is the score of SCIENCE §5. "reference" keeps the reference CA's rule: (dG*/2)
    sigma2 above 0.01 eV/atom, the plain score (floor included) below it.
  * K_D from ``KDTable.kd_cm2_s(product, T, (A, B), mode)`` in cm^2/s, converted to m^2/s for
    r0 in m; s in 1/s makes K_D/(r0^2 s) dimensionless; kB T in eV. K_D is interpolated by the
    kinetics layer (log K_D linear in 1/T). Profile temperatures outside the K_D table
    (750-1750 K for Ba-Ti-O) are an error by default (``kd_out_of_range='clamp'`` uses the
    nearest tabulated temperature and records a warning); never extrapolated. Full-mode K_D
    below 1000 K rests on the unreliable 750 K cross terms: recorded as a warning.
  * Several products (not produced by our enumeration, supported for custom reactions): the
    reference's rule, K_D = max over products of K_D(p) * nu_p / sum nu.
  * Decompositions have no pair of reactant domains: Delta_mu = 0, so K_D = 0 and x = 0 (the
    gated floor); thermo-only mode scores them like any reaction. Offered only downhill.
  * T_m,reactant = lowest melting point of the reactants (a decomposition: its one reactant).
    A phase without a melting point is an error unless given in ``melting_points_K``; for
    Ba6Ti17O40 (missing from the ML estimates) 2185 K is interpolated between its neighbours on
    the BaO-TiO2 line and recorded as a warning.
  * s (``CALIBRATED_S`` = 1.3e8 1/s) from one physical rule, the reported onset of BaO + TiO2
    at 1100 K: there the transport factor K_D/(r0^2 s kB T) of BaO + TiO2 -> BaTiO3 is one
    (``ionflux.ca.calibration``; no event budget or recipe enters it). Self-only uses the same
    s. scripts/bench_fidelity.py shows how outcomes move with s (x0.1, x10, and a scan).
  * K_D uncertainty: where the K_D documents have standard errors (MD aggregates in the store),
    each realisation draws its own K_D (log-normal, the document's mean and standard error,
    independently per tabulated temperature), so the reported spread includes transport
    uncertainty. The published tensors carry none: the document says the spread is automaton
    noise only.

Automaton
  * Grid: periodic cube of grid^3 cells, six face neighbours (von Neumann, radius 1, as the
    reference's LiquidSwapController). Every cell is one powder particle of one phase with an
    amount in reduced formula units (per-cell amounts); there are no empty cells.
  * Initial mixture: molar ratio -> volumes with molar volumes (Å^3 per formula unit) -> cell
    counts by largest-remainder rounding -> each precursor's formula units shared equally among
    its cells, so the molar ratio is exact and cells are ~1 nominal volume. A precursor with
    fewer than ``min_cells_per_precursor`` (10) cells is an error ("grid too small"). Cells are
    shuffled with the realisation's generator.
  * Cell mobility (the reference's): a chosen cell first swaps with a random one of its six
    neighbours with probability swap(T/T_m of its phase) = (20x - 18.5)/(2 sqrt((20x - 18.5)^2
    + 1)) + 1/2, and then does nothing else in that update (``cell_swaps``: reference, off, or a
    fixed ``swap_rate``).
  * Update (one random cell, chosen with replacement): offered events are "no reaction" with
    the inertia weight (4: the reference's 2, offered twice), EVERY reaction of the cell's phase
    with EACH of its six neighbours (weight = score; the reference offers only one neighbour
    because of a loop bug), and, when at least one neighbour has the same phase, each
    decomposition of the phase (once per update, as in the reference; the partner is a random
    same-phase neighbour). One event is chosen with probability proportional to weight (a flat
    choice, SCIENCE §5). ``pair_weight='max'`` offers a neighbour pair once, at its largest
    score, then picks its reaction by score (the pair's rate no longer grows with the number of
    enumerated products; shown in the sensitivity table, not the default).
  * Stoichiometry and exact mass balance: the chosen pair reaction runs to the full extent of
    the limiting cell, xi = min(n_A/a, n_B/b). The limiting cell becomes the product with c*xi
    formula units; the other cell keeps its phase with n - b*xi (the leftover reactant stays
    where it was); if both are drained exactly, both become product, shared by consumed volume.
    A decomposition pools the two same-phase cells and turns them into P and Q (which cell
    gets which is a coin flip). Element totals therefore change only by floating-point rounding
    (checked: relative drift ~1e-14, reported per prediction), not on average as in the
    reference.
  * Kinetic weight of big events (the reference's "1/volume" rule): an event whose full extent
    consumes a reactant volume dV larger than ``event_volume`` (1 nominal cell) proceeds with
    probability event_volume/dV, so on average one chosen event consumes at most about one
    cell's worth of reactant, whatever the cell sizes.
  * Time: one profile-duration unit = ``sweeps_per_unit`` sweeps (default 1, as the
    reference); one sweep = N updates for N cells. The paper gives no time scale (its figures
    plot a reaction coordinate), so the event budget is a modelling choice: the presets
    (``ionflux.ca.recipes``) write hours as SWEEPS_PER_HOUR = 10 sweeps, a value fixed before
    the present dynamics were evaluated and not tuned to any recipe; ``sweeps_per_unit`` scales
    every budget (scripts/bench_fidelity.py: x0.3, x3, x10).
  * Reproducibility: one seed -> numpy SeedSequence -> per realisation an independent generator
    for the mixture and a xoshiro256+ state for the compiled update stream; same seed, same
    result bit for bit. Realisations are combined as mean and standard error; the error
    counts realisations that share an input draw as one (``ionflux.ca.spread``).
  * Results: mole fractions of reduced formula units of every phase in all cells (precursors
    included), mean over realisations and standard error over their independent input
    draws, at ~200 recorded times;
    ``PredictionDoc.model`` records every modelling choice above with its value and rule, and
    ``PredictionDoc.hull`` the energy above the hull of every candidate at every profile
    temperature. Cached by a sha256 of all inputs (settings and thermodynamic source included)
    and a data version (thermo file hash, bundled transport tensors hash, engine and ionflux
    versions); custom data sources without a ``data_version`` are never cached. Cheap checks
    (profile, mixture on the grid, run size against ``max_cell_updates``, K_D temperature
    range) run before any K_D computation.
  * Not modelled (the reference has them): melting, regrinding, atmosphere/gas phases, the
    reference's 0.15 nucleation penalty and 1/d^3 distance weights (all neighbours are at
    distance 1), its score cap of 20.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Exports are imported lazily so that ``import ionflux.ca.cache`` (the CLI) stays cheap and
# numba is only loaded when the automaton runs.
_EXPORTS = {
    "AutomatonResult": "automaton", "run_automaton": "automaton",
    "PredictionCache": "cache", "StoreCache": "cache",
    "PredictionDoc": "documents", "PredictionInputs": "documents", "SeriesPoint": "documents",
    "predict": "predict", "run_recipes": "predict",
    "Reaction": "reactions", "enumerate_reactions": "reactions",
    "RECIPES": "recipes", "get_recipe": "recipes",
    "AutomatonSettings": "settings", "ScoringSettings": "settings",
    "CATable": "table", "build_table": "table",
}

__all__ = [
    "RECIPES",
    "AutomatonResult",
    "AutomatonSettings",
    "CATable",
    "PredictionCache",
    "PredictionDoc",
    "PredictionInputs",
    "Reaction",
    "ScoringSettings",
    "SeriesPoint",
    "StoreCache",
    "build_table",
    "enumerate_reactions",
    "get_recipe",
    "predict",
    "run_automaton",
    "run_recipes",
]

if TYPE_CHECKING:  # pragma: no cover
    from ionflux.ca.automaton import AutomatonResult, run_automaton
    from ionflux.ca.cache import PredictionCache, StoreCache
    from ionflux.ca.documents import PredictionDoc, PredictionInputs, SeriesPoint
    from ionflux.ca.predict import predict, run_recipes
    from ionflux.ca.reactions import Reaction, enumerate_reactions
    from ionflux.ca.recipes import RECIPES, get_recipe
    from ionflux.ca.settings import AutomatonSettings, ScoringSettings
    from ionflux.ca.table import CATable, build_table


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
