"""Benchmark: ionflux.io.read_trajectory against ase.io.read on the same files.

Writes an extended XYZ file, a LAMMPS text dump (atom lines shuffled within each frame, as
unsorted dumps are) and a VASP XDATCAR of the same random-walk trajectory into a temporary
directory (``--gzip``: gzip-compressed copies too), reads each with both libraries and checks
that the positions agree. ASE re-inflates a gzip file from its start on every seek (its
extended XYZ and LAMMPS readers seek per frame: 70x slower at 1,000 frames), so for a ``.gz``
file ionflux reads the compressed copy and ASE the uncompressed file, its best case.

CPU time: the two libraries take turns (ionflux, ase, then ase, ionflux, ...), ``--repeat``
pairs per file, and the ratio ase / ionflux of each pair is reported as its min and median
(CPU time of all threads: ionflux hashes the file on a second thread, which wall time hides).

Peak memory: VmHWM (/proc/<pid>/status) of a fresh process per library and file that imports
the library and reads the file once, minus VmHWM of a fresh process that imports it and reads
a three-frame file of the same format (interpreter, imports, compiled code), in units of the
float64 positions array. A fresh process per reading is needed: ``ru_maxrss`` of a child also
counts whatever its parent held when it forked.

    python scripts/bench_io.py                 # 100 atoms x 20,000 frames
    python scripts/bench_io.py --frames 2000 --repeat 1   # quicker

``run_io_benchmark(n_atoms, n_frames)`` returns the numbers as a dict (used by
``scripts/bench_transport.py``).
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ionflux.io.trajectory import Trajectory
from ionflux.io.writers import write_extxyz as ionflux_write_extxyz

SPECIES = ("Ba", "Ti", "O")
CELL = np.array([[14.0, 0.0, 0.0], [0.0, 14.5, 0.0], [0.0, 0.0, 15.0]])
ASE_FORMATS = {"extxyz": "extxyz", "lammps-dump": "lammps-dump-text", "xdatcar": "vasp-xdatcar"}
TYPE_MAP = {i + 1: s for i, s in enumerate(SPECIES)}


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


def _cpu(fn) -> tuple[float, float, object]:
    """CPU time (all threads of this process) and wall time (s) of one call, and its result."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    result = fn()
    return time.process_time() - c0, time.perf_counter() - t0, result


def interleaved(ours, theirs, repeat: int) -> dict:
    """Time ``ours`` and ``theirs`` in turns (the order alternating between pairs) and return
    min/median CPU and wall times and the min/median of the per-pair ratios theirs/ours."""
    rows = []
    result = None
    for k in range(repeat):
        pair = {}
        for name in (("ours", "theirs") if k % 2 == 0 else ("theirs", "ours")):
            cpu, wall, out = _cpu(ours if name == "ours" else theirs)
            pair[name] = (cpu, wall)
            if name == "ours":
                result = out
            del out
        rows.append(pair)
    cpu_ratios = [p["theirs"][0] / p["ours"][0] for p in rows]
    wall_ratios = [p["theirs"][1] / p["ours"][1] for p in rows]
    return {"ours_cpu_s": min(p["ours"][0] for p in rows),
            "theirs_cpu_s": min(p["theirs"][0] for p in rows),
            "ours_wall_s": min(p["ours"][1] for p in rows),
            "theirs_wall_s": min(p["theirs"][1] for p in rows),
            "cpu_ratio_min": min(cpu_ratios), "cpu_ratio_median": float(np.median(cpu_ratios)),
            "wall_ratio_min": min(wall_ratios),
            "wall_ratio_median": float(np.median(wall_ratios)), "result": result}


_PEAK_CHILD = """
import json, sys
reader, path, fmt = sys.argv[1], sys.argv[2], sys.argv[3]
if reader == "ionflux":
    from ionflux.io import read_trajectory
    kwargs = {"type_map": {1: "Ba", 2: "Ti", 3: "O"}} if fmt == "lammps-dump" else {}
    result = read_trajectory(path, **kwargs)
else:
    import ase.io
    result = ase.io.read(path, index=":", format=json.loads(sys.argv[4])[fmt])
with open("/proc/self/status") as fh:
    peak = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM"))
print(json.dumps({"peak": peak}))
"""


def fresh_peak_bytes(reader: str, path: Path, fmt: str) -> int:
    """VmHWM (bytes) of a fresh process that imports ``reader`` ("ionflux" or "ase") and
    reads ``path`` once."""
    proc = subprocess.run([sys.executable, "-c", _PEAK_CHILD, reader, str(path), fmt,
                           json.dumps(ASE_FORMATS)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])["peak"]


def environment() -> str:
    """One line on the machine and versions (ratios depend on both)."""
    import ase

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    return (f"python {platform.python_version()}, numpy {np.__version__}, ase {ase.__version__}, "
            f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
            f"{platform.machine()} {platform.system()}")


def _gzip_copy(path: Path) -> Path:
    out = path.with_name(path.name + ".gz")
    with open(path, "rb") as src, gzip.open(out, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst)
    return out


def run_io_benchmark(n_atoms: int = 100, n_frames: int = 20_000, *, verbose: bool = False,
                     workdir: str | Path | None = None, repeat: int = 3,
                     compressed: bool = False, memory: bool = True) -> dict:
    """Time ionflux and ASE on the three text formats; return timings, ratios and checks.

    Returns ``{name: {...}}`` per file (``extxyz``, ``lammps-dump``, ``xdatcar``, and with
    ``compressed`` the same with ``.gz``): ``cpu_speedup`` (median of the interleaved pairs'
    ase/ionflux CPU ratios), ``cpu_speedup_min``, ``speedup`` (median wall ratio), best
    times ``ionflux_cpu_s``, ``ase_cpu_s``, ``ionflux_s``, ``ase_s``, ``max_abs_diff_A``,
    ``file_MB`` and, with ``memory``, ``ionflux_peak_over_positions`` and
    ``ase_peak_over_positions``; plus ``n_atoms``, ``n_frames``, ``numba_warmup_s`` (first
    call of each format: JIT/cache load, not in the timings) and ``environment``.
    """
    import ase.io

    from ionflux.io import read_trajectory

    positions, symbols = _trajectory(n_atoms, n_frames)
    out: dict = {"n_atoms": n_atoms, "n_frames": n_frames, "environment": environment()}
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        tmp = Path(tmp)
        files = {"extxyz": tmp / "traj.xyz", "lammps-dump": tmp / "traj.lammpstrj",
                 "xdatcar": tmp / "XDATCAR"}
        write_extxyz(files["extxyz"], positions, symbols, dt_fs=2.0)
        write_lammps_dump(files["lammps-dump"], positions, symbols)
        write_xdatcar(files["xdatcar"], positions, symbols)
        # a three-frame file per format: the first read of a format loads its compiled
        # functions (numba cache), which is not parsing; it is timed apart, and it is the
        # baseline of the peak-memory measurement
        warm = {"extxyz": tmp / "warm.xyz", "lammps-dump": tmp / "warm.lammpstrj",
                "xdatcar": tmp / "warm_XDATCAR"}
        write_extxyz(warm["extxyz"], positions[:3], symbols, dt_fs=2.0)
        write_lammps_dump(warm["lammps-dump"], positions[:3], symbols)
        write_xdatcar(warm["xdatcar"], positions[:3], symbols)
        # (name, format, file ionflux reads, file ASE reads)
        runs = [(fmt, fmt, path, path) for fmt, path in files.items()]
        if compressed:
            runs += [(f"{fmt}.gz", fmt, _gzip_copy(path), path) for fmt, path in files.items()]
        out["numba_warmup_s"] = 0.0
        for fmt, path in warm.items():
            kwargs = {"type_map": TYPE_MAP} if fmt == "lammps-dump" else {}
            out["numba_warmup_s"] += _cpu(lambda p=path, kw=kwargs: read_trajectory(
                p, **kw))[1]
        nbytes = positions.nbytes
        for name, fmt, path, ase_path in runs:
            kwargs = {"type_map": TYPE_MAP} if fmt == "lammps-dump" else {}
            timing = interleaved(lambda p=path, kw=kwargs: read_trajectory(p, **kw),
                                 lambda p=ase_path, f=fmt: ase.io.read(p, index=":",
                                                                       format=ASE_FORMATS[f]),
                                 repeat)
            traj = timing.pop("result")
            images = ase.io.read(ase_path, index=":", format=ASE_FORMATS[fmt])
            ase_pos = np.stack([a.positions for a in images])
            diff = float(np.abs(traj.positions - ase_pos).max())
            row = {"ionflux_cpu_s": timing["ours_cpu_s"], "ase_cpu_s": timing["theirs_cpu_s"],
                   "ionflux_s": timing["ours_wall_s"], "ase_s": timing["theirs_wall_s"],
                   "cpu_speedup": timing["cpu_ratio_median"],
                   "cpu_speedup_min": timing["cpu_ratio_min"],
                   "speedup": timing["wall_ratio_median"], "max_abs_diff_A": diff,
                   "file_MB": path.stat().st_size / 1e6}
            del traj, images, ase_pos
            if memory:
                for reader, read_path in (("ionflux", path), ("ase", ase_path)):
                    base = fresh_peak_bytes(reader, warm[fmt], fmt)
                    peak = fresh_peak_bytes(reader, read_path, fmt)
                    row[f"{reader}_peak_over_positions"] = (peak - base) / nbytes
            out[name] = row
            if verbose:
                memory_text = (f" | peak memory: ionflux {row['ionflux_peak_over_positions']:.2f}x,"
                               f" ase {row['ase_peak_over_positions']:.2f}x positions"
                               if memory else "")
                print(f"{name:15s} {row['file_MB']:7.1f} MB | cpu: ionflux "
                      f"{row['ionflux_cpu_s']:6.3f} s, ase {row['ase_cpu_s']:7.2f} s, "
                      f"{row['cpu_speedup']:5.1f}x (min {row['cpu_speedup_min']:.1f}x) | wall "
                      f"{row['speedup']:5.1f}x | max|diff| {diff:.1e} Å{memory_text}",
                      flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--atoms", type=int, default=100)
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved ionflux/ase pairs per file")
    parser.add_argument("--gzip", action="store_true", help="also read gzip-compressed copies")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory processes")
    args = parser.parse_args()
    print(f"{args.atoms} atoms x {args.frames} frames, {args.repeat} interleaved pair(s) per "
          f"file; positions array {args.atoms * args.frames * 24 / 1e6:.1f} MB")
    result = run_io_benchmark(args.atoms, args.frames, verbose=True, repeat=args.repeat,
                              compressed=args.gzip, memory=not args.no_memory)
    print(f"environment: {result['environment']}")
    print(f"(numba warm-up / cache load on first call: {result['numba_warmup_s']:.2f} s, "
          "not included)")


if __name__ == "__main__":
    main()
