"""Latency of `ionflux` commands as a user meets them, next to the goals of issue 11.

Every command runs as a fresh process (as typed in a shell). The baseline, measured in the same
run and the same environment, is `python -c "import ionflux"`: the fixed cost of starting the
interpreter and the package, so a ratio says how much a command adds on top of it. Caches
start empty (a temporary data folder, thermo cache folder and driving-force cache), so "cold"
rows include building chemical-potential diagrams and "warm" rows show what the persistent
caches give on a rerun. Each row is the median of --repeat runs (cold rows run once: a second
run would be warm); the baseline uses the same --repeat.

This sandbox sets PYTHONDONTWRITEBYTECODE=1, so every process recompiles every module it
imports (~2-4 s for pymatgen and scipy); users have cached bytecode. --bytecode removes that
variable for the baseline and the commands alike.

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
from pathlib import Path

BIN = Path(sys.executable).parent
IONFLUX = str(BIN / "ionflux")


def timed(cmd: list[str], env: dict[str, str], cwd: Path, expect: int | None = 0) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if expect is not None and proc.returncode != expect:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode} (expected {expect}):\n"
                         f"{proc.stderr[-2000:]}")
    return elapsed


def median_of(n: int, cmd: list[str], env: dict[str, str], cwd: Path,
              expect: int | None = 0) -> float:
    return statistics.median(timed(cmd, env, cwd, expect) for _ in range(n))


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
    n = args.repeat

    rows: list[tuple[str, float, str]] = []
    baseline = median_of(n, [sys.executable, "-c", "import ionflux"], env, work)

    def row(label: str, seconds: float, goal: str) -> None:
        rows.append((label, seconds, goal))
        print(f"  {label}: {seconds:.2f} s", file=sys.stderr, flush=True)

    bad = [IONFLUX, "predict", "--precursors", "Xx2O=1,TiO2=1", "--profile", "1200K:1"]
    row("predict, unknown precursor -> error", median_of(n, bad, env, work, 2), "< 1 s")
    row("kd, unknown precursor -> error",
        median_of(n, [IONFLUX, "kd", "--precursors", "BaO,Xx2O"], env, work, 2), "< 1 s")
    row("ionflux --help", median_of(n, [IONFLUX, "--help"], env, work), "-")

    chempot = [IONFLUX, "chempot", "distance", "-T", "1250", "BaO", "TiO2"]
    row("chempot distance, cold", timed(chempot, env, work), "-")
    row("chempot distance, warm", median_of(n, chempot, env, work), "fast on a rerun")
    kd = [IONFLUX, "kd"]
    row("kd (Ba-Ti-O, 4 T), cold", timed(kd, env, work), "-")
    row("kd (Ba-Ti-O, 4 T), warm", median_of(n, kd, env, work), "fast on a rerun")

    predict = [IONFLUX, "predict", "--precursors", "BaO=1,TiO2=1", "--profile", "1200K:2h"]
    # a driving-force cache of its own, so that nothing computed above helps this row
    env_cold = {**env, "IONFLUX_DRIVING_FORCE_CACHE": str(work / "df_predict.sqlite")}
    row("predict, cold (empty caches)", timed(predict, env_cold, work), "-")
    env = env_cold  # the next rows rest on what this one cached
    other = [IONFLUX, "predict", "--precursors", "BaO=1,TiO2=2", "--profile", "1200K:2h"]
    row("predict, new request (caches warm)", timed(other, env, work), "< 5 s")
    row("predict, repeated request", median_of(n, other, env, work), "< 1 s")

    traj = work / "t100.extxyz"
    subprocess.run([IONFLUX, "transport", "synthetic", str(traj), "--frames", "2000",
                    "--formula-units", "20", "--replicates", "1"], env=env, cwd=work,
                   check=True, capture_output=True)
    analyze = [IONFLUX, "transport", "analyze", str(traj), "--window-fs", "1000", "5000",
               "--json"]
    row("transport analyze 100 atoms x 2,000 frames, first", timed(analyze, env, work), "-")
    row("transport analyze 100 atoms x 2,000 frames, again", median_of(n, analyze, env, work),
        "compiled kernels cached")
    if args.with_bonds:
        row("plot bonds (5 frames per cell)",
            timed([IONFLUX, "plot", "bonds", "--out", str(work / "bonds.png")], env, work),
            "progress bar")

    print(f"\nbaseline `python -c \"import ionflux\"`: {baseline:.2f} s (median of {n}; "
          f"bytecode {'cached' if args.bytecode else 'not cached, as in this sandbox'})")
    print(f"{'command':<52} {'seconds':>8} {'x baseline':>11}  goal")
    for label, seconds, goal in rows:
        print(f"{label:<52} {seconds:>8.2f} {seconds / baseline:>11.1f}  {goal}")


if __name__ == "__main__":
    main()
