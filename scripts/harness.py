"""The benchmark harness every ``scripts/bench_*.py`` shares.

- :func:`interleave` runs the compared sides once per repetition, in an order rotated every
  repetition, so a change in machine load hits every side alike; :class:`Comparison` gives the
  min and median of the per-repetition ratios (a ratio of two timings taken seconds apart is
  steadier on a busy machine than a ratio of two independent best times), by wall clock or
  by the CPU time of the process (steadier still for one-thread work on a shared machine).
- :func:`peak_memory` runs a function in a fresh Python process and reads the peak resident
  set (``VmHWM`` in ``/proc/<pid>/status``) of that process, before and after the call.
  ``ru_maxrss`` of a child is not used: a forked child starts with its parent's peak.
- :func:`pin_threads` sets BLAS, OpenMP and numba to a given number of threads.
- :func:`print_environment` prints CPU, cores, load average, versions and the thread settings.

Import from a bench with ``from harness import ...`` (the scripts folder is on ``sys.path``
when a script in it runs).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

#: Environment variables that set the thread count of BLAS, OpenMP, numexpr and numba.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS")

#: Distributions whose versions are printed with the environment (read from metadata, so
#: nothing is imported to print them).
DEFAULT_VERSIONS = ("ionflux", "numpy", "scipy", "numba", "pymatgen", "maggma")

_MARKER = "@@harness-peak-memory@@"


# --------------------------------------------------------------------------- threads
def pin_threads(n: int = 1) -> None:
    """Run BLAS, OpenMP and numba on ``n`` threads (child processes inherit it).

    Call it before numpy and numba are imported where possible; libraries already loaded are
    limited at run time through threadpoolctl and ``numba.set_num_threads``.
    """
    if n < 1:
        raise SystemExit(f"error: --threads must be at least 1, not {n}")
    for name in THREAD_VARIABLES:
        os.environ[name] = str(n)
    if "numpy" in sys.modules:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            pass
        else:
            threadpool_limits(n)
    if "numba" in sys.modules:
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


# --------------------------------------------------------------------------- environment
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=Path(__file__).parent, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() or "unknown"


def environment(versions: Sequence[str] = DEFAULT_VERSIONS) -> dict[str, str]:
    """What a timing depends on: CPU, cores, load average, versions and thread settings."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    env = {
        "cpu": _cpu_model(),
        "cores": f"{os.cpu_count()} online, {len(os.sched_getaffinity(0))} usable",
        "load average (1, 5, 15 min)": load,
        "python": f"{platform.python_version()} ({platform.system()} {platform.release()})",
        "commit": _git_commit(),
        "nice": str(os.nice(0)),
    }
    env.update({name: _version(name) for name in versions})
    env["threads"] = " ".join(f"{v}={os.environ.get(v, 'unset')}" for v in THREAD_VARIABLES)
    if "numpy" in sys.modules:
        try:
            from threadpoolctl import threadpool_info
        except ImportError:
            pass
        else:
            pools = [f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info()]
            env["thread pools"] = ", ".join(pools) or "none loaded"
    return env


def print_environment(title: str, versions: Sequence[str] = DEFAULT_VERSIONS) -> None:
    """Print ``title`` and :func:`environment`, one ``key: value`` a line."""
    print(title)
    for key, value in environment(versions).items():
        print(f"  {key}: {value}")
    sys.stdout.flush()


# --------------------------------------------------------------------------- timing
@dataclass(frozen=True)
class RatioStats:
    """Min, median and max of per-repetition ratios (dimensionless)."""

    min: float
    median: float
    max: float
    n: int

    @classmethod
    def of(cls, ratios: Sequence[float]) -> RatioStats:
        if not ratios:
            raise ValueError("no ratios: at least one repetition is needed")
        return cls(min(ratios), statistics.median(ratios), max(ratios), len(ratios))

    def __str__(self) -> str:
        return f"{self.min:.3g}x min, {self.median:.3g}x median (n={self.n})"


@dataclass
class Comparison:
    """Seconds of every side in every repetition (wall clock, and CPU time of this process:
    on a busy machine a one-thread side's CPU time is the steadier of the two), and each
    side's result of the last repetition."""

    seconds: dict[str, list[float]]
    results: dict[str, object] = field(default_factory=dict)
    cpu_seconds: dict[str, list[float]] = field(default_factory=dict)

    def _times(self, side: str, clock: str) -> list[float]:
        if clock not in ("wall", "cpu"):
            raise ValueError(f"clock is 'wall' or 'cpu', not {clock!r}")
        return self.seconds[side] if clock == "wall" else self.cpu_seconds[side]

    def best(self, side: str, clock: str = "wall") -> float:
        """Shortest time of ``side`` (s)."""
        return min(self._times(side, clock))

    def median(self, side: str, clock: str = "wall") -> float:
        """Median time of ``side`` (s)."""
        return statistics.median(self._times(side, clock))

    def ratio(self, side: str, baseline: str, clock: str = "wall") -> RatioStats:
        """Time of ``side`` over time of ``baseline``, per repetition."""
        pairs = zip(self._times(side, clock), self._times(baseline, clock), strict=True)
        return RatioStats.of([a / b for a, b in pairs])

    def both_ratios(self, side: str, baseline: str) -> str:
        """:meth:`ratio` by wall clock and by CPU time, as one line of text."""
        wall, cpu = self.ratio(side, baseline), self.ratio(side, baseline, "cpu")
        return (f"wall {wall.min:.3g}x min, {wall.median:.3g}x median; CPU {cpu.min:.3g}x min, "
                f"{cpu.median:.3g}x median (n={wall.n})")

    def rate_ratio(self, side: str, baseline: str, work: Mapping[str, float],
                   clock: str = "wall") -> RatioStats:
        """Rate (``work[side]`` per second) of ``side`` over that of ``baseline``, per
        repetition: for sides that do different amounts of the same kind of work."""
        pairs = zip(self._times(side, clock), self._times(baseline, clock), strict=True)
        return RatioStats.of([(work[side] / a) / (work[baseline] / b) for a, b in pairs])


def interleave(sides: Mapping[str, Callable[..., object]], repeat: int, warmup: int = 0,
               setup: Mapping[str, Callable[[], object]] | None = None) -> Comparison:
    """Time every side ``repeat`` times, interleaved.

    Repetition r runs the sides in their given order rotated by r, so no side always runs
    first or right after another. A side with an entry in ``setup`` is called with the value
    of ``setup[side]()``, made before its clock starts (fresh state for every repetition).
    ``warmup`` untimed rounds come first (compilation, caches).
    """
    if repeat < 1:
        raise SystemExit(f"error: --repeat must be at least 1, not {repeat}")
    setup = setup or {}
    names = list(sides)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    results: dict[str, object] = {}
    for r in range(warmup + repeat):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            args = (setup[name](),) if name in setup else ()
            start, start_cpu = time.perf_counter(), time.process_time()
            results[name] = sides[name](*args)
            elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            if r >= warmup:
                seconds[name].append(elapsed)
                cpu[name].append(elapsed_cpu)
    return Comparison(seconds, results, cpu)


# --------------------------------------------------------------------------- peak memory
@dataclass(frozen=True)
class MemoryPeak:
    """Peak resident set of a fresh process (bytes): after importing, and after the call."""

    baseline_bytes: int
    peak_bytes: int

    @property
    def growth_bytes(self) -> int:
        """What the call added to the peak (bytes)."""
        return self.peak_bytes - self.baseline_bytes


_CHILD = f"""
import importlib, json, sys

def vm_hwm():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise SystemExit("no VmHWM in /proc/self/status")

sys.path.insert(0, sys.argv[1])
module, name = sys.argv[2].split(":")
function = getattr(importlib.import_module(module), name)
args, preload = json.loads(sys.argv[3]), json.loads(sys.argv[4])
for extra in preload:
    importlib.import_module(extra)
before = vm_hwm()
result = function(*args)
after = vm_hwm()
print("{_MARKER}" + json.dumps([before, after]))
"""


def peak_memory(target: str, *args: object, preload: Sequence[str] = (),
                env: Mapping[str, str] | None = None, timeout: float = 3600.0) -> MemoryPeak:
    """Call ``target`` ("module:function", importable from the scripts folder or the
    environment) with JSON-serialisable ``args`` in a new Python process, and return that
    process's VmHWM after importing the target's module and the ``preload`` modules (baseline)
    and after the call (peak): the growth is the call's, not its imports'."""
    command = [sys.executable, "-c", _CHILD, str(Path(__file__).parent), target,
               json.dumps(list(args)), json.dumps(list(preload))]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})
    lines = [line for line in done.stdout.splitlines() if line.startswith(_MARKER)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"peak-memory child for {target} failed: {tail}")
    before, after = json.loads(lines[-1][len(_MARKER):])
    return MemoryPeak(before, after)


# --------------------------------------------------------------------------- command line
def add_arguments(parser, repeat: int | None = 5, threads: int | None = 1) -> None:
    """Add ``--repeat`` (unless ``repeat`` is None: the bench names its own) and ``--threads``
    (the harness's options) to an argparse parser."""
    if repeat is not None:
        parser.add_argument("--repeat", type=int, default=repeat,
                            help=f"interleaved repetitions (default {repeat})")
    parser.add_argument("--threads", type=int, default=threads,
                        help="threads for BLAS, OpenMP and numba (default "
                             f"{threads or 'the libraries own choice'})")


def start(args, title: str) -> None:
    """Pin threads as ``args.threads`` says and print the environment under ``title``."""
    if args.threads is not None:
        pin_threads(args.threads)
    print_environment(title)
