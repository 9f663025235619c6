"""Benchmark of the pipeline's stores and incremental builds; prints ratios, not absolutes.

1. Store candidates, all through maggma's ``Store`` interface: upsert N documents (one
   ``update`` call, then again to replace them) and look up documents by key. The SQLiteStore
   of ionflux is the baseline. Candidates: maggma's MemoryStore (mongomock), MontyStore
   (montydb on SQLite; ``ensure_index`` patched because montydb has no indexes), maggma's
   MongoStore talking to a real MongoDB wire-protocol server (nx-27017, started here on a
   loopback port; pass --mongo-uri for a real mongod), and a MongoStore subclass on neosqlite.
   montydb and neosqlite come with the ``bench`` extra (pip install -e ".[bench]"); a candidate
   that is not installed is printed as skipped, never silently left out. The slow candidates
   are timed on fewer documents; ratios compare equal N. How each store's insert time grows
   is printed as the exponent x of N^x measured between two sizes (1 = linear, 2 = quadratic).
   The stores run interleaved (--repeat rounds, each store a fresh one per round); ratios are
   the median (and min) over rounds of each store's time over SQLiteStore's in that round.
2. Pipeline: full ingest + build of many small trajectories (stages transport, aggregate, kd;
   bonds with ``--bonds``) versus a no-op rerun of ingest + build (nothing changed; goal:
   <= 2 % of the first) and versus adding one trajectory (ingest + build). Each of the
   --build-repeat cycles starts from an empty store and driving-force cache; the percentages
   are the median and range over cycles of the ratio within a cycle.

    python scripts/bench_pipeline.py                       # 10,000 docs, 1,000 trajectories
    python scripts/bench_pipeline.py --docs 2000 --trajectories 100 --slow-docs 500  # quick
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import yaml

from harness import Comparison, RatioStats, add_arguments, interleave, start
from ionflux.io.writers import write_extxyz
from ionflux.pipeline import Pipeline, PipelineSettings, SQLiteStore


# --------------------------------------------------------------------------- store candidates
def _documents(n: int) -> list[dict]:
    t0 = datetime(2024, 1, 1)
    return [{"task_id": f"k{i:06d}", "last_updated": t0, "formula": "BaTiO3",
             "temperature_K": 1000.0 + i % 100, "L": [[float(i), 1.0], [1.0, 2.0]],
             "warnings": [], "notes": "x" * 200} for i in range(n)]


def _store_factories(mongo_uri: str | None
                     ) -> tuple[dict[str, Callable[[Path], object]], list[str]]:
    """Store constructors taking a fresh, empty folder; and the candidates not installed."""
    from maggma.stores import MemoryStore, MongoStore

    factories: dict[str, Callable[[Path], object]] = {
        "SQLiteStore (ionflux)": lambda folder: SQLiteStore(str(folder / "db.sqlite"), "c"),
        "MemoryStore (mongomock)": lambda folder: MemoryStore(f"c{folder.name}"),
    }
    skipped: list[str] = []
    if mongo_uri:
        factories["MongoStore (maggma) on nx-27017" if "127.0.0.1" in mongo_uri
                  else "MongoStore (maggma)"] = lambda folder: MongoStore(
            database=f"b{folder.name}", collection_name="c", key="task_id", uri=mongo_uri)
    try:
        from maggma.stores import MontyStore

        class IndexlessMontyStore(MontyStore):
            def ensure_index(self, key: str, unique: bool | None = False) -> bool:
                return False  # montydb cannot create indexes

        import montydb  # noqa: F401

        factories["MontyStore (montydb sqlite)"] = lambda folder: IndexlessMontyStore(
            "c", database_path=str(folder))
    except ImportError:
        skipped.append("MontyStore (montydb not installed)")
    try:
        import neosqlite

        class NeoSQLiteStore(MongoStore):
            def __init__(self, path: str, collection_name: str, **kwargs):
                self.path = path
                super().__init__(database="db", collection_name=collection_name, **kwargs)

            def connect(self, force_reset: bool = False) -> None:
                if self._coll is None or force_reset:
                    self._conn = neosqlite.Connection(self.path)
                    self._coll = self._conn[self.collection_name]

            def close(self) -> None:
                self._conn.close()
                self._coll = None

        factories["MongoStore subclass on neosqlite"] = lambda folder: NeoSQLiteStore(
            str(folder / "neo.sqlite"), "c")
    except ImportError:
        skipped.append("MongoStore subclass on neosqlite (neosqlite not installed)")
    return factories, skipped


def _start_nx_27017(folder: Path) -> tuple[str, object]:
    """A throw-away nx-27017 server on a free loopback port: (URI, process)."""
    import shutil
    import socket
    import subprocess
    import sys

    exe = shutil.which("nx-27017") or str(Path(sys.executable).parent / "nx-27017")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([exe, "--data-dir", "memory", "--host", "127.0.0.1", "-p",
                             str(port), "--pid-file", str(folder / "nx.pid")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from pymongo import MongoClient

    uri = f"mongodb://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with MongoClient(uri, serverSelectionTimeoutMS=200) as client:
                client.admin.command("ping")
            return uri, proc
        except Exception:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("nx-27017 did not start")


OPERATIONS = ("insert", "replace", "lookup")


def _time_store(store, n: int, lookups: int = 300) -> dict[str, float]:
    store.connect()
    docs = _documents(n)
    t = time.perf_counter()
    store.update(docs)
    insert = time.perf_counter() - t
    t = time.perf_counter()
    store.update(docs)
    replace = time.perf_counter() - t
    keys = [f"k{random.randrange(n):06d}" for _ in range(lookups)]
    t = time.perf_counter()
    for key in keys:
        assert store.query_one({"task_id": key})["task_id"] == key
    lookup = (time.perf_counter() - t) / lookups
    assert store.count() == n
    store.close()
    return {"insert": insert, "replace": replace, "lookup": lookup}


def _exponent(t_small: float, n_small: int, t_large: float, n_large: int) -> float:
    return float(np.log(t_large / t_small) / np.log(n_large / n_small))


def bench_stores(n_docs: int, n_slow: int, mongo_uri: str | None, repeat: int) -> None:
    print("\n== stores: upsert and query by key (maggma Store interface) ==")
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        if mongo_uri is None:
            (Path(tmp) / "nx").mkdir()
            mongo_uri, server = _start_nx_27017(Path(tmp) / "nx")
        try:
            _bench_stores(Path(tmp), n_docs, n_slow, mongo_uri, repeat)
        finally:
            if server is not None:
                server.terminate()
                server.wait()


def _bench_stores(tmp: Path, n_docs: int, n_slow: int, mongo_uri: str, repeat: int) -> None:
    factories, skipped = _store_factories(mongo_uri)
    counter = iter(range(10**6))

    def fresh(name: str) -> object:
        folder = Path(tmp) / f"s{next(counter)}"
        folder.mkdir()
        return factories[name](folder)

    sqlite_name = "SQLiteStore (ionflux)"
    big = [_time_store(fresh(sqlite_name), n_docs) for _ in range(repeat)]
    best = {op: min(r[op] for r in big) for op in OPERATIONS}
    print(f"SQLiteStore, {n_docs} documents (best of {repeat}): insert "
          f"{n_docs / best['insert']:,.0f} docs/s, replace {n_docs / best['replace']:,.0f} "
          f"docs/s, lookup {best['lookup'] * 1e6:.0f} us")
    # every store times its own operations; the stores run interleaved, one whole
    # insert/replace/lookup round each per repetition
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in factories}

    def one_round(name: str) -> Callable[[], None]:
        return lambda: rounds[name].append(_time_store(fresh(name), n_slow))

    interleave({name: one_round(name) for name in factories}, repeat)
    by_op = {op: Comparison({name: [r[op] for r in rounds[name]] for name in factories})
             for op in OPERATIONS}
    print(f"\nat {n_slow} documents, time relative to SQLiteStore (x slower; median, min of "
          f"{repeat} interleaved repetitions):")
    print(f"{'store':<36s}" + "".join(f"{op:>16s}" for op in OPERATIONS))
    for name in factories:
        if name == sqlite_name:
            continue
        cells = (by_op[op].ratio(name, sqlite_name) for op in OPERATIONS)
        print(f"{name:<36s}" + "".join(f"{f'{r.median:.0f} ({r.min:.0f})':>16s}" for r in cells))
    for name in skipped:
        print(f"{name:<36s}  skipped (pip install -e '.[bench]')")
    # how the total insert time grows with the number of documents: N^x
    print("\ninsert time grows as N^x (1 = linear, 2 = quadratic; best times):")
    print(f"  SQLiteStore, N = {n_slow} -> {n_docs}: x = "
          f"{_exponent(by_op['insert'].best(sqlite_name), n_slow, best['insert'], n_docs):.2f}")
    small_n = max(50, n_slow // 4)
    for name in factories:
        if name == sqlite_name:
            continue
        small = _time_store(fresh(name), small_n)
        print(f"  {name}, N = {small_n} -> {n_slow}: x = "
              f"{_exponent(small['insert'], small_n, by_op['insert'].best(name), n_slow):.2f}")


# --------------------------------------------------------------------------- pipeline builds
def _write_runs(folder: Path, n: int, replicates: int, n_frames: int) -> None:
    from ionflux.transport.synthetic import SyntheticSystem

    phases = {"BaTiO3": {"Ba": 4, "Ti": 4, "O": 12}, "Ba2TiO4": {"Ba": 6, "Ti": 3, "O": 12}}
    groups = n // replicates
    temperatures = np.linspace(1000.0, 1990.0, max(1, groups // len(phases)))
    i = 0
    for g in range(groups):
        formula = list(phases)[g % len(phases)]
        temp = float(temperatures[(g // len(phases)) % len(temperatures)])
        model = SyntheticSystem(counts=phases[formula],
                                self_diffusion_A2_fs={"Ba": 5e-4, "Ti": 4e-4, "O": 1e-3},
                                temperature_K=temp)
        for r in range(replicates):
            traj = model.generate(n_frames, seed=i)
            path = folder / f"{formula}_{temp:.0f}K_r{r}.extxyz"
            # No times or temperature in the file: the sidecar gives them.
            bare = replace(traj, temperature_K=None, frame_interval_fs=None)
            write_extxyz(path, bare, float_format=".6f")
            path.with_name(path.name + ".yaml").write_text(yaml.safe_dump({
                "formula": formula, "temperature_K": temp, "frame_interval_fs": 50.0,
                "replicate": f"r{r}", "potential": "synthetic", "potential_version": "1",
                "md_engine": "ionflux.transport.synthetic"}))
            i += 1


def _build_cycle(runs: Path, work: Path, settings: PipelineSettings,
                 stages: list[str]) -> dict[str, float]:
    """One first ingest + build into an empty store in ``work``, a no-op rerun, and one added
    trajectory; seconds of each step, and how many items each step computed."""
    # the first build computes its driving forces (no cache left by an earlier run)
    os.environ["IONFLUX_DRIVING_FORCE_CACHE"] = str(work / "driving_forces.sqlite")
    pipe = Pipeline.open("local", data_dir=work / "data", settings=settings)
    out: dict[str, float] = {}
    t = time.perf_counter()
    pipe.ingest(runs)
    out["ingest"] = time.perf_counter() - t
    t = time.perf_counter()
    reports = pipe.build(stages)
    out["build"] = time.perf_counter() - t
    out["summary"] = ", ".join(f"{r.stage} {r.processed} items ({r.failed} failed, "
                               f"{r.seconds:.1f} s)" for r in reports)
    t = time.perf_counter()
    again = pipe.ingest(runs)
    out["ingest_noop"] = time.perf_counter() - t
    out["unchanged"] = len(again.unchanged)
    t = time.perf_counter()
    reports = pipe.build(stages)
    out["build_noop"] = time.perf_counter() - t
    assert all(r.processed == 0 for r in reports), reports
    first = sorted(runs.glob("*.extxyz"))[0]
    extra = first.with_name("extra.extxyz")
    extra.write_bytes(first.read_bytes())
    meta = yaml.safe_load(first.with_name(first.name + ".yaml").read_text())
    sidecar = extra.with_name("extra.extxyz.yaml")
    sidecar.write_text(yaml.safe_dump({**meta, "replicate": "extra"}))
    t = time.perf_counter()
    pipe.ingest(runs)
    reports = pipe.build(stages)
    out["one"] = time.perf_counter() - t
    out["one_summary"] = ", ".join(f"{r.stage} {r.processed}" for r in reports)
    pipe.close()
    extra.unlink()  # the next cycle starts from the same files
    sidecar.unlink()
    return out


def bench_builds(n: int, replicates: int, n_frames: int, bonds: bool, repeat: int) -> None:
    print(f"\n== pipeline: {n} trajectories of 20 atoms x {n_frames} frames, "
          f"{replicates} replicates per (phase, T); {repeat} repetitions, each with an empty "
          "store and driving-force cache ==")
    stages = ["transport", "bonds", "aggregate", "kd"] if bonds else [
        "transport", "aggregate", "kd"]
    settings = PipelineSettings.model_validate({"bonds": {"n_frames": 1},
                                                "transport": {"n_blocks": 5}})
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        runs.mkdir()
        _write_runs(runs, n, replicates, n_frames)
        # imports and numba compilation (or cache loading) happen once per process: do them
        # on one (phase, T) group first, so that no cycle pays them
        warm = Path(tmp) / "warm"
        warm.mkdir()
        for path in sorted(runs.glob("*.extxyz"))[:replicates]:
            for src in (path, path.with_name(path.name + ".yaml")):
                (warm / src.name).write_bytes(src.read_bytes())
        (Path(tmp) / "w-warm").mkdir()
        t = time.perf_counter()
        _build_cycle(warm, Path(tmp) / "w-warm", settings, stages)
        print(f"warm-up cycle on {replicates} trajectories (not counted): "
              f"{time.perf_counter() - t:.1f} s")
        cycles = []
        for k in range(repeat):
            (Path(tmp) / f"w{k}").mkdir()
            cycles.append(_build_cycle(runs, Path(tmp) / f"w{k}", settings, stages))
    print(f"full build: {cycles[0]['summary']}")

    def percent(numerator: Callable[[dict], float], denominator: Callable[[dict], float]) -> str:
        stats = RatioStats.of([100 * numerator(c) / denominator(c) for c in cycles])
        return f"{stats.median:.2f} % median, {stats.min:.2f}-{stats.max:.2f} %"

    first = [c["ingest"] + c["build"] for c in cycles]
    print(f"first ingest + build: {min(first):.1f} s best, {statistics.median(first):.1f} s "
          f"median (ingest {cycles[0]['ingest']:.1f} s + build {cycles[0]['build']:.1f} s in "
          "the first repetition)")
    print("no-op rerun (ingest + build, nothing changed) / first: "
          + percent(lambda c: c["ingest_noop"] + c["build_noop"],
                    lambda c: c["ingest"] + c["build"])
          + f" (goal <= 2 %; {cycles[0]['unchanged']} unchanged)")
    print("  re-ingest alone / first ingest: "
          + percent(lambda c: c["ingest_noop"], lambda c: c["ingest"]))
    print("  rebuild alone / first build: "
          + percent(lambda c: c["build_noop"], lambda c: c["build"]))
    print("add one trajectory (ingest + build) / first: "
          + percent(lambda c: c["one"], lambda c: c["ingest"] + c["build"])
          + f" ({cycles[0]['one_summary']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents for SQLiteStore")
    parser.add_argument("--slow-docs", type=int, default=1_000,
                        help="documents for the quadratic candidates (and the ratios)")
    parser.add_argument("--trajectories", type=int, default=1_000)
    parser.add_argument("--replicates", type=int, default=5)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--bonds", action="store_true", help="include CrystalNN bond counts")
    parser.add_argument("--skip-stores", action="store_true")
    parser.add_argument("--mongo-uri", default=None,
                        help="MongoDB to time MongoStore against (default: start nx-27017)")
    parser.add_argument("--skip-builds", action="store_true")
    parser.add_argument("--build-repeat", type=int, default=1,
                        help="repetitions of the whole build cycle (default 1)")
    add_arguments(parser, repeat=3)
    args = parser.parse_args()
    start(args, "bench_pipeline: stores and incremental builds")
    random.seed(1)
    if not args.skip_stores:
        bench_stores(args.docs, args.slow_docs, args.mongo_uri, args.repeat)
    if not args.skip_builds:
        bench_builds(args.trajectories, args.replicates, args.frames, args.bonds,
                     args.build_repeat)


if __name__ == "__main__":
    main()
