"""Benchmark the compiled automaton against the pure-Python reference engine, same work.

Both engines start from the same initial grid (BaO + TiO2 on the Ba-Ti-O reaction table,
thermodynamics-only scores at 1400 K, swaps off) and make the same number of cell updates
(``--sweeps`` x grid^3), interleaved, ``--repeat`` times, one thread. Printed: cell updates
per second of each (best repetition), and the min and median over repetitions of the speed-up
(reference time / compiled time for the same updates); once with the default inertia weight
(most updates are "no reaction", as in real runs) and once with inertia 1 (nearly every update
reacts: the expensive path). The two engines draw different random numbers, so their reaction
counts are printed side by side, not compared for equality.

    nice python scripts/bench_ca.py [--grid 30] [--sweeps 20] [--repeat 3]
    nice python scripts/bench_ca.py --sweeps 2 --repeat 5      # quick (~1 min)
"""

from __future__ import annotations

import argparse

import numpy as np

from harness import add_arguments, interleave, start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=30)
    parser.add_argument("--sweeps", type=float, default=20.0,
                        help="updates per cell, the same for both engines")
    parser.add_argument("--temperature", type=float, default=1400.0)
    add_arguments(parser, repeat=3)
    args = parser.parse_args()
    start(args, "bench_ca: compiled automaton vs pure-Python reference, same updates")

    from ionflux.ca.automaton import initial_state
    from ionflux.ca.predict import build_reaction_table, default_phases, load_thermo
    from ionflux.ca.reference import ReferenceAutomaton
    from ionflux.ca.settings import AutomatonSettings, ScoringSettings
    from ionflux.ca.updates import neighbour_table, rng_state, run_table_updates

    system, precursors = "Ba-Ti-O", {"BaO": 1.0, "TiO2": 1.0}
    thermo = load_thermo(system)
    phases = default_phases(list(precursors), thermo, system)
    table, reactions, _ = build_reaction_table(list(precursors), [args.temperature],
                                               "thermo-only", thermo, None, ScoringSettings(),
                                               phases, [])
    grid = args.grid
    nbr = neighbour_table(grid)
    n_updates = int(args.sweeps * grid**3)
    print(f"Ba-Ti-O, {len(table.phases)} phases, {len(reactions)} reactions, grid {grid}^3, "
          f"{args.temperature:g} K, thermo-only scores; {n_updates} updates per engine per "
          f"repetition ({args.sweeps:g} sweeps), {args.repeat} repetitions")
    phase0, amount0 = initial_state(table, precursors, grid, np.random.default_rng(1), 1)
    # compile (or load from numba's cache) outside the clock
    run_table_updates(table, 0, 10, phase0.copy(), amount0.copy(), nbr, 1.0, 1.0,
                      np.zeros(len(reactions), np.int64), rng_state(np.random.SeedSequence(0)))

    default_inertia = AutomatonSettings().inertia
    for label, inertia in ((f"default inertia {default_inertia:g}", default_inertia),
                           ("inertia 1 (reaction-heavy)", 1.0)):
        def fresh_compiled(inertia=inertia):
            return (phase0.copy(), amount0.copy(), np.zeros(len(reactions), np.int64))

        def fresh_reference(inertia=inertia):
            ref = ReferenceAutomaton(table, grid, phase0.tolist(), amount0.tolist(), inertia,
                                     1.0, 1)
            ref.use_temperature(0)
            return ref

        def compiled(state, inertia=inertia):
            phase, amount, events = state
            run_table_updates(table, 0, n_updates, phase, amount, nbr, inertia, 1.0, events,
                              rng_state(np.random.SeedSequence(1)))
            return int(events.sum())

        def reference(ref):
            ref.run(n_updates)
            return sum(ref.events)

        timings = interleave({"compiled": compiled, "reference": reference}, args.repeat,
                             setup={"compiled": fresh_compiled, "reference": fresh_reference})
        print(f"{label}:")
        for side in ("compiled", "reference"):
            print(f"  {side:<9}: {n_updates / timings.best(side):10.3e} cell updates/s (best "
                  f"wall), {n_updates / timings.best(side, 'cpu'):10.3e} (best CPU); "
                  f"{timings.results[side] / n_updates:.3f} reactions per update")
        print("  reference time / compiled time: "
              + timings.both_ratios("reference", "compiled"))


if __name__ == "__main__":
    main()
