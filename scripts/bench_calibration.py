"""Error calibration with many seeds: are the reported standard errors the right size?

The unit tests (tests/transport/test_onsager.py, tests/kinetics/test_kd_error_calibration.py)
use 40 seeds, which can only reject errors that are off by ~40 %. This script repeats the same
analysis over many more seeds of the synthetic BaTiO3-like cell (exactly known L) and prints the
rms of z = (estimate - truth) / stderr for L, L_self and K_D (full, self-only; two driving
forces), next to the band that a correctly sized error gives: the jackknife z follows a t
distribution with blocks - 1 degrees of freedom (``stderr_dof``: 9 for 10 blocks, rms 1.134;
more where the window is fitted on error blocks), divided by the factor the estimator scales
its errors by (``stderr_scale``: sqrt(nu / (nu - 2)) since the estimators scale to the t
variance, so the expected rms is then 1), both read from each document, and the band is the
central 99 % of the rms of as many such draws as there are z values (the draws are
independent, so the band is narrower than the truth if z values within a seed correlate; read
it as a guide, not a test). Errors 30 % too small give rms ~1.4, 30 % too large ~0.77.

    python scripts/bench_calibration.py [--seeds 200] [--frames 4000] [--threads 1]

One thread by default (scripts/harness.py), with the environment printed first.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from harness import add_arguments, start

T_DOF = 9


def band(rng: np.random.Generator, dof: np.ndarray, scale: np.ndarray,
         draws: int = 4000) -> tuple[float, float]:
    """Central 99 % of the rms of independent t(dof[i]) / scale[i] values, one per z value."""
    t = rng.standard_t(dof, size=(draws, dof.size)) / scale
    rms = np.sqrt(np.mean(t**2, axis=1))
    return float(np.quantile(rms, 0.005)), float(np.quantile(rms, 0.995))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--frames", type=int, default=4000)
    add_arguments(parser, repeat=None)
    args = parser.parse_args()
    start(args, "bench_calibration: are the reported standard errors the right size?")

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "kinetics"))
    from test_kd_error_calibration import DRIVING_FORCES, V_FU, _force

    from ionflux.kinetics import compute_kd
    from ionflux.transport import analyze_trajectories
    from ionflux.transport.synthetic import barium_titanate_like

    began = time.perf_counter()
    system = barium_titanate_like(n_formula_units=8)
    truth = system.truth()
    upper = np.triu_indices(3)
    docs = [analyze_trajectories([system.generate(args.frames, seed=1000 + s)])
            for s in range(args.seeds)]
    z: dict[str, list[float]] = {"L (upper triangle)": [], "L_self": []}
    for doc in docs:
        z["L (upper triangle)"] += list(((np.array(doc.L) - truth.L)
                                         / np.array(doc.L_stderr))[upper])
        z["L_self"] += list((np.array(doc.L_self) - truth.L_self) / np.array(doc.L_self_stderr))
    exact = docs[0].model_copy(update={"L": np.asarray(truth.L).tolist(),
                                       "L_self": np.asarray(truth.L_self).tolist()})
    for name, dmu in DRIVING_FORCES.items():
        force = _force(dmu, exact.temperature_K)
        target = compute_kd(exact, force, volume_per_formula_unit_cm3=V_FU, volume_source="t")
        full, self_only = z.setdefault(f"K_D full, {name}", []), z.setdefault(
            f"K_D self-only, {name}", [])
        for doc in docs:
            kd = compute_kd(doc, force, volume_per_formula_unit_cm3=V_FU, volume_source="t")
            full.append((kd.K_D_cm2_s - target.K_D_cm2_s) / kd.K_D_stderr_cm2_s)
            self_only.append((kd.K_D_self_cm2_s - target.K_D_self_cm2_s)
                             / kd.K_D_self_stderr_cm2_s)
    rng = np.random.default_rng(0)
    # each document's error has its own degrees of freedom (error blocks) and scale
    dofs = np.array([d.provenance.method.get("stderr_dof") or T_DOF for d in docs], float)
    scales = np.array([d.provenance.method.get("stderr_scale") or 1.0 for d in docs], float)
    expected = np.sqrt(np.mean(dofs / (dofs - 2) / scales**2))
    print(f"{args.seeds} seeds x {args.frames} frames, 40 atoms "
          f"({time.perf_counter() - began:.0f} s); z ~ t(dof) / stderr_scale with dof "
          f"{dofs.min():g}-{dofs.max():g}, scale {scales.min():.3f}-{scales.max():.3f}: "
          f"expected rms {expected:.3f}")
    print(f"{'quantity':<32} {'n':>5} {'rms z':>7} {'99 % band':>15} {'|z|>3':>7}")
    for name, values in z.items():
        arr = np.asarray(values)
        per_doc = arr.size // len(docs)  # z values are grouped by document
        lo, hi = band(rng, np.repeat(dofs, per_doc), np.repeat(scales, per_doc))
        rms = float(np.sqrt(np.mean(arr**2)))
        flag = "" if lo <= rms <= hi else "  <- outside"
        print(f"{name:<32} {arr.size:>5} {rms:>7.3f} {f'{lo:.3f}-{hi:.3f}':>15} "
              f"{np.mean(np.abs(arr) > 3):>7.3f}{flag}")


if __name__ == "__main__":
    main()
