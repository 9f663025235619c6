"""The hostile corpus (scripts/make_hostile_corpus.py, generated, never committed): ingested
next to good data into a fresh local store, every hostile file gives a one-line error and a
recorded ingest failure, and the good data's documents stay exactly as they were."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from hostile_data import write_runs

from ionflux.cli import main

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_hostile_corpus.py"


def _make_corpus():
    spec = importlib.util.spec_from_file_location("make_hostile_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_corpus


def _documents(data_dir: Path) -> dict:
    from ionflux.pipeline import Pipeline

    with Pipeline.open("local", data_dir=data_dir) as pipe:
        return {role: sorted(str(d) for d in store.query())
                for role, store in pipe.stores.stores.items() if role != "failures"}


def test_hostile_corpus_is_refused_file_by_file(tmp_path: Path, capsys):
    runs = write_runs(tmp_path / "runs" / "good", ["a", "b"], n_frames=200)
    store = ["--data-dir", str(tmp_path / "store")]
    assert main(["ingest", str(tmp_path / "runs"), *store]) == 0
    assert main(["build", "--stage", "transport", "--stage", "aggregate", *store]) == 0
    before = _documents(tmp_path / "store")
    assert len(before["raw_trajectories"]) == 2 and len(before["transport"]) == 2

    start = time.perf_counter()
    expected = _make_corpus()(tmp_path / "runs" / "hostile", gz_inflated_mb=256,
                              sparse_mb=1024)
    assert time.perf_counter() - start < 20
    assert sum(p.stat().st_blocks * 512 for p in (tmp_path / "runs").rglob("*")) < 100 << 20
    capsys.readouterr()
    start = time.perf_counter()
    assert main(["ingest", str(tmp_path / "runs"), *store, "--json"]) == 1
    assert time.perf_counter() - start < 30
    import json

    report = json.loads(capsys.readouterr().out)
    failed = {f["path"]: f["error"] for f in report["failed"]}
    assert set(failed) == set(expected)
    for path, message in expected.items():
        assert message in failed[path] and "\n" not in failed[path], failed[path]
    assert report["unchanged"] == [str(runs / "a.extxyz"), str(runs / "b.extxyz")]

    from ionflux.pipeline import Pipeline

    with Pipeline.open("local", data_dir=tmp_path / "store") as pipe:
        recorded = {f["item_key"]: f["error"]
                    for f in pipe.stores.failures.query({"stage": "ingest"})}
    assert recorded == failed
    assert main(["build", "--stage", "transport", "--stage", "aggregate", *store]) == 0
    assert _documents(tmp_path / "store") == before
