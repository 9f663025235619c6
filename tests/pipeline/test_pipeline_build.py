"""Builders: documents equal to direct science calls, incremental and idempotent builds,
failure records that never replace good documents, and store failures that lose nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from unittest import mock

import pytest
from pipeline_data import all_documents, clone_data_dir, write_run

from ionflux import __version__
from ionflux.errors import StoreError
from ionflux.io import read_trajectory
from ionflux.io.trajectory import file_sha256
from ionflux.pipeline import Pipeline, PipelineSettings, SQLiteStore
from ionflux.storage.documents import from_record
from ionflux.transport import analyze_trajectories
from ionflux.transport.documents import TransportDoc

STAGES = ("transport", "bonds", "aggregate", "kd")


def make_runs(runs: Path) -> dict[str, Path]:
    """Five trajectories in three (phase, T) groups."""
    return {
        "a1": write_run(runs, "bto_1500_a", replicate="a", seed=0),
        "a2": write_run(runs, "bto_1500_b", replicate="b", seed=1),
        "a3": write_run(runs, "bto_1500_c", replicate="c", seed=2),
        "b1": write_run(runs, "bto_1750_a", replicate="a", seed=3, temperature_K=1750),
        "c1": write_run(runs, "b2to_1500_a", replicate="a", seed=4, formula="Ba2TiO4",
                        formula_units=3),
    }


def changed_keys(old: dict[str, dict], new: dict[str, dict]) -> dict[str, set]:
    """Per role, the keys whose document is new or differs."""
    return {role: {k for k, v in docs.items() if old[role].get(k) != v}
            for role, docs in new.items()}


def processed(reports) -> dict[str, int]:
    # the gamma stage has nothing to do for these runs (no ACE potential in their sidecars)
    return {r.stage: r.processed for r in reports if r.stage != "gamma" or r.processed}


def _read(path: Path):
    return read_trajectory(path, frame_interval_fs=50.0, temperature_K=None).with_metadata(
        temperature_K=1750.0 if "1750" in path.name else 1500.0)


def test_documents_equal_direct_science_calls_and_rebuild_is_identical(
        tmp_path: Path, memory_pipeline: Pipeline):
    from ionflux.kinetics import KDTable
    from ionflux.structure.bonds import bond_counts
    from ionflux.thermo import ThermoData

    pipe = memory_pipeline
    files = make_runs(tmp_path / "runs")
    pipe.ingest(tmp_path / "runs")
    assert processed(pipe.build()) == {"transport": 5, "bonds": 5, "aggregate": 3, "kd": 3}
    docs = all_documents(pipe)
    raw = docs["raw_trajectories"]

    # per replicate: exactly what the science function gives for that file alone
    rec = docs["transport"]["BaTiO3@1500K#b"]
    direct = analyze_trajectories([_read(files["a2"])], n_blocks=5, formula="BaTiO3")
    stored = from_record(rec, TransportDoc)
    assert stored.L == direct.L and stored.D_self_cm2_s == direct.D_self_cm2_s
    assert stored.provenance.sources[0].sha256 == file_sha256(files["a2"])
    assert rec["pipeline"]["source_keys"] == ["BaTiO3@1500K#b"]
    assert rec["pipeline"]["source_hashes"] == {"BaTiO3@1500K#b": file_sha256(files["a2"])}
    assert rec["pipeline"]["ionflux_version"] == __version__
    assert rec["last_updated"] == raw["BaTiO3@1500K#b"]["last_updated"]

    # aggregate: all replicates of the group in one call (mean and standard error)
    agg = docs["transport_aggregate"]["BaTiO3@1500K"]
    direct = analyze_trajectories([_read(files[k]) for k in ("a1", "a2", "a3")], n_blocks=5,
                                  formula="BaTiO3")
    assert agg["n_replicates"] == 3 and agg["L"] == direct.L and agg["L_stderr"] == \
        direct.L_stderr
    assert agg["replicates"] == ["BaTiO3@1500K#a", "BaTiO3@1500K#b", "BaTiO3@1500K#c"]
    assert agg["last_updated"] == max(raw[k]["last_updated"] for k in agg["replicates"])

    bonds = docs["bonds"]["Ba2TiO4@1500K#a"]
    direct_bonds = bond_counts(_read(files["c1"]), n_frames=1, workers=1)
    assert bonds["pairs"] == direct_bonds.model_dump(mode="json")["pairs"]

    kd = docs["kd"]["BaTiO3@1750K:BaO+TiO2"]
    table = KDTable.from_transport_docs([from_record(docs["transport_aggregate"]["BaTiO3@1750K"],
                                                     TransportDoc)], ThermoData.bundled("Ba-Ti-O"))
    assert kd["K_D_cm2_s"] == table.doc("BaTiO3", 1750.0, ("BaO", "TiO2")).K_D_cm2_s > 0
    assert kd["precursors"] == ["BaO", "TiO2"] and kd["group_id"] == "BaTiO3@1750K"
    assert [d.key() for d in pipe.transport_docs("Ba-Ti-O")] == [
        "Ba2TiO4@1500K", "BaTiO3@1500K", "BaTiO3@1750K"]
    assert pipe.transport_docs("Ba-O") == []

    # nothing new: nothing processed, nothing rewritten
    assert processed(pipe.build()) == dict.fromkeys(STAGES, 0)
    assert all_documents(pipe) == docs
    # rebuilt from scratch: identical documents, time stamps included
    for role in ("transport", "bonds", "transport_aggregate", "kd"):
        pipe.stores.stores[role].remove_docs({})
    assert processed(pipe.build()) == {"transport": 5, "bonds": 5, "aggregate": 3, "kd": 3}
    assert all_documents(pipe) == docs


def test_new_or_changed_trajectory_rebuilds_only_what_it_touches(tmp_path: Path,
                                                                 memory_pipeline: Pipeline):
    pipe = memory_pipeline
    runs = tmp_path / "runs"
    files = make_runs(runs)
    pipe.ingest(runs)
    pipe.build()
    before = all_documents(pipe)

    write_run(runs, "bto_1500_d", replicate="d", seed=5)
    pipe.ingest(runs)
    assert processed(pipe.build()) == {"transport": 1, "bonds": 1, "aggregate": 1, "kd": 1}
    after = all_documents(pipe)
    assert after["transport_aggregate"]["BaTiO3@1500K"]["n_replicates"] == 4
    assert changed_keys(before, after) == {
        "raw_trajectories": {"BaTiO3@1500K#d"}, "transport": {"BaTiO3@1500K#d"},
        "bonds": {"BaTiO3@1500K#d"}, "transport_aggregate": {"BaTiO3@1500K"},
        "kd": {"BaTiO3@1500K:BaO+TiO2"}, "failures": set(), "predictions": set(),
        "published_transport": set(), "gamma": set(), "retired": set()}

    # new content for one file: that replicate, its group and its K_D, nothing else
    write_run(runs, "b2to_1500_a", replicate="a", seed=42, formula="Ba2TiO4", formula_units=3)
    assert pipe.ingest(runs).changed == [str(files["c1"])]
    assert processed(pipe.build()) == {"transport": 1, "bonds": 1, "aggregate": 1, "kd": 1}
    final = all_documents(pipe)
    assert changed_keys(after, final) == {
        "raw_trajectories": {"Ba2TiO4@1500K#a"}, "transport": {"Ba2TiO4@1500K#a"},
        "bonds": {"Ba2TiO4@1500K#a"}, "transport_aggregate": {"Ba2TiO4@1500K"},
        "kd": {"Ba2TiO4@1500K:BaO+TiO2"}, "failures": set(), "predictions": set(),
            "published_transport": set(), "gamma": set(), "retired": set()}
    assert final["transport"]["Ba2TiO4@1500K#a"]["L"] != after["transport"]["Ba2TiO4@1500K#a"][
        "L"]


def test_failures_are_recorded_never_overwrite_and_never_stop(tmp_path: Path,
                                                              memory_pipeline: Pipeline):
    pipe = memory_pipeline
    runs = tmp_path / "runs"
    files = make_runs(runs)
    pipe.ingest(runs)
    pipe.build(["transport", "aggregate"])
    good = all_documents(pipe, ("transport", "transport_aggregate"))

    # corrupt one replicate, add a file whose sidecar contradicts it, and a phase without
    # thermodynamic data
    files["a2"].write_text("5\nnot an extended xyz frame\n")
    write_run(runs, "liar", replicate="z", seed=6, formula="BaTiO3", sidecar_formula="Ba2TiO4")
    write_run(runs, "exotic", replicate="a", seed=7, formula="BaTi3O7", formula_units=2)
    pipe.ingest(runs)
    reports = pipe.build()
    by_stage = {r.stage: (r.processed, r.failed) for r in reports}
    assert by_stage["transport"] == (3, 2)  # corrupt + liar fail, exotic builds
    assert by_stage["kd"][1] == 1  # exotic: no thermo data

    failures = {f["failure_id"]: f["error"] for f in pipe.stores.failures.query()}
    assert "frame 0 (line 1): incomplete frame" in failures["transport:BaTiO3@1500K#b"]
    assert failures["transport:Ba2TiO4@1500K#z"].endswith(
        "says formula Ba2TiO4, but the file holds BaTiO3 (Ba4 Ti4 O12)")
    assert failures["kd:BaTi3O7@1500K:BaO+TiO2"] == (
        "no thermodynamic data for phase 'BaTi3O7' in the Ba-Ti-O data (bundled)")
    assert "transport:BaTi3O7@1500K#a" not in failures

    now = all_documents(pipe, ("transport", "transport_aggregate"))
    # the earlier good document of the corrupted file is kept as it was
    assert now["transport"]["BaTiO3@1500K#b"] == good["transport"]["BaTiO3@1500K#b"]
    # its group is rebuilt without it, saying so
    agg = now["transport_aggregate"]["BaTiO3@1500K"]
    assert agg["replicates"] == ["BaTiO3@1500K#a", "BaTiO3@1500K#c"]
    assert agg["excluded"][0]["traj_id"] == "BaTiO3@1500K#b"
    assert any("replicate BaTiO3@1500K#b excluded" in w for w in agg["warnings"])

    status = {s.stage: s for s in pipe.status().stages}
    assert (status["transport"].total, status["transport"].up_to_date, status["transport"].failed,
            status["transport"].outdated) == (7, 5, 2, 1)
    assert status["kd"].failed == 1 and status["aggregate"].pending == 0
    # failed items are not retried with the same inputs, unless asked
    assert processed(pipe.build()) == dict.fromkeys(STAGES, 0)
    assert processed(pipe.build(["transport"], retry_failed=True)) == {"transport": 2}

    # repairing the file resolves its failure records
    write_run(runs, "bto_1500_b", replicate="b", seed=1)
    pipe.ingest(runs)
    pipe.build()
    failures = {f["failure_id"] for f in pipe.stores.failures.query()}
    assert not any("BaTiO3@1500K#b" in f for f in failures)
    assert all_documents(pipe, ("transport",))["transport"]["BaTiO3@1500K#b"]["L"] == \
        good["transport"]["BaTiO3@1500K#b"]["L"]


def _local(data_dir: Path, settings: PipelineSettings) -> Pipeline:
    return Pipeline.open("local", data_dir=data_dir, settings=settings)


def test_full_disk_loses_nothing_and_rerun_completes(tmp_path: Path,
                                                     settings: PipelineSettings):
    settings = settings.model_copy(update={"chunk_size": 1})
    runs = tmp_path / "runs"
    make_runs(runs)
    pipe = _local(tmp_path / "data", settings)
    pipe.ingest(runs)
    pipe.close()
    clone_data_dir(tmp_path / "data", tmp_path / "reference")
    reference = _local(tmp_path / "reference", settings)
    reference.build(["transport", "aggregate"])

    real = SQLiteStore._row
    writes = {"n": 0}

    def disk_full(self, doc):
        if self.collection_name == "transport":
            writes["n"] += 1
            if writes["n"] == 3:
                raise sqlite3.OperationalError("database or disk is full")
        return real(self, doc)

    pipe = _local(tmp_path / "data", settings)
    with mock.patch.object(SQLiteStore, "_row", disk_full), \
            pytest.raises(StoreError, match=r"transport: write failed: database or disk is full"):
        pipe.build(["transport", "aggregate"])
    partial = all_documents(pipe, ("transport",))["transport"]
    assert len(partial) == 2  # two whole documents, nothing half-written
    want = all_documents(reference, ("transport", "transport_aggregate"))
    assert all(partial[k] == want["transport"][k] for k in partial)
    assert processed(pipe.build(["transport", "aggregate"])) == {"transport": 3, "aggregate": 3}
    assert all_documents(pipe, ("transport", "transport_aggregate")) == want
    assert not list(pipe.stores.failures.query())

    # an ingest that cannot write changes nothing either
    write_run(runs, "bto_1500_z", replicate="z", seed=9)
    before = all_documents(pipe, ("raw_trajectories",))
    with mock.patch.object(SQLiteStore, "_row",
                           side_effect=sqlite3.OperationalError("database or disk is full")), \
            pytest.raises(StoreError, match="disk is full"):
        pipe.ingest(runs)
    assert all_documents(pipe, ("raw_trajectories",)) == before
    pipe.close()
    reference.close()


def test_maggma_run_and_process_pool_give_the_serial_documents(tmp_path: Path,
                                                               settings: PipelineSettings):
    runs = tmp_path / "runs"
    make_runs(runs)
    pipe = _local(tmp_path / "data", settings)
    pipe.ingest(runs)
    pipe.close()
    for name in ("run", "pool"):
        clone_data_dir(tmp_path / "data", tmp_path / name)
    pipe.build(["transport", "aggregate"])
    want = all_documents(pipe, ("transport", "transport_aggregate", "failures"))
    pipe.close()

    # maggma's own Builder.run(): connects, builds incrementally, closes the stores
    other = _local(tmp_path / "run", settings)
    for builder in other.builders(["transport", "aggregate"]):
        builder.run()
    assert all_documents(other, ("transport", "transport_aggregate", "failures")) == want
    again = other.builder("transport")
    again.connect()
    assert list(again.get_items()) == []
    other.close()

    pooled = _local(tmp_path / "pool", settings)
    reports = pooled.build(["transport", "aggregate"], processes=2)
    assert processed(reports) == {"transport": 5, "aggregate": 3}
    assert all_documents(pooled, ("transport", "transport_aggregate", "failures")) == want
    pooled.close()
