"""Latency of `ionflux` commands as a user meets them, next to their goals.

Every command runs as a fresh process (as typed in a shell). The baseline is `python -c "import
ionflux"`: the fixed cost of starting the interpreter and the package, so a ratio says how long
a command takes in units of that start. Each timed run of a command is paired with baseline
runs right before and after it (interleaved, so they see the same machine load; the faster of
the two is the pair's baseline), and a row reports the median over --repeat runs of the
wall-clock seconds and of the ratio command / its baseline, and the median CPU seconds (user +
system of the child, which load on a busy machine inflates less than wall clock). Caches start
empty (a temporary data folder, thermo cache folder, driving-force and reaction-table caches),
so "cold" rows include building chemical-potential diagrams and "warm" rows show what the
persistent caches give on a rerun; a cold row gets fresh driving-force and reaction-table
caches and predictions store for every repetition. The compiled automaton kernel (numba's
cache, or ionflux's object file in the cache folder) is built by one untimed run first, as a
user's first prediction on a machine builds it once.

--before SRC also times the ionflux source tree SRC (e.g. an export of main: `git archive main
src | tar -x -C DIR`, then DIR/src) in the same run: each repetition runs baseline and command
of one tree, then of the other, each tree with its own caches, so both see the same load.

Goals (seconds, wall clock): a new prediction from cold (empty driving-force cache) < 1.5 s,
with driving forces cached < 0.7 s, `query transport` < 0.25 s.

This sandbox sets PYTHONDONTWRITEBYTECODE=1, so every process recompiles every module it
imports (~2-4 s for pymatgen and scipy); users have cached bytecode. Without --bytecode every
process compiles from source (PYTHONPYCACHEPREFIX points at an empty folder, so .pyc files that
other runs wrote are not read); --bytecode removes PYTHONDONTWRITEBYTECODE for the baseline and
the commands alike, after one warm-up run that writes the .pyc files.

    python scripts/bench_cli.py [--repeat 3] [--bytecode] [--with-bonds] [--before SRC]
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

from harness import print_environment

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


class Tree(NamedTuple):
    """One ionflux source tree under test, with its own caches."""

    name: str
    env: dict[str, str]
    root: Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bytecode", action="store_true",
                        help="let Python cache bytecode (unset PYTHONDONTWRITEBYTECODE)")
    parser.add_argument("--with-bonds", action="store_true",
                        help="also time `ionflux plot bonds` (about a minute)")
    parser.add_argument("--before", metavar="SRC",
                        help="also time the ionflux source tree SRC (its `src` folder)")
    args = parser.parse_args()

    print_environment("bench_cli: ionflux commands as fresh processes, against `python -c "
                      "\"import ionflux\"`")
    work = Path(tempfile.mkdtemp(prefix="ionflux-bench-cli-"))

    def tree(name: str, src: str | None) -> Tree:
        root = work / name
        env = {k: v for k, v in os.environ.items() if not k.startswith("IONFLUX_")}
        env.update(IONFLUX_DATA_DIR=str(root / "data"), IONFLUX_CACHE_DIR=str(root / "cache"),
                   IONFLUX_DRIVING_FORCE_CACHE=str(root / "driving_forces.sqlite"),
                   IONFLUX_REACTION_TABLE_CACHE=str(root / "reaction_tables.sqlite"),
                   OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
        if src is not None:
            env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
        if args.bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        else:
            # .pyc files written by earlier runs elsewhere would still be read: look for them
            # in an empty folder, so that every module is compiled from source, as here
            env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(root / "no-pyc"))
        root.mkdir()
        return Tree(name, env, root)

    trees = [tree("this", None)]
    if args.before:
        trees.insert(0, tree("before", str(Path(args.before).resolve())))
    n = args.repeat
    baseline_cmd = [sys.executable, "-c", "import ionflux"]
    rows: dict[str, list[Row]] = {t.name: [] for t in trees}
    baselines: list[float] = []

    def measure(label: str, cmd: list[str] | Callable[[int], list[str]], goal: str,
                expect: int | None = 0, repeat: int = n,
                fresh: Callable[[Tree, int], dict[str, str]] | None = None) -> None:
        """``repeat`` interleaved pairs (baseline, command) per tree, the trees' order rotated
        from one repetition to the next; ``cmd(i)`` and ``fresh(tree, i)`` give the command
        and environment of repetition i (cold rows: empty caches every time)."""
        walls, ratios, cpus = ({t.name: [] for t in trees} for _ in range(3))
        for i in range(repeat):
            for t in trees[i % len(trees):] + trees[:i % len(trees)]:
                run_env = t.env if fresh is None else fresh(t, i)
                before, _ = timed(baseline_cmd, run_env, t.root)
                wall, cpu = timed(cmd(i) if callable(cmd) else cmd, run_env, t.root, expect)
                after, _ = timed(baseline_cmd, run_env, t.root)
                # the faster of the baselines around the command: one slow 17 ms start (a
                # cache flush after the command before it) moved a ratio by half between runs
                base = min(before, after)
                baselines.extend((before, after))
                walls[t.name].append(wall)
                ratios[t.name].append(wall / base)
                cpus[t.name].append(cpu)
        for t in trees:
            row = Row(label, statistics.median(walls[t.name]), statistics.median(ratios[t.name]),
                      statistics.median(cpus[t.name]), goal)
            rows[t.name].append(row)
            print(f"  {label} [{t.name}]: {row.seconds:.2f} s, {row.ratio:.1f} x baseline, "
                  f"cpu {row.cpu:.2f} s", file=sys.stderr, flush=True)

    def cold_env(name: str) -> Callable[[Tree, int], dict[str, str]]:
        return lambda t, i: {**t.env,
                             "IONFLUX_DRIVING_FORCE_CACHE": str(t.root / f"{name}{i}.sqlite"),
                             "IONFLUX_REACTION_TABLE_CACHE": str(t.root / f"{name}-rt{i}.sqlite"),
                             "IONFLUX_DATA_DIR": str(t.root / f"{name}-data{i}")}

    def each_tree(cmd: list[str], fresh: Callable[[Tree, int], dict[str, str]] | None = None
                  ) -> None:
        """Run ``cmd`` once per tree, untimed (warm-ups, filling caches)."""
        for t in trees:
            subprocess.run(cmd, env=t.env if fresh is None else fresh(t, 0), cwd=t.root,
                           check=True, capture_output=True)

    predict = [IONFLUX, "predict", "--precursors", "BaO=1,TiO2=1", "--profile", "1200K:2h"]
    # writes the .pyc files (--bytecode) and builds the compiled automaton kernel, as a
    # user's first prediction does once
    each_tree(predict, cold_env("warmup"))

    bad = [IONFLUX, "predict", "--precursors", "Xx2O=1,TiO2=1", "--profile", "1200K:1"]
    measure("predict, unknown precursor -> error", bad, "< 1 s", expect=2)
    measure("kd, unknown precursor -> error", [IONFLUX, "kd", "--precursors", "BaO,Xx2O"],
            "< 1 s", expect=2)
    measure("ionflux --help", [IONFLUX, "--help"], "-")

    chempot = [IONFLUX, "chempot", "distance", "-T", "1250", "BaO", "TiO2"]
    measure("chempot distance, cold", chempot, "-", fresh=cold_env("df_chempot"))
    each_tree(chempot)  # fills the shared cache for the warm row
    measure("chempot distance, warm", chempot, "fast on a rerun")
    kd = [IONFLUX, "kd"]
    measure("kd (Ba-Ti-O, 4 T), cold", kd, "-", repeat=1, fresh=cold_env("df_kd"))
    each_tree(kd)
    measure("kd (Ba-Ti-O, 4 T), warm", kd, "fast on a rerun")

    measure("predict, cold (empty caches)", predict, "< 1.5 s", fresh=cold_env("df_predict"))
    # driving forces cached, prediction new: each repetition asks for another molar ratio
    each_tree(predict)
    others = [[IONFLUX, "predict", "--precursors", f"BaO=1,TiO2={k + 2}", "--profile",
               "1200K:2h"] for k in range(n)]
    measure("predict, new request (driving forces cached)", others.__getitem__, "< 0.7 s")
    measure("predict, repeated request", others[0], "< 1 s")

    each_tree([IONFLUX, "transport", "import", "Ba-Ti-O", "--store", "local"])
    query = [IONFLUX, "query", "transport", "--formula", "BaTiO3", "--temperature", "1500"]
    measure("query transport (local store)", query, "< 0.25 s")

    traj = work / "t100.extxyz"
    subprocess.run([IONFLUX, "transport", "synthetic", str(traj), "--frames", "2000",
                    "--formula-units", "20", "--replicates", "1"], env=trees[-1].env,
                   cwd=work, check=True, capture_output=True)
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
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
          + (f"; trees: before = {args.before}, this = the installed/PYTHONPATH one"
             if args.before else ""))
    head = "".join(f" | {t.name + ': s':>10} {'x base':>7} {'cpu s':>6}" for t in trees)
    print(f"{'command':<52}{head}  goal")
    for k, label in enumerate(r.label for r in rows[trees[0].name]):
        cells = "".join(f" | {rows[t.name][k].seconds:>10.2f} {rows[t.name][k].ratio:>7.1f} "
                        f"{rows[t.name][k].cpu:>6.2f}" for t in trees)
        print(f"{label:<52}{cells}  {rows[trees[0].name][k].goal}")


if __name__ == "__main__":
    main()
