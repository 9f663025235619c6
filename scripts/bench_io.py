"""Benchmark: ionflux.io.read_trajectory against ase.io.read on the same files.

Writes an extended XYZ file, a LAMMPS text dump (atom lines shuffled within each frame, as
unsorted dumps are) and a VASP XDATCAR of the same random-walk trajectory into a temporary
directory, reads each with both libraries in the same run, checks that the positions agree and
prints the time ratios and ionflux's peak memory in units of the positions array.

Both libraries get the same number of calls (--repeat, best taken). ionflux hashes the file on
a second thread while it parses, so its wall-clock time hides work that its CPU time counts:
both ratios are printed, CPU first. Peak memory is the peak resident set size of a fresh
process reading the file, minus its size just before the read (after imports and a warm-up
read); it includes the memory-mapped file pages the parser touches, which Python's allocator
tracing does not see.

    python scripts/bench_io.py                 # 100 atoms x 20,000 frames
    python scripts/bench_io.py --frames 2000   # quicker

``run_io_benchmark(n_atoms, n_frames)`` returns the numbers as a dict (used by
``scripts/bench_transport.py``).
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import numpy as np

from ionflux.io.trajectory import Trajectory
from ionflux.io.writers import write_extxyz as ionflux_write_extxyz

SPECIES = ("Ba", "Ti", "O")
CELL = np.array([[14.0, 0.0, 0.0], [0.0, 14.5, 0.0], [0.0, 0.0, 15.0]])


def _trajectory(n_atoms: int, n_frames: int, seed: int = 7) -> tuple[np.ndarray, list[str]]:
    """Wrapped random-walk positions (Å) with 0.1 Å steps, and element symbols."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(scale=0.1, size=(n_frames, n_atoms, 3))
    steps[0] = rng.random((n_atoms, 3)) @ CELL
    positions = np.cumsum(steps, axis=0)
    frac = positions @ np.linalg.inv(CELL)
    positions = (frac - np.floor(frac)) @ CELL
    symbols = [SPECIES[i % len(SPECIES)] for i in range(n_atoms)]
    return positions, symbols


def write_extxyz(path: Path, positions: np.ndarray, symbols: list[str], dt_fs: float) -> None:
    trajectory = Trajectory(positions, tuple(symbols), CELL, unwrapped=False,
                            frame_interval_fs=dt_fs)
    ionflux_write_extxyz(path, trajectory, float_format="16.8f")


def write_lammps_dump(path: Path, positions: np.ndarray, symbols: list[str],
                      seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    types = {s: i + 1 for i, s in enumerate(SPECIES)}
    n = len(symbols)
    line = "%d %d %.6f %.6f %.6f\n"
    with open(path, "w") as fh:
        for k, frame in enumerate(positions):
            fh.write(f"ITEM: TIMESTEP\n{k * 100}\nITEM: NUMBER OF ATOMS\n{n}\n"
                     "ITEM: BOX BOUNDS pp pp pp\n"
                     f"0.0 {CELL[0, 0]}\n0.0 {CELL[1, 1]}\n0.0 {CELL[2, 2]}\n"
                     "ITEM: ATOMS id type x y z\n")
            order = rng.permutation(n)
            fh.write("".join(line * n) % tuple(
                v for i in order for v in (i + 1, types[symbols[i]], *frame[i])))


def write_xdatcar(path: Path, positions: np.ndarray, symbols: list[str]) -> None:
    order = np.argsort([SPECIES.index(s) for s in symbols], kind="stable")
    frac = positions[:, order] @ np.linalg.inv(CELL)
    counts = [symbols.count(s) for s in SPECIES]
    line = "  %.8f  %.8f  %.8f\n"
    with open(path, "w") as fh:
        fh.write("bench\n1.0\n" + "".join(f" {a:.6f} {b:.6f} {c:.6f}\n" for a, b, c in CELL))
        fh.write(" ".join(SPECIES) + "\n" + " ".join(map(str, counts)) + "\n")
        for k, frame in enumerate(frac):
            fh.write(f"Direct configuration= {k + 1:6d}\n")
            fh.write("".join(line * len(frame)) % tuple(frame.ravel()))


def _time(fn, repeat: int = 1) -> tuple[float, float, object]:
    """Best wall-clock and best CPU time (s) over ``repeat`` calls, and the last result. CPU time
    (all threads of this process) is less disturbed by other jobs on a shared machine."""
    wall, cpu, result = np.inf, np.inf, None
    for _ in range(repeat):
        result = None
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, result


_RSS_CHILD = """
import json, resource, sys
from ionflux.io import read_trajectory
path, kwargs, warm = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
kwargs = {k: ({int(a): b for a, b in v.items()} if k == "type_map" else v)
          for k, v in kwargs.items()}
read_trajectory(warm, **kwargs)
with open("/proc/self/statm") as fh:
    before = int(fh.read().split()[1]) * resource.getpagesize()
traj = read_trajectory(path, **kwargs)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"before": before, "peak": peak}))
"""


def _peak_rss_bytes(path: Path, kwargs: dict, warm: Path) -> int:
    """Peak RSS growth (bytes) of a fresh process reading ``path``, mapped pages included.

    The peak is ru_maxrss, which also covers the imports and the warm-up read; it is used only
    when above the pre-read size (it is, for any file worth benchmarking)."""
    import json
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(path), json.dumps(kwargs),
                           str(warm)], capture_output=True, text=True, check=True)
    sizes = json.loads(proc.stdout.strip().splitlines()[-1])
    return max(0, sizes["peak"] - sizes["before"])


def run_io_benchmark(n_atoms: int = 100, n_frames: int = 20_000, *, verbose: bool = False,
                     workdir: str | Path | None = None, repeat: int = 1) -> dict:
    """Time ionflux and ASE on the three text formats; return timings, ratios and checks.

    Returns ``{format: {"ionflux_s", "ase_s", "speedup", "ionflux_cpu_s", "ase_cpu_s",
    "cpu_speedup", "max_abs_diff_A", "peak_rss_over_positions", "file_MB"}}`` plus
    ``"n_atoms"``, ``"n_frames"`` and ``"numba_warmup_s"`` (first call: JIT/cache load, not in
    the timings). Both libraries' times are the best of ``repeat`` calls.
    """
    import ase.io

    from ionflux.io import read_trajectory

    positions, symbols = _trajectory(n_atoms, n_frames)
    out: dict = {"n_atoms": n_atoms, "n_frames": n_frames}
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        tmp = Path(tmp)
        files = {"extxyz": tmp / "traj.xyz", "lammps-dump": tmp / "traj.lammpstrj",
                 "xdatcar": tmp / "XDATCAR"}
        write_extxyz(files["extxyz"], positions, symbols, dt_fs=2.0)
        write_lammps_dump(files["lammps-dump"], positions, symbols)
        write_xdatcar(files["xdatcar"], positions, symbols)
        # a three-frame file per format: the first read of a format loads its compiled
        # functions (numba cache), which is not parsing; it is timed apart
        warm = {"extxyz": tmp / "warm.xyz", "lammps-dump": tmp / "warm.lammpstrj",
                "xdatcar": tmp / "warm_XDATCAR"}
        write_extxyz(warm["extxyz"], positions[:3], symbols, dt_fs=2.0)
        write_lammps_dump(warm["lammps-dump"], positions[:3], symbols)
        write_xdatcar(warm["xdatcar"], positions[:3], symbols)
        ase_formats = {"extxyz": "extxyz", "lammps-dump": "lammps-dump-text",
                       "xdatcar": "vasp-xdatcar"}
        type_map = {i + 1: s for i, s in enumerate(SPECIES)}
        out["numba_warmup_s"] = 0.0
        for fmt, path in files.items():
            kwargs = {"type_map": type_map} if fmt == "lammps-dump" else {}
            out["numba_warmup_s"] += _time(lambda w=warm[fmt], kw=kwargs: read_trajectory(
                w, **kw))[0]
            t_ion, c_ion, traj = _time(lambda p=path, kw=kwargs: read_trajectory(p, **kw),
                                       repeat=repeat)
            peak = _peak_rss_bytes(path, kwargs, warm[fmt])
            t_ase, c_ase, images = _time(lambda p=path, f=fmt: ase.io.read(
                p, index=":", format=ase_formats[f]), repeat=repeat)
            ase_pos = np.stack([a.positions for a in images])
            diff = float(np.abs(traj.positions - ase_pos).max())
            out[fmt] = {"ionflux_s": t_ion, "ase_s": t_ase, "speedup": t_ase / t_ion,
                        "ionflux_cpu_s": c_ion, "ase_cpu_s": c_ase, "cpu_speedup": c_ase / c_ion,
                        "max_abs_diff_A": diff,
                        "peak_rss_over_positions": peak / traj.positions.nbytes,
                        "file_MB": path.stat().st_size / 1e6}
            if verbose:
                r = out[fmt]
                print(f"{fmt:12s} {r['file_MB']:7.1f} MB | cpu: ionflux {c_ion:6.3f} s, ase "
                      f"{c_ase:7.2f} s, {r['cpu_speedup']:5.1f}x | wall: ionflux {t_ion:6.3f} s, "
                      f"ase {t_ase:7.2f} s, {r['speedup']:5.1f}x | max|diff| {diff:.1e} Å | "
                      f"peak RSS {r['peak_rss_over_positions']:.2f}x positions", flush=True)
            del traj, images, ase_pos
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--atoms", type=int, default=100)
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=1,
                        help="calls per format and library (best taken)")
    args = parser.parse_args()
    print(f"{args.atoms} atoms x {args.frames} frames (both: best of {args.repeat} call(s))")
    result = run_io_benchmark(args.atoms, args.frames, verbose=True, repeat=args.repeat)
    print(f"(numba warm-up / cache load on first call: {result['numba_warmup_s']:.2f} s, "
          "not included)")


if __name__ == "__main__":
    main()
