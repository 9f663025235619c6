"""Latency of `ionflux` commands as a user meets them, next to their goals.

Every command runs as a fresh process (as typed in a shell). The baseline is
`python -c "import ionflux"`: the fixed cost of starting the interpreter and the package, so a
ratio says how long a command takes in units of that start. Each timed run of a command is
paired with a baseline run right before it (interleaved, so both see the same machine load),
and a row reports the median over --repeat runs of the wall-clock seconds and of the ratio
command / its baseline, and the median CPU seconds (user + system of the child, which load on a
busy machine inflates less than wall clock). Caches start empty (a temporary data folder, thermo
cache folder and driving-force cache), so "cold" rows include building chemical-potential
diagrams and "warm" rows show what the persistent caches give on a rerun; a cold row gets a
fresh driving-force cache and predictions store for every repetition.

Goals (seconds, wall clock): a new prediction from cold (empty driving-force cache) < 1.5 s,
with driving forces cached < 0.7 s, `query transport` < 0.25 s.

This sandbox sets PYTHONDONTWRITEBYTECODE=1, so every process recompiles every module it
imports (~2-4 s for pymatgen and scipy); users have cached bytecode. Without --bytecode every
process compiles from source (PYTHONPYCACHEPREFIX points at an empty folder, so .pyc files that
other runs wrote are not read); --bytecode removes PYTHONDONTWRITEBYTECODE for the baseline and
the commands alike, after one warm-up run that writes the .pyc files.

    python scripts/bench_cli.py [--repeat 3] [--bytecode] [--with-bonds]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

BIN = Path(sys.executable).parent
IONFLUX = str(BIN / "ionflux")


def timed(cmd: list[str], env: dict[str, str], cwd: Path, expect: int | None = 0
          ) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one run of ``cmd``."""
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = os.times()
    if expect is not None and proc.returncode != expect:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode} (expected {expect}):\n"
                         f"{proc.stderr[-2000:]}")
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    return elapsed, cpu


class Row(NamedTuple):
    label: str
    seconds: float  # median wall clock
    ratio: float  # median of command / baseline run just before it
    cpu: float  # median CPU seconds
    goal: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bytecode", action="store_true",
                        help="let Python cache bytecode (unset PYTHONDONTWRITEBYTECODE)")
    parser.add_argument("--with-bonds", action="store_true",
                        help="also time `ionflux plot bonds` (about a minute)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ionflux-bench-cli-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("IONFLUX_")}
    env.update(IONFLUX_DATA_DIR=str(work / "data"), IONFLUX_CACHE_DIR=str(work / "cache"),
               IONFLUX_DRIVING_FORCE_CACHE=str(work / "driving_forces.sqlite"),
               OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    if args.bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        # .pyc files written by earlier runs elsewhere would still be read: look for them in
        # an empty folder, so that every module is compiled from source, as in this sandbox
        env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(work / "no-pyc"))
    n = args.repeat
    baseline_cmd = [sys.executable, "-c", "import ionflux"]
    rows: list[Row] = []
    baselines: list[float] = []

    def measure(label: str, cmd: list[str] | Callable[[int], list[str]], goal: str,
                expect: int | None = 0, repeat: int = n,
                fresh: Callable[[int], dict[str, str]] | None = None) -> None:
        """``repeat`` interleaved pairs (baseline, command); ``cmd(i)`` and ``fresh(i)`` give
        the command and environment of repetition i (cold rows: empty caches every time)."""
        walls, ratios, cpus = [], [], []
        for i in range(repeat):
            run_env = env if fresh is None else fresh(i)
            base, _ = timed(baseline_cmd, run_env, work)
            wall, cpu = timed(cmd(i) if callable(cmd) else cmd, run_env, work, expect)
            baselines.append(base)
            walls.append(wall)
            ratios.append(wall / base)
            cpus.append(cpu)
        row = Row(label, statistics.median(walls), statistics.median(ratios),
                  statistics.median(cpus), goal)
        rows.append(row)
        print(f"  {label}: {row.seconds:.2f} s, {row.ratio:.1f} x baseline, cpu {row.cpu:.2f} s",
              file=sys.stderr, flush=True)

    def cold_env(name: str) -> Callable[[int], dict[str, str]]:
        return lambda i: {**env, "IONFLUX_DRIVING_FORCE_CACHE": str(work / f"{name}{i}.sqlite"),
                          "IONFLUX_DATA_DIR": str(work / f"{name}-data{i}")}

    predict = [IONFLUX, "predict", "--precursors", "BaO=1,TiO2=1", "--profile", "1200K:2h"]
    if args.bytecode:  # one run writes the .pyc files every measured run then reads
        timed(predict, cold_env("warmup")(0), work)

    bad = [IONFLUX, "predict", "--precursors", "Xx2O=1,TiO2=1", "--profile", "1200K:1"]
    measure("predict, unknown precursor -> error", bad, "< 1 s", expect=2)
    measure("kd, unknown precursor -> error", [IONFLUX, "kd", "--precursors", "BaO,Xx2O"],
            "< 1 s", expect=2)
    measure("ionflux --help", [IONFLUX, "--help"], "-")

    chempot = [IONFLUX, "chempot", "distance", "-T", "1250", "BaO", "TiO2"]
    measure("chempot distance, cold", chempot, "-", fresh=cold_env("df_chempot"))
    timed(chempot, env, work)  # fills the shared cache for the warm row
    measure("chempot distance, warm", chempot, "fast on a rerun")
    kd = [IONFLUX, "kd"]
    measure("kd (Ba-Ti-O, 4 T), cold", kd, "-", repeat=1, fresh=cold_env("df_kd"))
    timed(kd, env, work)
    measure("kd (Ba-Ti-O, 4 T), warm", kd, "fast on a rerun")

    measure("predict, cold (empty caches)", predict, "< 1.5 s", fresh=cold_env("df_predict"))
    # driving forces cached, prediction new: each repetition asks for another molar ratio
    timed(predict, env, work)
    others = [[IONFLUX, "predict", "--precursors", f"BaO=1,TiO2={k + 2}", "--profile",
               "1200K:2h"] for k in range(n)]
    measure("predict, new request (driving forces cached)", others.__getitem__, "< 0.7 s")
    measure("predict, repeated request", others[0], "< 1 s")

    subprocess.run([IONFLUX, "transport", "import", "Ba-Ti-O", "--store", "local"], env=env,
                   cwd=work, check=True, capture_output=True)
    query = [IONFLUX, "query", "transport", "--formula", "BaTiO3", "--temperature", "1500"]
    measure("query transport (local store)", query, "< 0.25 s")

    traj = work / "t100.extxyz"
    subprocess.run([IONFLUX, "transport", "synthetic", str(traj), "--frames", "2000",
                    "--formula-units", "20", "--replicates", "1"], env=env, cwd=work,
                   check=True, capture_output=True)
    analyze = [IONFLUX, "transport", "analyze", str(traj), "--window-fs", "1000", "5000",
               "--json"]
    measure("transport analyze 100 atoms x 2,000 frames, first", analyze, "-", repeat=1)
    measure("transport analyze 100 atoms x 2,000 frames, again", analyze,
            "compiled kernels cached")
    if args.with_bonds:
        measure("plot bonds (5 frames per cell)",
                [IONFLUX, "plot", "bonds", "--out", str(work / "bonds.png")], "progress bar",
                repeat=1)

    print(f"\nbaseline `python -c \"import ionflux\"`: median {statistics.median(baselines):.3f} s "
          f"over {len(baselines)} runs interleaved with the commands (bytecode "
          f"{'cached' if args.bytecode else 'not cached, as in this sandbox'}); "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<52} {'seconds':>8} {'x baseline':>11} {'cpu s':>6}  goal")
    for row in rows:
        print(f"{row.label:<52} {row.seconds:>8.2f} {row.ratio:>11.1f} {row.cpu:>6.2f}  "
              f"{row.goal}")


if __name__ == "__main__":
    main()
