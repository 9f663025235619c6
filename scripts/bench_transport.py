"""Benchmark of the Onsager analysis against the FFT work it cannot avoid, and against peers.

    nice python scripts/bench_transport.py [--sizes 100x50000,400x20000] [--repeat 5]
                                           [--direct-repeat 1] [--peer-frames 5000]
                                           [--skip-peers] [--skip-direct]

Everything runs on one thread (--threads), sides interleaved, ``--repeat`` repetitions;
printed are the min and median of the per-repetition time ratios.

1. The full analysis (``analyze_trajectories``, default estimator, 10 blocks: unwrap, centre
   of mass, per-block self and collective correlations, window, fits, jackknife, checks) on
   the wrapped trajectory, and on the same trajectory already unwrapped, against
   - the blocked self-MSD FFT of the same 10 blocks of unwrapped positions, lags up to half a
     block, written here independently and vectorised (one real FFT over all atoms and axes
     of a block; the per-group sums by one matrix product): the work the analysis cannot avoid;
   - the same plus the collective correlations of the species sums in each block: all the
     FFT work of the analysis, so the ratio shows what the rest costs.
   The baseline is checked against ``self_msd_by_group`` and a direct sum before timing.
2. A direct sum over time origins (vectorised over atoms and origins, one numpy pass per lag),
   every lag 0..block/2 of one block, times the 10 blocks.
3. Peers on --peer-frames frames, all given the same unwrapped positions (nobody is timed on
   parsing or unwrapping): kinisi's MSD step (``calculate_msd`` on ionflux's lag window; its
   Bayesian sampling is extra work and not timed) and pymatgen-analysis-diffusion
   (``DiffusionAnalyzer`` on the displacements, ``smoothed="max"``: its own lag set, so not
   the same work; listed for scale). Parsing speed is scripts/bench_io.py's.
4. Peak memory of loading and analysing the trajectory in a fresh process (VmHWM growth over
   its imports), as a multiple of the float64 positions array (--skip-memory skips it).
"""

from __future__ import annotations

import argparse
import tempfile
import warnings

import numpy as np
import scipy.fft

from harness import add_arguments, interleave, peak_memory, start

N_BLOCKS = 10


def _system(n_atoms: int):
    from ionflux.transport.synthetic import SyntheticSystem

    n = max(1, n_atoms // 5)
    return SyntheticSystem(
        counts={"Ba": n, "Ti": n, "O": n_atoms - 2 * n},
        self_diffusion_A2_fs={"Ba": 2e-5, "Ti": 1.5e-5, "O": 6e-5},
        collective_modes=({"Ba": 1e-3, "Ti": -8e-4},),
        exchange_A2_fs={"Ba": 1e-5})


def _origin_average(products: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """<[x(t+m) - x(t)].[y(t+m) - y(t)]> over origins t from the per-frame products x.y
    (n_frames, ...) and the FFT cross term sum_t x(t+m).y(t) + x(t).y(t+m) (n_lags, ...)."""
    n, n_lags = len(products), len(cross)
    cumulative = np.concatenate([np.zeros_like(products[:1]), np.cumsum(products, axis=0)])
    lags = np.arange(n_lags)
    counts = (n - lags).reshape(-1, *[1] * (cross.ndim - 1))
    return (cumulative[n] - cumulative[lags] + cumulative[n - lags] - cross) / counts


#: Bytes of the floor's zero-padded buffer (atoms in chunks, as the analysis does): above
#: glibc's largest mmap threshold (32 MB) every call maps and page-faults its buffers afresh,
#: ~10 % slower at 400 atoms x 20,000 frames.
FLOOR_CHUNK_BYTES = 30 * 2**20


def blocked_fft(blocks: list[np.ndarray], onehot: np.ndarray, n_lags: int,
                collective: bool = False) -> list[np.ndarray]:
    """Per block, the summed self MSD of each group (n_lags, groups) in Å^2; with
    ``collective``, also the displacement cross-correlations of the group sums
    (n_lags, groups, groups).

    The fastest honest floor found: each block copied once into a reused zero-padded buffer
    laid out (xyz, atom, frame), so every FFT runs along contiguous rows (the frame-axis FFT of
    the (frame, atom, xyz) array is ~2x slower here), atoms in chunks of at most
    FLOOR_CHUNK_BYTES, and the power spectrum squared in place. No centre-of-mass frame (the
    analysis pays for that) and no centring copy."""
    out = []
    n = len(blocks[0])
    n_atoms = blocks[0].shape[1]
    nfft = scipy.fft.next_fast_len(2 * n, real=True)
    chunk = max(1, min(n_atoms, FLOOR_CHUNK_BYTES // (3 * 8 * nfft)))
    buffer = np.zeros((3, chunk, nfft))
    for block in blocks:
        power = np.zeros((onehot.shape[1], nfft // 2 + 1))
        squares = np.zeros((n, onehot.shape[1]))
        for first in range(0, n_atoms, chunk):
            members = onehot[first:first + chunk]
            rows = buffer[:, :len(members), :n]
            rows[...] = block[:, first:first + len(members)].transpose(2, 1, 0)
            parts = np.fft.rfft(buffer[:, :len(members)], axis=-1).view(np.float64)
            np.square(parts, out=parts)
            total = parts[0]
            total += parts[1]
            total += parts[2]
            summed = members.T @ total
            power += summed[:, 0::2] + summed[:, 1::2]
            squares += np.einsum("cat,cat->at", rows, rows).T @ members
        acf = np.fft.irfft(power, n=nfft, axis=-1)[:, :n_lags].T
        out.append(_origin_average(squares, 2.0 * acf))
        if collective:
            sums = np.einsum("tac,ag->tgc", block, onehot)
            f = scipy.fft.rfft(sums, n=nfft, axis=0)
            cross = scipy.fft.irfft(2.0 * np.einsum("fic,fjc->fij", f.conj(), f).real, n=nfft,
                                    axis=0)[:n_lags]
            out.append(_origin_average(np.einsum("tic,tjc->tij", sums, sums), cross))
    return out


def direct_block_msd(block: np.ndarray, onehot: np.ndarray, n_lags: int) -> np.ndarray:
    """Summed self MSD of each group in one block by the direct sum over origins (Å^2),
    vectorised over atoms and origins (one numpy pass per lag)."""
    out = np.zeros((n_lags, onehot.shape[1]))
    for m in range(1, n_lags):
        d = block[m:] - block[:-m]
        out[m] = np.einsum("tac,tac->a", d, d) / (len(block) - m) @ onehot
    return out


def bench_core(n_atoms: int, n_frames: int, repeat: int, direct_repeat: int) -> None:
    from ionflux.transport import analyze_trajectories
    from ionflux.transport.correlation import self_msd_by_group

    trajectory = _system(n_atoms).generate(n_frames, seed=1)
    unwrapped = trajectory.unwrap()
    positions = unwrapped.positions
    groups = np.array([trajectory.elements.index(el) for el in trajectory.species])
    onehot = np.eye(len(trajectory.elements))[groups]
    block = n_frames // N_BLOCKS
    n_lags = block // 2 + 1
    blocks = [positions[b * block:(b + 1) * block] for b in range(N_BLOCKS)]

    # the same numbers three ways before anything is timed
    ours = self_msd_by_group(blocks[0], groups, onehot.shape[1], n_lags)
    baseline = blocked_fft(blocks[:1], onehot, n_lags)[0]
    assert np.allclose(baseline, ours, rtol=1e-9, atol=1e-9), "FFT baseline differs"
    check = slice(0, min(n_lags, 50))
    assert np.allclose(direct_block_msd(blocks[0][:, :], onehot, check.stop), baseline[check],
                       rtol=1e-9, atol=1e-9), "direct sum differs"

    sides = {
        "analysis": lambda: analyze_trajectories([trajectory]),
        "analysis, unwrapped input": lambda: analyze_trajectories([unwrapped]),
        "self FFT": lambda: blocked_fft(blocks, onehot, n_lags),
        "self + collective FFT": lambda: blocked_fft(blocks, onehot, n_lags, collective=True),
    }
    timings = interleave(sides, repeat, warmup=1)
    doc = timings.results["analysis"]
    assert doc.L == timings.results["analysis, unwrapped input"].L, "unwrapping changed L"
    start_fs, end_fs = doc.fit_window_fs
    print(f"\n{n_atoms} atoms x {n_frames} frames, {N_BLOCKS} blocks of {block}, lags to "
          f"{n_lags - 1}; fit window {start_fs:g}-{end_fs:g} fs; {repeat} repetitions")
    for side in sides:
        print(f"  {side:<28}: {timings.best(side):7.3f} s best, {timings.median(side):7.3f} s "
              f"median (CPU {timings.best(side, 'cpu'):.3f} s best)")
    for side in ("analysis", "analysis, unwrapped input"):
        for base in ("self FFT", "self + collective FFT"):
            print(f"  {side} / {base}: {timings.both_ratios(side, base)}")
    if direct_repeat > 0:
        direct = interleave({"analysis": sides["analysis"],
                             "direct sum, one block": lambda: direct_block_msd(
                                 blocks[0], onehot, n_lags)}, direct_repeat)
        work = {"analysis": N_BLOCKS, "direct sum, one block": 1}
        wall, cpu = (direct.rate_ratio("analysis", "direct sum, one block", work, clock)
                     for clock in ("wall", "cpu"))
        print(f"  direct sum over origins ({N_BLOCKS} x "
              f"{direct.best('direct sum, one block'):.2f} s) / analysis: wall "
              f"{wall.median:.3g}x, CPU {cpu.median:.3g}x (median of {wall.n})")


def load_saved(path: str):
    """A trajectory written by :func:`bench_memory` (a peak-memory child's input)."""
    from ionflux.io.trajectory import Trajectory

    with np.load(path) as data:
        return Trajectory(positions=data["positions"], species=tuple(data["species"]),
                          cells=data["cells"], unwrapped=False,
                          frame_interval_fs=float(data["dt"]), temperature_K=float(data["T"]))


def analyse_saved(path: str) -> None:
    """Load and analyse a saved trajectory (a peak-memory child's work)."""
    from ionflux.transport import analyze_trajectories

    analyze_trajectories([load_saved(path)])


def bench_memory(n_atoms: int, n_frames: int, folder: str) -> None:
    """Peak memory of the analysis in a fresh process, against the positions array."""
    trajectory = _system(n_atoms).generate(n_frames, seed=1)
    path = f"{folder}/trajectory_{n_atoms}x{n_frames}.npz"
    np.savez(path, positions=trajectory.positions, cells=trajectory.cells,
             species=np.array(trajectory.species), dt=trajectory.frame_interval_fs,
             T=trajectory.temperature_K)
    array = trajectory.positions.nbytes
    preload = ("ionflux.transport", "ionflux.io.trajectory")
    loaded = peak_memory("bench_transport:load_saved", path, preload=preload)
    analysed = peak_memory("bench_transport:analyse_saved", path, preload=preload)
    print(f"  peak memory (VmHWM growth of a fresh process over its imports): loading "
          f"{loaded.growth_bytes / array:.2f}x, loading + analysis "
          f"{analysed.growth_bytes / array:.2f}x the positions array ({array / 2**20:.0f} MiB)")


def bench_peers(n_atoms: int, n_frames: int, repeat: int) -> None:
    import scipp as sc
    from kinisi.displacement import calculate_msd
    from kinisi.parser import Parser
    from pymatgen.analysis.diffusion.analyzer import DiffusionAnalyzer
    from pymatgen.core import Lattice, Structure

    from ionflux.transport import analyze_trajectories

    trajectory = _system(n_atoms).generate(n_frames, seed=2).unwrap()
    dt = trajectory.frame_interval_fs
    window = (dt, n_frames // 20 * dt)
    positions = trajectory.positions
    oxygen = np.flatnonzero(np.array(trajectory.species) == "O")
    cell = np.asarray(trajectory.cells[0])
    # kinisi: a parser built on the first frames (untimed), then given the same unwrapped
    # displacements of O from frame 0 (its 'obs' axis starts at frame 1)
    lags = np.arange(window[0], window[1] + dt / 2, dt)
    parser = Parser(
        coords=sc.array(dims=["time", "particle", "dimension"],
                        values=positions @ np.linalg.inv(cell) % 1.0),
        latt=sc.array(dims=["time", "row", "column"],
                      values=np.broadcast_to(cell, (n_frames, 3, 3)).copy(), unit="angstrom"),
        time_step=1.0 * sc.Unit("fs"), step_skip=dt * sc.Unit("dimensionless"),
        dt=sc.array(dims=["time interval"], values=lags, unit="fs"),
        specie_indices=sc.array(dims=["particle"], values=oxygen))
    parser.displacements = sc.array(dims=["obs", "particle", "dimension"],
                                    values=positions[1:, oxygen] - positions[0, oxygen],
                                    unit="angstrom")
    structure = Structure(Lattice(cell), trajectory.species, positions[0],
                          coords_are_cartesian=True)
    displacements = np.ascontiguousarray((positions - positions[0]).transpose(1, 0, 2))
    sides = {
        "ionflux analysis": lambda: analyze_trajectories([trajectory], window_fs=window),
        "kinisi MSD (same lags)": lambda: calculate_msd(parser, progress=False),
        "pymatgen-analysis-diffusion (own lag set)": lambda: DiffusionAnalyzer(
            structure, displacements, "O", 1500, time_step=1, step_skip=int(dt),
            smoothed="max"),
    }
    timings = interleave(sides, repeat, warmup=1)
    n_kinisi = timings.results["kinisi MSD (same lags)"]["da"].sizes["time interval"]
    assert n_kinisi == len(lags), (n_kinisi, len(lags))
    print(f"\nself diffusion vs peers, {n_atoms} atoms x {n_frames} frames, lags "
          f"{window[0]:g}-{window[1]:g} fs; the same unwrapped positions for all; "
          f"{repeat} repetitions")
    for side in sides:
        line = f"  {side:<42}: {timings.best(side):7.3f} s best"
        if side != "ionflux analysis":
            line += f"; / ionflux analysis: {timings.both_ratios(side, 'ionflux analysis')}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100x50000",
                        help="comma-separated ATOMSxFRAMES (default 100x50000)")
    parser.add_argument("--peer-frames", type=int, default=5_000)
    parser.add_argument("--peer-atoms", type=int, default=100)
    parser.add_argument("--direct-repeat", type=int, default=1,
                        help="repetitions of the (slow) direct sum; 0 skips it")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    add_arguments(parser, repeat=5)
    args = parser.parse_args()
    start(args, "bench_transport: Onsager analysis vs its FFT floor and peers")
    warnings.filterwarnings("ignore")
    for size in args.sizes.split(","):
        try:
            n_atoms, n_frames = (int(v) for v in size.lower().split("x"))
        except ValueError:
            raise SystemExit(f"error: --sizes wants ATOMSxFRAMES, not {size!r}") from None
        bench_core(n_atoms, n_frames, args.repeat, args.direct_repeat)
        if not args.skip_memory:
            with tempfile.TemporaryDirectory() as folder:
                bench_memory(n_atoms, n_frames, folder)
    if not args.skip_peers:
        bench_peers(args.peer_atoms, args.peer_frames, args.repeat)


if __name__ == "__main__":
    main()
