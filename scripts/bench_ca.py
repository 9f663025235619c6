"""Benchmark the compiled automaton against the pure-Python reference in the same run.

Prints cell updates per second of both engines and their ratio, on the Ba-Ti-O reaction table
(thermodynamics-only scores, so no K_D computation is needed) for BaO + TiO2 at 1400 K:
once with the default inertia weight (most updates are "no reaction", as in real runs) and
once with a small inertia (nearly every update reacts: the expensive path).

    python scripts/bench_ca.py [--grid 30] [--sweeps 20] [--reference-updates 30000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=30)
    parser.add_argument("--sweeps", type=float, default=20.0)
    parser.add_argument("--reference-updates", type=int, default=30_000)
    parser.add_argument("--temperature", type=float, default=1400.0)
    args = parser.parse_args()

    from ionflux.ca.automaton import initial_state
    from ionflux.ca.kernel import neighbour_table, rng_state, run_table_updates
    from ionflux.ca.predict import build_reaction_table, default_phases, load_thermo
    from ionflux.ca.reference import ReferenceAutomaton
    from ionflux.ca.settings import AutomatonSettings, ScoringSettings

    system, precursors = "Ba-Ti-O", {"BaO": 1.0, "TiO2": 1.0}
    thermo = load_thermo(system)
    phases = default_phases(list(precursors), thermo, system)
    table, reactions, _ = build_reaction_table(list(precursors), [args.temperature],
                                               "thermo-only", thermo, None, ScoringSettings(),
                                               phases, [])
    grid = args.grid
    n_cells = grid ** 3
    nbr = neighbour_table(grid)
    print(f"Ba-Ti-O, {len(table.phases)} phases, {len(reactions)} reactions, grid {grid}^3 "
          f"= {n_cells} cells, {args.temperature:g} K, thermo-only scores")

    t0 = time.perf_counter()
    phase, amount = initial_state(table, precursors, grid, np.random.default_rng(0), 1)
    run_table_updates(table, 0, 10, phase, amount, nbr, 1.0, 1.0,
                      np.zeros(len(reactions), np.int64), rng_state(np.random.SeedSequence(0)))
    print(f"first call (compile or load from numba cache): {time.perf_counter() - t0:.2f} s")

    default_inertia = AutomatonSettings().inertia
    for label, inertia in ((f"default inertia {default_inertia:g}", default_inertia),
                           ("inertia 1 (reaction-heavy)", 1.0)):
        phase, amount = initial_state(table, precursors, grid, np.random.default_rng(1), 1)
        ref = ReferenceAutomaton(table, grid, phase.tolist(), amount.tolist(), inertia, 1.0, 1)
        ref.use_temperature(0)
        t0 = time.perf_counter()
        ref.run(args.reference_updates)
        ref_rate = args.reference_updates / (time.perf_counter() - t0)

        events = np.zeros(len(reactions), np.int64)
        rng = rng_state(np.random.SeedSequence(1))
        n_updates = int(args.sweeps * n_cells)
        t0 = time.perf_counter()
        run_table_updates(table, 0, n_updates, phase, amount, nbr, inertia, 1.0, events, rng)
        fast_rate = n_updates / (time.perf_counter() - t0)
        print(f"{label}:")
        print(f"  compiled : {fast_rate:12.3e} cell updates/s ({n_updates} updates, "
              f"{events.sum()} reactions)")
        print(f"  reference: {ref_rate:12.3e} cell updates/s ({args.reference_updates} updates, "
              f"{sum(ref.events)} reactions)")
        print(f"  ratio    : {fast_rate / ref_rate:12.1f} x")


if __name__ == "__main__":
    main()
