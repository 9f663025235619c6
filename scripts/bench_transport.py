"""Benchmark of the Onsager analysis; prints ratios against baselines measured in the same run.

    python scripts/bench_transport.py [--atoms 100] [--frames 50000] [--peer-frames 5000]
                                      [--skip-io] [--skip-peers]

1. Full analysis (unwrap, centre of mass, per-block FFT correlations, window detection, fits,
   jackknife, checks) vs the bare FFT cost: the all-origin MSD of every atom over the whole run,
   which any FFT-based code must pay (goal: ratio <= 2).
2. vs a naive direct sum over time origins, timed on a sample of lags and scaled to the lags the
   analysis evaluates (a full direct sum at 50,000 frames would take hours).
3. vs kinisi and pymatgen-analysis-diffusion for self D, on a shorter run (--peer-frames), since
   both need one pymatgen Structure per frame.
4. Parse speed vs ase.io.read (scripts/bench_io.py).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from ionflux.transport import analyze_trajectories
from ionflux.transport.correlation import direct_displacement_correlation, self_msd_by_group
from ionflux.transport.synthetic import SyntheticSystem


def _system(n_atoms: int) -> SyntheticSystem:
    n = max(1, n_atoms // 5)
    return SyntheticSystem(
        counts={"Ba": n, "Ti": n, "O": n_atoms - 2 * n},
        self_diffusion_A2_fs={"Ba": 2e-5, "Ti": 1.5e-5, "O": 6e-5},
        collective_modes=({"Ba": 1e-3, "Ti": -8e-4},),
        exchange_A2_fs={"Ba": 1e-5})


def _timed(fn, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_core(n_atoms: int, n_frames: int) -> dict[str, float]:
    trajectory = _system(n_atoms).generate(n_frames, seed=1)
    unwrapped = trajectory.unwrap().positions
    groups = np.array([trajectory.elements.index(el) for el in trajectory.species])
    t_full, doc = _timed(lambda: analyze_trajectories([trajectory]), repeat=2)
    t_fft, _ = _timed(lambda: self_msd_by_group(unwrapped, groups, 3, n_frames), repeat=2)

    # Naive: for each lag, average |r(t+m) - r(t)|^2 over every origin and atom.
    n_blocks = 10
    block = n_frames // n_blocks
    lags_needed = n_blocks * (block // 2 + 1)
    sample = np.linspace(1, block // 2, 12).astype(int)
    positions = unwrapped[:block]
    def naive():
        for m in sample:
            for atom in range(n_atoms):
                direct_displacement_correlation(positions[:, atom], positions[:, atom], m + 1)
    t_sample, _ = _timed(naive)
    # direct_displacement_correlation(x, x, m + 1) evaluates lags 0..m; count them all.
    evaluated = float(sum(m + 1 for m in sample))
    t_naive = t_sample / evaluated * lags_needed
    return {"full": t_full, "fft": t_fft, "naive": t_naive,
            "window_start_fs": doc.fit_window_fs[0], "window_end_fs": doc.fit_window_fs[1]}


def bench_peers(n_atoms: int, n_frames: int) -> dict[str, float]:
    from pymatgen.core import Lattice, Structure

    trajectory = _system(n_atoms).generate(n_frames, seed=2)
    window = (trajectory.frame_interval_fs, n_frames // 20 * trajectory.frame_interval_fs)
    t_ours, _ = _timed(lambda: analyze_trajectories([trajectory], window_fs=window))
    lattice = Lattice(trajectory.cells[0])
    structures = [Structure(lattice, trajectory.species, p, coords_are_cartesian=True)
                  for p in trajectory.positions]
    out = {"ours": t_ours}
    try:
        from pymatgen.analysis.diffusion.analyzer import DiffusionAnalyzer

        out["pymatgen-analysis-diffusion"], _ = _timed(lambda: DiffusionAnalyzer.from_structures(
            structures, specie="O", temperature=1500, time_step=1, step_skip=50, smoothed="max"))
    except ImportError:
        pass
    try:
        import ase
        import scipp as sc
        from kinisi.analyze import DiffusionAnalyzer as KinisiAnalyzer

        atoms = [ase.Atoms(trajectory.species, positions=p, cell=trajectory.cells[0], pbc=True)
                 for p in trajectory.positions]

        def run_kinisi():
            # The same lags ionflux fits; kinisi's default (every lag of the run) builds an
            # O(n_lags^2) covariance matrix in Python and takes far longer.
            lags = np.arange(window[0], window[1] + 1, trajectory.frame_interval_fs)
            analyzer = KinisiAnalyzer.from_ase(
                atoms, specie="O", time_step=1.0 * sc.Unit("fs"),
                step_skip=50 * sc.Unit("dimensionless"),
                dt=sc.array(dims=["time interval"], values=lags, unit="fs"), progress=False)
            analyzer.diffusion(start_dt=window[0] * sc.Unit("fs"), progress=False)
        out["kinisi"], _ = _timed(run_kinisi)
    except ImportError:
        pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--atoms", type=int, default=100)
    parser.add_argument("--frames", type=int, default=50_000)
    parser.add_argument("--peer-frames", type=int, default=5_000)
    parser.add_argument("--skip-io", action="store_true")
    parser.add_argument("--skip-peers", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    core = bench_core(args.atoms, args.frames)
    print(f"Onsager analysis, {args.atoms} atoms x {args.frames} frames "
          f"(window {core['window_start_fs']:g}-{core['window_end_fs']:g} fs)")
    print(f"  full analysis / bare all-origin FFT MSD : {core['full'] / core['fft']:.2f}x "
          "(goal <= 2)")
    print(f"  naive direct sum / full analysis        : {core['naive'] / core['full']:.0f}x "
          "(direct sum extrapolated from 12 sampled lags)")
    if not args.skip_peers:
        peers = bench_peers(args.atoms, args.peer_frames)
        print(f"Self diffusion vs peers, {args.atoms} atoms x {args.peer_frames} frames "
              "(peers get ready-made Structure/Atoms objects)")
        for name, seconds in peers.items():
            if name != "ours":
                print(f"  {name} / ionflux full analysis : {seconds / peers['ours']:.1f}x")
    if not args.skip_io:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_io import run_io_benchmark

        io = run_io_benchmark(args.atoms, min(args.frames, 20_000))
        print(f"Parsing, {args.atoms} atoms x {min(args.frames, 20_000)} frames: "
              "ase.io.read / ionflux read_trajectory")
        for name, value in io.items():
            if isinstance(value, dict) and "speedup" in value:
                print(f"  {name}: {value['speedup']:.1f}x")
            elif name.endswith("speedup") or name.startswith("speedup"):
                print(f"  {name}: {value:.1f}x")


if __name__ == "__main__":
    main()
