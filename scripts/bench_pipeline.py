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
2. Pipeline: full ingest + build of many small trajectories (stages transport, aggregate, kd;
   bonds with ``--bonds``) versus a no-op rerun of ingest + build (nothing changed; goal:
   <= 2 % of the first) and versus adding one trajectory (ingest + build).

    python scripts/bench_pipeline.py                       # 10,000 docs, 1,000 trajectories
    python scripts/bench_pipeline.py --docs 2000 --trajectories 100 --slow-docs 500
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import yaml

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


def bench_stores(n_docs: int, n_slow: int, mongo_uri: str | None) -> None:
    print("\n== stores: upsert and query by key (maggma Store interface) ==")
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        if mongo_uri is None:
            (Path(tmp) / "nx").mkdir()
            mongo_uri, server = _start_nx_27017(Path(tmp) / "nx")
        try:
            _bench_stores(Path(tmp), n_docs, n_slow, mongo_uri)
        finally:
            if server is not None:
                server.terminate()
                server.wait()


def _bench_stores(tmp: Path, n_docs: int, n_slow: int, mongo_uri: str) -> None:
    factories, skipped = _store_factories(mongo_uri)
    counter = iter(range(10**6))

    def fresh(name: str) -> object:
        folder = Path(tmp) / f"s{next(counter)}"
        folder.mkdir()
        return factories[name](folder)

    sqlite_name = "SQLiteStore (ionflux)"
    base_big = _time_store(fresh(sqlite_name), n_docs)
    print(f"SQLiteStore, {n_docs} documents: insert {n_docs / base_big['insert']:,.0f} "
          f"docs/s, replace {n_docs / base_big['replace']:,.0f} docs/s, "
          f"lookup {base_big['lookup'] * 1e6:.0f} us")
    base = _time_store(fresh(sqlite_name), n_slow)
    print(f"\nat {n_slow} documents, time relative to SQLiteStore (x slower):")
    print(f"{'store':<36s}{'insert':>10s}{'replace':>10s}{'lookup':>10s}")
    for name in factories:
        if name == sqlite_name:
            continue
        t = _time_store(fresh(name), n_slow)
        print(f"{name:<36s}" + "".join(f"{t[k] / base[k]:10.0f}"
                                      for k in ("insert", "replace", "lookup")))
    for name in skipped:
        print(f"{name:<36s}  skipped (pip install -e '.[bench]')")
    # how the total insert time grows with the number of documents: N^x
    print("\ninsert time grows as N^x (1 = linear, 2 = quadratic):")
    print(f"  SQLiteStore, N = {n_slow} -> {n_docs}: x = "
          f"{_exponent(base['insert'], n_slow, base_big['insert'], n_docs):.2f}")
    small_n = max(50, n_slow // 4)
    for name in factories:
        if name == sqlite_name:
            continue
        small = _time_store(fresh(name), small_n)
        large = _time_store(fresh(name), n_slow)
        print(f"  {name}, N = {small_n} -> {n_slow}: x = "
              f"{_exponent(small['insert'], small_n, large['insert'], n_slow):.2f}")


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


def bench_builds(n: int, replicates: int, n_frames: int, bonds: bool) -> None:
    print(f"\n== pipeline: {n} trajectories of 20 atoms x {n_frames} frames, "
          f"{replicates} replicates per (phase, T) ==")
    stages = ["transport", "bonds", "aggregate", "kd"] if bonds else [
        "transport", "aggregate", "kd"]
    settings = PipelineSettings.model_validate({"bonds": {"n_frames": 1},
                                                "transport": {"n_blocks": 5}})
    with tempfile.TemporaryDirectory() as tmp:
        # the first build computes its driving forces (no cache left by an earlier run)
        os.environ["IONFLUX_DRIVING_FORCE_CACHE"] = str(Path(tmp) / "driving_forces.sqlite")
        runs = Path(tmp) / "runs"
        runs.mkdir()
        _write_runs(runs, n, replicates, n_frames)
        pipe = Pipeline.open("local", data_dir=Path(tmp) / "data", settings=settings)
        t = time.perf_counter()
        pipe.ingest(runs)
        ingest = time.perf_counter() - t
        t = time.perf_counter()
        reports = pipe.build(stages)
        full = time.perf_counter() - t
        print("full build: " + ", ".join(f"{r.stage} {r.processed} items ({r.failed} failed, "
                                         f"{r.seconds:.1f} s)" for r in reports))
        t = time.perf_counter()
        again = pipe.ingest(runs)
        ingest_noop = time.perf_counter() - t
        t = time.perf_counter()
        reports = pipe.build(stages)
        build_noop = time.perf_counter() - t
        assert all(r.processed == 0 for r in reports), reports
        first = sorted(runs.glob("*.extxyz"))[0]
        extra = first.with_name("extra.extxyz")
        extra.write_bytes(first.read_bytes())
        meta = yaml.safe_load(first.with_name(first.name + ".yaml").read_text())
        extra.with_name("extra.extxyz.yaml").write_text(yaml.safe_dump({**meta,
                                                                        "replicate": "extra"}))
        t = time.perf_counter()
        pipe.ingest(runs)
        reports = pipe.build(stages)
        one = time.perf_counter() - t
        pipe.close()
    first = ingest + full
    noop = ingest_noop + build_noop
    print(f"first ingest {ingest:.1f} s + build {full:.1f} s")
    print(f"no-op rerun (ingest + build, nothing changed) / first: {100 * noop / first:.2f} % "
          f"(goal <= 2 %; ingest {ingest_noop:.2f} s, {len(again.unchanged)} unchanged, "
          f"build {build_noop:.2f} s)")
    print(f"  re-ingest alone / first ingest: {100 * ingest_noop / ingest:.2f} %; "
          f"rebuild alone / first build: {100 * build_noop / full:.2f} %")
    print(f"add one trajectory (ingest + build) / first: {100 * one / first:.2f} % "
          f"({', '.join(f'{r.stage} {r.processed}' for r in reports)})")


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
    args = parser.parse_args()
    random.seed(1)
    if not args.skip_stores:
        bench_stores(args.docs, args.slow_docs, args.mongo_uri)
    if not args.skip_builds:
        bench_builds(args.trajectories, args.replicates, args.frames, args.bonds)


if __name__ == "__main__":
    main()
