"""The ``mongo`` configuration end to end through pymongo and maggma's MongoStore, against a
real MongoDB-wire-protocol server (nx-27017) on a loopback port."""

from __future__ import annotations

import shutil
from pathlib import Path
from unittest import mock

import pytest
from pipeline_data import all_documents, free_port, write_run
from pymongo import MongoClient

from ionflux.cli import main
from ionflux.errors import StoreError
from ionflux.io.trajectory import file_sha256
from ionflux.pipeline import Pipeline, PipelineSettings
from ionflux.storage.blobs import GridFSBlobs

pytestmark = pytest.mark.mongo

STAGES = ["transport", "aggregate"]


def _runs(folder: Path) -> list[Path]:
    return [write_run(folder, "a", replicate="a", seed=0),
            write_run(folder, "b", replicate="b", seed=1),
            write_run(folder, "c", replicate="a", seed=2, temperature_K=1750)]


def test_mongo_pipeline_matches_local_and_reads_files_from_gridfs(
        tmp_path: Path, mongo_uri: str, settings: PipelineSettings):
    files = _runs(tmp_path / "runs")
    mongo = Pipeline.open("mongo", uri=mongo_uri, settings=settings)
    report = mongo.ingest(tmp_path / "runs")
    assert len(report.new) == 3
    client = MongoClient(mongo_uri)
    db = client.get_default_database()
    # documents in collections, file bytes in GridFS named by their hash
    assert db["raw_trajectories"].count_documents({}) == 3
    stored = {d["filename"] for d in db["trajectory_files.files"].find({}, {"filename": 1})}
    assert stored == {file_sha256(f) for f in files}
    assert db["raw_trajectories"].find_one({"traj_id": "BaTiO3@1500K#a"})["blob"] == {
        "bucket": "trajectory_files", "sha256": file_sha256(files[0])}

    assert {r.stage: r.processed for r in mongo.build(STAGES)} == {"transport": 3,
                                                                  "aggregate": 2}
    assert {r.stage: r.processed for r in mongo.build(STAGES)} == {"transport": 0,
                                                                  "aggregate": 0}
    built = all_documents(mongo, ("raw_trajectories", "transport", "transport_aggregate"))

    # the same raw documents in the embedded store give the same documents
    local = Pipeline.open("local", data_dir=tmp_path / "local", settings=settings)
    local.stores.connect()
    local.stores.raw_trajectories.update(list(built["raw_trajectories"].values()))
    local.build(STAGES)
    assert all_documents(local, ("transport", "transport_aggregate")) == {
        k: built[k] for k in ("transport", "transport_aggregate")}
    local.close()

    # files gone from disk (another machine): the builders read the GridFS copies
    shutil.move(tmp_path / "runs", tmp_path / "elsewhere")
    mongo.stores.transport.remove_docs({})
    assert {r.stage: (r.processed, r.failed) for r in mongo.build(["transport"])} == {
        "transport": (3, 0)}
    assert all_documents(mongo, ("transport",))["transport"] == built["transport"]
    status = {s.stage: (s.total, s.up_to_date) for s in mongo.status().stages}
    assert status["transport"] == (3, 3) and status["aggregate"] == (2, 2)
    mongo.close()
    client.close()


def test_gridfs_blobs_round_trip_and_dedupe(tmp_path: Path, mongo_uri: str):
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * 4000)  # 1 MB: several GridFS chunks
    sha = file_sha256(path)
    with MongoClient(mongo_uri) as client:
        db = client.get_default_database().name
    blobs = GridFSBlobs(mongo_uri, db, "files")
    assert blobs.put(path, sha) is True
    assert blobs.put(path, sha) is False  # content-addressed: stored once
    out = blobs.fetch(sha, tmp_path / "copy.bin")
    assert out.read_bytes() == path.read_bytes()
    with pytest.raises(StoreError, match="no file with sha256"):
        blobs.fetch("0" * 64, tmp_path / "nothing")
    blobs.close()


def test_unreachable_mongodb_is_one_line_error(monkeypatch, capsys):
    uri = f"mongodb://127.0.0.1:{free_port()}/ionflux"
    monkeypatch.setenv("IONFLUX_MONGO_URI", uri)
    monkeypatch.setenv("IONFLUX_MONGO_TIMEOUT_MS", "300")
    assert main(["status", "--store", "mongo"]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: cannot reach MongoDB at {uri} within 0.3 s "
                   "(ServerSelectionTimeoutError)\n")
    monkeypatch.setenv("IONFLUX_MONGO_URI", "mongodb://user:secret@127.0.0.1:1/x")
    assert main(["status", "--store", "mongo"]) == 2
    assert "secret" not in capsys.readouterr().err
    monkeypatch.delenv("IONFLUX_MONGO_URI")
    assert main(["build", "--store", "mongo"]) == 2
    assert capsys.readouterr().err == (
        "error: the mongo store needs a MongoDB URI in $IONFLUX_MONGO_URI "
        "(e.g. mongodb://host:27017/ionflux)\n")


def test_mongo_write_failure_is_one_line_store_error(tmp_path: Path, mongo_uri: str,
                                                      settings: PipelineSettings):
    from maggma.stores import MongoStore
    from pymongo.errors import WriteError

    write_run(tmp_path / "runs", "a")
    pipe = Pipeline.open("mongo", uri=mongo_uri, settings=settings)
    pipe.ingest(tmp_path / "runs")
    real = MongoStore.update

    def full(self, docs, key=None):
        if self.collection_name == "transport":
            raise WriteError("No space left on device\nmore detail", 14031)
        return real(self, docs, key)

    with mock.patch.object(MongoStore, "update", full), \
            pytest.raises(StoreError) as info:
        pipe.build(["transport"])
    assert "transport" in str(info.value) and "\n" not in str(info.value)
    assert "WriteError: No space left on device more detail" in str(info.value)
    assert pipe.stores.transport.count() == 0
    assert {r.stage: r.processed for r in pipe.build(["transport"])} == {"transport": 1}
    pipe.close()
