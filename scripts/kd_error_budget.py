"""K_D error budget of the recipes on our melts: which input makes the spread of a prediction.

Each prediction splits the variance of its headline quantity over its realisations into
thermodynamics, K_D and automaton noise (``uncertainty.variance``, from the crossed blocks of
two thermodynamic x two K_D draws; ionflux.ca.spread). One seed's split scatters, so this runs
R1 and R4 in full mode on our melts (the fidelity bench's "own melts" section: distilled
SevenNet-0 melts, Arrhenius-shifted below 1750 K with the pooled E_a, s by the onset rule) for
several seeds and prints each seed's split (% of its variance) and the split of the summed
variances, which is what docs/fidelity.md quotes.

    python scripts/kd_error_budget.py [--seeds 8] [--realisations 96] [--recipes R1,R4]

Seeds 0..N-1, grid 30: ~10 s per prediction.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

COMPONENTS = ("thermodynamics", "K_D", "automaton")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8, help="seeds 0..N-1")
    parser.add_argument("--realisations", type=int, default=96)
    parser.add_argument("--recipes", default="R1,R4")
    parser.add_argument("--grid", type=int, default=30)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    import bench_fidelity as bench

    run_args = argparse.Namespace(realisations=args.realisations, grid=args.grid)
    print(f"variance split, % ({', '.join(COMPONENTS)}); {args.realisations} realisations, "
          f"full mode, our melts")
    for recipe in args.recipes.split(","):
        rows = []
        for seed in range(args.seeds):
            doc = bench.run(recipe, "full", seed, run_args, bench.MELTS)
            variance = doc.uncertainty["variance"]
            rows.append([variance[c] for c in COMPONENTS])
            leader, chance = max(doc.majority_probability.items(), key=lambda kv: kv[1])
            split = " / ".join(f"{100 * v / sum(rows[-1]):.1f}" for v in rows[-1])
            print(f"{recipe} seed {seed}: {split}  ({doc.uncertainty['quantity']}; largest "
                  f"product {leader} in {chance:.0%} of realisations)")
        total = np.sum(rows, axis=0)
        print(f"{recipe} summed over {args.seeds} seeds: "
              + " / ".join(f"{100 * v / total.sum():.1f}" for v in total))


if __name__ == "__main__":
    main()
