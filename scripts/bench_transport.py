"""Benchmark of the Onsager analysis; prints ratios against baselines measured in the same run.

    python scripts/bench_transport.py [--atoms 100] [--frames 50000] [--peer-frames 5000]
                                      [--repeat 3] [--skip-io] [--skip-peers]

Every timing is the best of --repeat runs, the same for the analysis and its baselines.

1. Full analysis (unwrap, centre of mass, per-block FFT self and collective correlations,
   window detection, fits, jackknife, checks) vs the FFT work it cannot avoid, done the way the
   analysis does it: the per-atom self MSD by FFT in each of the 10 blocks, lags up to half a
   block, on already unwrapped positions (goal: ratio <= 2). A second row adds the collective
   FFT of the species sums: all FFT work of the analysis, so the ratio shows what the rest
   (unwrapping, centre of mass, window, fits, jackknife) costs.
2. vs a direct sum over time origins, vectorised over atoms and origins with numpy (one array
   operation per lag): every lag 0..block/2 of one block is timed, times the 10 equal blocks.
3. vs peers on a shorter run (--peer-frames; both need one Structure/Atoms per frame):
   kinisi's MSD step (``from_ase`` on ionflux's lag window; its Bayesian ``diffusion()``
   sampling is timed separately, it is extra work ionflux does not do) and
   pymatgen-analysis-diffusion (``DiffusionAnalyzer``, which evaluates its own lag set, every
   lag with ``smoothed="max"``: not the same work, listed for scale only).
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
from ionflux.transport.correlation import collective_correlation, self_msd_by_group
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


def _direct_block_msd(positions: np.ndarray, groups: np.ndarray, n_groups: int,
                      n_lags: int) -> np.ndarray:
    """Per-group summed MSD of one block by the direct sum over origins, vectorised over atoms
    and origins (one numpy pass per lag)."""
    out = np.zeros((n_lags, n_groups))
    onehot = np.eye(n_groups)[groups]  # (atoms, groups)
    for m in range(1, n_lags):
        d = positions[m:] - positions[:-m]
        per_atom = np.einsum("tac,tac->a", d, d) / (len(positions) - m)
        out[m] = per_atom @ onehot
    return out


def bench_core(n_atoms: int, n_frames: int, repeat: int) -> dict[str, float]:
    trajectory = _system(n_atoms).generate(n_frames, seed=1)
    unwrapped = trajectory.unwrap().positions
    groups = np.array([trajectory.elements.index(el) for el in trajectory.species])
    n_groups = len(trajectory.elements)
    n_blocks = 10
    block = n_frames // n_blocks
    n_lags = block // 2 + 1
    blocks = [unwrapped[b * block:(b + 1) * block] for b in range(n_blocks)]

    def fft_self():
        return [self_msd_by_group(p, groups, n_groups, n_lags) for p in blocks]

    def fft_all():
        for p in blocks:
            self_msd_by_group(p, groups, n_groups, n_lags)
            summed = np.stack([p[:, groups == k].sum(axis=1) for k in range(n_groups)], axis=1)
            collective_correlation(summed, n_lags)

    t_full, doc = _timed(lambda: analyze_trajectories([trajectory]), repeat)
    t_fft, fft_curves = _timed(fft_self, repeat)
    t_fft_all, _ = _timed(fft_all, repeat)
    t_direct_block, direct = _timed(
        lambda: _direct_block_msd(blocks[0], groups, n_groups, n_lags), repeat)
    # the two baselines compute the same numbers
    assert np.allclose(direct, fft_curves[0], rtol=1e-6, atol=1e-8)
    return {"full": t_full, "fft": t_fft, "fft_all": t_fft_all,
            "direct": t_direct_block * n_blocks,
            "window_start_fs": doc.fit_window_fs[0], "window_end_fs": doc.fit_window_fs[1]}


def bench_peers(n_atoms: int, n_frames: int, repeat: int) -> dict[str, float]:
    from pymatgen.core import Lattice, Structure

    trajectory = _system(n_atoms).generate(n_frames, seed=2)
    window = (trajectory.frame_interval_fs, n_frames // 20 * trajectory.frame_interval_fs)
    t_ours, _ = _timed(lambda: analyze_trajectories([trajectory], window_fs=window), repeat)
    lattice = Lattice(trajectory.cells[0])
    structures = [Structure(lattice, trajectory.species, p, coords_are_cartesian=True)
                  for p in trajectory.positions]
    out = {"ours": t_ours}
    from pymatgen.analysis.diffusion.analyzer import DiffusionAnalyzer

    out["pymatgen-analysis-diffusion (own lag set)"], _ = _timed(
        lambda: DiffusionAnalyzer.from_structures(structures, specie="O", temperature=1500,
                                                  time_step=1, step_skip=50, smoothed="max"),
        repeat)
    import ase
    import scipp as sc
    from kinisi.analyze import DiffusionAnalyzer as KinisiAnalyzer

    atoms = [ase.Atoms(trajectory.species, positions=p, cell=trajectory.cells[0], pbc=True)
             for p in trajectory.positions]
    # the same lags ionflux fits (kinisi's default, every lag of the run, is far more work)
    lags = np.arange(window[0], window[1] + 1, trajectory.frame_interval_fs)

    def kinisi_msd():
        return KinisiAnalyzer.from_ase(
            atoms, specie="O", time_step=1.0 * sc.Unit("fs"),
            step_skip=50 * sc.Unit("dimensionless"),
            dt=sc.array(dims=["time interval"], values=lags, unit="fs"), progress=False)

    out["kinisi MSD (same lags)"], analyzer = _timed(kinisi_msd, repeat)
    out["kinisi diffusion() sampling, extra"], _ = _timed(
        lambda: analyzer.diffusion(start_dt=window[0] * sc.Unit("fs"), progress=False))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--atoms", type=int, default=100)
    parser.add_argument("--frames", type=int, default=50_000)
    parser.add_argument("--peer-frames", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-io", action="store_true")
    parser.add_argument("--skip-peers", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    core = bench_core(args.atoms, args.frames, args.repeat)
    print(f"Onsager analysis, {args.atoms} atoms x {args.frames} frames "
          f"(window {core['window_start_fs']:g}-{core['window_end_fs']:g} fs; best of "
          f"{args.repeat})")
    print(f"  full analysis {core['full']:.2f} s")
    print(f"  full / blocked self-MSD FFT ({core['fft']:.2f} s)          : "
          f"{core['full'] / core['fft']:.2f}x (goal <= 2)")
    print(f"  full / all FFT work, self + collective ({core['fft_all']:.2f} s): "
          f"{core['full'] / core['fft_all']:.2f}x")
    print(f"  vectorised direct sum ({core['direct']:.1f} s) / full analysis  : "
          f"{core['direct'] / core['full']:.0f}x")
    if not args.skip_peers:
        peers = bench_peers(args.atoms, args.peer_frames, args.repeat)
        print(f"Self diffusion vs peers, {args.atoms} atoms x {args.peer_frames} frames "
              f"(ionflux full analysis {peers['ours']:.2f} s; peers get ready-made "
              "Structure/Atoms objects)")
        for name, seconds in peers.items():
            if name != "ours":
                print(f"  {name}: {seconds:.2f} s, {seconds / peers['ours']:.1f}x ionflux")
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
