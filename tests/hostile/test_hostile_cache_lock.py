"""A prediction-cache write blocked by another writer never discards the computed prediction:
the write is retried briefly, then skipped and recorded, and the prediction is returned."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from ionflux.cli import main


@contextmanager
def write_lock(database: Path):
    """Another writer holding SQLite's write lock."""
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def _cache(tmp_path: Path):
    from ionflux.ca.cache import StoreCache

    cache = StoreCache.open("local", tmp_path)
    cache.get("ab" * 32)  # creates the database file and its table
    return cache


def test_blocked_write_is_retried_then_skipped_and_recorded(tmp_path: Path):
    from ionflux.ca.cache import StoreCache
    from ionflux.stages.predictions import BestEffortCache

    _cache(tmp_path)
    slept: list[float] = []
    cache = BestEffortCache(StoreCache.open("local", tmp_path), busy_timeout_s=0.2,
                            sleep=slept.append)
    doc = {"key": "ab" * 32, "inputs": {"system": "Ba-Ti-O"}}
    t0 = time.perf_counter()
    with write_lock(tmp_path / "ionflux.sqlite"):
        cache.put("ab" * 32, doc)  # no exception
    assert time.perf_counter() - t0 < 3
    (note,) = cache.skipped
    assert "not cached" in note and "database is locked" in note and "3 attempts" in note
    assert slept == [0.5, 1.0] and cache.get("ab" * 32) is None
    cache.put("ab" * 32, doc)  # the lock is gone: written
    assert cache.get("ab" * 32) == doc and len(cache.skipped) == 1


def test_predict_returns_its_prediction_while_the_cache_is_locked(tmp_path: Path, capsys):
    _cache(tmp_path)
    args = ["predict", "--precursors", "BaO=1,TiO2=1", "--profile", "1200K:1", "--mode",
            "thermo-only", "--grid", "6", "--realisations", "1", "--data-dir", str(tmp_path),
            "--json"]
    t0 = time.perf_counter()
    with write_lock(tmp_path / "ionflux.sqlite"):
        assert main(args) == 0
    assert time.perf_counter() - t0 < 40  # the store's own wait alone was 60 s
    out = capsys.readouterr()
    assert '"final_mol_fraction"' in out.out
    assert "note: prediction" in out.err and "not cached" in out.err
